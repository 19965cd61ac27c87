// TableBatch: last change per key, column sets, replacements, COPY-text escaping.
#include "core/batch.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/column_type.hpp"
#include "full_types_sample.hpp"

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
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].full);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta2\t3\nu\t2\tb\t2\n");
  EXPECT_EQ(groups[0].upserts, 2u);
  // The superseded change of key 1 is staged for its input functions only.
  EXPECT_TRUE(groups[1].validate_only);
  EXPECT_EQ(groups[1].copy_text, "v\t1\ta\t1\n");
}

TEST(TableBatch, LaterPartialChangeOverwritesOnlyItsColumns) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Update, {num("id", "1"), num("qty", "9")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta\t9\n");
  EXPECT_EQ(groups[1].copy_text, "v\t1\ta\t1\n");
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
  // A delete carries only its key: its before image is judged the same in any group.
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta\t1\nd\t7\t\\N\t\\N\n");
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
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].replace);  // qty must take its default, not the old value
  EXPECT_EQ(groups[0].copy_text, "u\t1\tnew\n");
  EXPECT_EQ(groups[1].copy_text, "v\t1\ta\t1\n");
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

TEST(TableBatch, RefusesNulInTextNamingTheColumn) {
  TableBatch b(shape());
  std::string error;
  using namespace std::string_literals;
  static const std::string nul = "a\0b"s;
  EXPECT_FALSE(b.add(upsert(Op::Insert, {num("id", "1"), str("name", nul)}), error));
  EXPECT_EQ(error, "field \"name\" contains a NUL character (\\u0000), which PostgreSQL text cannot hold (column name)");
  error.clear();
  EXPECT_TRUE(b.add(upsert(Op::Insert, {num("id", "2"), str("unmapped", nul)}), error)) << error;
}

TEST(TableBatch, CollectsNewColumnsWithTheirTypes) {
  TableShape s = shape();
  s.collect_new_columns = true;
  s.source_type = [](std::string_view field) { return field == "declared" ? std::string("character varying(9)") : std::string(); };
  TableBatch b(s);
  b.at_message(0);
  add(b, upsert(Op::Insert, {num("id", "1"), null("later"), num("count", "3"), str("declared", "x")}));
  b.at_message(1);
  add(b, upsert(Op::Insert, {num("id", "2"), num("later", "2.5"), num("count", "4")}));
  ASSERT_EQ(b.new_columns().size(), 3u);
  EXPECT_EQ(b.new_columns()[0].name, "later");
  EXPECT_EQ(b.new_columns()[0].type, "numeric");  // null first: typed by the first value
  EXPECT_EQ(b.new_columns()[0].message, 1u);
  EXPECT_EQ(b.new_columns()[1].type, "bigint");
  EXPECT_EQ(b.new_columns()[1].message, 0u);
  EXPECT_EQ(b.new_columns()[2].type, "character varying(9)");  // what the message declares
  EXPECT_EQ(b.unmatched_values(), 5u);
  b.clear();
  EXPECT_TRUE(b.new_columns().empty());
}

TEST(TableBatch, WiderTypesKeepTheWidest) {
  TableBatch b(shape());
  b.at_message(3);
  b.note_wider_type("name", "character varying(40)");
  b.at_message(4);
  b.note_wider_type("name", "character varying(80)");
  b.at_message(5);
  b.note_wider_type("name", "character varying(60)");
  ASSERT_EQ(b.wider_types().size(), 1u);
  EXPECT_EQ(b.wider_types()[0].type, "character varying(80)");
  EXPECT_EQ(b.wider_types()[0].message, 4u);
  b.clear();
  EXPECT_TRUE(b.wider_types().empty());
}

TEST(TableBatch, CollectsNoNewColumnsUnlessAsked) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), num("extra", "3")}));
  EXPECT_TRUE(b.new_columns().empty());
  EXPECT_EQ(b.unmatched_values(), 1u);
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

// ---------------------------------------------------------------- target column types

FieldValue boolean(std::string_view name, bool v) { return {name, ValueKind::Bool, v ? "true" : "false"}; }
FieldValue json(std::string_view name, std::string_view text) { return {name, ValueKind::Json, text}; }
FieldValue text(std::string_view name, std::string_view t) { return {name, ValueKind::Text, t}; }

