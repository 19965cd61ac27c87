// TableBatch under the apply options: delete_mode, truncate_mode, version_column, changelog and
// the metadata staged beside each row; compare_versions and image_json.
#include "core/batch.hpp"
#include "core/change_meta.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cdc {
namespace {

FieldValue str(std::string_view name, std::string_view text) { return {name, ValueKind::String, text}; }
FieldValue num(std::string_view name, std::string_view text) { return {name, ValueKind::Number, text}; }

// A shape of (id, name, ver) keyed by id, with the given options.
TableShape shape(DeleteMode dm = DeleteMode::Delete, TruncateMode tm = TruncateMode::Truncate,
                 VersionFrom version = VersionFrom::None) {
  TableShape s{{"id", "name", "ver"}, {0}, {column_type_from_name("integer"), column_type_from_name("text"),
                                             column_type_from_name("bigint")}};
  s.delete_mode = dm;
  s.truncate_mode = tm;
  s.version_from = version;
  if (version == VersionFrom::Column) {
    s.version_column = 2;
    s.version_order = VersionOrder::Number;
  }
  s.stage_meta = true;
  return s;
}

DecodedChange change(Op op, int id, const std::string& name, const std::string& ver, int64_t ts = 1000) {
  static std::vector<std::string> texts;  // views must outlive the change
  texts.push_back(std::to_string(id));
  texts.push_back(name);
  texts.push_back(ver);
  const std::string& id_text = texts[texts.size() - 3];
  const std::string& name_text = texts[texts.size() - 2];
  const std::string& ver_text = texts.back();
  DecodedChange c;
  c.op = op;
  c.source = "db.t";
  c.source_ts_ms = ts;
  std::vector<FieldValue> image{num("id", id_text), str("name", name_text), num("ver", ver_text)};
  if (op == Op::Delete) {
    c.has_before = true;
    c.before = image;
  } else if (op != Op::Truncate) {
    c.has_after = true;
    c.after = image;
  }
  return c;
}

void add(TableBatch& b, const DecodedChange& c, int64_t offset) {
  std::string error;
  ASSERT_TRUE(b.add(c, error, ChangeMeta{"topic", 0, offset})) << error;
}

// The lines of all groups, each prefixed by its kind: "T" target, "A" archive, "V" validate-only.
std::string staged(const TableBatch& b) {
  std::string out;
  for (const StageGroup& g : b.groups()) {
    const char* kind = g.archive ? "A " : (g.validate_only ? "V " : "T ");
    size_t start = 0;
    while (start < g.copy_text.size()) {
      size_t end = g.copy_text.find('\n', start);
      out += kind + g.copy_text.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  return out;
}

TEST(ApplySemantics, SoftDeleteIsAnUpsertMarkedDeleted) {
  TableBatch b(shape(DeleteMode::Soft));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Delete, 1, "a", "1", 2000), 11);
  add(b, change(Op::Delete, 2, "b", "5", 3000), 12);
  EXPECT_EQ(staged(b),
            "T s\tdelete\t2000\ttopic\t0\t11\t\\N\t1\ta\t1\n"
            "T s\tdelete\t3000\ttopic\t0\t12\t\\N\t2\tb\t5\n"
            "V v\t1\ta\t1\n");
}

TEST(ApplySemantics, ReinsertAfterSoftDeleteUpdatesTheRow) {
  TableBatch b(shape(DeleteMode::Soft));
  add(b, change(Op::Delete, 1, "a", "1"), 10);
  add(b, change(Op::Insert, 1, "b", "2"), 11);
  std::vector<StageGroup> groups = b.groups();
  ASSERT_FALSE(groups.empty());
  EXPECT_EQ(groups[0].copy_text, "u\tinsert\t1000\ttopic\t0\t11\t\\N\t1\tb\t2\n");
}

TEST(ApplySemantics, ArchiveKeepsEveryDeleteEvenWhenSuperseded) {
  TableBatch b(shape(DeleteMode::Archive));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Delete, 1, "a", "1"), 11);
  add(b, change(Op::Insert, 1, "c", "3"), 12);
  std::string s = staged(b);
  EXPECT_NE(s.find("A a\tdelete\t1000\ttopic\t0\t11\t\\N\t1\ta\t1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("T u\tinsert\t1000\ttopic\t0\t12\t\\N\t1\tc\t3\n"), std::string::npos) << s;
}

TEST(ApplySemantics, OnlyArchiveStagesOnlyDeletes) {
  TableBatch b(shape(DeleteMode::OnlyArchive));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Delete, 1, "a", "1"), 11);
  EXPECT_EQ(staged(b), "A a\tdelete\t1000\ttopic\t0\t11\t\\N\t1\ta\t1\n");
}

