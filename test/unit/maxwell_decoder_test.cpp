// Unit tests of the Maxwell decoder over real sample messages and hand-written edge cases.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/change.hpp"
#include "core/maxwell_decoder.hpp"
#include "decoder_test_support.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

// The primary key column of a sample message: its "primary_key_columns" (one column here).
std::string key_column_of(const std::string& message) {
  const std::string tag = R"("primary_key_columns": [")";
  size_t at = message.find(tag);
  if (at == std::string::npos) return "id";
  at += tag.size();
  return message.substr(at, message.find('"', at) - at);
}

// Splits "a, b, c" (Paimon's row notation) at ", ".
std::vector<std::string> split_row(const std::string& body) {
  std::vector<std::string> values;
  size_t start = 0;
  for (size_t at; (at = body.find(", ", start)) != std::string::npos; start = at + 2) {
    values.push_back(body.substr(start, at - start));
  }
  values.push_back(body.substr(start));
  return values;
}

// ---------------------------------------------------------------- registry

TEST(MaxwellRegistry, MaxwellIsAKnownFormat) {
  EXPECT_TRUE(is_known_format("maxwell"));
  EXPECT_NE(make_decoder("maxwell"), nullptr);
}

// ---------------------------------------------------------------- Flink's Maxwell samples

TEST(MaxwellFlinkSamples, DecodesEveryLine) {
  auto lines = json_lines("flink-json/maxwell-data.txt");
  ASSERT_EQ(lines.size(), 20u);
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::map<Op, int> ops;
  for (const std::string& line : lines) {
    DecodeResult r = decode_all(*decoder, line, out, count);
    ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
    ASSERT_EQ(count, 1u);
    EXPECT_EQ(out[0].source, "test.product");
    ++ops[out[0].op];
  }
  EXPECT_EQ(ops[Op::Insert], 11);
  EXPECT_EQ(ops[Op::Update], 6);
  EXPECT_EQ(ops[Op::Delete], 3);
}

TEST(MaxwellFlinkSamples, ChangelogMatchesFlinks) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::vector<std::string> log;
  for (const std::string& line : json_lines("flink-json/maxwell-data.txt")) {
    ASSERT_EQ(decode_all(*decoder, line, out, count).status, DecodeStatus::Change);
    for (size_t i = 0; i < count; ++i) append_changelog(out[i], log);
  }
  // Same changes, same order, same before images (data overlaid with "old").
  EXPECT_EQ(log, sample_lines("flink-json/maxwell-data.txt.expected.txt"));
}

TEST(MaxwellFlinkSamples, ValuesKeepTheirJsonKinds) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  ASSERT_EQ(decode_all(*decoder, json_lines("flink-json/maxwell-data.txt")[5], out, count).status,
            DecodeStatus::Change);
  const auto& after = out[0].after;
  EXPECT_EQ(field(after, "id")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(after, "id"), "106");
  EXPECT_EQ(field(after, "weight")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(after, "weight"), "1.0");  // as written, no float round trip
  EXPECT_EQ(field(after, "name")->kind, ValueKind::String);
}

// ---------------------------------------------------------------- Paimon's schema-evolution steps

