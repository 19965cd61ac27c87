// Schema-aware conversion in the Debezium decoder: logical types in the message's schema turn
// encoded values (epoch numbers, base64) into PostgreSQL text; the schema cache.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/debezium_schema.hpp"
#include "full_types_sample.hpp"
#include "wide_events.hpp"

namespace cdc {
namespace {

using testing::full_types_columns;
using testing::full_types_event;

// A field copied out of the decoder (views die at the next decode()).
struct Field {
  ValueKind kind;
  std::string text;
};

// Copies a row image into owned storage, by name.
std::map<std::string, Field> to_map(const std::vector<FieldValue>& fields) {
  std::map<std::string, Field> row;
  for (const FieldValue& f : fields) row[std::string(f.name)] = Field{f.kind, std::string(f.text)};
  return row;
}

DecodeResult decode(Decoder& d, const std::string& value, DecodedChange& out,
                    const std::string* key = nullptr) {
  return d.decode(key ? key->data() : nullptr, key ? key->size() : 0, value.data(), value.size(), out);
}

// One schema field: {"type":type, "name":logical, "parameters":params, "field":name}.
std::string field(const std::string& name, const std::string& type, const std::string& logical = "",
                  const std::string& params = "") {
  std::string f = R"({"type":")" + type + R"(","optional":true)";
  if (!logical.empty()) f += R"(,"name":")" + logical + "\"";
  if (!params.empty()) f += R"(,"parameters":)" + params;
  return f + R"(,"field":")" + name + R"("})";
}

// An envelope schema whose before/after structs have `fields` (comma-joined field() texts).
std::string envelope_schema(const std::string& fields) {
  std::string image = R"({"type":"struct","fields":[)" + fields + R"(],"optional":true,"name":"s.t.Value","field":")";
  return R"({"type":"struct","fields":[)" + image + R"(before"},)" + image +
         R"(after"},{"type":"string","field":"op"}],"name":"s.t.Envelope"})";
}

// A PostgreSQL-connector event with `schema` and before/after images.
std::string event(const std::string& schema, const std::string& after, const std::string& before = "null",
                  const std::string& op = "c") {
  return R"({"schema":)" + schema + R"(,"payload":{"before":)" + before + R"(,"after":)" + after +
         R"(,"source":{"db":"postgres","schema":"public","table":"t"},"op":")" + op + R"("}})";
}

// ---------------------------------------------------------------- the flink-cdc full_types sample

TEST(FullTypesSample, SchemaTurnsEveryValueIntoTheInsertedOne) {
  for (const char* which : {"expected_snapshot", "expected_binlog"}) {
    auto decoder = make_decoder("debezium");
    DecodedChange out;
    std::string message = full_types_event(which, true);
    DecodeResult r = decode(*decoder, message, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    EXPECT_EQ(out.source, "column_type_test.full_types");
    auto after = to_map(out.after);
    ASSERT_EQ(after.size(), full_types_columns().size());
    for (const auto& c : full_types_columns()) {
      const Field& f = after[c.name];
      if (std::string(c.connect_type) == "struct") {
        EXPECT_EQ(f.kind, ValueKind::Json) << c.name;
        EXPECT_NE(f.text.find("\"wkb\":"), std::string::npos) << c.name;
        continue;
      }
      std::string expected = c.expected;
      if (std::string(which) == "expected_binlog" && std::string(c.name) == "timestamp_c") {
        expected = "2020-07-17T18:33:22Z";  // the binlog event is an update of this column
      }
      if (std::string(c.name) == "json_c" && std::string(which) == "expected_binlog") {
        expected = "{\"key1\":\"value1\"}";  // binlog JSON comes without the snapshot's spaces
      }
      EXPECT_EQ(f.text, expected) << c.name << " (" << c.why << ")";
    }
    // Converted values are Text; the rest keep the kind they were written with.
    EXPECT_EQ(after["decimal_c"].kind, ValueKind::Text);
    EXPECT_EQ(after["date_c"].kind, ValueKind::Text);
    EXPECT_EQ(after["file_uuid"].kind, ValueKind::Text);
    EXPECT_EQ(after["tiny_c"].kind, ValueKind::Number);
    EXPECT_EQ(after["timestamp_c"].kind, ValueKind::String);
    EXPECT_EQ(after["bit1_c"].kind, ValueKind::Bool);
  }
}

TEST(FullTypesSample, UpdateConvertsTheBeforeImageToo) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, full_types_event("expected_binlog", true), out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Update);
  auto before = to_map(out.before);
  EXPECT_EQ(before["id"].text, "1");
  EXPECT_EQ(before["datetime6_c"].text, "2020-07-17 18:00:22.123456");
  EXPECT_EQ(before["timestamp_c"].text, "2020-07-17T18:00:22Z");
}

