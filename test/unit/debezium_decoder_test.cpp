// Unit tests of the Debezium JSON decoder over real sample messages and hand-written edge cases.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/change.hpp"
#include "core/debezium_decoder.hpp"
#include "decoder_test_support.hpp"
#include "wide_events.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

// The outermost {...} of a text: documentation excerpts may carry prose around the JSON.
std::string extract_json_object(const std::string& text) {
  size_t begin = text.find('{');
  size_t end = text.rfind('}');
  if (begin == std::string::npos || end == std::string::npos || end < begin) return text;
  return text.substr(begin, end - begin + 1);
}

// The kind of field `name` (Null when missing; tests check presence separately).
ValueKind kind_of(const std::vector<FieldValue>& fields, std::string_view name) {
  const FieldValue* f = field(fields, name);
  return f != nullptr ? f->kind : ValueKind::Null;
}

// A minimal payload-only event around an "after" image (and optional extra members).
std::string event_with_after(const std::string& after, const std::string& op = "c") {
  return R"({"before":null,"after":)" + after +
         R"(,"source":{"db":"inventory","table":"t"},"op":")" + op + R"(","ts_ms":1})";
}

// Decodes an event with the given "after" and returns the status (out keeps the change).
DecodeStatus decode_after(Decoder& d, const std::string& after, DecodedChange& out) {
  return decode(d, event_with_after(after), out).status;
}

// ---------------------------------------------------------------- registry

TEST(DecoderRegistry, KnowsDebezium) {
  EXPECT_TRUE(is_known_format("debezium"));
  EXPECT_FALSE(is_known_format("no-such-format"));
  EXPECT_FALSE(is_known_format(""));
  EXPECT_NE(make_decoder("debezium"), nullptr);
  EXPECT_THROW(make_decoder("no-such-format"), std::invalid_argument);
}

// ---------------------------------------------------------------- Flink's Debezium samples

// Java's Float.toString for the values in these files: shortest round-trip text, at least ".0".
std::string java_float(const std::string& number_text) {
  float f = std::strtof(number_text.c_str(), nullptr);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  std::string s(buf, res.ptr);
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

class FlinkDebeziumSamples : public ::testing::TestWithParam<const char*> {};

TEST_P(FlinkDebeziumSamples, DecodesAllSixteenEvents) {
  auto lines = sample_lines(std::string("flink-json/") + GetParam());
  ASSERT_EQ(lines.size(), 16u);
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::map<Op, int> ops;
  for (const std::string& line : lines) {
    DecodeResult r = decode(*decoder, line, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    EXPECT_EQ(out.source, "inventory.products");
    ++ops[out.op];
  }
  EXPECT_EQ(ops[Op::Insert], 11);
  EXPECT_EQ(ops[Op::Update], 4);
  EXPECT_EQ(ops[Op::Delete], 1);
}

TEST_P(FlinkDebeziumSamples, ReplayLeavesExpectedTable) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::map<int, Row> table;
  for (const std::string& line : sample_lines(std::string("flink-json/") + GetParam())) {
    ASSERT_EQ(decode(*decoder, line, out).status, DecodeStatus::Change);
    const auto& image = out.op == Op::Delete ? out.before : out.after;
    int id = std::stoi(text_of(image, "id"));
    if (out.op == Op::Delete) {
      table.erase(id);
    } else {
      table[id] = to_row(out.after);
    }
  }
  ASSERT_EQ(table.size(), 10u);
  EXPECT_EQ(table.begin()->first, 101);
  EXPECT_EQ(table.rbegin()->first, 110);
  EXPECT_EQ(table.count(111), 0u);
  EXPECT_EQ(table[106]["name"].text, "hammer");
  EXPECT_EQ(table[106]["description"].text, "18oz carpenter hammer");
  // The message holds the FLOAT column widened to double: the text is kept exactly as written,
  // and it is 5.1 once read back as a float (which is what the expected changelog shows).
  EXPECT_EQ(table[107]["weight"], (Field{ValueKind::Number, "5.099999904632568"}));
  EXPECT_EQ(std::strtof(table[107]["weight"].text.c_str(), nullptr), 5.1f);
  EXPECT_EQ(table[110]["description"].text, "new water resistent white wind breaker");
  EXPECT_EQ(table[110]["weight"], (Field{ValueKind::Number, "0.5"}));
  // The two files write this weight differently (1.0 with the schema, 1 without); both survive.
  bool with_schema = std::string(GetParam()).find("include") != std::string::npos;
  EXPECT_EQ(table[106]["weight"], (Field{ValueKind::Number, with_schema ? "1.0" : "1"}));
  EXPECT_EQ(table[101]["id"], (Field{ValueKind::Number, "101"}));
}

TEST_P(FlinkDebeziumSamples, MatchesFlinkExpectedChangelog) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::vector<std::string> changelog;
  for (const std::string& line : sample_lines(std::string("flink-json/") + GetParam())) {
    ASSERT_EQ(decode(*decoder, line, out).status, DecodeStatus::Change);
    append_changelog(out, changelog, java_float);  // the weight column is a FLOAT
  }
  EXPECT_EQ(changelog, sample_lines(std::string("flink-json/") + GetParam() + ".expected.txt"));
}