TEST(MaxwellPaimonSamples, EachStepLeavesTheExpectedTable) {
  // The expected file: a "# after writing <fmt>-data-N.txt: ... (columns a,b,c; ...)" line
  // before each step's rows "+I[101, scooter, ...]".
  std::vector<std::vector<std::string>> columns;
  std::vector<Table> expected;
  for (const std::string& line : sample_lines("paimon/table-schemaevolution.expected.txt")) {
    if (line[0] == '#') {
      size_t at = line.find("(columns ") + 9;
      std::istringstream in(line.substr(at, line.find(';', at) - at));
      columns.emplace_back();
      for (std::string c; std::getline(in, c, ',');) columns.back().push_back(c);
      expected.emplace_back();
      continue;
    }
    std::vector<std::string> values = split_row(line.substr(3, line.size() - 4));
    ASSERT_EQ(values.size(), columns.back().size()) << line;
    for (size_t i = 0; i < values.size(); ++i) {
      expected.back()[values[0]][columns.back()[i]] = values[i] == "NULL" ? "null" : values[i];
    }
  }
  ASSERT_EQ(expected.size(), 3u);
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  Table table;
  for (int step = 1; step <= 3; ++step) {
    std::string file =
        "paimon/table-schemaevolution__maxwell-data-" + std::to_string(step) + ".txt";
    for (const std::string& line : json_lines(file)) {
      DecodeResult r = decode_all(*decoder, line, out, count);
      ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
      for (size_t i = 0; i < count; ++i) apply(out[i], key_column_of(line), table);
    }
    // The expected table has every column of its step; a column a row never had is NULL.
    Table actual;
    for (const auto& [key, row] : table) {
      for (const std::string& c : columns[size_t(step) - 1]) {
        auto it = row.find(c);
        actual[key][c] = it == row.end() ? "null" : it->second;
      }
    }
    EXPECT_EQ(actual, expected[size_t(step) - 1]) << "after step " << step;
  }
}

// ---------------------------------------------------------------- edge cases

// A Maxwell event of `type` with `data`, optional `old` and extra members.
std::string event(const std::string& type, const std::string& data, const std::string& old = "",
                  const std::string& extra = "") {
  std::string m = R"({"database":"shop","table":"orders","type":")" + type +
                  R"(","ts":1596684883,"xid":7125,"commit":true,"data":)" + data;
  if (!old.empty()) m += R"(,"old":)" + old;
  return m + extra + "}";
}

TEST(MaxwellDecoder, TypesMapToOps) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::pair<const char*, Op> cases[] = {
      {"insert", Op::Insert},
      {"bootstrap-insert", Op::Insert},
      {"update", Op::Update},
      {"delete", Op::Delete},
  };
  for (const auto& [type, op] : cases) {
    DecodeResult r = decode_all(*decoder, event(type, R"({"id":1,"v":"a"})"), out, count);
    ASSERT_EQ(r.status, DecodeStatus::Change) << type << ": " << r.reason;
    ASSERT_EQ(count, 1u);
    EXPECT_EQ(out[0].op, op) << type;
    EXPECT_EQ(out[0].source, "shop.orders");
    EXPECT_EQ(out[0].has_before, op != Op::Insert) << type;
    EXPECT_EQ(out[0].has_after, op != Op::Delete) << type;
  }
}

TEST(MaxwellDecoder, BootstrapMarkersAndDdlAreSkipped) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 5;
  const std::string skipped[] = {
      event("bootstrap-start", "{}"),
      event("bootstrap-complete", "{}"),
      // From Maxwell's documentation (--output_ddl): "old"/"def" hold table definitions.
      R"({"type":"table-alter","database":"test","table":"e","old":{"database":"test","charset":"utf8mb4","table":"e","columns":[{"type":"int","name":"id","signed":true}],"primary-key":["id"]},"def":{"database":"test","charset":"utf8mb4","table":"e","columns":[{"type":"int","name":"id","signed":true},{"type":"bigint","name":"torvalds","signed":false}],"primary-key":["id"]},"ts":1477053308000,"sql":"alter table test.e add column torvalds bigint unsigned after m","position":"master.000006:804398"})",
      R"j({"type":"table-create","database":"test","table":"e","def":{"columns":[]},"ts":1,"sql":"create table test.e (id int)"})j",
      R"({"type":"database-create","database":"test","sql":"create database test","ts":1})",
  };
  for (const std::string& m : skipped) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << m << ": " << r.reason;
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(count, 0u);
  }
}

