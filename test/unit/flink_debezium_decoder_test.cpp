// Unit tests of the Flink debezium-json decoder (what Flink SQL's Kafka connector writes with
// 'format' = 'debezium-json'): Flink's own sample converted to the serializer's shape, and edge cases.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/change.hpp"
#include "decoder_test_support.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

// The text between `from` and `to` in `line` (exclusive), or throws.
std::string between(const std::string& line, const std::string& from, const std::string& to) {
  size_t b = line.find(from);
  size_t e = b == std::string::npos ? b : line.find(to, b + from.size());
  if (e == std::string::npos) throw std::runtime_error("unexpected sample line shape: " + line);
  return line.substr(b + from.size(), e - b - from.size());
}

// A row in Flink SQL's debezium-json shape.
std::string flink_row(const std::string& before, const std::string& after, const char* op) {
  return R"({"before":)" + before + R"(,"after":)" + after + R"(,"op":")" + op + R"("})";
}

// Flink's Debezium sample (payload only) rewritten as Flink SQL's serializer writes it: no
// source, and each update split into a delete of the old row and an insert of the new one. The
// sample's lines all read {"before":B,"after":A,"source":{...},"op":"x",...}, with no nested
// objects inside the images, so plain text cutting is exact here.
std::vector<std::string> flink_sql_messages() {
  std::vector<std::string> out;
  for (const std::string& line : sample_lines("flink-json/debezium-data-schema-exclude.txt")) {
    std::string before = between(line, R"({"before":)", R"(,"after":)");
    std::string after = between(line, R"(,"after":)", R"(,"source":)");
    std::string op = between(line, R"("op":")", R"(")");
    if (op == "c") {
      out.push_back(flink_row("null", after, "c"));
    } else if (op == "u") {
      out.push_back(flink_row(before, "null", "d"));
      out.push_back(flink_row("null", after, "c"));
    } else if (op == "d") {
      out.push_back(flink_row(before, "null", "d"));
    } else {
      throw std::runtime_error("unexpected op " + op);
    }
  }
  return out;
}

// ---------------------------------------------------------------- registry

TEST(DecoderRegistry, KnowsFlinkDebezium) {
  EXPECT_TRUE(is_known_format("flink-debezium"));
  EXPECT_NE(make_decoder("flink-debezium"), nullptr);
}

// ---------------------------------------------------------------- Flink's sample

TEST(FlinkDebeziumSample, ConvertedSampleHasTheExpectedOps) {
  auto messages = flink_sql_messages();
  ASSERT_EQ(messages.size(), 20u);  // 11 c + 4 u (each d + c) + 1 d
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::map<Op, int> ops;
  for (const std::string& m : messages) {
    DecodeResult r = decode(*decoder, m, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << m << ": " << r.reason;
    EXPECT_TRUE(out.source.empty()) << "the topic names the table";
    EXPECT_TRUE(out.key.empty());
    ++ops[out.op];
  }
  EXPECT_EQ(ops[Op::Insert], 15);
  EXPECT_EQ(ops[Op::Delete], 5);
  EXPECT_EQ(ops[Op::Update], 0);
}

TEST(FlinkDebeziumSample, ReplayLeavesExpectedTable) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::map<int, Row> table;
  for (const std::string& m : flink_sql_messages()) {
    ASSERT_EQ(decode(*decoder, m, out).status, DecodeStatus::Change);
    if (out.op == Op::Delete) {
      ASSERT_TRUE(out.has_before && !out.has_after);
      table.erase(std::stoi(to_row(out.before)["id"].text));
    } else {
      ASSERT_TRUE(out.has_after && !out.has_before);
      table[std::stoi(to_row(out.after)["id"].text)] = to_row(out.after);
    }
  }
  ASSERT_EQ(table.size(), 10u);
  EXPECT_EQ(table.begin()->first, 101);
  EXPECT_EQ(table.rbegin()->first, 110);
  EXPECT_EQ(table.count(111), 0u);
  EXPECT_EQ(table[106]["description"], (Field{ValueKind::String, "18oz carpenter hammer"}));
  EXPECT_EQ(table[107]["weight"], (Field{ValueKind::Number, "5.099999904632568"}));
  EXPECT_EQ(table[110]["description"].text, "new water resistent white wind breaker");
  EXPECT_EQ(table[110]["weight"], (Field{ValueKind::Number, "0.5"}));
  EXPECT_EQ(table[101]["id"], (Field{ValueKind::Number, "101"}));
}

// ---------------------------------------------------------------- ops