INSTANTIATE_TEST_SUITE_P(Files, FlinkDebeziumSamples,
                         ::testing::Values("debezium-data-schema-include.txt",
                                           "debezium-data-schema-exclude.txt"));

// ---------------------------------------------------------------- Debezium's own samples

TEST(DebeziumSerdeSamples, WithAndWithoutSchemaDecodeAlike) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, sample("debezium/serde-with-schema.json"), out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_EQ(out.source, "inventory.customers");
  EXPECT_FALSE(out.has_before);
  EXPECT_TRUE(out.has_after);
  Row with_schema = to_row(out.after);
  EXPECT_EQ(with_schema["id"], (Field{ValueKind::Number, "1004"}));
  EXPECT_EQ(with_schema["email"], (Field{ValueKind::String, "annek@noanswer.org"}));
  EXPECT_EQ(with_schema.size(), 4u);

  r = decode(*decoder, sample("debezium/serde-without-schema.json"), out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_EQ(out.source, "inventory.customers");
  EXPECT_EQ(to_row(out.after), with_schema);
}

TEST(DebeziumSerdeSamples, UpdateHasBothImages) {
  for (const char* file : {"debezium/serde-update.json", "debezium/serde-unknown-property.json"}) {
    auto decoder = make_decoder("debezium");
    DecodedChange out;
    DecodeResult r = decode(*decoder, sample(file), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << file << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Update);
    EXPECT_TRUE(out.has_before && out.has_after);
    EXPECT_EQ(text_of(out.before, "first_name"), "Anne-Marie");
    EXPECT_EQ(text_of(out.after, "first_name"), "Anne");
    EXPECT_EQ(text_of(out.after, "id"), "1004");
  }
}

TEST(DebeziumSerdeSamples, UnwrappedRowIsRejectedWithReason) {
  // A bare row (ExtractNewRecordState output): no op, no source, so nothing says what to do.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, sample("debezium/serde-unwrapped.json"), out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("no 'op' field"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("ExtractNewRecordState"), std::string::npos) << r.reason;
}

TEST(DebeziumDocSamples, MySqlCreateEvent) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string json = extract_json_object(sample("debezium/mysql__L1145-1349.json.txt"));
  DecodeResult r = decode(*decoder, json, out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_EQ(out.source, "inventory.customers");
  EXPECT_EQ(text_of(out.after, "id"), "1004");
  EXPECT_EQ(text_of(out.after, "last_name"), "Kretchmar");
}

TEST(DebeziumDocSamples, PostgresCreateEventUsesSchemaDotTable) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string json = extract_json_object(sample("debezium/pg__L765-952.json.txt"));
  DecodeResult r = decode(*decoder, json, out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Insert);
  EXPECT_EQ(out.source, "public.customers");  // source.schema wins over source.db ("postgres")
  EXPECT_EQ(to_row(out.after)["id"], (Field{ValueKind::Number, "1"}));
  EXPECT_EQ(out.after.size(), 4u);
}

// ---------------------------------------------------------------- skips

TEST(DebeziumDecoder, TombstonesAreSkipped) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string key = R"({"id":1})";
  DecodeResult r = decoder->decode(key.data(), key.size(), nullptr, 0, out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "tombstone");
  for (std::string value : {"", "null", " null ", R"({"schema":null,"payload":null})"}) {
    r = decode(*decoder, value, out, &key);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << value;
    EXPECT_EQ(r.reason, "tombstone") << value;
  }
}