TEST(FullTypesSample, WithoutSchemaValuesStayAsWritten) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, full_types_event("expected_snapshot", false), out).status, DecodeStatus::Change);
  auto after = to_map(out.after);
  EXPECT_EQ(after["id"].kind, ValueKind::String);
  EXPECT_EQ(after["id"].text, "AQ==");
  EXPECT_EQ(after["date_c"].kind, ValueKind::Number);
  EXPECT_EQ(after["date_c"].text, "18460");
  EXPECT_EQ(after["bit_c"].text, "BAQEBAQEBAQ=");
}

// ---------------------------------------------------------------- logical types one by one

TEST(SchemaConversion, PostgresConnectorTypes) {
  std::string schema = envelope_schema(
      field("id", "int32") + "," +
      field("amount", "struct", "io.debezium.data.VariableScaleDecimal") + "," +
      field("price", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2"})") + "," +
      field("born", "int32", "io.debezium.time.Date") + "," +
      field("t_ms", "int32", "io.debezium.time.Time") + "," +
      field("t_us", "int64", "io.debezium.time.MicroTime") + "," +
      field("t_ns", "int64", "io.debezium.time.NanoTime") + "," +
      field("ts_ms", "int64", "io.debezium.time.Timestamp") + "," +
      field("ts_us", "int64", "io.debezium.time.MicroTimestamp") + "," +
      field("ts_ns", "int64", "io.debezium.time.NanoTimestamp") + "," +
      field("tstz", "string", "io.debezium.time.ZonedTimestamp") + "," +
      field("ttz", "string", "io.debezium.time.ZonedTime") + "," +
      field("dur", "int64", "io.debezium.time.MicroDuration") + "," +
      field("dur_s", "string", "io.debezium.time.Interval") + "," +
      field("k_date", "int32", "org.apache.kafka.connect.data.Date") + "," +
      field("k_time", "int32", "org.apache.kafka.connect.data.Time") + "," +
      field("k_ts", "int64", "org.apache.kafka.connect.data.Timestamp") + "," +
      field("k_dec", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"3"})") + "," +
      field("flags", "bytes", "io.debezium.data.Bits", R"({"length":"3"})") + "," +
      field("raw", "bytes") + "," +
      field("doc", "string", "io.debezium.data.Json") + "," +
      field("uid", "string", "io.debezium.data.Uuid") + "," +
      field("mood", "string", "io.debezium.data.Enum", R"({"allowed":"sad,ok,happy"})") + "," +
      field("inf", "int64", "io.debezium.time.MicroTimestamp") + "," +
      field("nothing", "int64", "io.debezium.time.MicroTimestamp"));
  std::string after =
      R"({"id":1,"amount":{"scale":3,"value":"AeJA"},"price":"MDk=","born":-1,"t_ms":64822123,)"
      R"("t_us":64822123456,"t_ns":64822123456500,"ts_ms":1595008822123,"ts_us":-1,)"
      R"("ts_ns":1595008822123456789,"tstz":"2020-07-17T18:00:22.5Z","ttz":"18:00:22Z",)"
      R"("dur":-3020399000000,"dur_s":"P1Y2M3DT4H5M6.78S","k_date":11016,"k_time":1,)"
      R"("k_ts":0,"k_dec":"/w==","flags":"BQ==","raw":"3q2+7w==","doc":"{\"a\":1}",)"
      R"("uid":"651aed08-390f-4893-b2f1-36923e7b7400","mood":"ok","inf":9223372036825200000,)"
      R"("nothing":null})";
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, event(schema, after), out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  auto row = to_map(out.after);
  std::map<std::string, std::string> expect = {
      {"id", "1"}, {"amount", "123.456"}, {"price", "123.45"}, {"born", "1969-12-31"},
      {"t_ms", "18:00:22.123"}, {"t_us", "18:00:22.123456"}, {"t_ns", "18:00:22.123456"},
      {"ts_ms", "2020-07-17 18:00:22.123"}, {"ts_us", "1969-12-31 23:59:59.999999"},
      {"ts_ns", "2020-07-17 18:00:22.123457"}, {"tstz", "2020-07-17T18:00:22.5Z"},
      {"ttz", "18:00:22Z"}, {"dur", "-838:59:59"}, {"dur_s", "P1Y2M3DT4H5M6.78S"},
      {"k_date", "2000-02-29"}, {"k_time", "00:00:00.001"}, {"k_ts", "1970-01-01 00:00:00"},
      {"k_dec", "-0.001"}, {"flags", "101"}, {"raw", "\\xdeadbeef"}, {"doc", "{\"a\":1}"},
      {"uid", "651aed08-390f-4893-b2f1-36923e7b7400"}, {"mood", "ok"}, {"inf", "infinity"},
      {"nothing", ""}};
  for (const auto& [name, text] : expect) EXPECT_EQ(row[name].text, text) << name;
  EXPECT_EQ(row["nothing"].kind, ValueKind::Null);
  EXPECT_EQ(row["amount"].kind, ValueKind::Text);
  EXPECT_EQ(row["id"].kind, ValueKind::Number);
  EXPECT_EQ(row["doc"].kind, ValueKind::String);
}

