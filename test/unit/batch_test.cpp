// TableBatch: last change per key, column sets, replacements, COPY-text escaping.
#include "core/batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cdc {
namespace {

TableShape shape() { return TableShape{{"id", "name", "qty"}, {0}}; }

FieldValue str(std::string_view name, std::string_view text) { return {name, ValueKind::String, text}; }
FieldValue num(std::string_view name, std::string_view text) { return {name, ValueKind::Number, text}; }
FieldValue null(std::string_view name) { return {name, ValueKind::Null, {}}; }

DecodedChange upsert(Op op, std::vector<FieldValue> after) {
  DecodedChange c;
  c.op = op;
  c.source = "db.t";
  c.has_after = true;
  c.after = std::move(after);
  return c;
}

DecodedChange del(std::vector<FieldValue> before, std::vector<FieldValue> key = {}) {
  DecodedChange c;
  c.op = Op::Delete;
  c.source = "db.t";
  c.has_before = !before.empty();
  c.before = std::move(before);
  c.key = std::move(key);
  return c;
}

void add(TableBatch& b, const DecodedChange& c) {
  std::string error;
  ASSERT_TRUE(b.add(c, error)) << error;
}

TEST(TableBatch, KeepsLastChangePerKey) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Insert, {num("id", "2"), str("name", "b"), num("qty", "2")}));
  add(b, upsert(Op::Update, {num("id", "1"), str("name", "a2"), num("qty", "3")}));
  EXPECT_EQ(b.rows(), 2u);
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].full);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta2\t3\nu\t2\tb\t2\n");
  EXPECT_EQ(groups[0].upserts, 2u);
}

TEST(TableBatch, LaterPartialChangeOverwritesOnlyItsColumns) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Update, {num("id", "1"), num("qty", "9")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta\t9\n");
}

TEST(TableBatch, PartialRowsFormTheirOwnGroup) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Update, {num("id", "2"), num("qty", "5")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].full);
  EXPECT_FALSE(groups[1].full);
  EXPECT_EQ(groups[1].columns, (std::vector<int>{0, 2}));
  EXPECT_EQ(groups[1].copy_text, "u\t2\t5\n");
}

TEST(TableBatch, DeletesRideWithTheLargestGroup) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, del({num("id", "7"), str("name", "x"), num("qty", "1")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].deletes, 1u);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta\t1\nd\t7\tx\t1\n");
}

TEST(TableBatch, DeleteByKafkaKeyAlone) {
  TableBatch b(shape());
  add(b, del({}, {num("id", "3")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].columns, (std::vector<int>{0}));
  EXPECT_EQ(groups[0].copy_text, "d\t3\n");
}

TEST(TableBatch, InsertAfterDeleteReplacesTheRow) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, del({num("id", "1")}));
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "new")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].replace);  // qty must take its default, not the old value
  EXPECT_EQ(groups[0].copy_text, "u\t1\tnew\n");
}

TEST(TableBatch, FullInsertAfterDeleteIsAPlainUpsert) {
  TableBatch b(shape());
  add(b, del({num("id", "1")}));
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "n"), num("qty", "2")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0].replace);
  EXPECT_TRUE(groups[0].full);
}

TEST(TableBatch, EscapesForCopyText) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "tab\there\\ nl\n cr\r"), null("qty")}));
  auto groups = b.groups();
  EXPECT_EQ(groups[0].copy_text, "u\t1\ttab\\there\\\\ nl\\n cr\\r\t\\N\n");
}

TEST(TableBatch, KeysCompareByTheirText) {
  TableBatch b(TableShape{{"a", "b", "v"}, {0, 1}});
  add(b, upsert(Op::Insert, {str("a", "x\ty"), str("b", "z"), str("v", "1")}));
  add(b, upsert(Op::Insert, {str("a", "x"), str("b", "y\tz"), str("v", "2")}));
  EXPECT_EQ(b.rows(), 2u) << "a tab inside a key value must not merge two different keys";
}

TEST(TableBatch, IgnoresFieldsWithoutColumns) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1"), str("extra", "?")}));
  EXPECT_EQ(b.groups()[0].copy_text, "u\t1\ta\t1\n");
}

TEST(TableBatch, RejectsMissingOrNullKeys) {
  TableBatch b(shape());
  std::string error;
  EXPECT_FALSE(b.add(upsert(Op::Insert, {str("name", "a")}), error));
  EXPECT_EQ(error, "key column \"id\" is missing from the message");
  EXPECT_FALSE(b.add(upsert(Op::Insert, {null("id"), str("name", "a")}), error));
  EXPECT_EQ(error, "key column \"id\" is null in the message");
  EXPECT_TRUE(b.empty());
}

TEST(TableBatch, TruncateForgetsEarlierRows) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  DecodedChange t;
  t.op = Op::Truncate;
  add(b, t);
  add(b, upsert(Op::Insert, {num("id", "2"), str("name", "b"), num("qty", "2")}));
  EXPECT_TRUE(b.truncate_first());
  EXPECT_EQ(b.groups()[0].copy_text, "u\t2\tb\t2\n");
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.truncate_first());
}

TEST(TableBatch, ReusesMemoryAcrossBatches) {
  TableBatch b(shape());
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 10000; i++) {
      std::string id = std::to_string(i);
      add(b, upsert(Op::Insert, {num("id", id), str("name", "n"), num("qty", "1")}));
    }
    EXPECT_EQ(b.rows(), 10000u);
    b.clear();
  }
}

}  // namespace
}  // namespace cdc