TEST(DebeziumDecoder, NonDataEventsAreSkipped) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, R"({"ts_ms":1588252618953})", out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "heartbeat");
  r = decode(*decoder, R"j({"source":{"db":"d"},"databaseName":"d","ddl":"CREATE TABLE t (a int)"})j", out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "schema change event");
  r = decode(*decoder, R"({"op":"m","source":{"db":"d","table":null},"message":{"prefix":"p"}})", out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_NE(r.reason.find("'m'"), std::string::npos);
}

// ---------------------------------------------------------------- ops and sources

TEST(DebeziumDecoder, OpCodes) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string snapshot = event_with_after(R"({"a":1})", "r");
  ASSERT_EQ(decode(*decoder, snapshot, out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Insert);
  std::string truncate =
      R"({"op":"t","before":null,"after":null,"source":{"db":"pg","schema":"s","table":"t"}})";
  ASSERT_EQ(decode(*decoder, truncate, out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Truncate);
  EXPECT_EQ(out.source, "s.t");
  EXPECT_FALSE(out.has_before || out.has_after);
  DecodeResult r = decode(*decoder, event_with_after(R"({"a":1})", "x"), out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.reason, "unknown op 'x'");
  r = decode(*decoder, event_with_after("null", "c"), out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("without an 'after'"), std::string::npos) << r.reason;
}

TEST(DebeziumDecoder, EventsThatNameNoTableHaveAnEmptySource) {
  // No "source", or one without the table's name: the topic then names the table.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  const char* events[] = {
      R"({"op":"c","after":{"a":1}})",
      R"({"op":"c","after":{"a":1},"source":{}})",
      R"({"op":"c","after":{"a":1},"source":null})",
      R"({"op":"c","after":{"a":1},"source":{"db":"d"}})",
      R"({"op":"c","after":{"a":1},"source":{"table":"t"}})",
      R"({"op":"c","after":{"a":1},"source":{"db":null,"schema":null,"table":null}})",
      R"({"schema":{"type":"struct"},"payload":{"op":"c","after":{"a":1},"ts_ms":5}})",
  };
  expect_unnamed_inserts(*decoder, events, "a", "1");
  ASSERT_EQ(decode(*decoder, R"({"op":"d","before":{"a":1}})", out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Delete);
  EXPECT_EQ(out.source, "");
  ASSERT_EQ(decode(*decoder, R"({"op":"t","before":null,"after":null})", out).status,
            DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Truncate);
  EXPECT_EQ(out.source, "");
  // A heartbeat has no source and no images either: still skipped, not an insert.
  DecodeResult r = decode(*decoder, R"({"ts_ms":1588252618953})", out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_EQ(r.reason, "heartbeat");
  // The name comes back with the next event that has it.
  ASSERT_EQ(decode(*decoder, event_with_after(R"({"a":1})"), out).status, DecodeStatus::Change);
  EXPECT_EQ(out.source, "inventory.t");
}

TEST(DebeziumDecoder, MissingOrBadPartsAreErrors) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  struct Case { const char* json; const char* reason; } cases[] = {
      {R"({"op":"c","after":{"a":1},"source":"d.t"})", "'source' is not an object"},
      {R"({"op":"c","after":{"a":1},"source":{"db":1,"table":"t"}})", "'source.db' is not a string"},
      {R"({"op":"c","after":{"a":1},"source":{"db":"d","table":{}}})", "'source.table' is not a string"},
      {R"({"op":"c","after":[1],"source":{"db":"d","table":"t"}})", "'after' is neither an object nor null"},
      {R"({"op":1,"after":{"a":1},"source":{"db":"d","table":"t"}})", "'op' is not a string"},
      {R"({"before":null,"after":{"a":1},"source":{"db":"d","table":"t"}})", "no 'op' field: not a Debezium change event"},
      {R"({})", "no 'op' field: not a Debezium change event"},
      {R"([1,2])", "the value is not a JSON object"},
      {R"("text")", "the value is not a JSON object"},
      {R"({"schema":{},"payload":[]})", "'payload' is neither an object nor null"},
  };
  for (const Case& c : cases) {
    DecodeResult r = decode(*decoder, c.json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << c.json;
    EXPECT_EQ(r.reason, c.reason) << c.json;
    EXPECT_TRUE(out.after.empty() && out.source.empty()) << "nothing half-decoded leaks out";
  }
}

TEST(DebeziumDecoder, EnvelopeIsFoundWhateverTheMemberOrder) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string inner = event_with_after(R"({"id":7})");
  for (std::string json : {R"({"schema":{"type":"struct"},"payload":)" + inner + "}",
                           R"({"payload":)" + inner + R"(,"schema":{"type":"struct"}})",
                           R"({"extra":1,"schema":null,"payload":)" + inner + "}"}) {
    DecodeResult r = decode(*decoder, json, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << json << ": " << r.reason;
    EXPECT_EQ(text_of(out.after, "id"), "7") << json;
    EXPECT_EQ(out.after.size(), 1u) << json;
  }
  // "payload" without "schema" is no envelope: the top level must be the event itself.
  std::string no_envelope = R"({"payload":)" + inner + "}";
  EXPECT_EQ(decode(*decoder, no_envelope, out).status, DecodeStatus::Error);
}

// ---------------------------------------------------------------- keys and deletes

TEST(DebeziumDecoder, DeleteWithOnlyAKey) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string value =
      R"({"before":null,"after":null,"source":{"db":"inventory","table":"products"},"op":"d"})";
  for (std::string key :
       {R"({"id":111})", R"({"schema":{"type":"struct","fields":[]},"payload":{"id":111}})"}) {
    DecodeResult r = decode(*decoder, value, out, &key);
    ASSERT_EQ(r.status, DecodeStatus::Change) << key << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Delete);
    EXPECT_FALSE(out.has_before);
    ASSERT_EQ(out.key.size(), 1u) << key;
    EXPECT_EQ(out.key[0].name, "id");
    EXPECT_EQ(out.key[0].kind, ValueKind::Number);
    EXPECT_EQ(out.key[0].text, "111");
  }
  // Keys that are not JSON objects are ignored, so the delete then has nothing to go by.
  for (std::string key : {"111-not-json", "111", R"("111")", R"({"id":1} trailing)",
                          R"({"schema":{},"payload":111})"}) {
    DecodeResult r = decode(*decoder, value, out, &key);
    EXPECT_EQ(r.status, DecodeStatus::Error) << key;
    EXPECT_EQ(r.reason, "delete without before image or key") << key;
  }
  EXPECT_EQ(decode(*decoder, value, out).reason, "delete without before image or key");
}