TEST(ColumnTypeFromName, FormatTypeNames) {
  EXPECT_EQ(column_type_from_name("date"), ColumnType(ColumnKind::Date));
  EXPECT_EQ(column_type_from_name("time without time zone"), ColumnType(ColumnKind::Time));
  EXPECT_EQ(column_type_from_name("time(3) without time zone"), ColumnType(ColumnKind::Time));
  EXPECT_EQ(column_type_from_name("time with time zone"), ColumnType(ColumnKind::TimeTz));
  EXPECT_EQ(column_type_from_name("time(0) with time zone"), ColumnType(ColumnKind::TimeTz));
  EXPECT_EQ(column_type_from_name("timestamp without time zone"), ColumnType(ColumnKind::Timestamp));
  EXPECT_EQ(column_type_from_name("timestamp(6) without time zone"), ColumnType(ColumnKind::Timestamp));
  EXPECT_EQ(column_type_from_name("timestamp with time zone"), ColumnType(ColumnKind::TimestampTz));
  EXPECT_EQ(column_type_from_name("timestamp(3) with time zone"), ColumnType(ColumnKind::TimestampTz));
  EXPECT_EQ(column_type_from_name("interval"), ColumnType(ColumnKind::Interval));
  EXPECT_EQ(column_type_from_name("interval(3)"), ColumnType(ColumnKind::Interval));
  EXPECT_EQ(column_type_from_name("interval day to second(3)"), ColumnType(ColumnKind::Interval));
  EXPECT_EQ(column_type_from_name("interval year to month"), ColumnType(ColumnKind::Interval));
  EXPECT_EQ(column_type_from_name("bytea"), ColumnType(ColumnKind::Bytea));
  EXPECT_EQ(column_type_from_name("bit(64)"), ColumnType(ColumnKind::Bit, 64));
  EXPECT_EQ(column_type_from_name("bit"), ColumnType(ColumnKind::Bit));
  EXPECT_EQ(column_type_from_name("bit varying(10)"), ColumnType(ColumnKind::VarBit, 10));
  EXPECT_EQ(column_type_from_name("bit varying"), ColumnType(ColumnKind::VarBit));
  EXPECT_EQ(column_type_from_name("numeric(8,4)"), ColumnType(ColumnKind::Numeric, -1, 4));
  EXPECT_EQ(column_type_from_name("numeric(20,0)"), ColumnType(ColumnKind::Numeric, -1, 0));
  EXPECT_EQ(column_type_from_name("numeric(6)"), ColumnType(ColumnKind::Numeric, -1, 0));
  EXPECT_EQ(column_type_from_name("numeric"), ColumnType(ColumnKind::Numeric, -1, -1));
  EXPECT_EQ(column_type_from_name("smallint"), ColumnType(ColumnKind::Integer));
  EXPECT_EQ(column_type_from_name("integer"), ColumnType(ColumnKind::Integer));
  EXPECT_EQ(column_type_from_name("bigint"), ColumnType(ColumnKind::Integer));
  EXPECT_EQ(column_type_from_name("uuid"), ColumnType(ColumnKind::Uuid));
}

TEST(ColumnTypeFromName, AliasesCaseAndOthers) {
  EXPECT_EQ(column_type_from_name("timestamptz"), ColumnType(ColumnKind::TimestampTz));
  EXPECT_EQ(column_type_from_name("TIMESTAMP(3) WITH TIME ZONE"), ColumnType(ColumnKind::TimestampTz));
  EXPECT_EQ(column_type_from_name("pg_catalog.timestamp"), ColumnType(ColumnKind::Timestamp));
  EXPECT_EQ(column_type_from_name(" timetz "), ColumnType(ColumnKind::TimeTz));
  EXPECT_EQ(column_type_from_name("varbit(3)"), ColumnType(ColumnKind::VarBit, 3));
  EXPECT_EQ(column_type_from_name("int8"), ColumnType(ColumnKind::Integer));
  EXPECT_EQ(column_type_from_name("decimal(10,2)"), ColumnType(ColumnKind::Numeric, -1, 2));
  for (const char* other : {"text", "character varying(255)", "jsonb", "boolean", "my_domain", "\"Date\"", "real",
                            "double precision", "numeric(8,4", "", "public.date"}) {
    EXPECT_EQ(column_type_from_name(other).kind, ColumnKind::Other) << other;
  }
}

// convert_for_column's result, or "<unchanged>" when it does not convert.
std::string conv(const FieldValue& v, const char* type) {
  std::string out;
  return convert_for_column(v, column_type_from_name(type), out) ? out : "<unchanged>";
}

// The same under the pipeline option decimal_handling_mode 'precise'.
std::string conv64(const FieldValue& v, const char* type) {
  std::string out;
  return convert_for_column(v, column_type_from_name(type), out, SourceEncoding::DebeziumBase64Decimals)
             ? out
             : "<unchanged>";
}