TEST(FlinkDebeziumDecoder, OpCodes) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, flink_row("null", R"({"id":1})", "r"), out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Insert);
  ASSERT_EQ(decode(*decoder, flink_row(R"({"id":1,"v":"a"})", R"({"id":1,"v":"b"})", "u"), out).status,
            DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Update);
  EXPECT_TRUE(out.has_before && out.has_after);
  EXPECT_EQ(to_row(out.before)["v"].text, "a");
  EXPECT_EQ(to_row(out.after)["v"].text, "b");
  ASSERT_EQ(decode(*decoder, flink_row("null", R"({"id":2})", "u"), out).status, DecodeStatus::Change);
  EXPECT_FALSE(out.has_before);  // an update without its old row is still an update
  // Member order does not matter.
  ASSERT_EQ(decode(*decoder, R"({"op":"d","after":null,"before":{"id":3}})", out).status,
            DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Delete);
  EXPECT_EQ(to_row(out.before)["id"].text, "3");
}

TEST(FlinkDebeziumDecoder, InvalidRowsAreErrors) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  struct Case { std::string json; const char* reason; } cases[] = {
      {flink_row(R"({"id":1})", "null", "x"), "unknown op 'x'"},
      {flink_row(R"({"id":1})", "null", "t"), "unknown op 't'"},
      {flink_row("null", "null", "d"), "op 'd' without a 'before' row image"},
      {R"({"after":null,"op":"d"})", "op 'd' without a 'before' row image"},
      {flink_row(R"({"id":1})", "null", "c"), "op 'c' without an 'after' row image"},
      {flink_row("null", "null", "u"), "op 'u' without an 'after' row image"},
      {R"({"before":null,"after":{"id":1}})", "no 'op' field: not a Flink debezium-json row"},
      {R"({})", "no 'op' field: not a Flink debezium-json row"},
      {R"({"before":null,"after":{"id":1},"op":1})", "'op' is not a string"},
      {R"({"before":null,"after":[1],"op":"c"})", "'after' is neither an object nor null"},
      {R"({"before":"x","after":null,"op":"d"})", "'before' is neither an object nor null"},
      {R"([{"op":"c"}])", "the value is not a JSON object but an array"},
      {R"("c")", "the value is not a JSON object but a string"},
      {R"(42)", "the value is not a JSON object but a number"},
      {R"({"schema":{},"payload":[]})", "'payload' is neither an object nor null"},
  };
  for (const Case& c : cases) {
    DecodeResult r = decode(*decoder, c.json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << c.json;
    EXPECT_EQ(r.reason, c.reason) << c.json;
    EXPECT_TRUE(out.before.empty() && out.after.empty()) << "nothing half-decoded leaks out";
  }
}

// ---------------------------------------------------------------- tombstones, envelope, extras

TEST(FlinkDebeziumDecoder, TombstonesAreSkipped) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string key = R"({"id":1})";
  DecodeResult r = decoder->decode(key.data(), key.size(), nullptr, 0, out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "tombstone");
  for (std::string value : {"", "null", " null\n", R"({"schema":null,"payload":null})"}) {
    r = decode(*decoder, value, out, &key);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << value;
    EXPECT_EQ(r.reason, "tombstone") << value;
  }
}

TEST(FlinkDebeziumDecoder, SchemaIncludeEnvelopeIsUnwrapped) {
  // 'debezium-json.schema-include' = 'true' wraps the row in {"schema":...,"payload":...}.
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string row = flink_row("null", R"({"id":7,"name":"x"})", "c");
  for (std::string json : {R"({"schema":{"type":"struct"},"payload":)" + row + "}",
                           R"({"payload":)" + row + R"(,"schema":{"type":"struct"}})"}) {
    DecodeResult r = decode(*decoder, json, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << json << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Insert);
    EXPECT_EQ(to_row(out.after)["id"].text, "7");
    EXPECT_EQ(out.after.size(), 2u);
  }
}