TEST(DebeziumDecoder, KeyAndValueViewsBothSurvive) {
  // The key is parsed after the value: its strings must not overwrite the value's strings, and
  // no view may point into the caller's buffers.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string key = R"({"name":"k\u00e9y","id":5})";
  std::string value = event_with_after(R"({"name":"v\u00e9lue","id":5,"j":{"x":1}})");
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);
  key.assign(key.size(), 'X');
  value.assign(value.size(), 'X');
  EXPECT_EQ(text_of(out.key, "name"), "k\xc3\xa9y");
  EXPECT_EQ(text_of(out.key, "id"), "5");
  EXPECT_EQ(text_of(out.after, "name"), "v\xc3\xa9lue");
  EXPECT_EQ(text_of(out.after, "j"), R"({"x":1})");
  EXPECT_EQ(out.source, "inventory.t");
}

// ---------------------------------------------------------------- values

TEST(DebeziumDecoder, StringEscapesAreUnescaped) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode_after(*decoder, R"({"s":"a\"b\\c\nd\u00e9\ud83d\ude00\/","na\u006de":"x"})", out),
            DecodeStatus::Change);
  EXPECT_EQ(kind_of(out.after, "s"), ValueKind::String);
  EXPECT_EQ(text_of(out.after, "s"), "a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_EQ(text_of(out.after, "name"), "x");
}

TEST(DebeziumDecoder, NestedValuesKeepTheirRawJson) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode_after(*decoder, R"({"j":{"a":[1,2,{"b":null}],"c":"\u00e9"} ,"arr":[1, "x" ]
      ,"empty":{},"last":[]})", out), DecodeStatus::Change);
  EXPECT_EQ(kind_of(out.after, "j"), ValueKind::Json);
  EXPECT_EQ(text_of(out.after, "j"), R"({"a":[1,2,{"b":null}],"c":"\u00e9"})");
  EXPECT_EQ(text_of(out.after, "arr"), R"([1, "x" ])");
  EXPECT_EQ(text_of(out.after, "empty"), "{}");
  EXPECT_EQ(text_of(out.after, "last"), "[]");
}

