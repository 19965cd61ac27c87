// Unit tests of the Canal flat-message decoder over real sample messages and hand-written edge
// cases.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/canal_decoder.hpp"
#include "core/change.hpp"
#include "decoder_test_support.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

// Replays Flink's expected changelog (+I/-U/+U/-D lines of id,name,description,weight).
Table replay_changelog(const std::vector<std::string>& lines) {
  static const char* kColumns[] = {"id", "name", "description", "weight"};
  Table table;
  for (const std::string& line : lines) {
    std::string tag = line.substr(0, 2);
    std::string body = line.substr(3, line.size() - 4);  // inside the parentheses
    std::vector<std::string> values;
    std::istringstream in(body);
    for (std::string v; std::getline(in, v, ',');) values.push_back(v);
    EXPECT_EQ(values.size(), 4u) << line;
    if (tag == "-U" || tag == "-D") {
      table.erase(values[0]);
      continue;
    }
    for (size_t i = 0; i < values.size() && i < 4; ++i) table[values[0]][kColumns[i]] = values[i];
  }
  return table;
}

// ---------------------------------------------------------------- registry

TEST(CanalRegistry, CanalIsAKnownFormat) {
  EXPECT_TRUE(is_known_format("canal"));
  EXPECT_NE(make_decoder("canal"), nullptr);
}

// ---------------------------------------------------------------- Flink's Canal samples

TEST(CanalFlinkSamples, DecodesEveryLine) {
  auto lines = json_lines("flink-json/canal-data.txt");
  ASSERT_EQ(lines.size(), 11u);
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::map<Op, int> ops;
  int skipped = 0;
  for (const std::string& line : lines) {
    DecodeResult r = decode_all(*decoder, line, out, count);
    if (r.status == DecodeStatus::Skip) {
      ++skipped;
      EXPECT_NE(r.reason.find("CREATE"), std::string::npos) << r.reason;
      continue;
    }
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(out[i].source, "inventory.products2");
      ++ops[out[i].op];
    }
  }
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(ops[Op::Insert], 11);
  EXPECT_EQ(ops[Op::Update], 6);
  EXPECT_EQ(ops[Op::Delete], 3);
}

TEST(CanalFlinkSamples, ChangelogMatchesFlinks) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::vector<std::string> log;
  for (const std::string& line : json_lines("flink-json/canal-data.txt")) {
    if (decode_all(*decoder, line, out, count).status != DecodeStatus::Change) continue;
    for (size_t i = 0; i < count; ++i) append_changelog(out[i], log);
  }
  // Same changes, same order, same before images (rebuilt from "old").
  EXPECT_EQ(log, sample_lines("flink-json/canal-data.txt.expected.txt"));
}

TEST(CanalFlinkSamples, ReplayLeavesTheExpectedTable) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  Table table;
  for (const std::string& line : json_lines("flink-json/canal-data.txt")) {
    if (decode_all(*decoder, line, out, count).status != DecodeStatus::Change) continue;
    for (size_t i = 0; i < count; ++i) apply(out[i], "id", table);  // pkNames is ["id"]
  }
  Table expected = replay_changelog(sample_lines("flink-json/canal-data.txt.expected.txt"));
  EXPECT_EQ(table, expected);
  EXPECT_EQ(table.size(), 8u);  // 101, 104-110
  EXPECT_EQ(table["110"]["description"], "new water resistent white wind breaker");
}