TEST(FlinkDebeziumDecoder, DecimalNumbersStayExactlyAsWritten) {
  // Flink writes DECIMAL as a JSON number, also under a schema naming Connect's Decimal: the
  // literal passes through unrounded (the target column's numeric input reads it).
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string row =
      flink_row("null", R"({"id":1,"big":123456789876543212345678987654321.110,"neg":-1.1})", "c");
  std::string schema =
      R"({"type":"struct","fields":[{"type":"struct","fields":[{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"3"},"field":"big"}],"field":"after"}]})";
  for (std::string json : {row, R"({"schema":)" + schema + R"(,"payload":)" + row + "}"}) {
    DecodeResult r = decode(*decoder, json, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << json << ": " << r.reason;
    EXPECT_EQ(to_row(out.after)["big"].text, "123456789876543212345678987654321.110");
    EXPECT_EQ(to_row(out.after)["big"].kind, ValueKind::Number);
    EXPECT_EQ(to_row(out.after)["neg"].text, "-1.1");
  }
}

TEST(FlinkDebeziumDecoder, DebeziumExtrasAreIgnoredAndSourceStaysEmpty) {
  // A full Debezium event also decodes; its source is ignored: this format's table is the topic's.
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string line = sample_lines("flink-json/debezium-data-schema-exclude.txt")[0];
  ASSERT_EQ(decode(*decoder, line, out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_TRUE(out.source.empty());
  EXPECT_EQ(to_row(out.after)["name"].text, "scooter");
}

TEST(FlinkDebeziumDecoder, JsonObjectKeyIsDecoded) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string value = flink_row(R"({"id":5,"s":"v\u00e9"})", "null", "d");
  std::string key = R"({"id":5,"s":"k\u00e9"})";
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);
  key.assign(key.size(), 'X');  // no view may point into the caller's buffers
  value.assign(value.size(), 'X');
  EXPECT_EQ(to_row(out.key)["id"], (Field{ValueKind::Number, "5"}));
  EXPECT_EQ(to_row(out.key)["s"].text, "k\xc3\xa9");
  EXPECT_EQ(to_row(out.before)["s"].text, "v\xc3\xa9");
  for (std::string other : {"5", R"("5")", "not json", R"({"id":5} x)", "{"}) {
    ASSERT_EQ(decode(*decoder, flink_row(R"({"id":5})", "null", "d"), out, &other).status,
              DecodeStatus::Change);
    EXPECT_TRUE(out.key.empty()) << other;
  }
}

TEST(FlinkDebeziumDecoder, ValuesKeepTheirKinds) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string after = R"({"n":12345678901234567890.5,"s":"a\"b","b":true,"z":null,"j":{"x":[1,2]},"a":[]})";
  ASSERT_EQ(decode(*decoder, flink_row("null", after, "c"), out).status, DecodeStatus::Change);
  Row row = to_row(out.after);
  EXPECT_EQ(row["n"], (Field{ValueKind::Number, "12345678901234567890.5"}));
  EXPECT_EQ(row["s"], (Field{ValueKind::String, "a\"b"}));
  EXPECT_EQ(row["b"], (Field{ValueKind::Bool, "true"}));
  EXPECT_EQ(row["z"], (Field{ValueKind::Null, ""}));
  EXPECT_EQ(row["j"], (Field{ValueKind::Json, R"({"x":[1,2]})"}));
  EXPECT_EQ(row["a"], (Field{ValueKind::Json, "[]"}));
}

// ---------------------------------------------------------------- malformed input

TEST(FlinkDebeziumDecoder, MalformedJsonIsAnErrorWithPosition) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  const char* bad[] = {
      R"({"before":null,"after":{"a":01},"op":"c"})", R"({"before":null,"after":{"a":tru},"op":"c"})",
      R"({"before":nul,"after":{"a":1},"op":"c"})",   R"({"before":null,"after":{"a":1},"op":"c"} {})",
      R"({"before":null,"after":{"a":1},"op":"c")",   R"({"before":null,"after":{"a":"\q"},"op":"c"})",
      "{\"before\":null,\"after\":{\"a\":\"\xff\"},\"op\":\"c\"}", "{", "x", "nul",
  };
  for (const char* json : bad) {
    DecodeResult r = decode(*decoder, json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << json;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << json << ": " << r.reason;
  }
  DecodeResult r = decode(*decoder, R"({"before":null,"after":{"a":tru},"op":"c"})", out);
  EXPECT_NE(r.reason.find(" at byte 28: "), std::string::npos) << r.reason;
}

TEST(FlinkDebeziumDecoder, SurvivesTruncationAndByteMutations) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string base = flink_sql_messages()[3];
  std::string key = R"({"id":104})";
  for (size_t n = 0; n < base.size(); ++n) {
    EXPECT_NE(decode(*decoder, base.substr(0, n), out, &key).status, DecodeStatus::Change) << n;
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    DecodeResult r = decode(*decoder, m, out, &key);
    if (r.status != DecodeStatus::Change) {
      ASSERT_FALSE(r.reason.empty()) << m;
    }
  }
}

// ---------------------------------------------------------------- speed and allocation

// A Flink SQL insert row with 23 columns of typical types.
std::string wide_row(int id) {
  std::string after = "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":1234.56,"qty":42,"weight":5.099999904632568,"active":true,"discontinued":false,)"
      R"("created_at":"2020-05-13 07:40:06.100","updated_at":"2020-05-13 07:40:06","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":["a","b"],)"
      R"("attrs":{"k":"v","n":1},"rating":4.5,"notes":null,"country":"DE","tax_rate":0.19,"version":3})";
  return flink_row("null", after, "c");
}

TEST(FlinkDebeziumDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_decoder("flink-debezium");
  DecodedChange out;
  std::string value = wide_row(1);
  std::string key = R"({"id":1})";
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);  // warm-up
  ASSERT_EQ(out.after.size(), 23u);
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) decode(*decoder, value, out, &key);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(FlinkDebeziumDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> rows;
  for (int i = 0; i < 64; ++i) rows.push_back(wide_row(1000 + i));
  auto decoder = make_decoder("flink-debezium");
  const int n = 300000;
  size_t columns = 0;
  double rate = decode_rate(*decoder, rows, n, columns);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (flink-debezium, %zu bytes each, 23 columns)\n", rate,
              rows[0].size());
}

}  // namespace
}  // namespace cdc
