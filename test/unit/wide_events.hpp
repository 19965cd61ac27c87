// Synthetic 23-column Debezium MySQL events for the decoder's allocation and speed tests.
#pragma once

#include <string>

namespace cdc::testing {

// A payload-only MySQL-style event with 23 columns of typical types.
inline std::string wide_event(int id) {
  std::string after = "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":"1234.56","qty":42,"weight":5.099999904632568,"active":true,"discontinued":false,)"
      R"("created_at":1589355606100,"updated_at":"2020-05-13T07:40:06Z","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":["a","b"],)"
      R"("attrs":{"k":"v","n":1},"rating":4.5,"notes":null,"country":"DE","tax_rate":0.19,"version":3})";
  return R"({"before":null,"after":)" + after +
         R"(,"source":{"version":"1.9.7.Final","connector":"mysql","name":"dbserver1","ts_ms":1589355606000,"snapshot":"false","db":"inventory","sequence":null,"table":"products","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":154,"row":0,"thread":7,"query":null},"op":"c","ts_ms":1589355606100,"transaction":null})";
}

// The same 23-column row in the schema envelope, as Debezium MySQL writes it with schemas on:
// a DECIMAL price and tax rate (base64), a DATETIME(3) (epoch ms) and a BLOB (base64) that the
// decoder converts, the rest passed through.
inline std::string wide_event_with_schema(int id) {
  static const char* kFields[][4] = {
      {"id", "int32", "", ""}, {"sku", "string", "", ""}, {"name", "string", "", ""},
      {"description", "string", "", ""},
      {"price", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2","connect.decimal.precision":"10"})"},
      {"qty", "int32", "", ""}, {"weight", "float64", "", ""}, {"active", "boolean", "", ""},
      {"discontinued", "boolean", "", ""}, {"created_at", "int64", "io.debezium.time.Timestamp", ""},
      {"updated_at", "string", "io.debezium.time.ZonedTimestamp", ""}, {"category_id", "int32", "", ""},
      {"supplier", "string", "", ""}, {"barcode", "bytes", "", ""}, {"color", "string", "", ""},
      {"size", "string", "", ""}, {"tags", "string", "io.debezium.data.EnumSet", R"({"allowed":"a,b"})"},
      {"attrs", "string", "io.debezium.data.Json", ""}, {"rating", "float64", "", ""},
      {"notes", "string", "", ""}, {"country", "string", "", ""},
      {"tax_rate", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2","connect.decimal.precision":"4"})"},
      {"version", "int32", "", ""}};
  std::string fields;
  for (const auto& f : kFields) {
    if (!fields.empty()) fields += ',';
    fields += std::string(R"({"type":")") + f[1] + R"(","optional":true)";
    if (*f[2]) fields += std::string(R"(,"name":")") + f[2] + R"(","version":1)";
    if (*f[3]) fields += std::string(R"(,"parameters":)") + f[3];
    fields += std::string(R"(,"field":")") + f[0] + R"("})";
  }
  std::string image = R"({"type":"struct","fields":[)" + fields +
                      R"(],"optional":true,"name":"dbserver1.inventory.products.Value","field":")";
  std::string schema = R"({"type":"struct","fields":[)" + image + R"(before"},)" + image +
                       R"(after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"db"},)"
                       R"({"type":"string","optional":false,"field":"table"}],"optional":false,"field":"source"},)"
                       R"({"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}],)"
                       R"("optional":false,"name":"dbserver1.inventory.products.Envelope"})";
  std::string after = "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":"AeJA","qty":42,"weight":5.099999904632568,"active":true,"discontinued":false,)"
      R"("created_at":1589355606100,"updated_at":"2020-05-13T07:40:06Z","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":"3q2+7w==","color":"red","size":"XL","tags":"a,b",)"
      R"("attrs":"{\"k\":\"v\",\"n\":1}","rating":4.5,"notes":null,"country":"DE","tax_rate":"Ew==","version":3})";
  return R"({"schema":)" + schema + R"(,"payload":{"before":null,"after":)" + after +
         R"(,"source":{"db":"inventory","table":"products"},"op":"c","ts_ms":1589355606100}})";
}

}  // namespace cdc::testing
