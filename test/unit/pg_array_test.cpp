// Unit tests of JSON array -> PostgreSQL array input, alone and through convert_for_column.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/column_type.hpp"
#include "core/pg_array.hpp"

namespace cdc {
namespace {

// The array text with no element conversion, or "<false>".
std::string plain(const std::string& json) {
  std::string out = "keep";
  bool ok = append_pg_array_from_json(json, [](const FieldValue&, std::string&) { return false; }, out);
  if (!ok) return out == "keep" ? "<false>" : "<dirty>";
  return out.substr(4);
}

// convert_for_column of a JSON value into a column of `type`, or "<unchanged>".
std::string into(const std::string& json, const char* type, SourceEncoding encoding = SourceEncoding::Debezium) {
  FieldValue v{"c", ValueKind::Json, json};
  std::string out;
  return convert_for_column(v, column_type_from_name(type), out, encoding) ? out : "<unchanged>";
}

TEST(PgArray, ScalarsAreQuotedNullIsNull) {
  EXPECT_EQ(plain("[]"), "{}");
  EXPECT_EQ(plain("[1, 2, 3]"), R"({"1","2","3"})");
  EXPECT_EQ(plain(R"(["a", null, "b"])"), R"({"a",NULL,"b"})");
  EXPECT_EQ(plain("[true,false]"), R"({"true","false"})");
  EXPECT_EQ(plain("[-1.5e3, 0]"), R"({"-1.5e3","0"})");
  EXPECT_EQ(plain(" [ 1 ,\n2 ] "), R"({"1","2"})");
}

TEST(PgArray, TextThatMeansSomethingToArrayInputStaysText) {
  // Commas, braces, quotes, backslashes, the word NULL and white space are element text.
  EXPECT_EQ(plain(R"(["a,b", "{x}", "say \"hi\"", "back\\slash", "NULL", " pad "])"),
            R"({"a,b","{x}","say \"hi\"","back\\slash","NULL"," pad "})");
  EXPECT_EQ(plain(R"(["\u00e9\n", "\ud83d\ude00", "\/"])"), "{\"\xc3\xa9\n\",\"\xf0\x9f\x98\x80\",\"/\"}");
}

TEST(PgArray, NestedArraysAndObjects) {
  EXPECT_EQ(plain("[[1,2],[3,4]]"), R"({{"1","2"},{"3","4"}})");
  EXPECT_EQ(plain(R"([[["a"]]])"), R"({{{"a"}}})");
  EXPECT_EQ(plain(R"([{"k": [1, "}"]}, {}])"), R"({"{\"k\": [1, \"}\"]}","{}"})");
  EXPECT_EQ(plain("[[[[[[1]]]]]]"), R"({{{{{{"1"}}}}}})");  // six dimensions: PostgreSQL's limit
  EXPECT_EQ(plain("[[[[[[[1]]]]]]]"), "<false>");
}

TEST(PgArray, MalformedIsRejectedWithOutputUntouched) {
  for (const char* bad : {"", "1", "{}", "[", "[1", "[1,]", "[,1]", "[1 2]", "[tru]", "[nul]", "[\"a]",
                          "[\"\\x\"]", "[\"\\u12\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\u0000\"]",
                          "[01x]", "[1] 2", "[{]", "[\"a\tb\"]", "[-]"}) {
    EXPECT_EQ(plain(bad), "<false>") << bad;
  }
}

TEST(PgArray, SurvivesRandomBytes) {
  std::mt19937 rng(7);
  const std::string alphabet = "[]{},:\"\\u0123456789abcdefnlrtse .-+E";
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    size_t len = rng() % 24;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    std::string r = plain(s);
    EXPECT_NE(r, "<dirty>") << s;
  }
}

TEST(ConvertForColumnArrays, ElementsConvertByTheElementType) {
  EXPECT_EQ(into("[1, 2]", "integer[]"), R"({"1","2"})");
  EXPECT_EQ(into(R"(["a", null])", "text[]"), R"({"a",NULL})");
  EXPECT_EQ(into("[18460, -1]", "date[]"), R"({"2020-07-17","1969-12-31"})");  // io.debezium.time.Date
  EXPECT_EQ(into("[1595008822123456]", "timestamp without time zone[]"), R"({"2020-07-17 18:00:22.123456"})");
  EXPECT_EQ(into(R"(["EtaH"])", "numeric(8,4)[]", SourceEncoding::DebeziumBase64Decimals),
            R"({"123.4567"})");  // Decimal, scale of the element
  EXPECT_EQ(into(R"(["EtaH"])", "numeric(8,4)[]"), R"({"EtaH"})");  // only when declared
  EXPECT_EQ(into("[5]", "bit(4)[]"), R"({"0101"})");
  EXPECT_EQ(into(R"(["3q2+7w=="])", "bytea[]"), R"({"\\xdeadbeef"})");
  EXPECT_EQ(into("[[1,2],[3,4]]", "integer[]"), R"({{"1","2"},{"3","4"}})");
  EXPECT_EQ(into(R"([{"a": 1}])", "jsonb[]"), R"({"{\"a\": 1}"})");
  EXPECT_EQ(into(R"({"a": 1})", "integer[]"), "<unchanged>");  // not an array
  EXPECT_EQ(into("[1, 2]", "jsonb"), "<unchanged>");             // not an array column
  EXPECT_EQ(into("[1,", "integer[]"), "<unchanged>");
}

TEST(ColumnTypeFromName, Arrays) {
  ColumnType t = column_type_from_name("numeric(10,2)[]");
  EXPECT_EQ(t.kind, ColumnKind::Array);
  EXPECT_EQ(t.element, ColumnKind::Numeric);
  EXPECT_EQ(t.scale, 2);
  t = column_type_from_name("bit varying(8)[]");
  EXPECT_EQ(t.element, ColumnKind::VarBit);
  EXPECT_EQ(t.length, 8);
  EXPECT_EQ(column_type_from_name("text[]").element, ColumnKind::Other);
  EXPECT_EQ(column_type_from_name("text[]").kind, ColumnKind::Array);
  EXPECT_EQ(column_type_from_name("_date").kind, ColumnKind::Other);  // pg_type's name: not from format_type
  EXPECT_FALSE(column_type_from_name("integer[]") == column_type_from_name("bigint"));
  EXPECT_FALSE(column_type_from_name("date[]") == column_type_from_name("integer[]"));
}

}  // namespace
}  // namespace cdc
