// The flink-cdc MySQL full_types sample (cdc-samples/flink-cdc/debezium-data-schema-exclude.json,
// produced by column_type_test.sql) as tests need it: the events with a source added, the
// Debezium MySQL schema its connector writes for that table (bigint.unsigned.handling.mode =
// precise, as the sample's base64 ids show), the PostgreSQL type a user would give each column,
// and the value column_type_test.sql inserted, written as PostgreSQL text.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <simdjson.h>

namespace cdc::testing {

// One column of full_types.
struct FullTypesColumn {
  const char* name;
  const char* connect_type;  // Kafka Connect schema type
  const char* logical;       // logical name ("" for none)
  const char* parameters;    // the schema's "parameters" object ("" for none)
  const char* pg_type;       // the target column's type, as format_type() prints it
  const char* expected;      // column_type_test.sql's value as PostgreSQL input text
  const char* why;           // where the message differs from the SQL literal, and why
};

// clang-format off
inline const std::vector<FullTypesColumn>& full_types_columns() {
  static const std::vector<FullTypesColumn> columns = {
    {"id", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0","connect.decimal.precision":"20"})", "numeric(20,0)", "1", "SERIAL = BIGINT UNSIGNED: precise mode sends Decimal"},
    {"tiny_c", "int16", "", "", "smallint", "127", ""},
    {"tiny_un_c", "int16", "", "", "smallint", "255", ""},
    {"tiny_un_z_c", "int16", "", "", "smallint", "255", ""},
    {"small_c", "int16", "", "", "smallint", "32767", ""},
    {"small_un_c", "int32", "", "", "integer", "65535", ""},
    {"small_un_z_c", "int32", "", "", "integer", "65535", ""},
    {"medium_c", "int32", "", "", "integer", "8388607", ""},
    {"medium_un_c", "int32", "", "", "integer", "16777215", ""},
    {"medium_un_z_c", "int32", "", "", "integer", "16777215", ""},
    {"int_c", "int32", "", "", "integer", "2147483647", ""},
    {"int_un_c", "int64", "", "", "bigint", "4294967295", ""},
    {"int_un_z_c", "int64", "", "", "bigint", "4294967295", ""},
    {"int11_c", "int32", "", "", "integer", "2147483647", ""},
    {"big_c", "int64", "", "", "bigint", "9223372036854775807", ""},
    {"big_un_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0","connect.decimal.precision":"20"})", "numeric(20,0)", "18446744073709551615", ""},
    {"big_un_z_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0","connect.decimal.precision":"20"})", "numeric(20,0)", "18446744073709551615", ""},
    {"varchar_c", "string", "", "", "character varying(255)", "Hello World", ""},
    {"char_c", "string", "", "", "character(3)", "abc", ""},
    {"real_c", "float64", "", "", "double precision", "123.102", ""},
    {"float_c", "float32", "", "", "real", "123.102", ""},
    {"float_un_c", "float32", "", "", "real", "123.103", ""},
    {"float_un_z_c", "float32", "", "", "real", "123.104", ""},
    {"double_c", "float64", "", "", "double precision", "404.4443", ""},
    {"double_un_c", "float64", "", "", "double precision", "404.4444", ""},
    {"double_un_z_c", "float64", "", "", "double precision", "404.4445", ""},
    {"decimal_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"4","connect.decimal.precision":"8"})", "numeric(8,4)", "123.4567", ""},
    {"decimal_un_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"4","connect.decimal.precision":"8"})", "numeric(8,4)", "123.4568", ""},
    {"decimal_un_z_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"4","connect.decimal.precision":"8"})", "numeric(8,4)", "123.4569", ""},
    {"numeric_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0","connect.decimal.precision":"6"})", "numeric(6,0)", "346", "SQL 345.6: MySQL rounded it into NUMERIC(6,0)"},
    {"big_decimal_c", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"1","connect.decimal.precision":"65"})", "numeric(65,1)", "34567892.1", ""},
    {"bit1_c", "boolean", "", "", "boolean", "false", "SQL 0: BIT(1) is a boolean"},
    {"tiny1_c", "int16", "", "", "smallint", "1", ""},
    {"boolean_c", "int16", "", "", "smallint", "1", "SQL true: BOOLEAN is TINYINT(1)"},
    {"date_c", "int32", "io.debezium.time.Date", "", "date", "2020-07-17", ""},
    {"time_c", "int64", "io.debezium.time.MicroTime", "", "interval", "18:00:22", ""},
    {"datetime3_c", "int64", "io.debezium.time.Timestamp", "", "timestamp(3) without time zone", "2020-07-17 18:00:22.123", ""},
    {"datetime6_c", "int64", "io.debezium.time.MicroTimestamp", "", "timestamp(6) without time zone", "2020-07-17 18:00:22.123456", ""},
    {"timestamp_c", "string", "io.debezium.time.ZonedTimestamp", "", "timestamp with time zone", "2020-07-17T18:00:22Z", "ISO 8601 in UTC: the same instant as the SQL literal in a UTC server"},
    {"file_uuid", "bytes", "", "", "bytea", "\\x651aed08390f4893b2f136923e7b7400", ""},
    {"bit_c", "bytes", "io.debezium.data.Bits", R"({"length":"64"})", "bit(64)", "0000010000000100000001000000010000000100000001000000010000000100", ""},
    {"text_c", "string", "", "", "text", "text", ""},
    {"tiny_blob_c", "bytes", "", "", "bytea", "\\x10", ""},
    {"blob_c", "bytes", "", "", "bytea", "\\x10", ""},
    {"medium_blob_c", "bytes", "", "", "bytea", "\\x10", ""},
    {"long_blob_c", "bytes", "", "", "bytea", "\\x10", ""},
    {"year_c", "int32", "io.debezium.time.Year", "", "integer", "2021", ""},
    {"enum_c", "string", "io.debezium.data.Enum", R"({"allowed":"red,white"})", "text", "red", ""},
    {"set_c", "string", "io.debezium.data.EnumSet", R"({"allowed":"a,b"})", "text", "a,b", "SQL 'a,b,a': a MySQL SET holds each member once"},
    {"json_c", "string", "io.debezium.data.Json", "", "jsonb", "{\"key1\": \"value1\"}", "MySQL normalises JSON whitespace"},
    {"point_c", "struct", "io.debezium.data.geometry.Point", "", "jsonb", "", "a struct: kept as JSON"},
    {"geometry_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"linestring_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"polygon_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"multipoint_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"multiline_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"multipolygon_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"geometrycollection_c", "struct", "io.debezium.data.geometry.Geometry", "", "jsonb", "", "a struct: kept as JSON"},
    {"varchar_len0_c", "string", "", "", "text", "", ""},
  };
  return columns;
}
// clang-format on