TEST(DebeziumDecoder, NumbersAreKeptAsWritten) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode_after(*decoder, R"({"big":123456789012345678901234567890.123,"a":5.1,"b":1e3,
      "c":-0,"d":1E+10,"e":18446744073709551616,"f":-1.5e-300 ,"g":0})", out), DecodeStatus::Change);
  Row row = to_row(out.after);
  EXPECT_EQ(row["big"], (Field{ValueKind::Number, "123456789012345678901234567890.123"}));
  EXPECT_EQ(row["a"].text, "5.1");
  EXPECT_EQ(row["b"].text, "1e3");
  EXPECT_EQ(row["c"].text, "-0");
  EXPECT_EQ(row["d"].text, "1E+10");
  EXPECT_EQ(row["e"].text, "18446744073709551616");
  EXPECT_EQ(row["f"].text, "-1.5e-300");
  EXPECT_EQ(row["g"].text, "0");
}

TEST(DebeziumDecoder, BoolsAndNulls) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  ASSERT_EQ(decode_after(*decoder, R"({"t":true,"f":false,"n":null})", out), DecodeStatus::Change);
  Row row = to_row(out.after);
  EXPECT_EQ(row["t"], (Field{ValueKind::Bool, "true"}));
  EXPECT_EQ(row["f"], (Field{ValueKind::Bool, "false"}));
  EXPECT_EQ(row["n"], (Field{ValueKind::Null, ""}));
}

// ---------------------------------------------------------------- malformed input

TEST(DebeziumDecoder, MalformedJsonIsAnErrorWithPosition) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  const char* bad_after[] = {
      R"({"a":01})",      R"({"a":1.})",        R"({"a":-})",          R"({"a":tru})",
      R"({"a":nul})",     R"({"a":{"x":tru}})", R"({"a":["x"}})",      R"({"a":{"x" 1}})",
      R"({"a":"\q"})",    R"({"a":"\ud800"})",  R"({"a":[1 2]})",      R"({"a":1,})",
      R"({"a":+1})",      R"({"a":.5})",        R"({"a":1e})",         R"({"a":[1,]})",
  };
  for (const char* after : bad_after) {
    DecodeResult r = decode(*decoder, event_with_after(after), out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << after;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << after << ": " << r.reason;
  }
  const char* bad_documents[] = {
      R"({"op":"c")", R"({"op":"c"} {"op":"d"})", R"({"op":"c"}})", "{\"a\":\"\xff\"}", "{", "x",
  };
  for (const char* json : bad_documents) {
    DecodeResult r = decode(*decoder, json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << json;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << json << ": " << r.reason;
  }
  DecodeResult r = decode(*decoder, R"({"op":"c","after":{"a":tru}})", out);
  EXPECT_NE(r.reason.find(" at byte 23: "), std::string::npos) << r.reason;
}

TEST(DebeziumDecoder, TruncatedJsonSaysWhereTheDocumentEnds) {
  // simdjson finds an unclosed object before reading anything, so its position (byte 0) says
  // nothing: the reason names the problem and the document's length instead.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  DecodeResult r = decode(*decoder, R"({"before":null,"after":{"id":1)", out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.reason,
            "malformed JSON in value: the JSON document ends early (truncated?) after 30 bytes, "
            "with an object or array still open");
  r = decode(*decoder, R"({"before":null,"after":{"id":1,"name":"ab)", out);
  EXPECT_EQ(r.reason,
            "malformed JSON in value: the JSON document ends early (truncated?) after 41 bytes, "
            "inside a string");
  // Every prefix of real events, with and without the schema envelope (whose fast path a warm
  // decoder takes), whatever simdjson error it hits.
  std::string payload =
      R"({"before":null,"after":{"id":1,"n":-1.5e3,"s":"a\"b\\","t":true,"u":null,"j":[1,{"x":2}]},)"
      R"("op":"c","source":{"db":"a","table":"t"}})";
  std::string enveloped =
      R"({"schema":{"type":"struct","fields":[{"type":"int32","field":"id"}]},"payload":)" + payload + "}";
  for (const std::string& full : {payload, enveloped}) {
    r = decode(*decoder, full, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    for (size_t n = 1; n < full.size(); ++n) {
      r = decode(*decoder, full.substr(0, n), out);
      ASSERT_EQ(r.status, DecodeStatus::Error) << n;
      EXPECT_NE(r.reason.find("ends early (truncated?) after " + std::to_string(n) + " byte"),
                std::string::npos)
          << full.substr(0, n) << " -> " << r.reason;
    }
  }
}