TEST(ConvertForColumn, NumbersForTemporalColumns) {
  EXPECT_EQ(conv(num("c", "18460"), "date"), "2020-07-17");
  EXPECT_EQ(conv(num("c", "-1"), "date"), "1969-12-31");
  EXPECT_EQ(conv(num("c", "2932896"), "date"), "9999-12-31");
  EXPECT_EQ(conv(num("c", "1595008822123"), "date"), "2020-07-17");       // epoch ms (Oracle DATE)
  EXPECT_EQ(conv(num("c", "1595008822123456"), "date"), "2020-07-17");    // epoch us
  EXPECT_EQ(conv(num("c", "-1595008822123"), "date"), "1919-06-17");      // floored, not truncated
  EXPECT_EQ(conv(num("c", "1595008822123"), "timestamp without time zone"), "2020-07-17 18:00:22.123");
  EXPECT_EQ(conv(num("c", "1595008822123456"), "timestamp(6) without time zone"), "2020-07-17 18:00:22.123456");
  EXPECT_EQ(conv(num("c", "1595008822123456789"), "timestamp"), "2020-07-17 18:00:22.123457");
  EXPECT_EQ(conv(num("c", "253402300799000"), "timestamp"), "9999-12-31 23:59:59");  // MySQL's far future, in ms
  EXPECT_EQ(conv(num("c", "-62135596800000"), "timestamp"), "0001-01-01 00:00:00");
  EXPECT_EQ(conv(num("c", "253402300800000"), "timestamp"), "1978-01-11 21:31:40.8");  // beyond 9999 in ms: us
  EXPECT_EQ(conv(num("c", "1595008822123"), "timestamp with time zone"), "2020-07-17 18:00:22.123+00");
  EXPECT_EQ(conv(num("c", "-62135596800001"), "timestamptz"), "1968-01-12 20:06:43.199999+00");  // us
  EXPECT_EQ(conv(num("c", "9223372036825200000"), "timestamptz"), "infinity");
  EXPECT_EQ(conv(num("c", "-9223372036832400000"), "timestamp"), "-infinity");
  EXPECT_EQ(conv(num("c", "9223372036825200"), "timestamp"), "infinity");  // the ms sentinel
  EXPECT_EQ(conv(num("c", "64822000000"), "time without time zone"), "18:00:22");  // MicroTime
  EXPECT_EQ(conv(num("c", "-3020399000000"), "interval"), "-838:59:59");          // MySQL TIME
  EXPECT_EQ(conv(num("c", "2629800000000"), "interval"), "730:30:00");            // MicroDuration
  EXPECT_EQ(conv(num("c", "1.5"), "date"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "1e3"), "timestamp"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "99999999999999999999"), "timestamp"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "5"), "time with time zone"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "5"), "integer"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "5"), "bit(4)"), "0101");  // MySQL BIT(4) from Maxwell or Canal
  EXPECT_EQ(conv(num("c", "5"), "bit varying(8)"), "00000101");
  EXPECT_EQ(conv(num("c", "5"), "bit varying"), "101");
  EXPECT_EQ(conv(num("c", "-5"), "bit(4)"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "5"), "text"), "<unchanged>");
}

// decimal.handling.mode=double writes DECIMAL(p,0) as a double: 12345.0, 1.0E18. An integral value
// goes into an integer column as the integer it is; anything else stays for the input function to
// refuse (a fraction would be lost).
TEST(ConvertForColumn, IntegralNumbersInFloatFormForIntegerColumns) {
  EXPECT_EQ(conv(num("c", "12345.0"), "bigint"), "12345");
  EXPECT_EQ(conv(num("c", "1.0E18"), "bigint"), "1000000000000000000");
  EXPECT_EQ(conv(num("c", "-1.0E18"), "bigint"), "-1000000000000000000");
  EXPECT_EQ(conv(num("c", "1.2345e4"), "integer"), "12345");
  EXPECT_EQ(conv(num("c", "123450e-1"), "smallint"), "12345");
  EXPECT_EQ(conv(num("c", "-0.0"), "integer"), "0");
  EXPECT_EQ(conv(num("c", "0.0"), "bigint"), "0");
  EXPECT_EQ(conv(num("c", "9.223372036854775807E18"), "bigint"), "9223372036854775807");
  EXPECT_EQ(conv(num("c", "1.0E19"), "bigint"), "10000000000000000000");  // the input function says out of range
  EXPECT_EQ(conv(num("c", "12345.5"), "bigint"), "<unchanged>");          // a fraction: refused there
  EXPECT_EQ(conv(num("c", "1.5E-1"), "bigint"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "1E400"), "bigint"), "<unchanged>");  // far out of range: refused there
  EXPECT_EQ(conv(num("c", "12345"), "bigint"), "<unchanged>");  // already an integer
  EXPECT_EQ(conv(num("c", "12345.0"), "numeric(10,0)"), "<unchanged>");
  EXPECT_EQ(conv(num("c", "12345.0"), "double precision"), "<unchanged>");
}