TEST(ApplySemantics, IgnoredDeletesLeaveTheRow) {
  TableBatch b(shape(DeleteMode::Ignore));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Delete, 1, "a", "1"), 11);
  EXPECT_EQ(staged(b), "T u\tinsert\t1000\ttopic\t0\t10\t\\N\t1\ta\t1\n");
}

TEST(ApplySemantics, AnOlderVersionInTheBatchIsNotApplied) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::Column));
  add(b, change(Op::Insert, 1, "new", "10"), 10);
  add(b, change(Op::Update, 1, "old", "9"), 11);   // a replay: older, validated only
  add(b, change(Op::Update, 1, "same", "10"), 12);  // not older: applied
  EXPECT_EQ(b.older_versions(), 1u);
  std::string s = staged(b);
  EXPECT_NE(s.find("T u\tupdate\t1000\ttopic\t0\t12\t\\N\t1\tsame\t10\n"), std::string::npos) << s;
  EXPECT_NE(s.find("V v\t1\told\t9\n"), std::string::npos) << s;
}

TEST(ApplySemantics, ADeleteKeepsItsVersionAgainstALateOlderInsert) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::Column));
  add(b, change(Op::Delete, 1, "a", "7"), 10);
  add(b, change(Op::Insert, 1, "late", "5"), 11);
  std::string s = staged(b);
  EXPECT_NE(s.find("T d\tdelete\t1000\ttopic\t0\t10\t\\N\t1\t7\n"), std::string::npos) << s;  // key and version
}

TEST(ApplySemantics, NumericVersionsCompareAsNumbers) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::Column));
  add(b, change(Op::Insert, 1, "a", "10"), 10);
  add(b, change(Op::Update, 1, "b", "9"), 11);  // "9" > "10" as text, older as a number
  EXPECT_EQ(b.older_versions(), 1u);
}

TEST(ApplySemantics, OffsetVersionsComeFromTheMessage) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::Offset));
  add(b, change(Op::Insert, 1, "a", "1"), 20);
  add(b, change(Op::Update, 1, "b", "2"), 19);
  EXPECT_EQ(b.older_versions(), 1u);
}

TEST(ApplySemantics, AMissingVersionIsABadMessage) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::Column));
  DecodedChange c = change(Op::Insert, 1, "a", "1");
  c.after.pop_back();
  std::string error;
  EXPECT_FALSE(b.check(c, error));
  EXPECT_NE(error.find("version column \"ver\" is missing"), std::string::npos) << error;
  TableBatch ts(shape(DeleteMode::Delete, TruncateMode::Truncate, VersionFrom::SourceTs));
  DecodedChange no_time = change(Op::Insert, 1, "a", "1", DecodedChange::kNoSourceTime);
  EXPECT_FALSE(ts.check(no_time, error));
  EXPECT_NE(error.find("no source commit time"), std::string::npos) << error;
}

TEST(ApplySemantics, SoftTruncatesSplitTheBatchIntoPhases) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Soft));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Truncate, 0, "", "", 5000), 11);
  add(b, change(Op::Insert, 2, "b", "1"), 12);
  add(b, change(Op::Truncate, 0, "", "", 6000), 13);
  add(b, change(Op::Insert, 3, "c", "1"), 14);
  add(b, change(Op::Update, 1, "a2", "2"), 15);
  EXPECT_FALSE(b.truncate_first());  // nothing is emptied
  ASSERT_EQ(b.soft_truncates().size(), 2u);
  EXPECT_EQ(b.soft_truncates()[0].offset, 11);
  EXPECT_EQ(b.soft_truncates()[1].source_ts_ms, 6000);
  std::map<uint32_t, std::string> by_phase;
  for (const StageGroup& g : b.groups())
    if (!g.validate_only) by_phase[g.phase] += g.copy_text;
  // Key 1 changed before and after the truncates: a row in each phase, applied in that order.
  EXPECT_EQ(by_phase[0], "u\tinsert\t1000\ttopic\t0\t10\t\\N\t1\ta\t1\n");
  EXPECT_EQ(by_phase[1], "u\tinsert\t1000\ttopic\t0\t12\t\\N\t2\tb\t1\n");
  EXPECT_EQ(by_phase[2], "u\tinsert\t1000\ttopic\t0\t14\t\\N\t3\tc\t1\nu\tupdate\t1000\ttopic\t0\t15\t\\N\t1\ta2\t2\n");
}