TEST(DebeziumDecoder, TrailingContentAndStrayBracketsAreNamedWhereTheyAre) {
  // The same simdjson error as truncation, for a complete document followed by more text.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string event = event_with_after(R"({"a":1})");
  DecodeResult r = decode(*decoder, event + " x", out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("at byte " + std::to_string(event.size() + 1) + ": "), std::string::npos)
      << r.reason;
  EXPECT_EQ(r.reason.find("ends early"), std::string::npos) << r.reason;
  r = decode(*decoder, R"({"op":"c","after":{"a":[1}})", out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.reason, "malformed JSON in value at byte 25: '}' closes no open '{'");
}

TEST(DebeziumDecoder, DeepNestingIsRejectedNotACrash) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(decode_after(*decoder, R"({"a":)" + deep + "}", out), DecodeStatus::Error);
  std::string ok = std::string(200, '[') + std::string(200, ']');
  EXPECT_EQ(decode_after(*decoder, R"({"a":)" + ok + "}", out), DecodeStatus::Change);
}

TEST(DebeziumDecoder, SurvivesTruncationAndByteMutations) {
  // A cheap stand-in for the fuzzer: every prefix of a real message, and random byte flips.
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string base = sample_lines("flink-json/debezium-data-schema-include.txt")[10];
  std::string key = R"({"id":107})";
  for (size_t n = 0; n < base.size(); ++n) {
    DecodeResult r = decode(*decoder, base.substr(0, n), out, &key);
    EXPECT_NE(r.status, DecodeStatus::Change) << n;
  }
  std::mt19937 rng(42);
  int changes = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    DecodeResult r = decode(*decoder, m, out, &key);
    if (r.status == DecodeStatus::Change) {
      ++changes;
      for (const FieldValue& f : out.after) {
        ASSERT_TRUE(f.kind != ValueKind::Null || f.text.empty());
      }
    } else {
      ASSERT_FALSE(r.reason.empty());
    }
  }
  EXPECT_GT(changes, 0);  // mutations inside the schema block are often still valid events
}

// ---------------------------------------------------------------- speed and allocation

TEST(DebeziumDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::string value = wide_event(1);
  std::string key = R"({"id":1})";
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);  // warm-up
  ASSERT_EQ(out.after.size(), 23u);
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) decode(*decoder, value, out, &key);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(DebeziumDecoder, SteadyStateWithSchemaConversionAllocatesNothing) {
  auto decoder = make_decoder("debezium");
  DecodedChange out;
  std::vector<std::string> values = {wide_event_with_schema(1), wide_event_with_schema(2)};
  std::string key =
      R"({"schema":{"type":"struct","fields":[{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"0"},"field":"id"}],"name":"k"},"payload":{"id":"AQ=="}})";
  for (const std::string& v : values) {  // warm-up: schemas parsed and cached, buffers grown
    ASSERT_EQ(decode(*decoder, v, out, &key).status, DecodeStatus::Change);
  }
  ASSERT_EQ(out.key.size(), 1u);
  EXPECT_EQ(out.key[0].text, "1");
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) decode(*decoder, values[size_t(i) % 2], out, &key);
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(text_of(out.after, "price"), "1234.56");
}

TEST(DebeziumDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> wide;
  for (int i = 0; i < 64; ++i) wide.push_back(wide_event(1000 + i));
  const int n = 300000;
  size_t columns = 0;
  double rate = decode_rate(*make_decoder("debezium"), wide, n, columns);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (%zu bytes each, 23 columns, no schema envelope)\n",
              rate, wide[0].size());
  std::vector<std::string> with_schema;
  for (int i = 0; i < 64; ++i) with_schema.push_back(wide_event_with_schema(1000 + i));
  rate = decode_rate(*make_decoder("debezium"), with_schema, n, columns);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (%zu bytes each, 23 columns, schema envelope, 4 converted)\n",
              rate, with_schema[0].size());
  auto enveloped = sample_lines("flink-json/debezium-data-schema-include.txt");
  const int rounds = 4000;
  rate = decode_rate(*make_decoder("debezium"), enveloped, rounds * 16, columns);
  EXPECT_EQ(columns, size_t(rounds) * 15 * 4);  // 16 events, 15 with an after image of 4 columns
  std::printf("[ rate     ] %.0f messages/s (Flink schema+payload samples, ~2.4 KB, 4 columns)\n",
              rate);
}

}  // namespace
}  // namespace cdc