TEST(ConvertForColumn, StringsForBinaryNumericAndUuidColumns) {
  EXPECT_EQ(conv(str("c", "EA=="), "bytea"), "\\x10");
  EXPECT_EQ(conv(str("c", "\\x10"), "bytea"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "not base64!"), "bytea"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "BAQEBAQEBAQ="), "bit(64)"), "0000010000000100000001000000010000000100000001000000010000000100");
  EXPECT_EQ(conv(str("c", "AwE="), "bit varying(16)"), "0000000100000011");
  EXPECT_EQ(conv(str("c", "AwE="), "bit varying"), "0000000100000011");
  EXPECT_EQ(conv(str("c", "101"), "bit(3)"), "<unchanged>");
  // Base64 decimals only when the pipeline declares them (decimal_handling_mode 'precise').
  EXPECT_EQ(conv(str("c", "EtaH"), "numeric(8,4)"), "<unchanged>");
  EXPECT_EQ(conv64(str("c", "EtaH"), "numeric(8,4)"), "123.4567");
  EXPECT_EQ(conv64(str("c", "AP//////////"), "numeric(20,0)"), "18446744073709551615");
  EXPECT_EQ(conv(str("c", "123.4567"), "numeric(8,4)"), "<unchanged>");  // decimal.handling.mode=string
  EXPECT_EQ(conv(str("c", "-1.5e3"), "numeric(8,4)"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "NaN"), "numeric(8,4)"), "<unchanged>");
  EXPECT_EQ(conv64(str("c", "EtaH"), "numeric"), "<unchanged>");  // no scale to apply
  EXPECT_EQ(conv64(str("c", "123.4567"), "numeric(8,4)"), "<unchanged>");
  EXPECT_EQ(conv64(str("c", "AQ=="), "bigint"), "1");
  EXPECT_EQ(conv(str("c", "AQ=="), "bigint"), "<unchanged>");
  EXPECT_EQ(conv64(str("c", "42"), "bigint"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "ZRrtCDkPSJOy8TaSPnt0AA=="), "uuid"), "651aed08-390f-4893-b2f1-36923e7b7400");
  EXPECT_EQ(conv(str("c", "651aed08-390f-4893-b2f1-36923e7b7400"), "uuid"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "2020-07-17"), "date"), "<unchanged>");
  EXPECT_EQ(conv(str("c", "2020-07-17T18:00:22Z"), "timestamp with time zone"), "<unchanged>");
  EXPECT_EQ(conv(boolean("c", false), "bit(1)"), "0");
  EXPECT_EQ(conv(boolean("c", true), "bit"), "1");
  EXPECT_EQ(conv(boolean("c", true), "boolean"), "<unchanged>");
  EXPECT_EQ(conv(json("c", R"({"scale":2,"value":"AQ=="})"), "numeric"), "0.01");
  EXPECT_EQ(conv(json("c", R"({"a":1})"), "numeric"), "<unchanged>");
  EXPECT_EQ(conv(text("c", "18460"), "date"), "<unchanged>");  // already converted
  EXPECT_EQ(conv(null("c"), "date"), "<unchanged>");
}