TEST(SchemaConversion, DecimalAsJsonNumberIsExact) {
  // JsonConverter with decimal.format=NUMERIC writes a Decimal as a JSON number: no float
  // rounding, padded to the scale the source column has.
  std::string schema = envelope_schema(
      field("a", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"3"})") + "," +
      field("big", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"3","connect.decimal.precision":"38"})") + "," +
      field("neg", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"3"})") + "," +
      field("whole", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0"})") + "," +
      field("five", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2"})") + "," +
      field("exp", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2"})") + "," +
      field("b64", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2"})"));
  std::string after =
      R"({"a":1.1,"big":123456789876543212345678987654321.110,"neg":-98765432109876543210987654321098765.4,)"
      R"("whole":-42,"five":5,"exp":1.5E+3,"b64":"MDk="})";
  std::map<std::string, std::string> expect = {
      {"a", "1.100"}, {"big", "123456789876543212345678987654321.110"},
      {"neg", "-98765432109876543210987654321098765.400"}, {"whole", "-42"}, {"five", "5.00"},
      {"exp", "1.5E+3"}, {"b64", "123.45"}};
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  // Twice: the second decode takes the fast path for a schema seen before.
  for (int pass = 0; pass < 2; ++pass) {
    DecodeResult r = decode(*decoder, event(schema, after, after, "u"), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << pass << ": " << r.reason;
    for (const auto* image : {&out.after, &out.before}) {
      auto row = to_map(*image);
      for (const auto& [name, text] : expect) {
        EXPECT_EQ(row[name].text, text) << pass << " " << name;
        EXPECT_EQ(row[name].kind, ValueKind::Text) << name;
      }
    }
  }
  // A key Decimal written as a number is converted by the key's schema the same way.
  std::string key =
      R"({"schema":{"type":"struct","fields":[{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"id"}],"name":"s.t.Key"},"payload":{"id":7}})";
  ASSERT_EQ(decode(*decoder, event(schema, after), out, &key).status, DecodeStatus::Change);
  ASSERT_EQ(out.key.size(), 1u);
  EXPECT_EQ(out.key[0].text, "7.00");
  // Without the schema envelope nothing says it is a Decimal: the literal stays as written.
  std::string bare =
      R"({"before":null,"after":{"big":123456789876543212345678987654321.110,"a":1.1},)"
      R"("source":{"db":"d","table":"t"},"op":"c"})";
  ASSERT_EQ(decode(*decoder, bare, out).status, DecodeStatus::Change);
  auto row = to_map(out.after);
  EXPECT_EQ(row["big"].text, "123456789876543212345678987654321.110");
  EXPECT_EQ(row["big"].kind, ValueKind::Number);
  EXPECT_EQ(row["a"].text, "1.1");
}