TEST(MaxwellDecoder, KeyChangeBecomesDeleteThenInsert) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m = event("update", R"({"id":20,"v":"b2"})", R"({"id":2,"v":"b"})",
                        R"(,"primary_key_columns":["id"])");
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(out[0].op, Op::Delete);
  EXPECT_EQ(text_of(out[0].before, "id"), "2");
  EXPECT_EQ(text_of(out[0].before, "v"), "b");
  EXPECT_EQ(out[1].op, Op::Insert);
  EXPECT_EQ(text_of(out[1].after, "id"), "20");
  EXPECT_EQ(out[1].source, "shop.orders");
  Table table{{"2", {{"id", "2"}, {"v", "b"}}}};
  for (size_t i = 0; i < count; ++i) apply(out[i], "id", table);
  EXPECT_EQ(table.count("2"), 0u);
  EXPECT_EQ(table["20"]["v"], "b2");
  // A changed non-key column is an ordinary update.
  std::string plain =
      event("update", R"({"id":2,"v":"c"})", R"({"v":"b"})", R"(,"primary_key_columns":["id"])");
  ASSERT_EQ(decode_all(*decoder, plain, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(out[0].op, Op::Update);
  EXPECT_EQ(text_of(out[0].before, "v"), "b");
  // decode() returns one change: the key change stays an Update, its before image has the old key.
  DecodedChange one;
  ASSERT_EQ(decoder->decode(nullptr, 0, m.data(), m.size(), one).status, DecodeStatus::Change);
  EXPECT_EQ(one.op, Op::Update);
  EXPECT_EQ(text_of(one.before, "id"), "2");
  EXPECT_EQ(text_of(one.after, "id"), "20");
}

TEST(MaxwellDecoder, KeyColumnsComeFromTheKafkaKeyWhenNotInTheMessage) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m = event("update", R"({"ID":20,"v":"b2"})", R"({"ID":2})");
  const std::string hash_key = R"({"database":"shop","table":"orders","pk.id":20})";
  ASSERT_EQ(decode_all(*decoder, m, out, count, &hash_key).status, DecodeStatus::Change);
  ASSERT_EQ(count, 2u);  // Maxwell lowercases key names; columns match without case
  EXPECT_EQ(out[0].op, Op::Delete);
  const std::string array_key = R"(["shop","orders",[{"id":20}]])";
  ASSERT_EQ(decode_all(*decoder, m, out, count, &array_key).status, DecodeStatus::Change);
  EXPECT_EQ(count, 2u);
  // No key at all: the key columns are unknown, so the update stays an Update (full before image).
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(out[0].op, Op::Update);
  EXPECT_EQ(text_of(out[0].before, "ID"), "2");
  const std::string bad_key = R"({"pk.id":)";
  ASSERT_EQ(decode_all(*decoder, m, out, count, &bad_key).status, DecodeStatus::Change);
  EXPECT_EQ(count, 1u);
}

TEST(MaxwellDecoder, ValueKinds) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string m = event(
      "insert",
      R"({"id":18446744073709551615,"m":4.2341e3,"s":"a\"b\u00e9","n":null,"set":["b_val","c_val"],"j":{"k":[1,2]},"b":true,"blob":"AAEC"})");
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  const auto& a = out[0].after;
  EXPECT_EQ(field(a, "id")->kind, ValueKind::Number);
  EXPECT_EQ(text_of(a, "id"), "18446744073709551615");
  EXPECT_EQ(text_of(a, "m"), "4.2341e3");
  EXPECT_EQ(text_of(a, "s"), "a\"b\xc3\xa9");
  EXPECT_EQ(field(a, "n")->kind, ValueKind::Null);
  EXPECT_EQ(field(a, "set")->kind, ValueKind::Json);
  EXPECT_EQ(text_of(a, "set"), R"(["b_val","c_val"])");
  EXPECT_EQ(field(a, "j")->kind, ValueKind::Json);
  EXPECT_EQ(text_of(a, "j"), R"({"k":[1,2]})");
  EXPECT_EQ(field(a, "b")->kind, ValueKind::Bool);
  EXPECT_EQ(text_of(a, "blob"), "AAEC");  // base64 as Maxwell writes it, passed through
}