TEST(CanalFlinkSamples, MultiRowMessagesGiveOneChangePerRowInOrder) {
  auto lines = json_lines("flink-json/canal-data.txt");
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  ASSERT_EQ(decode_all(*decoder, lines[0], out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 9u);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(out[i].op, Op::Insert);
    EXPECT_TRUE(out[i].has_after);
    EXPECT_FALSE(out[i].has_before);
    EXPECT_EQ(text_of(out[i].after, "id"), std::to_string(101 + i));
    EXPECT_EQ(field(out[i].after, "id")->kind, ValueKind::String);  // Canal writes strings
  }
  EXPECT_EQ(field(out[5].after, "description")->kind, ValueKind::Null);
  // A two-row update: each row's before image takes its own "old" entry.
  ASSERT_EQ(decode_all(*decoder, lines[8], out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(text_of(out[0].before, "weight"), "3.14");
  EXPECT_EQ(text_of(out[0].after, "weight"), "5.17");
  EXPECT_EQ(text_of(out[1].before, "weight"), "8.1");
  EXPECT_EQ(text_of(out[1].before, "name"), "car battery");  // unchanged columns come from data
  // decode() gives the first row only.
  DecodedChange one;
  ASSERT_EQ(decoder->decode(nullptr, 0, lines[0].data(), lines[0].size(), one).status,
            DecodeStatus::Change);
  EXPECT_EQ(text_of(one.after, "id"), "101");
  EXPECT_EQ(one.source, "inventory.products2");
}

// ---------------------------------------------------------------- Flink CDC's canal-json output

TEST(CanalFlinkCdcSamples, ReplayWithNumbersAndFullOldImages) {
  auto lines = json_lines("flink-cdc/mysqlToKafka-canal-json.txt");
  ASSERT_EQ(lines.size(), 20u);
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::map<std::string, Table> tables;
  int updates = 0;
  for (const std::string& line : lines) {
    DecodeResult r = decode_all(*decoder, line, out, count);
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    ASSERT_EQ(count, 1u);
    // "old" holds every column here, the key included: same value, so not a key change.
    updates += out[0].op == Op::Update;
    apply(out[0], "id", tables[std::string(out[0].source)]);
  }
  EXPECT_EQ(updates, 4);
  ASSERT_EQ(tables.size(), 2u);
  Table& customers = tables["$databaseName.customers"];
  EXPECT_EQ(customers.size(), 4u);
  Table& products = tables["$databaseName.products"];
  EXPECT_EQ(products.size(), 10u);  // 101-111 without 111
  EXPECT_EQ(products.count("111"), 0u);
  EXPECT_EQ(products["107"]["weight"], "5.1");
  EXPECT_EQ(products["106"]["description"], "18oz carpenter hammer");
  EXPECT_EQ(products["110"]["weight"], "0.5");
  EXPECT_EQ(products["101"]["json_c"], R"({"key1": "value1"})");
  EXPECT_EQ(products["108"]["enum_c"], "null");
  // This writer keeps JSON numbers: they stay numbers, text as written.
  ASSERT_EQ(decode_all(*decoder, lines[4], out, count).status, DecodeStatus::Change);
  EXPECT_EQ(field(out[0].after, "id")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(out[0].after, "weight"), "5.3");
}

// ---------------------------------------------------------------- edge cases

// A flat message with the given type, rows and extra members.
std::string message(const std::string& type, const std::string& data,
                    const std::string& old = "null", const std::string& extra = "") {
  return R"({"data":)" + data + R"(,"database":"shop","isDdl":false,"old":)" + old +
         R"(,"pkNames":["id"],"table":"orders","type":")" + type + "\"" + extra + "}";
}

TEST(CanalDecoder, DdlAndOtherNonDataMessagesAreSkipped) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 7;
  const char* messages[] = {
      R"({"data":null,"database":"shop","isDdl":true,"table":"orders","type":"ALTER","sql":"alter table orders add x int"})",
      R"({"data":null,"database":"shop","isDdl":true,"table":"orders","type":"CREATE"})",
      R"({"data":null,"database":"shop","isDdl":true,"table":"","type":"QUERY","sql":"drop database x"})",
      R"({"data":null,"database":"shop","isDdl":false,"table":"orders","type":"QUERY","sql":"update orders set x=1"})",
      R"({"id":0,"database":"","table":"","pkNames":null,"isDdl":false,"type":"TIDB_WATERMARK","es":1,"ts":2,"sql":"","data":null,"old":null})",
  };
  for (const char* m : messages) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << m;
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(count, 0u);
  }
}

