// MySQL text-protocol values as PostgreSQL COPY fields (full loads); no server needed.
#include <gtest/gtest.h>

#include <cstring>

#include "core/mysql_source.hpp"

using cdc::mysql::append_copy_field;

static std::string field(const char* type, const char* value, unsigned long len = (unsigned long)-1, int bits = 0,
                         bool zero_null = true) {
  std::string out;
  append_copy_field(out, type, bits, value, value && len == (unsigned long)-1 ? strlen(value) : len, zero_null);
  return out;
}

TEST(AppendCopyField, TextIsEscapedForCopy) {
  EXPECT_EQ(field("varchar", "a\tb\nc\\d\re"), "a\\tb\\nc\\\\d\\re");
  EXPECT_EQ(field("int", nullptr), "\\N");
  EXPECT_EQ(field("varchar", "\\N"), "\\\\N");  // the text \N is not a NULL
  EXPECT_EQ(field("decimal", "-12.50"), "-12.50");
}

TEST(AppendCopyField, BinaryAndSpatialAreByteaHex) {
  EXPECT_EQ(field("varbinary", "\x00\xff\x10", 3), "\\\\x00ff10");
  EXPECT_EQ(field("blob", "", 0), "\\\\x");
  EXPECT_EQ(field("point", "\x01\x02", 2), "\\\\x0102");
}

TEST(AppendCopyField, BitsAsABitString) {
  EXPECT_EQ(field("bit", "\x01", 1, 1), "1");
  EXPECT_EQ(field("bit", "\x00", 1, 1), "0");
  EXPECT_EQ(field("bit", "\x02\x05", 2, 10), "1000000101");
}

TEST(AppendCopyField, ZeroDatesAndTimestamps) {
  EXPECT_EQ(field("date", "0000-00-00"), "\\N");
  EXPECT_EQ(field("datetime", "0000-00-00 00:00:00"), "\\N");
  EXPECT_EQ(field("date", "0000-00-00", (unsigned long)-1, 0, false), "0000-00-00");
  EXPECT_EQ(field("timestamp", "2024-05-01 10:00:00.123"), "2024-05-01 10:00:00.123+00");
  EXPECT_EQ(field("time", "-838:59:59"), "-838:59:59");
}

TEST(QuoteIdentifier, Backticks) {
  EXPECT_EQ(cdc::mysql::quote_identifier("a`b"), "`a``b`");
}