TEST(ApplySemantics, ASoftTruncateRightAfterAnotherMarksNothingMore) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Soft));
  add(b, change(Op::Truncate, 0, "", "", 5000), 10);
  add(b, change(Op::Truncate, 0, "", "", 6000), 11);
  EXPECT_EQ(b.soft_truncates().size(), 1u);
  EXPECT_EQ(b.truncates(), 2u);
  TableBatch v(shape(DeleteMode::Delete, TruncateMode::Soft, VersionFrom::Offset));
  add(v, change(Op::Truncate, 0, "", "", 5000), 10);
  add(v, change(Op::Truncate, 0, "", "", 6000), 11);
  EXPECT_EQ(v.soft_truncates().size(), 2u);  // the second one may reach rows newer than the first
}

TEST(ApplySemantics, ASoftDeletedRowIsUpdatedNotReplaced) {
  TableBatch b(shape(DeleteMode::Soft));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  DecodedChange key_only = change(Op::Delete, 1, "", "1");
  key_only.before.resize(1);  // a before image of the key alone
  add(b, key_only, 11);
  std::string s = staged(b);
  EXPECT_NE(s.find("T s\tdelete\t1000\ttopic\t0\t11\t\\N\t1\ta\t1\n"), std::string::npos) << s;
  add(b, change(Op::Update, 1, "b", "2"), 12);
  for (const StageGroup& g : b.groups()) EXPECT_FALSE(g.replace);
}

TEST(ApplySemantics, IgnoredTruncateKeepsTheRows) {
  TableBatch b(shape(DeleteMode::Delete, TruncateMode::Ignore));
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, change(Op::Truncate, 0, "", "", 5000), 11);
  EXPECT_FALSE(b.truncate_first());
  EXPECT_EQ(b.truncates(), 0u);
  EXPECT_EQ(b.rows(), 1u);
}