TEST(SchemaConversion, DecimalArrayItemsAreDecodedByTheirSchema) {
  // The PostgreSQL connector's numeric(8,4)[]: an array schema whose items are Decimals.
  std::string items = R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",)"
                      R"("parameters":{"scale":"4"}})";
  std::string schema = envelope_schema(R"({"type":"array","optional":true,"items":)" + items +
                                       R"(,"field":"nums"},)" + field("id", "int32"));
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, event(schema, R"({"id":1,"nums":["EtaH",null,1.5]})"), out).status, DecodeStatus::Change);
  auto row = to_map(out.after);
  EXPECT_EQ(row["nums"].text, R"({"123.4567",NULL,"1.5000"})");
  EXPECT_EQ(row["nums"].kind, ValueKind::Text);
  // An element that is no Decimal: the value does not match its schema.
  DecodeResult r = decode(*decoder, event(schema, R"({"id":1,"nums":["not base64!"]})"), out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("nums"), std::string::npos) << r.reason;
}

TEST(SchemaConversion, KeyEnvelopeIsConvertedByItsOwnSchema) {
  std::string schema = envelope_schema(field("id", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"0"})") +
                                       "," + field("v", "string"));
  std::string key =
      R"({"schema":{"type":"struct","fields":[{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"0"},"field":"id"}],"name":"s.t.Key"},"payload":{"id":"AP//////////"}})";
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, event(schema, "null", R"({"id":"AP//////////","v":"x"})", "d"), out, &key);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  ASSERT_EQ(out.key.size(), 1u);
  EXPECT_EQ(out.key[0].kind, ValueKind::Text);
  EXPECT_EQ(out.key[0].text, "18446744073709551615");
  EXPECT_EQ(to_map(out.before)["id"].text, "18446744073709551615");
}

TEST(SchemaConversion, SchemaAfterPayloadStillApplies) {
  std::string schema = envelope_schema(field("d", "int32", "io.debezium.time.Date"));
  std::string message = R"({"payload":{"before":null,"after":{"d":18460},"source":{"db":"x","table":"t"},"op":"c"},"schema":)" +
                        schema + "}";
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, message, out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(to_map(out.after)["d"].text, "2020-07-17");
}

TEST(SchemaConversion, FieldsMissingFromTheSchemaOrInOtherOrderAreFound) {
  std::string schema = envelope_schema(field("b", "int32", "io.debezium.time.Date") + "," +
                                       field("a", "int64", "io.debezium.time.Timestamp"));
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, event(schema, R"({"extra":5,"a":0,"b":1})"), out).status, DecodeStatus::Change);
  auto row = to_map(out.after);
  EXPECT_EQ(row["a"].text, "1970-01-01 00:00:00");
  EXPECT_EQ(row["b"].text, "1970-01-02");
  EXPECT_EQ(row["extra"].text, "5");
  EXPECT_EQ(row["extra"].kind, ValueKind::Number);
}

TEST(SchemaConversion, ValueNotMatchingItsSchemaIsAnError) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string dec = envelope_schema(field("p", "bytes", "org.apache.kafka.connect.data.Decimal", R"({"scale":"2"})"));
  for (const char* after : {R"({"p":"not base64!"})", R"({"p":""})", R"({"p":true})", R"({"p":[1]})"}) {
    DecodeResult r = decode(*decoder, event(dec, after), out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << after;
    EXPECT_NE(r.reason.find("'p'"), std::string::npos) << r.reason;
    EXPECT_TRUE(out.after.empty());
  }
  std::string date = envelope_schema(field("d", "int32", "io.debezium.time.Date"));
  EXPECT_EQ(decode(*decoder, event(date, R"({"d":"2020-01-01"})"), out).status, DecodeStatus::Error);
  EXPECT_EQ(decode(*decoder, event(date, R"({"d":1.5})"), out).status, DecodeStatus::Error);
  // The decoder recovers: the next good message converts.
  ASSERT_EQ(decode(*decoder, event(date, R"({"d":0})"), out).status, DecodeStatus::Change);
  EXPECT_EQ(to_map(out.after)["d"].text, "1970-01-01");
}