TEST(ConvertForColumn, EachFormatGetsOnlyTheRulesThatCannotMisreadIt) {
  auto with = [](const FieldValue& v, const char* type, SourceEncoding e) {
    std::string out;
    return convert_for_column(v, column_type_from_name(type), out, e) ? out : std::string("<unchanged>");
  };
  for (SourceEncoding e : {SourceEncoding::Debezium, SourceEncoding::Base64Bytes, SourceEncoding::HexBytes,
                           SourceEncoding::Plain}) {
    // Values that could not be input as they are convert for every format.
    EXPECT_EQ(with(num("c", "5"), "bit(4)", e), "0101");
    EXPECT_EQ(with(boolean("c", true), "bit(1)", e), "1");
    EXPECT_EQ(with(json("c", "[1,2]"), "integer[]", e), R"({"1","2"})");
    EXPECT_EQ(with(text("c", "\\x651aed08390f4893b2f136923e7b7400"), "uuid", e), "651aed08-390f-4893-b2f1-36923e7b7400");
  }
  // Epoch numbers, base64 and Debezium structs are Debezium's encodings only.
  EXPECT_EQ(with(num("c", "18460"), "date", SourceEncoding::Debezium), "2020-07-17");
  EXPECT_EQ(with(num("c", "18460"), "date", SourceEncoding::Base64Bytes), "<unchanged>");
  EXPECT_EQ(with(num("c", "18460"), "date", SourceEncoding::Plain), "<unchanged>");
  EXPECT_EQ(with(str("c", "AQ=="), "bigint", SourceEncoding::Base64Bytes), "<unchanged>");
  EXPECT_EQ(with(json("c", R"({"scale":2,"value":"AQ=="})"), "numeric", SourceEncoding::Plain), "<unchanged>");
  EXPECT_EQ(with(json("c", "[18460]"), "date[]", SourceEncoding::Plain), R"({"18460"})");
  // Maxwell writes binary columns in base64; other formats' strings stay text.
  EXPECT_EQ(with(str("c", "3q2+7w=="), "bytea", SourceEncoding::Base64Bytes), "\\xdeadbeef");
  EXPECT_EQ(with(str("c", "ZRrtCDkPSJOy8TaSPnt0AA=="), "uuid", SourceEncoding::Base64Bytes),
            "651aed08-390f-4893-b2f1-36923e7b7400");
  EXPECT_EQ(with(str("c", "3q2+7w=="), "bytea", SourceEncoding::Plain), "<unchanged>");
  EXPECT_EQ(with(str("c", "pQ=="), "bit(8)", SourceEncoding::Base64Bytes), "<unchanged>");
  // A BINARY(16) from the binlog lacks its trailing zero bytes: Maxwell's 15, padded back.
  EXPECT_EQ(with(str("c", "ZRrtCDkPSJOy8TaSPnt0"), "uuid", SourceEncoding::Base64Bytes),
            "651aed08-390f-4893-b2f1-36923e7b7400");
  EXPECT_EQ(with(str("c", "ZRrtCDkPSJOy8TaSPnt0"), "uuid", SourceEncoding::Debezium), "<unchanged>");
  // DMS writes binary values as '0x' hex.
  EXPECT_EQ(with(str("c", "0xDEADbeef"), "bytea", SourceEncoding::HexBytes), "\\xdeadbeef");
  EXPECT_EQ(with(str("c", "0x"), "bytea", SourceEncoding::HexBytes), "\\x");
  EXPECT_EQ(with(str("c", "0x651AED08390F4893B2F136923E7B7400"), "uuid", SourceEncoding::HexBytes),
            "651aed08-390f-4893-b2f1-36923e7b7400");
  EXPECT_EQ(with(str("c", "0x0404040404040404"), "bit(64)", SourceEncoding::HexBytes),
            "0000010000000100000001000000010000000100000001000000010000000100");
  EXPECT_EQ(with(str("c", "0x0201"), "bit(10)", SourceEncoding::HexBytes), "1000000001");
  EXPECT_EQ(with(str("c", "0x01FF"), "bit(8)", SourceEncoding::HexBytes), "0000000111111111");  // not cut
  EXPECT_EQ(with(str("c", "0x05"), "bit varying", SourceEncoding::HexBytes), "00000101");
  EXPECT_EQ(with(str("c", "0x123"), "bytea", SourceEncoding::HexBytes), "<unchanged>");  // odd digits
  EXPECT_EQ(with(str("c", "0xzz"), "bytea", SourceEncoding::HexBytes), "<unchanged>");
  EXPECT_EQ(with(str("c", "3q2+7w=="), "bytea", SourceEncoding::HexBytes), "<unchanged>");
  EXPECT_EQ(with(str("c", "0x10"), "text", SourceEncoding::HexBytes), "<unchanged>");
  EXPECT_EQ(with(str("c", "\\x10"), "bytea", SourceEncoding::Base64Bytes), "<unchanged>");  // hex input stays
}

TableShape typed_shape() {
  TableShape sh{{"id", "born", "seen", "blob"},
                {0},
                {column_type_from_name("numeric(20,0)"), column_type_from_name("date"),
                 column_type_from_name("timestamp with time zone"), column_type_from_name("bytea")}};
  sh.encoding = SourceEncoding::DebeziumBase64Decimals;
  return sh;
}