TEST(MaxwellDecoder, ZeroDatesBecomeNull) {
  std::string m =
      event("update", R"({"id":1,"d":"0000-00-00","dt":"0000-00-00 00:00:00.000000","s":"x"})",
            R"({"d":"0000-00-00 00:00:00","s":"y"})");
  std::vector<DecodedChange> out;
  size_t count = 0;
  auto decoder = make_maxwell_decoder();
  ASSERT_EQ(decode_all(*decoder, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(field(out[0].after, "d")->kind, ValueKind::Null);
  EXPECT_EQ(field(out[0].after, "dt")->kind, ValueKind::Null);
  EXPECT_EQ(field(out[0].before, "d")->kind, ValueKind::Null);
  EXPECT_EQ(text_of(out[0].before, "s"), "y");
  MaxwellOptions keep;
  keep.zero_date_as_null = false;
  auto keeping = make_maxwell_decoder(keep);
  ASSERT_EQ(decode_all(*keeping, m, out, count).status, DecodeStatus::Change);
  EXPECT_EQ(text_of(out[0].after, "d"), "0000-00-00");
}

TEST(MaxwellDecoder, EventsThatNameNoTableHaveAnEmptySource) {
  // Flink's maxwell-json writer leaves "database" and "table" out; the topic then names the table.
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string events[] = {
      R"({"type":"insert","data":{"id":1,"v":"a"}})",
      R"({"database":"shop","type":"insert","data":{"id":1,"v":"a"}})",
      R"({"table":"orders","type":"insert","data":{"id":1,"v":"a"}})",
      R"({"database":null,"table":"","type":"insert","data":{"id":1,"v":"a"}})",
  };
  expect_unnamed_inserts(*decoder, events, "v", "a");
  std::string update =
      R"({"type":"update","data":{"id":2,"v":"b"},"old":{"id":1},"primary_key_columns":["id"]})";
  ASSERT_EQ(decode_all(*decoder, update, out, count).status, DecodeStatus::Change);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(out[0].op, Op::Delete);
  EXPECT_EQ(text_of(out[0].before, "id"), "1");
  EXPECT_EQ(out[1].source, "");
  ASSERT_EQ(decode_all(*decoder, event("insert", R"({"id":1})"), out, count).status,
            DecodeStatus::Change);
  EXPECT_EQ(out[0].source, "shop.orders");
}

TEST(MaxwellDecoder, InvalidEventsAreErrorsWithReasons) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::pair<std::string, std::string> cases[] = {
      {R"({"database":"shop","table":"orders","type":"insert"})", "no 'data' object"},
      {event("delete", "null"), "no 'data' object"},
      {event("insert", R"("3q2+7w==")"), "encrypted"},
      {event("update", R"({"id":1})", "[1]"), "'old' is not an object"},
      {R"({"database":"shop","table":"orders","data":{"id":1}})", "no 'type'"},
      {event("upsert", R"({"id":1})"), "unknown Maxwell type 'upsert'"},
      {R"({"database":["shop"],"table":"orders","type":"insert","data":{"id":1}})",
       "'database' is not a string"},
      {R"({"database":"shop","table":1,"type":"insert","data":{"id":1}})",
       "'table' is not a string"},
      {event("insert", R"({"id":1})", "", R"(,"primary_key_columns":"id")"),
       "'primary_key_columns'"},
      {R"({"iv":"abc","bytes":"def"})", "no 'type'"},  // --encrypt=all
      {"[1]", "not a JSON object"},
  };
  for (const auto& [m, why] : cases) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Error) << m;
    EXPECT_NE(r.reason.find(why), std::string::npos) << m << " -> " << r.reason;
    EXPECT_EQ(count, 0u);
  }
}

TEST(MaxwellDecoder, TombstonesAreSkipped) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  EXPECT_EQ(decoder->decode_all(nullptr, 0, nullptr, 0, out, count).status, DecodeStatus::Skip);
  EXPECT_EQ(decode_all(*decoder, "null", out, count).status, DecodeStatus::Skip);
}