TEST(ApplySemantics, ChangelogRowsCarryOpAndBeforeImage) {
  TableShape s{{"id", "name", "ver"}, {}};
  s.append = s.changelog = true;
  TableBatch b(s);
  DecodedChange u = change(Op::Update, 1, "b", "2");
  u.has_before = true;
  u.before = {num("id", "1"), str("name", "a\t\"x\""), num("ver", "1")};
  add(b, change(Op::Insert, 1, "a", "1"), 10);
  add(b, u, 11);
  add(b, change(Op::Truncate, 0, "", "", 5000), 12);
  std::vector<StageGroup> groups = b.groups();
  std::string all;
  for (const StageGroup& g : groups) all += g.copy_text;
  EXPECT_NE(all.find("u\tinsert\t1000\ttopic\t0\t10\t\\N\t1\ta\t1\n"), std::string::npos) << all;
  EXPECT_NE(all.find("u\tupdate\t1000\ttopic\t0\t11\t{\"id\": 1, \"name\": \"a\\\\t\\\\\"x\\\\\"\", \"ver\": 1}\t1\tb\t2\n"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("u\ttruncate\t5000\ttopic\t0\t12\t\\N\n"), std::string::npos) << all;
}

// The source commit time each format gives, and none for a time no timestamptz holds.
TEST(SourceTime, DecodersGiveTheCommitTime) {
  struct Case {
    const char* format;
    std::string value;
    int64_t expected;
  };
  const std::string maxwell = R"({"database": "d", "table": "t", "type": "insert", "data": {"id": 1}, "ts": )";
  const std::string canal = R"({"database": "d", "table": "t", "type": "INSERT", "isDdl": false, "data": [{"id": "1"}], "es": )";
  const std::string debezium = R"({"op": "c", "after": {"id": 1}, "source": {"db": "d", "table": "t", "ts_ms": )";
  const std::string dms = R"({"data": {"id": 1}, "metadata": {"record-type": "data", "operation": "insert", )"
                          R"("schema-name": "d", "table-name": "t", "timestamp": )";
  const std::vector<Case> cases = {
      {"maxwell", maxwell + "1700000000}", 1700000000000},
      {"maxwell", maxwell + "1587777777777777777}", DecodedChange::kNoSourceTime},  // would overflow as ms
      {"maxwell", maxwell + "-5}", DecodedChange::kNoSourceTime},
      {"canal", canal + "1700000000123}", 1700000000123},
      {"canal", canal + "999999999999999999}", DecodedChange::kNoSourceTime},
      {"debezium", debezium + "1700000000123}}", 1700000000123},
      {"debezium", debezium + "\"soon\"}}", DecodedChange::kNoSourceTime},
      {"dms", dms + "\"2023-03-13T19:20:31.453223Z\"}}", 1678735231453},
      {"dms", dms + "\"2023-03-13 19:20:31+05:00\"}}", DecodedChange::kNoSourceTime},
  };
  for (const Case& c : cases) {
    std::unique_ptr<Decoder> d = make_decoder(c.format);
    DecodedChange out;
    DecodeResult r = d->decode(nullptr, 0, c.value.data(), c.value.size(), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << c.format << " " << c.value << ": " << r.reason;
    EXPECT_EQ(out.source_ts_ms, c.expected) << c.format << " " << c.value;
  }
}

TEST(CompareVersions, NumbersTimesTextAndNulls) {
  EXPECT_LT(compare_versions("9", "10", VersionOrder::Number), 0);
  EXPECT_GT(compare_versions("9", "10", VersionOrder::Text), 0);
  EXPECT_EQ(compare_versions("1.50", "1.5", VersionOrder::Number), 0);
  EXPECT_LT(compare_versions("9.5", "10.5", VersionOrder::Number), 0);
  EXPECT_LT(compare_versions("-2", "-1", VersionOrder::Number), 0);
  EXPECT_LT(compare_versions("\\N", "-1", VersionOrder::Number), 0);
  EXPECT_EQ(compare_versions("\\N", "\\N", VersionOrder::Text), 0);
  EXPECT_LT(compare_versions("1e2", "101", VersionOrder::Number), 0);
  EXPECT_LT(compare_versions("2024-01-01T10:00:00Z", "2024-01-01T10:00:00.5Z", VersionOrder::Time), 0);
  EXPECT_LT(compare_versions("2024-01-01 10:00:00.25", "2024-01-01T10:00:00.5Z", VersionOrder::Time), 0);
  EXPECT_EQ(compare_versions("2024-01-01 10:00:00.500", "2024-01-01T10:00:00.5Z", VersionOrder::Time), 0);
  EXPECT_LT(compare_versions("2024-01-01", "2024-01-02", VersionOrder::Time), 0);
}

TEST(UtcIsoMs, DatesTimesAndFractions) {
  EXPECT_EQ(utc_iso_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(utc_iso_ms("2000-02-29T12:34:56.789Z"), 951827696789);
  EXPECT_EQ(utc_iso_ms("2024-12-31 23:59:59"), 1735689599000);
  EXPECT_EQ(utc_iso_ms("2024-12-31T23:59:59.5+00:00"), 1735689599500);
  EXPECT_EQ(utc_iso_ms("1969-12-31T23:59:59Z"), DecodedChange::kNoSourceTime);  // before 1970
  EXPECT_EQ(utc_iso_ms("2024-13-01T00:00:00Z"), DecodedChange::kNoSourceTime);
  EXPECT_EQ(utc_iso_ms("yesterday"), DecodedChange::kNoSourceTime);
}

TEST(ImageJson, NamesAndValuesAsTheMessageHadThem) {
  std::vector<FieldValue> image{num("id", "1"), str("s", "a\"b\n"), {"n", ValueKind::Null, {}},
                                {"j", ValueKind::Json, "{\"k\": [1]}"}, {"b", ValueKind::Bool, "true"}};
  EXPECT_EQ(image_json(image), "{\"id\": 1, \"s\": \"a\\\"b\\n\", \"n\": null, \"j\": {\"k\": [1]}, \"b\": true}");
}

}  // namespace
}  // namespace cdc