TEST(TableBatchTypes, ConvertsSchemaLessValuesByColumnType) {
  TableBatch b(typed_shape());
  add(b, upsert(Op::Insert, {str("id", "AQ=="), num("born", "18460"), num("seen", "0"), str("blob", "3q2+7w==")}));
  add(b, upsert(Op::Insert, {str("id", "Ag=="), text("born", "2000-01-01"), null("seen"), str("blob", "\\xff")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].copy_text,
            "u\t1\t2020-07-17\t1970-01-01 00:00:00+00\t\\\\xdeadbeef\n"
            "u\t2\t2000-01-01\t\\N\t\\\\xff\n");
}

TEST(TableBatchTypes, KeysStillCompareByTheirMessageText) {
  TableBatch b(typed_shape());
  add(b, upsert(Op::Insert, {str("id", "AQ=="), num("born", "1")}));
  add(b, upsert(Op::Update, {str("id", "AQ=="), num("born", "2")}));
  add(b, del({}, {str("id", "AQ==")}));
  add(b, upsert(Op::Insert, {str("id", "AQ=="), num("born", "3")}));
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(b.groups()[0].copy_text, "u\t1\t1970-01-04\n");
}

TEST(TableBatchTypes, WithoutTypesNothingIsConverted) {
  TableBatch b(TableShape{{"id", "born"}, {0}});
  add(b, upsert(Op::Insert, {str("id", "AQ=="), num("born", "18460")}));
  EXPECT_EQ(b.groups()[0].copy_text, "u\tAQ==\t18460\n");
}

TEST(TableBatchTypes, TypesMustMatchTheColumns) {
  EXPECT_THROW(TableBatch(TableShape{{"id", "born"}, {0}, {ColumnType(ColumnKind::Date)}}),
               std::invalid_argument);
}

// Splits one COPY text line into its fields (tab-separated, escapes left as they are).
std::vector<std::string> copy_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    fields.push_back(line.substr(start, tab - start));
  }
  fields.push_back(line.substr(start, line.find('\n', start) - start));
  return fields;
}

// The COPY text escaping of an expected value.
std::string copy_escaped(const std::string& s) {
  std::string out;
  append_copy_escaped(out, s);
  return out;
}

TEST(TableBatchTypes, FlinkCdcFullTypesSampleWithoutSchema) {
  // Debezium without schemas: the target table's column types recover every value of
  // column_type_test.sql's INSERT.
  TableShape shape;
  for (const auto& c : testing::full_types_columns()) {
    shape.columns.push_back(c.name);
    shape.types.push_back(column_type_from_name(c.pg_type));
  }
  shape.key = {0};
  shape.encoding = SourceEncoding::DebeziumBase64Decimals;  // the connector's default, precise
  TableBatch b(shape);
  auto decoder = make_decoder("debezium");
  DecodedChange change;
  std::string message = testing::full_types_event("expected_snapshot", false);
  DecodeResult r = decoder->decode(nullptr, 0, message.data(), message.size(), change);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  add(b, change);
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  std::vector<std::string> fields = copy_fields(groups[0].copy_text);
  ASSERT_EQ(fields.size(), 1 + shape.columns.size());
  EXPECT_EQ(fields[0], "u");
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    const auto& c = testing::full_types_columns()[i];
    if (std::string(c.connect_type) == "struct") continue;  // geometry: JSON as written
    EXPECT_EQ(fields[i + 1], copy_escaped(c.expected)) << c.name << " (" << c.why << ")";
  }
}

TEST(TableBatch, KeyOnlyInTheKafkaKeyIsStagedForUpserts) {
  TableBatch b(shape());
  DecodedChange c = upsert(Op::Insert, {str("name", "a"), num("qty", "1")});
  c.key = {num("id", "5")};
  add(b, c);
  EXPECT_EQ(b.groups()[0].copy_text, "u\t5\ta\t1\n");
}

TEST(TableBatch, UnavailablePlaceholderKeepsTheTargetValue) {
  TableShape sh = shape();
  sh.unavailable_value = "__debezium_unavailable_value";
  TableBatch b(sh);
  add(b, upsert(Op::Update, {num("id", "1"), str("name", "__debezium_unavailable_value"), num("qty", "2")}));
  add(b, upsert(Op::Update, {num("id", "2"), {"name", ValueKind::String, "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="},
                             num("qty", "3")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0].full) << "the placeholder column is absent, so it is not updated";
  EXPECT_EQ(groups[0].columns, (std::vector<int>{0, 2}));
  EXPECT_EQ(groups[0].copy_text, "u\t1\t2\nu\t2\t3\n");
}

TEST(TableBatch, OpFieldMarksDeletes) {
  TableShape sh = shape();
  sh.op_field = "op";
  TableBatch b(sh);
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Insert, {num("id", "1"), str("op", "DELETE")}));
  add(b, upsert(Op::Insert, {num("id", "2"), str("name", "b"), num("qty", "2"), str("op", "u")}));
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].deletes, 1u);
  EXPECT_EQ(groups[0].copy_text, "d\t1\t\\N\t\\N\nu\t2\tb\t2\n");
}

TEST(TableBatch, AppendKeepsEveryMessage) {
  TableShape sh{{"id", "name", "qty"}, {}};
  sh.append = true;
  TableBatch b(sh);
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), num("qty", "1")}));
  add(b, upsert(Op::Insert, {str("name", "no key at all")}));
  EXPECT_EQ(b.rows(), 3u);
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].append);
  EXPECT_EQ(groups[0].copy_text, "u\t1\ta\t1\nu\t1\ta\t1\n");
  EXPECT_EQ(groups[1].copy_text, "u\tno key at all\n");
}