TEST(SchemaConversion, LogicalNameWithUnexpectedTypePassesThrough) {
  // decimal.handling.mode=string: the schema names no Decimal, the value is text already.
  std::string schema = envelope_schema(field("p", "string") + "," + field("d", "string", "io.debezium.time.Date") + "," +
                                       field("f", "float64"));
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, event(schema, R"({"p":"123.45","d":"2020-01-01","f":1.5})"), out).status,
            DecodeStatus::Change);
  auto row = to_map(out.after);
  EXPECT_EQ(row["p"].text, "123.45");
  EXPECT_EQ(row["p"].kind, ValueKind::String);
  EXPECT_EQ(row["d"].text, "2020-01-01");
  EXPECT_EQ(row["f"].text, "1.5");
}

TEST(SchemaConversion, UnusableSchemaConvertsNothing) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  for (const char* schema : {R"({"type":"string"})", R"({"type":"struct"})", R"({"type":"struct","fields":5})", "null",
                             R"("text")"}) {
    DecodeResult r = decode(*decoder, event(schema, R"({"d":18460})"), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << schema << ": " << r.reason;
    EXPECT_EQ(to_map(out.after)["d"].kind, ValueKind::Number) << schema;
  }
}

TEST(SchemaConversion, ConvertedViewsLiveUntilTheNextDecode) {
  std::string schema = envelope_schema(field("a", "int32", "io.debezium.time.Date") + "," + field("b", "bytes"));
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  // Many converted fields: the text buffer grows while converting, views must still be right.
  std::string fields, after = "{";
  for (int i = 0; i < 200; ++i) {
    std::string name = "c" + std::to_string(i);
    fields += (i ? "," : "") + field(name, "bytes");
    after += (i ? ",\"" : "\"") + name + R"(":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")";
  }
  after += "}";
  ASSERT_EQ(decode(*decoder, event(envelope_schema(fields), after), out).status, DecodeStatus::Change);
  ASSERT_EQ(out.after.size(), 200u);
  for (const FieldValue& f : out.after) {
    ASSERT_EQ(f.text, "\\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") << f.name;
  }
}

// What one decode produced, copied out for comparisons.
struct Outcome {
  DecodeStatus status;
  std::string reason;
  std::vector<std::pair<std::string, std::pair<int, std::string>>> after, before;
  bool operator==(const Outcome& o) const {
    return status == o.status && reason == o.reason && after == o.after && before == o.before;
  }
};

Outcome outcome(Decoder& d, const std::string& message) {
  DecodedChange out;
  DecodeResult r = decode(d, message, out);
  Outcome o{r.status, r.reason, {}, {}};
  for (const FieldValue& f : out.after) o.after.push_back({std::string(f.name), {int(f.kind), std::string(f.text)}});
  for (const FieldValue& f : out.before) o.before.push_back({std::string(f.name), {int(f.kind), std::string(f.text)}});
  return o;
}

TEST(SchemaConversion, KnownSchemaFastPathAgreesWithTheFullParse) {
  // A decoder that has seen the schema parses only the payload; one that has not parses it all.
  std::string schema = envelope_schema(field("d", "int32", "io.debezium.time.Date") + "," + field("v", "string"));
  std::string head = R"({"schema":)" + schema + R"(,"payload":)";
  std::string event_json = R"({"before":null,"after":{"d":1,"v":"x"},"source":{"db":"a","table":"t"},"op":"c"})";
  std::vector<std::string> variants = {
      head + event_json + "}",
      head + event_json + "}\n  ",
      head + event_json + " \n}",
      head + event_json + R"(,"extra":1})",
      head + event_json + "}}",
      head + "null}",
      head + R"({"before":null,"after":{"d":1},"op":5,"source":{"db":"a","table":"t"}}})",
      head + R"({"before":null,"after":{"d":"x"},"op":"c","source":{"db":"a","table":"t"}}})",
      head + R"({"before":null,"after":{"d":1,"v":"x},"op":"c","source":{"db":"a","table":"t"}}})",
      head + R"({"before":null,"after":{"d":1},"op":"c","source":{"db":"a","table":"t"}})",
      head + R"({"schema":1,"payload":{"after":{"d":1},"op":"c","source":{"db":"a","table":"t"}}}})",
      head + R"({"before":{"d":2},"after":{"d":3},"op":"u","source":{"db":"a","table":"t"}}})",
      head + "[1]}",
      head + "{}}",
  };
  auto warm = make_decoder("debezium");
  ASSERT_EQ(outcome(*warm, variants[0]).status, DecodeStatus::Change);
  for (const std::string& v : variants) {
    auto fresh = make_decoder("debezium");
    Outcome expect = outcome(*fresh, v);
    EXPECT_EQ(outcome(*warm, v), expect) << v.substr(head.size()) << " -> " << expect.reason;
  }
  Outcome first = outcome(*warm, variants[0]);
  ASSERT_EQ(first.after.size(), 2u);
  EXPECT_EQ(first.after[0].second.second, "1970-01-02");
}