// The contents of a file under the samples folder.
inline std::string read_sample(const std::string& rel) {
  std::ifstream in(std::string(CDC_SAMPLES_DIR) + "/" + rel, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open sample " + rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The Debezium MySQL value schema of full_types (before/after structs in an envelope).
inline std::string full_types_schema() {
  std::string fields;
  for (const FullTypesColumn& c : full_types_columns()) {
    if (!fields.empty()) fields += ',';
    fields += std::string(R"({"type":")") + c.connect_type + R"(","optional":true)";
    if (*c.logical) fields += std::string(R"(,"name":")") + c.logical + R"(","version":1)";
    if (*c.parameters) fields += std::string(R"(,"parameters":)") + c.parameters;
    fields += std::string(R"(,"field":")") + c.name + R"("})";
  }
  auto image = [&](const char* which) {
    return R"({"type":"struct","fields":[)" + fields +
           R"(],"optional":true,"name":"mysql_binlog_source.column_type_test.full_types.Value","field":")" +
           which + R"("})";
  };
  return R"({"type":"struct","fields":[)" + image("before") + "," + image("after") +
         R"(,{"type":"struct","fields":[{"type":"string","optional":false,"field":"db"},)"
         R"({"type":"string","optional":true,"field":"table"}],"optional":false,"field":"source"},)"
         R"({"type":"string","optional":false,"field":"op"}],"optional":false,)"
         R"("name":"mysql_binlog_source.column_type_test.full_types.Envelope"})";
}

// The sample's event `which` ("expected_snapshot" / "expected_binlog") with a source added,
// payload only or inside the schema envelope.
inline std::string full_types_event(const char* which, bool with_schema) {
  simdjson::padded_string json(read_sample("flink-cdc/debezium-data-schema-exclude.json"));
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc = parser.iterate(json);
  simdjson::ondemand::object obj = doc[which].get_object();
  std::string_view raw = obj.raw_json();
  std::string event = R"({"source":{"db":"column_type_test","table":"full_types"},)" +
                      std::string(raw.substr(raw.find('{') + 1));
  while (!event.empty() && event.back() != '}') event.pop_back();
  if (!with_schema) return event;
  return R"({"schema":)" + full_types_schema() + R"(,"payload":)" + event + "}";
}

}  // namespace cdc::testing