TEST(CanalDecoder, InitIsAnInsert) {
  // Flink's canal-json writer marks snapshot rows "INIT".
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  DecodeResult r =
      decode_all(*decoder, message("INIT", R"([{"id":"1","v":"a"},{"id":"2","v":"b"}])"), out, count);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  ASSERT_EQ(count, 2u);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(out[i].op, Op::Insert);
    EXPECT_TRUE(out[i].has_after);
    EXPECT_FALSE(out[i].has_before);
    EXPECT_EQ(out[i].source, "shop.orders");
  }
  EXPECT_EQ(text_of(out[1].after, "v"), "b");
}

TEST(CanalDecoder, MessagesThatNameNoTableHaveAnEmptySource) {
  // Flink's canal-json writer leaves "database" and "table" out; the topic then names the table.
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string messages[] = {
      R"({"data":[{"id":"1","v":"a"}],"type":"INSERT"})",
      R"({"data":[{"id":"1","v":"a"}],"database":"shop","type":"INSERT"})",
      R"({"data":[{"id":"1","v":"a"}],"table":"orders","type":"INSERT"})",
      R"({"data":[{"id":"1","v":"a"}],"database":null,"table":null,"type":"INSERT"})",
      R"({"data":[{"id":"1","v":"a"}],"database":"","table":"","type":"INSERT"})",
  };
  expect_unnamed_inserts(*decoder, messages, "v", "a");
  // A key change still splits, both halves without a table name.
  std::string update =
      R"({"data":[{"id":"2","v":"b"}],"old":[{"id":"1"}],"pkNames":["id"],"type":"UPDATE"})";
  ASSERT_EQ(decode_all(*decoder, update, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(out[0].op, Op::Delete);
  EXPECT_EQ(out[1].op, Op::Insert);
  EXPECT_EQ(out[0].source, "");
  EXPECT_EQ(out[1].source, "");
  // A message that names its table after one that did not gets its name back.
  ASSERT_EQ(decode_all(*decoder, message("INSERT", R"([{"id":"1"}])"), out, count).status,
            DecodeStatus::Change);
  EXPECT_EQ(out[0].source, "shop.orders");
}

TEST(CanalDecoder, TruncateEmptiesTheTable) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m =
      R"({"data":null,"database":"shop","es":1,"id":9,"isDdl":true,"mysqlType":null,"old":null,"pkNames":null,"sql":"truncate table orders","sqlType":null,"table":"orders","ts":2,"type":"TRUNCATE"})";
  DecodeResult r = decode_all(*decoder, m, out, count);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(out[0].op, Op::Truncate);
  EXPECT_EQ(out[0].source, "shop.orders");
  EXPECT_FALSE(out[0].has_before || out[0].has_after);
  // No table named: the topic's table (the pipeline routes an empty source by its topic).
  std::string no_table = R"({"database":"shop","isDdl":true,"table":"","type":"TRUNCATE"})";
  ASSERT_EQ(decode_all(*decoder, no_table, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(out[0].op, Op::Truncate);
  EXPECT_EQ(out[0].source, "");
}

TEST(CanalDecoder, KeyChangeBecomesDeleteThenInsert) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m =
      message("UPDATE", R"([{"id":"1","v":"a"},{"id":"20","v":"b2"},{"id":"3","v":"c2"}])",
              R"([{"v":"a0"},{"id":"2","v":"b"},{"v":"c"}])");
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 4u);
  EXPECT_EQ(out[0].op, Op::Update);
  EXPECT_EQ(text_of(out[0].before, "v"), "a0");
  EXPECT_EQ(out[1].op, Op::Delete);
  EXPECT_TRUE(out[1].has_before);
  EXPECT_EQ(text_of(out[1].before, "id"), "2");
  EXPECT_EQ(text_of(out[1].before, "v"), "b");
  EXPECT_EQ(out[2].op, Op::Insert);
  EXPECT_EQ(text_of(out[2].after, "id"), "20");
  EXPECT_EQ(text_of(out[2].after, "v"), "b2");
  EXPECT_EQ(out[3].op, Op::Update);
  EXPECT_EQ(out[2].source, "shop.orders");
  // Applied like the batch layer does, the old key is gone and the new row is there.
  Table table{{"2", {{"id", "2"}, {"v", "b"}}}};
  for (size_t i = 0; i < count; ++i) apply(out[i], "id", table);
  EXPECT_EQ(table.count("2"), 0u);
  EXPECT_EQ(table["20"]["v"], "b2");
  // decode() keeps a key change as one Update (before: old key) since it returns one change.
  DecodedChange one;
  std::string single = message("UPDATE", R"([{"id":"20","v":"b2"}])", R"([{"id":"2"}])");
  ASSERT_EQ(decoder->decode(nullptr, 0, single.data(), single.size(), one).status,
            DecodeStatus::Change);
  EXPECT_EQ(one.op, Op::Update);
  EXPECT_EQ(text_of(one.before, "id"), "2");
  EXPECT_EQ(text_of(one.after, "id"), "20");
}

TEST(CanalDecoder, ZeroDatesBecomeNullInDateColumns) {
  std::string types =
      R"j(,"mysqlType":{"id":"int(11)","d":"date","dt":"datetime(3)","ts":"TIMESTAMP","s":"varchar(20)"})j";
  std::string m = message(
      "UPDATE",
      R"([{"id":"1","d":"0000-00-00","dt":"0000-00-00 00:00:00.000","ts":"0000-00-00 00:00:00","s":"0000-00-00","u":"0000-00-00"}])",
      R"([{"d":"2020-01-02","dt":"0000-00-00 00:00:00"}])", types);
  std::vector<DecodedChange> out;
  size_t count = 0;
  auto decoder = make_canal_decoder();
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  const auto& after = out[0].after;
  EXPECT_EQ(field(after, "d")->kind, ValueKind::Null);
  EXPECT_TRUE(field(after, "d")->text.empty());
  EXPECT_EQ(field(after, "dt")->kind, ValueKind::Null);
  EXPECT_EQ(field(after, "ts")->kind, ValueKind::Null);
  EXPECT_EQ(field(after, "s")->kind, ValueKind::String);  // a varchar keeps its text
  EXPECT_EQ(field(after, "u")->kind, ValueKind::Null);    // untyped column: the text decides
  EXPECT_EQ(text_of(out[0].before, "d"), "2020-01-02");
  EXPECT_EQ(field(out[0].before, "dt")->kind, ValueKind::Null);  // old images too
  // Not zero dates.
  std::string almost = message(
      "INSERT",
      R"([{"id":"1","d":"0000-00-01","dt":"0000-00-00 00:00:01","x":"0000-00-00 00:00:00."}])",
      "null", types);
  ASSERT_EQ(decode_all(*decoder, almost, out, count).status, DecodeStatus::Change);
  for (const FieldValue& f : out[0].after) EXPECT_EQ(f.kind, ValueKind::String) << f.name;
  // "mysqlType" is read only when a zero date needs it: wherever it is, whatever its strings hold.
  std::string first =
      R"j({"mysqlType":{"e":"enum('}','\"')","d":"date","s":"char(10)"},"data":[{"d":"0000-00-00","s":"0000-00-00"}],"database":"shop","table":"t","type":"INSERT"})j";
  ASSERT_EQ(decode_all(*decoder, first, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(field(out[0].after, "d")->kind, ValueKind::Null);
  EXPECT_EQ(field(out[0].after, "s")->kind, ValueKind::String);
  std::string bad_types =
      message("INSERT", R"([{"id":"1","d":"0000-00-00"}])", "null", R"(,"mysqlType":{"d":dat})");
  DecodeResult r = decode_all(*decoder, bad_types, out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << r.reason;
  // The option keeps them as written.
  CanalOptions keep;
  keep.zero_date_as_null = false;
  auto keeping = make_canal_decoder(keep);
  ASSERT_EQ(decode_all(*keeping, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "d"), "0000-00-00");
}

// A message whose columns Canal writes in other forms than their text: BIT as a number, bytes as
// ISO-8859-1 characters (JSON escapes or raw UTF-8).
std::string typed_message(const std::string& data, const std::string& old = "null") {
  return message(
      "UPDATE", data, old,
      R"j(,"mysqlType":{"id":"int(11)","flags":"bit(8)","b1":"bit(1)","big":"BIT(64)","bin":"binary(4)","vb":"varbinary(16)","blb":"LONGBLOB","geo":"point","s":"varchar(10)","t":"text"})j");
}

TEST(CanalDecoder, BitAndBinaryValuesFollowMysqlType) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m = typed_message(
      R"([{"id":"1","flags":"5","b1":"1","big":"18446744073709551615","bin":"\u0000\u0001\u00ff\u00e9","vb":"abc","blb":"\u00c3\u00a9","geo":"\u0001\u0002","s":"101","t":"h\u00e9"}])",
      R"([{"flags":"4","vb":"\u00ff"}])");
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  const auto& after = out[0].after;
  // BIT stays a number: the target column decides (bit(n), an integer, or boolean for BIT(1)).
  EXPECT_EQ(field(after, "flags")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(after, "flags"), "5");
  EXPECT_EQ(field(after, "b1")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(after, "big"), "18446744073709551615");
  // Bytes become bytea input.
  EXPECT_EQ(field(after, "bin")->kind, ValueKind::Text);
  EXPECT_EQ(text_of(after, "bin"), "\\x0001ffe9");
  EXPECT_EQ(text_of(after, "vb"), "\\x616263");
  EXPECT_EQ(text_of(after, "blb"), "\\xc3a9");  // two characters, two bytes (UTF-8 'é' in a blob)
  EXPECT_EQ(text_of(after, "geo"), "\\x0102");
  // Text types keep their text, even when it looks like bits.
  EXPECT_EQ(field(after, "s")->kind, ValueKind::String);
  EXPECT_EQ(text_of(after, "s"), "101");
  EXPECT_EQ(text_of(after, "t"), "h\xc3\xa9");
  // The old image too.
  EXPECT_EQ(field(out[0].before, "flags")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(out[0].before, "vb"), "\\xff");

  // Values that cannot be what the type says are bad messages naming column, type and value.
  DecodeResult r = decode_all(*decoder, typed_message(R"([{"id":"1","flags":"abc"}])"), out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("'flags' (bit(8))"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("\"abc\""), std::string::npos) << r.reason;
  r = decode_all(*decoder, typed_message(R"([{"id":"1","bin":"\u0100"}])"), out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("above U+00FF"), std::string::npos) << r.reason;

  // The parse of a repeated "mysqlType" is reused, and a different one replaces it.
  std::string other_types = message("INSERT", R"([{"id":"1","flags":"5","d":"0000-00-00"}])", "null",
                                    R"j(,"mysqlType":{"id":"int(11)","flags":"varchar(8)","d":"date"})j");
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
    EXPECT_EQ(text_of(out[0].after, "bin"), "\\x0001ffe9") << round;
    EXPECT_EQ(field(out[0].after, "flags")->kind, ValueKind::Number) << round;
    ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
    EXPECT_EQ(text_of(out[0].after, "vb"), "\\x616263") << round;
    ASSERT_EQ(decode_all(*decoder, other_types, out, count).status, DecodeStatus::Change);
    EXPECT_EQ(field(out[0].after, "flags")->kind, ValueKind::String) << round;  // a varchar here
    EXPECT_EQ(field(out[0].after, "d")->kind, ValueKind::Null) << round;
  }

  // Without "mysqlType" (Flink's Canal writer) values stay as written.
  std::string untyped = message("INSERT", R"([{"id":"1","flags":"5","bin":"abc"}])");
  ASSERT_EQ(decode_all(*decoder, untyped, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(field(out[0].after, "flags")->kind, ValueKind::String);
  EXPECT_EQ(field(out[0].after, "bin")->kind, ValueKind::String);
}

TEST(CanalDecoder, EnumSetAndFixedBinaryBecomeWhatMysqlShows) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string types =
      R"j(,"mysqlType":{"id":"int","e":"enum('red','white','it''s','a\\\\b')","s":"SET('a','b','c')","u":"binary(16)","b4":"binary(4)","vb":"varbinary(4)"})j";
  // The binlog holds an ENUM's index and a SET's bitmask; BINARY(n) without its trailing zero bytes.
  std::string m = message(
      "INSERT",
      R"([{"id":"1","e":"3","s":"5","u":"e\u001a\u00ed\u00089\u000fH\u0093\u00b2\u00f16\u0092>{t","b4":"a","vb":"a"}])",
      "null", types);
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "e"), "it's");
  EXPECT_EQ(text_of(out[0].after, "s"), "a,c");
  EXPECT_EQ(text_of(out[0].after, "u"), "\\x651aed08390f4893b2f136923e7b7400");  // 15 bytes + the dropped 00
  EXPECT_EQ(text_of(out[0].after, "b4"), "\\x61000000");
  EXPECT_EQ(text_of(out[0].after, "vb"), "\\x61");  // VARBINARY keeps its length
  m = message("INSERT", R"([{"id":"1","e":"4"}])", "null", types);
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "e"), "a\\b");  // MySQL's 'a\\b' is the label a\b
  // Index 0 is MySQL's '' for an invalid value; an empty SET is ''; labels are left as written.
  m = message("INSERT", R"([{"id":"1","e":"0","s":"0"}])", "null", types);
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "e"), "");
  EXPECT_EQ(text_of(out[0].after, "s"), "");
  m = message("INSERT", R"([{"id":"1","e":"white","s":"a,b"}])", "null", types);
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "e"), "white");
  EXPECT_EQ(text_of(out[0].after, "s"), "a,b");
  // Out of range: a bad message naming the column.
  DecodeResult r = decode_all(*decoder, message("INSERT", R"([{"id":"1","e":"5"}])", "null", types), out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("'e'"), std::string::npos) << r.reason;
  r = decode_all(*decoder, message("INSERT", R"([{"id":"1","s":"8"}])", "null", types), out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("beyond its labels"), std::string::npos) << r.reason;
}