// What one decode with a key produced: status, reason and the key's fields, copied out.
std::string key_outcome(Decoder& d, const std::string& value, const std::string& key) {
  DecodedChange out;
  DecodeResult r = decode(d, value, out, &key);
  std::string o = std::to_string(int(r.status)) + " " + r.reason + " |";
  for (const FieldValue& f : out.key) {
    o += " " + std::string(f.name) + ":" + std::to_string(int(f.kind)) + ":" + std::string(f.text);
  }
  return o;
}

TEST(SchemaConversion, KnownKeySchemaFastPathAgreesWithTheFullParse) {
  // A decoder that has seen the key's schema parses only the key's payload; one that has not
  // parses it all. A delete without before image needs the key, so a lost key shows.
  std::string value = event(envelope_schema(field("id", "int32")), "null", "null", "d");
  std::string head =
      R"({"schema":{"type":"struct","fields":[{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"},"field":"id"}],"name":"s.t.Key"},"payload":)";
  std::vector<std::string> variants = {
      head + R"({"id":"AQ=="}})",
      head + R"({"id":"AQ=="}}  )",
      head + R"({"id":"AQ=="} })",
      head + R"({ "id" : "AQ==" , "n" : null }})",
      head + R"({"id":"AQ==","extra":{"n":[1,2]}}})",
      head + R"({"id":"AQ=="},"payload":{"id":"Ag=="}})",
      head + R"({"id":"AQ=="},"x":1})",
      head + R"({"id":"AQ==","id":"Ag=="}})",
      head + R"({"id":"AQ=="})",
      head + R"({"id":"AQ=="}}})",
      head + R"({"id":"AQ=="}}x)",
      head + R"({"id":"AQ==",}})",
      head + R"({"id":"not base64"}})",
      head + R"({"id":1.5}})",
      head + R"({"id":01}})",
      head + "null}",
      head + "[1]}",
      head + "{}}",
      // Nested 256 deep inside the payload: one level too deep for the full parse's validation.
      head + R"({"id":"AQ==","deep":)" + std::string(256, '[') + std::string(256, ']') + "}}",
      head + R"({"id":"AQ==","deep":)" + std::string(255, '[') + std::string(255, ']') + "}}",
  };
  auto warm = make_decoder("debezium");
  ASSERT_EQ(key_outcome(*warm, value, variants[0]), "0  | id:5:0.1");
  for (const std::string& k : variants) {
    auto fresh = make_decoder("debezium");
    EXPECT_EQ(key_outcome(*warm, value, k), key_outcome(*fresh, value, k)) << k.substr(head.size());
  }
}

TEST(SchemaConversion, InterleavedTablesEachKeepTheirSchema) {
  auto decoder = make_decoder("debezium");
  std::vector<std::string> messages;
  for (int t = 0; t < 6; ++t) {  // more tables than the fast path remembers
    std::string schema = envelope_schema(field("c" + std::to_string(t), "int32", "io.debezium.time.Date"));
    messages.push_back(event(schema, "{\"c" + std::to_string(t) + "\":" + std::to_string(t) + "}"));
  }
  for (int round = 0; round < 3; ++round) {
    for (int t = 0; t < 6; ++t) {
      DecodedChange out;
      ASSERT_EQ(decode(*decoder, messages[size_t(t)], out).status, DecodeStatus::Change);
      ASSERT_EQ(out.after.size(), 1u);
      EXPECT_EQ(out.after[0].text, "1970-01-0" + std::to_string(t + 1));
    }
  }
}