TEST(TableBatch, UpdateThatChangesTheKeyDeletesTheOldKey) {
  TableBatch b(shape());
  DecodedChange c = upsert(Op::Update, {num("id", "3"), str("name", "bob"), num("qty", "1")});
  c.before = {num("id", "2"), str("name", "bob"), num("qty", "1")};
  c.has_before = true;
  add(b, c);
  EXPECT_EQ(b.rows(), 2u);
  auto groups = b.groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].copy_text, "d\t2\t\\N\t\\N\nu\t3\tbob\t1\n");
}

TEST(TableBatch, UpdateWithTheSameKeyIsOneRow) {
  TableBatch b(shape());
  DecodedChange c = upsert(Op::Update, {num("id", "3"), str("name", "new"), num("qty", "1")});
  c.before = {num("id", "3"), str("name", "old"), num("qty", "1")};
  c.has_before = true;
  add(b, c);
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(b.groups()[0].copy_text, "u\t3\tnew\t1\n");
}

// A numeric shape fed by schema-less Debezium (no base64 decimals declared).
TableShape decimal_shape(SourceEncoding encoding = SourceEncoding::Debezium) {
  TableShape sh{{"id", "qty", "price", "code"},
                {0},
                {column_type_from_name("integer"), column_type_from_name("integer"),
                 column_type_from_name("numeric(10,2)"), column_type_from_name("bigint")}};
  sh.encoding = encoding;
  return sh;
}

TEST(TableBatchRefusals, Base64LookingStringsIntoNumbersAreBadMessagesUnlessDeclared) {
  TableBatch b(decimal_shape());
  std::string error;
  // Valid base64 that is no number: a plain type mismatch must not become 6928157.
  EXPECT_FALSE(b.check(upsert(Op::Insert, {num("id", "1"), str("qty", "abcd")}), error));
  EXPECT_NE(error.find("value \"abcd\" of column \"qty\""), std::string::npos) << error;
  EXPECT_NE(error.find("decimal_handling_mode"), std::string::npos) << error;
  EXPECT_NE(error.find("decimal.handling.mode"), std::string::npos) << error;
  EXPECT_FALSE(b.check(upsert(Op::Insert, {num("id", "1"), str("price", "Zm9v")}), error));
  EXPECT_FALSE(b.check(upsert(Op::Insert, {num("id", "1"), str("code", "TEST")}), error));
  // ... in the Kafka key too, and in append tables.
  DecodedChange keyed = upsert(Op::Insert, {num("id", "1")});
  keyed.key = {str("code", "TEST")};
  EXPECT_FALSE(b.check(keyed, error));
  // Numbers written as strings, NaN and text that is not base64 go to the input function.
  EXPECT_TRUE(b.check(upsert(Op::Insert, {num("id", "1"), str("qty", "42"), str("price", "-1.5e3")}), error))
      << error;
  EXPECT_TRUE(b.check(upsert(Op::Insert, {num("id", "1"), str("price", "NaN"), str("code", "abc")}), error)) << error;
  // A delete applies only its key.
  EXPECT_TRUE(b.check(del({num("id", "1"), str("qty", "abcd")}), error)) << error;
  // Declared: decoded as Debezium's precise decimals.
  TableBatch declared(decimal_shape(SourceEncoding::DebeziumBase64Decimals));
  EXPECT_TRUE(declared.check(upsert(Op::Insert, {num("id", "1"), str("price", "Zm9v")}), error)) << error;
  add(declared, upsert(Op::Insert, {num("id", "1"), str("price", "Zm9v")}));
  EXPECT_EQ(declared.groups()[0].copy_text, "u\t1\t67131.99\n");
  // Formats whose strings are never base64 decimals are not second-guessed.
  TableBatch maxwell(decimal_shape(SourceEncoding::Base64Bytes));
  EXPECT_TRUE(maxwell.check(upsert(Op::Insert, {num("id", "1"), str("qty", "abcd")}), error)) << error;
  TableShape append_shape = decimal_shape();
  append_shape.append = true;
  TableBatch appended(append_shape);
  EXPECT_FALSE(appended.check(upsert(Op::Insert, {str("qty", "abcd")}), error));
}