TEST(CanalDecoder, MessagesWithoutRowsAreErrors) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string bad[] = {
      message("INSERT", "null"),
      message("DELETE", "[]"),
      R"({"database":"shop","table":"orders","type":"UPDATE","old":[{"v":"1"}]})",
  };
  for (const std::string& m : bad) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Error) << m;
    EXPECT_NE(r.reason.find("without rows in 'data'"), std::string::npos) << r.reason;
    EXPECT_EQ(count, 0u);
  }
}

TEST(CanalDecoder, InvalidMessagesAreErrorsWithReasons) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::pair<std::string, std::string> cases[] = {
      {R"({"data":[{"id":"1"}],"database":"shop","table":"orders"})", "no 'type'"},
      {message("UPSERT", R"([{"id":"1"}])"), "unknown Canal type 'UPSERT'"},
      {message("INSERT", R"([["1"]])"), "a row of 'data' is not an object"},
      {message("INSERT", R"({"id":"1"})"), "'data' is neither an array nor null"},
      {message("UPDATE", R"([{"id":"1"}])", "[1]"), "an entry of 'old' is not an object"},
      {R"({"data":[{"id":"1"}],"database":1,"table":"orders","type":"INSERT"})",
       "'database' is not a string"},
      {R"({"data":[{"id":"1"}],"database":"shop","table":["orders"],"type":"INSERT"})",
       "'table' is not a string"},
      {R"({"data":[{"id":"1"}],"database":"shop","table":"orders","type":7})",
       "'type' is not a string"},
      {message("INSERT", R"([{"id":"1"}])", "null", R"(,"pkNames":[1])"), "'pkNames'"},
      {message("INSERT", R"([{"id":"1"}])", "null", R"(,"isDdl":"no")"), "'isDdl'"},
      {R"(["INSERT"])", "not a JSON object"},
  };
  for (const auto& [m, why] : cases) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Error) << m;
    EXPECT_NE(r.reason.find(why), std::string::npos) << m << " -> " << r.reason;
  }
  // A null row in "old" (TiCDC writes them) is an entry with no previous values.
  std::string null_old = message("UPDATE", R"([{"id":"1","v":"x"}])", "[null]");
  ASSERT_EQ(decode_all(*decoder, null_old, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].before, "v"), "x");
}