TEST(SchemaConversion, WideEventWithSchemaIsConverted) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, testing::wide_event_with_schema(7), out).status, DecodeStatus::Change);
  auto row = to_map(out.after);
  EXPECT_EQ(row.size(), 23u);
  EXPECT_EQ(row["price"].text, "1234.56");
  EXPECT_EQ(row["price"].kind, ValueKind::Text);
  EXPECT_EQ(row["tax_rate"].text, "0.19");
  EXPECT_EQ(row["tax_rate"].kind, ValueKind::Text);
  EXPECT_EQ(row["created_at"].text, "2020-05-13 07:40:06.1");
  EXPECT_EQ(row["created_at"].kind, ValueKind::Text);
  EXPECT_EQ(row["barcode"].text, "\\xdeadbeef");
  EXPECT_EQ(row["barcode"].kind, ValueKind::Text);
  EXPECT_EQ(row["updated_at"].text, "2020-05-13T07:40:06Z");
  EXPECT_EQ(row["updated_at"].kind, ValueKind::String);
  EXPECT_EQ(row["id"].text, "7");
  EXPECT_EQ(row["id"].kind, ValueKind::Number);
}

// ---------------------------------------------------------------- the schema cache

TEST(SchemaCache, ParsesEachDistinctTextOnce) {
  debezium::SchemaCache cache;
  std::string a = envelope_schema(field("d", "int32", "io.debezium.time.Date"));
  std::string b = envelope_schema(field("t", "int64", "io.debezium.time.MicroTime"));
  const debezium::MessageSchema* pa = cache.find(a);
  ASSERT_NE(pa, nullptr);
  EXPECT_EQ(cache.find(b) == pa, false);
  EXPECT_EQ(cache.find(a), pa);                   // hash path
  EXPECT_EQ(cache.find(std::string(a)), pa);     // same text elsewhere in memory
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(R"({"type":"int32"})"), nullptr);
  EXPECT_EQ(cache.find(R"({"type":"int32"})"), nullptr);
  EXPECT_EQ(cache.size(), 3u);  // unusable schemas are remembered too
  ASSERT_EQ(pa->after.fields.size(), 1u);
  EXPECT_EQ(pa->after.fields[0].conv, debezium::Conv::Date);
  EXPECT_TRUE(pa->after.converts);
}

TEST(SchemaCache, StartsOverWhenFull) {
  debezium::SchemaCache cache;
  for (int i = 0; i < 1100; ++i) cache.find(envelope_schema(field("c" + std::to_string(i), "bytes")));
  EXPECT_LE(cache.size(), 1024u);
  EXPECT_NE(cache.find(envelope_schema(field("c5", "bytes"))), nullptr);
}

TEST(SchemaCache, Parameters) {
  debezium::MessageSchema s;
  simdjson::dom::parser parser;
  ASSERT_TRUE(debezium::parse_schema(
      R"({"type":"struct","fields":[{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"7"},"field":"a"},)"
      R"({"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","field":"b"},)"
      R"({"type":"bytes","name":"io.debezium.data.Bits","parameters":{"length":12},"field":"c"},)"
      R"({"type":"bytes","name":"io.debezium.data.Bits","field":"d"}]})",
      parser, s));
  ASSERT_EQ(s.row.fields.size(), 4u);
  EXPECT_EQ(s.row.fields[0].param, 7);
  EXPECT_EQ(s.row.fields[1].param, 0);   // Decimal without scale: 0
  EXPECT_EQ(s.row.fields[2].param, 12);  // a number works as well as a string
  EXPECT_EQ(s.row.fields[3].param, -1);  // Bits without length: 8 per byte
  EXPECT_EQ(debezium::conv_of("int64", "io.debezium.time.NanoTimestamp"), debezium::Conv::TimestampNanos);
  EXPECT_EQ(debezium::conv_of("int32", "io.debezium.time.MicroTimestamp"), debezium::Conv::None);
  EXPECT_EQ(debezium::conv_of("bytes", ""), debezium::Conv::Bytes);
  EXPECT_EQ(debezium::conv_of("string", "io.debezium.data.Json"), debezium::Conv::None);
}

}  // namespace
}  // namespace cdc