TEST(TableBatchFields, CaseInsensitiveMatchOnlyWhenUnambiguous) {
  TableBatch b(shape());  // id, name, qty
  add(b, upsert(Op::Insert, {num("ID", "1"), str("NAME", "a"), num("Qty", "1")}));
  EXPECT_EQ(b.groups()[0].copy_text, "u\t1\ta\t1\n");  // the key too
  EXPECT_EQ(b.unmatched_values(), 0u);
  // An exact match wins; "Name" and "name" both fit "NAME": no guess, the field is unmatched.
  TableBatch two(TableShape{{"id", "Name", "name"}, {0}});
  add(two, upsert(Op::Insert, {num("id", "1"), str("NAME", "x"), str("name", "y")}));
  EXPECT_EQ(two.groups()[0].copy_text, "u\t1\ty\n");
  EXPECT_EQ(two.unmatched_values(), 1u);
  EXPECT_EQ(two.new_unmatched_fields(), (std::vector<std::string>{"NAME"}));
}

TEST(TableBatchFields, UnmatchedFieldsAreCountedAndNamedOncePerBatch) {
  TableShape sh = shape();
  sh.op_field = "op";
  TableBatch b(sh);
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), str("region", "EU"), str("op", "c")}));
  add(b, upsert(Op::Insert, {num("id", "2"), str("region", "US"), str("zone", "1")}));
  DecodedChange keyed = upsert(Op::Insert, {num("id", "3")});
  keyed.key = {num("id", "3"), str("shard", "x")};  // the Kafka key is not row data
  add(b, keyed);
  add(b, del({num("id", "4"), str("gone", "x")}));  // nor is a delete's before image
  EXPECT_EQ(b.unmatched_values(), 3u);
  EXPECT_EQ(b.new_unmatched_fields(), (std::vector<std::string>{"region", "zone"}));
  // Named again in the next batch: the catalog, not the batch, remembers what was reported, so
  // a batch that rolled back loses no name.
  b.clear();
  add(b, upsert(Op::Insert, {num("id", "5"), str("region", "EU")}));
  EXPECT_EQ(b.unmatched_values(), 1u);
  EXPECT_EQ(b.new_unmatched_fields(), (std::vector<std::string>{"region"}));
  // A name longer than any column's is cut.
  std::string long_name(300, 'x');
  add(b, upsert(Op::Insert, {num("id", "6"), str(long_name, "v")}));
  EXPECT_EQ(b.new_unmatched_fields().back(), std::string(63, 'x') + "...");
}

TEST(TableBatchFields, AFoldedFieldNeverOverwritesTheExactOne) {
  TableBatch b(shape());  // id, name, qty
  add(b, upsert(Op::Insert, {num("id", "1"), num("ID", "2"), str("name", "a"), str("NAME", "b")}));
  EXPECT_EQ(b.groups()[0].copy_text, "u\t1\ta\n");  // keyed on id 1, staged with id 1
  EXPECT_EQ(b.unmatched_values(), 2u);
}

TEST(TableBatchValidation, SupersededChangesAreStagedForValidationOnly) {
  TableBatch b(shape());
  add(b, upsert(Op::Insert, {num("id", "1"), str("name", "a"), str("qty", "not a number")}));
  add(b, upsert(Op::Update, {num("id", "1"), num("qty", "2")}));
  add(b, upsert(Op::Insert, {num("id", "2"), str("name", "b")}));
  add(b, del({num("id", "2")}));
  add(b, del({num("id", "3")}));
  add(b, upsert(Op::Insert, {num("id", "3"), str("name", "c"), num("qty", "3")}));  // a delete: nothing to check
  auto groups = b.groups();
  std::vector<const StageGroup*> validate;
  for (const StageGroup& g : groups)
    if (g.validate_only) validate.push_back(&g);
  // One group per column set: a column a change did not carry is not staged as NULL.
  ASSERT_EQ(validate.size(), 2u);
  EXPECT_EQ(validate[0]->columns, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(validate[0]->copy_text, "v\t1\ta\tnot a number\n");
  EXPECT_EQ(validate[1]->columns, (std::vector<int>{0, 1}));
  EXPECT_EQ(validate[1]->copy_text, "v\t2\tb\n");
  EXPECT_FALSE(groups.front().validate_only) << "applied groups come first";
  // A truncate does not apply what came before it, but still validates it.
  b.truncate();
  groups = b.groups();
  ASSERT_EQ(groups.size(), 2u);
  for (const StageGroup& g : groups) EXPECT_TRUE(g.validate_only);
  EXPECT_EQ(groups[0].copy_text, "v\t1\ta\tnot a number\nv\t1\ta\t2\nv\t3\tc\t3\n");
  EXPECT_EQ(b.truncates(), 1u);
  b.truncate();
  EXPECT_EQ(b.truncates(), 2u);
  b.clear();
  EXPECT_EQ(b.truncates(), 0u);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.groups().empty());
}

}  // namespace
}  // namespace cdc