TEST(CanalDecoder, TombstonesAreSkipped) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  EXPECT_EQ(decoder->decode_all(nullptr, 0, nullptr, 0, out, count).status, DecodeStatus::Skip);
  EXPECT_EQ(decode_all(*decoder, " null ", out, count).status, DecodeStatus::Skip);
}

TEST(CanalDecoder, MalformedJsonIsAnError) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string bad[] = {
      message("INSERT", R"([{"id":"1",}])"),
      message("INSERT", R"([{"id":tru}])"),
      message("INSERT", R"([{"id":"\q"}])"),
      message("INSERT", R"([{"id":"1"}] x)"),
      message("INSERT", R"([{"id":01}])"),
      R"({"type":"INSERT"} {})",
      "{",
      "nul",
      "{\"type\":\"\xff\"}",
  };
  for (const std::string& m : bad) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Error) << m;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << m << ": " << r.reason;
    EXPECT_EQ(count, 0u);
  }
}

TEST(CanalDecoder, TruncatedJsonSaysWhereTheDocumentEnds) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  DecodeResult r = decode_all(*decoder, R"({"data":[{"id":"1"}],"type":"INSERT")", out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.reason,
            "malformed JSON in value: the JSON document ends early (truncated?) after 36 bytes, "
            "with an object or array still open");
  r = decode_all(*decoder, R"({"data":[{"id":"1"}],"type":"INS)", out, count);
  EXPECT_EQ(r.reason,
            "malformed JSON in value: the JSON document ends early (truncated?) after 32 bytes, "
            "inside a string");
  std::string full = json_lines("flink-json/canal-data.txt")[8];
  for (size_t n = 1; n < full.size(); ++n) {
    r = decode_all(*decoder, full.substr(0, n), out, count);
    ASSERT_EQ(r.status, DecodeStatus::Error) << n;
    EXPECT_NE(r.reason.find("ends early (truncated?) after " + std::to_string(n) + " byte"),
              std::string::npos)
        << full.substr(0, n) << " -> " << r.reason;
  }
  // A complete message followed by more text is not truncated.
  r = decode_all(*decoder, full + "\n{", out, count);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_NE(r.reason.find("at byte " + std::to_string(full.size() + 1) + ": "), std::string::npos)
      << r.reason;
}

