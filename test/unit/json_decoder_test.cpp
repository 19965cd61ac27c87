// Unit tests of the plain JSON decoder: each message is one JSON object, inserted as one row.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/change.hpp"
#include "decoder_test_support.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

TEST(DecoderRegistry, KnowsJson) {
  EXPECT_TRUE(is_known_format("json"));
  EXPECT_NE(make_decoder("json"), nullptr);
}

TEST(JsonDecoder, ObjectIsOneInsertedRow) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  DecodeResult r = decode(*decoder, R"({"id":1,"name":"a\tb","price":9.90,"ok":true,"gone":null})", out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_TRUE(out.source.empty()) << "the topic names the table";
  EXPECT_TRUE(out.has_after);
  EXPECT_FALSE(out.has_before);
  EXPECT_TRUE(out.before.empty() && out.key.empty());
  ASSERT_EQ(out.after.size(), 5u);
  EXPECT_EQ(out.after[0].name, "id");  // message order is kept
  EXPECT_EQ(out.after[4].name, "gone");
  Row row = to_row(out.after);
  EXPECT_EQ(row["id"], (Field{ValueKind::Number, "1"}));
  EXPECT_EQ(row["name"], (Field{ValueKind::String, "a\tb"}));
  EXPECT_EQ(row["price"], (Field{ValueKind::Number, "9.90"}));  // as written, trailing zero kept
  EXPECT_EQ(row["ok"], (Field{ValueKind::Bool, "true"}));
  EXPECT_EQ(row["gone"], (Field{ValueKind::Null, ""}));
}

TEST(JsonDecoder, NestedValuesAreJson) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string value = R"( { "user" : {"id":7,"tags":["a","b"]} , "items":[{"sku":1},{"sku":2}], "e":{} } )";
  ASSERT_EQ(decode(*decoder, value, out).status, DecodeStatus::Change);
  Row row = to_row(out.after);
  ASSERT_EQ(row.size(), 3u);
  EXPECT_EQ(row["user"], (Field{ValueKind::Json, R"({"id":7,"tags":["a","b"]})"}));
  EXPECT_EQ(row["items"], (Field{ValueKind::Json, R"([{"sku":1},{"sku":2}])"}));
  EXPECT_EQ(row["e"], (Field{ValueKind::Json, "{}"}));
}

TEST(JsonDecoder, EmptyObjectIsARowWithoutFields) {
  // Valid data: which columns it lacks is for the table (defaults, or a missing-key error) to say.
  auto decoder = make_decoder("json");
  DecodedChange out;
  ASSERT_EQ(decode(*decoder, "{}", out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_TRUE(out.has_after);
  EXPECT_TRUE(out.after.empty());
}

TEST(JsonDecoder, NonObjectsAreErrors) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  struct Case { const char* json; const char* reason; } cases[] = {
      {R"([{"id":1},{"id":2}])", "the value is not a JSON object but an array"},
      {"[]", "the value is not a JSON object but an array"},
      {R"("text")", "the value is not a JSON object but a string"},
      {"42", "the value is not a JSON object but a number"},
      {"-1.5", "the value is not a JSON object but a number"},
      {"true", "the value is not a JSON object but a boolean"},
  };
  for (const Case& c : cases) {
    DecodeResult r = decode(*decoder, c.json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << c.json;
    EXPECT_EQ(r.reason, c.reason) << c.json;
    EXPECT_TRUE(out.after.empty() && !out.has_after);
  }
}

TEST(JsonDecoder, NullValuesAreTombstones) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string key = R"({"id":1})";
  DecodeResult r = decoder->decode(key.data(), key.size(), nullptr, 0, out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "tombstone");
  for (std::string value : {"", "null", "  null\r\n"}) {
    r = decode(*decoder, value, out, &key);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << value;
    EXPECT_EQ(r.reason, "tombstone");
  }
}

TEST(JsonDecoder, MalformedJsonIsAnErrorWithPosition) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  const char* bad[] = {
      R"({"a":01})", R"({"a":1,})", R"({"a":tru})", R"({"a":[1 2]})", R"({"a":{"b":nul}})",
      R"({"a":"\u12"})", R"({"a":1})" "}", R"({"a":1} {"a":2})", R"({"a":1)", "{", "nul", "x",
      "{\"a\":\"\xc3\"}", R"({a:1})",
  };
  for (const char* json : bad) {
    DecodeResult r = decode(*decoder, json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << json;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << json << ": " << r.reason;
    EXPECT_TRUE(out.after.empty()) << "nothing half-decoded leaks out";
  }
  DecodeResult r = decode(*decoder, R"({"id":1,"a":tru})", out);
  EXPECT_NE(r.reason.find(" at byte 12: "), std::string::npos) << r.reason;
}

TEST(JsonDecoder, DeepNestingIsRejectedNotACrash) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string deep = R"({"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(decode(*decoder, deep, out).status, DecodeStatus::Error);
  std::string ok = R"({"a":)" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_EQ(decode(*decoder, ok, out).status, DecodeStatus::Change);
}

TEST(JsonDecoder, JsonObjectKeyIsDecoded) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string key = R"({"id":"k1"})";
  ASSERT_EQ(decode(*decoder, R"({"id":"k1","v":2})", out, &key).status, DecodeStatus::Change);
  EXPECT_EQ(to_row(out.key), (Row{{"id", Field{ValueKind::String, "k1"}}}));
  EXPECT_EQ(to_row(out.after)["id"].text, "k1");  // both parsers' strings survive
  std::string plain = "k1";
  ASSERT_EQ(decode(*decoder, R"({"v":2})", out, &plain).status, DecodeStatus::Change);
  EXPECT_TRUE(out.key.empty());
}

TEST(JsonDecoder, SurvivesTruncationAndByteMutations) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string base = R"({"id":104,"name":"12-pack drill bits","w":0.8,"tags":["x",{"y":null}],"ok":false})";
  for (size_t n = 0; n < base.size(); ++n) {
    EXPECT_NE(decode(*decoder, base.substr(0, n), out).status, DecodeStatus::Change) << n;
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    DecodeResult r = decode(*decoder, m, out);
    if (r.status != DecodeStatus::Change) {
      ASSERT_FALSE(r.reason.empty()) << m;
    }
  }
}

// A JSON row with 23 columns of typical types.
std::string wide_row(int id) {
  return "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":1234.56,"qty":42,"weight":5.099999904632568,"active":true,"discontinued":false,)"
      R"("created_at":"2020-05-13T07:40:06.100Z","updated_at":"2020-05-13T07:40:06Z","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":["a","b"],)"
      R"("attrs":{"k":"v","n":1},"rating":4.5,"notes":null,"country":"DE","tax_rate":0.19,"version":3})";
}

TEST(JsonDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_decoder("json");
  DecodedChange out;
  std::string value = wide_row(1);
  std::string key = R"({"id":1})";
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);  // warm-up
  ASSERT_EQ(out.after.size(), 23u);
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) decode(*decoder, value, out, &key);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(JsonDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> rows;
  for (int i = 0; i < 64; ++i) rows.push_back(wide_row(1000 + i));
  auto decoder = make_decoder("json");
  const int n = 300000;
  size_t columns = 0;
  double rate = decode_rate(*decoder, rows, n, columns);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (json, %zu bytes each, 23 columns)\n", rate,
              rows[0].size());
}

}  // namespace
}  // namespace cdc