TEST(MaxwellDecoder, MalformedJsonIsAnError) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  const std::string bad[] = {
      event("insert", R"({"id":1,})"),
      event("insert", R"({"id":tru})"),
      event("insert", R"({"id":"\q"})"),
      event("insert", R"({"id":-})"),
      event("insert", R"({"id":[1 2]})"),
      event("insert", R"({"id":1})") + "}",
      event("insert", R"({"id":1})") + " {}",
      "{",
      "nul",
      "{\"type\":\"\xff\"}",
      event("insert", R"({"id":1})", R"({"x":{"y":)"),
      // Unread members are skipped, but the whole document must still be one value.
      event("insert", R"({"id":1})", "", R"(,"def":{"x":[})"),
      event("insert", R"({"id":1})", "", R"(,"def":{"x":)"),
  };
  for (const std::string& m : bad) {
    DecodeResult r = decode_all(*decoder, m, out, count);
    EXPECT_EQ(r.status, DecodeStatus::Error) << m;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << m << ": " << r.reason;
  }
}

TEST(MaxwellDecoder, SurvivesTruncationAndByteMutations) {
  // A cheap stand-in for a fuzzer: every prefix of a real message, and random byte flips.
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::string base = json_lines("flink-json/maxwell-data.txt")[13];
  const std::string key = R"({"database":"test","table":"product","pk.id":110})";
  for (size_t n = 0; n < base.size(); ++n) {
    EXPECT_NE(decode_all(*decoder, base.substr(0, n), out, count, &key).status,
              DecodeStatus::Change)
        << n;
  }
  std::mt19937 rng(11);
  int changes = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    std::string mutated_key = key;
    if (i % 2) mutated_key[rng() % key.size()] = random_mutation_byte(rng);
    DecodeResult r = decode_all(*decoder, m, out, count, &mutated_key);
    if (r.status == DecodeStatus::Change) {
      ++changes;
      ASSERT_GE(count, 1u);
    } else {
      ASSERT_FALSE(r.reason.empty());
      ASSERT_EQ(count, 0u);
    }
  }
  EXPECT_GT(changes, 0);
}

// ---------------------------------------------------------------- speed and allocation

// A Maxwell insert of 23 columns of typical types.
std::string wide_event(int id) {
  std::string data =
      "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":1234.56,"qty":42,"weight":5.1,"active":1,"discontinued":0,)"
      R"("created_at":"2020-05-13 07:40:06","updated_at":"2020-05-13 07:40:06.123000","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":["a","b"],)"
      R"("attrs":{"k":"v","n":1},"rating":4.5,"notes":null,"country":"DE","tax_rate":0.19,"version":3})";
  return R"({"database":"inventory","table":"products","type":"insert","ts":1596684883,"xid":7125,"xoffset":3,"position":"master.000006:800911","server_id":23042,"thread_id":108,"data":)" +
         data + R"(,"primary_key_columns":["id"]})";
}

TEST(MaxwellDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_maxwell_decoder();
  std::vector<DecodedChange> out;
  size_t count = 0;
  std::vector<std::string> messages = json_lines("flink-json/maxwell-data.txt");
  messages.push_back(wide_event(1));
  messages.push_back(
      event("update", R"({"id":20,"v":"b2"})", R"({"id":2})"));  // key change via the key
  const std::string key = R"({"database":"shop","table":"orders","pk.id":20})";
  for (const std::string& m : messages) decode_all(*decoder, m, out, count, &key);  // warm-up
  DecodedChange one;
  for (const std::string& m : messages) decoder->decode(nullptr, 0, m.data(), m.size(), one);
  long before = g_allocations.load();
  for (int i = 0; i < 10000; ++i) {
    const std::string& m = messages[size_t(i) % messages.size()];
    if (decode_all(*decoder, m, out, count, &key).status != DecodeStatus::Change)
      ADD_FAILURE() << m;
    decoder->decode(nullptr, 0, m.data(), m.size(), one);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(MaxwellDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> wide;
  for (int i = 0; i < 64; ++i) wide.push_back(wide_event(1000 + i));
  auto decoder = make_maxwell_decoder();
  size_t columns = 0;
  const int n = 300000;
  double rate = decode_rate(*decoder, wide, n, columns, /*all=*/true);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (Maxwell, %zu bytes each, 23 columns)\n", rate,
              wide[0].size());
}

}  // namespace
}  // namespace cdc