TEST(CanalDecoder, SurvivesTruncationAndByteMutations) {
  // A cheap stand-in for a fuzzer: every prefix of a real message, and random byte flips.
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string base = json_lines("flink-json/canal-data.txt")[8];
  for (size_t n = 0; n < base.size(); ++n) {
    EXPECT_NE(decode_all(*decoder, base.substr(0, n), out, count).status, DecodeStatus::Change)
        << n;
  }
  std::mt19937 rng(7);
  int changes = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    DecodeResult r = decode_all(*decoder, m, out, count);
    if (r.status == DecodeStatus::Change) {
      ++changes;
      ASSERT_GE(count, 1u);
      for (size_t c = 0; c < count; ++c) {
        for (const FieldValue& f : out[c].after)
          ASSERT_TRUE(f.kind != ValueKind::Null || f.text.empty());
      }
    } else {
      ASSERT_FALSE(r.reason.empty());
      ASSERT_EQ(count, 0u);
    }
  }
  EXPECT_GT(changes, 0);
}

// ---------------------------------------------------------------- speed and allocation

// A one-row Canal INSERT of 23 columns, all values strings as Canal writes them.
std::string wide_message(int id) {
  std::string row =
      "{\"id\":\"" + std::to_string(id) +
      R"(","sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":"1234.56","qty":"42","weight":"5.1","active":"1","discontinued":"0",)"
      R"("created_at":"2020-05-13 07:40:06","updated_at":"2020-05-13 07:40:06.123","category_id":"7",)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":"a,b",)"
      R"("attrs":"{\"k\":\"v\",\"n\":1}","rating":"4.5","notes":null,"country":"DE","tax_rate":"0.19","version":"3"})";
  return R"({"data":[)" + row +
         R"j(],"database":"inventory","es":1589373515000,"id":3,"isDdl":false,"mysqlType":{"id":"int(11)","sku":"varchar(32)","name":"varchar(255)","description":"text","price":"decimal(10,2)","qty":"int(11)","weight":"float","active":"tinyint(1)","discontinued":"tinyint(1)","created_at":"datetime","updated_at":"datetime(3)","category_id":"int(11)","supplier":"varchar(255)","barcode":"varchar(64)","color":"varchar(16)","size":"varchar(8)","tags":"set('a','b')","attrs":"json","rating":"double","notes":"text","country":"char(2)","tax_rate":"decimal(4,2)","version":"int(11)"},"old":null,"pkNames":["id"],"sql":"","sqlType":{"id":4,"sku":12,"name":12,"description":2005,"price":3,"qty":4,"weight":7,"active":-6,"discontinued":-6,"created_at":93,"updated_at":93,"category_id":4,"supplier":12,"barcode":12,"color":12,"size":12,"tags":-7,"attrs":12,"rating":8,"notes":2005,"country":1,"tax_rate":3,"version":4},"table":"products","ts":1589373515477,"type":"INSERT"})j";
}

TEST(CanalDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_canal_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::vector<std::string> messages;
  for (const std::string& line : json_lines("flink-json/canal-data.txt")) {
    if (line.find("\"isDdl\":true") == std::string::npos)
      messages.push_back(line);  // skips allocate a reason
  }
  messages.push_back(wide_message(1));
  messages.push_back(typed_message(
      R"([{"id":"1","flags":"5","bin":"\u0000\u0001\u00ff\u00e9","vb":"abc","s":"x"}])", R"([{"flags":"4"}])"));
  for (const std::string& m : messages) decode_all(*decoder, m, out, count);  // warm-up
  DecodedChange one;
  for (const std::string& m : messages) decoder->decode(nullptr, 0, m.data(), m.size(), one);
  long before = g_allocations.load();
  for (int i = 0; i < 10000; ++i) {
    const std::string& m = messages[size_t(i) % messages.size()];
    if (decode_all(*decoder, m, out, count).status != DecodeStatus::Change) ADD_FAILURE() << m;
    decoder->decode(nullptr, 0, m.data(), m.size(), one);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(CanalDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> wide;
  for (int i = 0; i < 64; ++i) wide.push_back(wide_message(1000 + i));
  auto decoder = make_canal_decoder();
  size_t columns = 0;
  const int n = 300000;
  double rate = decode_rate(*decoder, wide, n, columns, /*all=*/true);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (Canal, %zu bytes each, 1 row of 23 columns)\n",
              rate, wide[0].size());
}

}  // namespace
}  // namespace cdc
