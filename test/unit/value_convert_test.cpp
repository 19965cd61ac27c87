// Debezium value encodings -> PostgreSQL input text: every conversion, its edge cases, and
// cross-checks against independent implementations (glibc's calendar, a schoolbook bignum).
#include "core/value_convert.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "core/column_type.hpp"

namespace cdc::convert {
namespace {

using Bytes = std::vector<uint8_t>;

std::string date(int64_t days) {
  std::string s;
  append_date(days, s);
  return s;
}
std::string ts(int64_t v, TimeUnit u) {
  std::string s;
  append_timestamp(v, u, s);
  return s;
}
std::string tm(int64_t v, TimeUnit u) {
  std::string s;
  append_time(v, u, s);
  return s;
}
std::string interval(int64_t us) {
  std::string s;
  append_interval_micros(us, s);
  return s;
}
std::string dec(const Bytes& b, int32_t scale) {
  std::string s;
  EXPECT_TRUE(append_decimal(b.data(), b.size(), scale, s));
  return s;
}
std::string dec64(std::string_view b64, int32_t scale) {
  std::string s;
  EXPECT_TRUE(append_decimal_from_base64(b64, scale, s)) << b64;
  return s;
}
std::string bits(const Bytes& b, int32_t length) {
  std::string s;
  append_bits(b.data(), b.size(), length, s);
  return s;
}
// Standard base64 with padding (a tiny reference encoder for the tests).
std::string base64_of(const Bytes& raw) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < raw.size(); i += 3) {
    uint32_t v = uint32_t(raw[i]) << 16;
    if (i + 1 < raw.size()) v |= uint32_t(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) v |= raw[i + 2];
    b64 += kAlpha[v >> 18];
    b64 += kAlpha[(v >> 12) & 63];
    b64 += i + 1 < raw.size() ? kAlpha[(v >> 6) & 63] : '=';
    b64 += i + 2 < raw.size() ? kAlpha[v & 63] : '=';
  }
  return b64;
}
std::string bytea64(std::string_view b64) {
  std::string s;
  EXPECT_TRUE(append_bytea_from_base64(b64, s)) << b64;
  return s;
}

// 'YYYY-MM-DD HH:MM:SS' from glibc, an independent proleptic Gregorian implementation.
std::string glibc_datetime(int64_t seconds) {
  time_t t = time_t(seconds);
  struct tm parts;
  gmtime_r(&t, &parts);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buf;
}

// ---------------------------------------------------------------- dates

TEST(Date, EpochAndNeighbours) {
  EXPECT_EQ(date(0), "1970-01-01");
  EXPECT_EQ(date(-1), "1969-12-31");
  EXPECT_EQ(date(1), "1970-01-02");
  EXPECT_EQ(date(18460), "2020-07-17");  // the flink-cdc sample's date_c
}

TEST(Date, LeapYears) {
  EXPECT_EQ(date(days_from_civil(2000, 2, 29)), "2000-02-29");      // divisible by 400: leap
  EXPECT_EQ(date(days_from_civil(2000, 2, 29) + 1), "2000-03-01");
  EXPECT_EQ(date(days_from_civil(1900, 2, 28) + 1), "1900-03-01");  // divisible by 100: not leap
  EXPECT_EQ(date(days_from_civil(2024, 2, 28) + 1), "2024-02-29");
  EXPECT_EQ(date(days_from_civil(2023, 2, 28) + 1), "2023-03-01");
  EXPECT_EQ(days_from_civil(2000, 1, 1), 10957);
  EXPECT_EQ(days_from_civil(1900, 1, 1), -25567);
}

TEST(Date, SmallYearsArePaddedAndBcIsWrittenThePostgresWay) {
  EXPECT_EQ(date(days_from_civil(99, 12, 31)), "0099-12-31");
  EXPECT_EQ(date(days_from_civil(1, 1, 1)), "0001-01-01");
  EXPECT_EQ(date(days_from_civil(1, 1, 1) - 1), "0001-12-31 BC");  // astronomical year 0
  EXPECT_EQ(date(days_from_civil(0, 1, 1)), "0001-01-01 BC");
  EXPECT_EQ(date(days_from_civil(-1, 3, 1)), "0002-03-01 BC");
  EXPECT_EQ(date(days_from_civil(-4712, 11, 24)), "4713-11-24 BC");  // PostgreSQL's first date
}

TEST(Date, LargeYears) {
  EXPECT_EQ(date(2932896), "9999-12-31");
  EXPECT_EQ(date(2932897), "10000-01-01");
  EXPECT_EQ(date(days_from_civil(5874897, 12, 31)), "5874897-12-31");  // PostgreSQL's last date
  EXPECT_EQ(date(INT32_MAX), "5881580-07-11");
  EXPECT_EQ(date(INT32_MIN), "5877642-06-23 BC");
}

TEST(Date, DebeziumPostgresInfinitySentinels) {
  EXPECT_EQ(date(days_from_civil(5877611, 6, 21)), "infinity");
  EXPECT_EQ(date(days_from_civil(-5877611, 6, 21)), "infinity");  // before debezium/dbz#2524
  EXPECT_EQ(date(days_from_civil(-5877611, 6, 22)), "-infinity");
}

TEST(Date, MatchesGlibcOverYears1To9999) {
  for (int64_t d = days_from_civil(1, 1, 1); d <= 2932896; d += 997) {
    ASSERT_EQ(date(d), glibc_datetime(d * 86400).substr(0, 10)) << d;
  }
}

TEST(Date, RoundTripsThroughDaysFromCivil) {
  for (int64_t d = -3000000; d <= 3000000; d += 1009) {
    std::string s = date(d);
    bool bc = s.size() > 3 && s.substr(s.size() - 3) == " BC";
    size_t dash = s.find('-', 1);
    int64_t year = std::stoll(s.substr(0, dash));
    unsigned month = unsigned(std::stoul(s.substr(dash + 1, 2)));
    unsigned day = unsigned(std::stoul(s.substr(dash + 4, 2)));
    ASSERT_EQ(days_from_civil(bc ? 1 - year : year, month, day), d) << s;
  }
}

// ---------------------------------------------------------------- timestamps

TEST(Timestamp, EachUnit) {
  EXPECT_EQ(ts(1595008822123, TimeUnit::Millis), "2020-07-17 18:00:22.123");
  EXPECT_EQ(ts(1595008822123456, TimeUnit::Micros), "2020-07-17 18:00:22.123456");
  EXPECT_EQ(ts(1595008822123456789, TimeUnit::Nanos), "2020-07-17 18:00:22.123457");
  EXPECT_EQ(ts(1595008822000, TimeUnit::Millis), "2020-07-17 18:00:22");  // no empty fraction
  EXPECT_EQ(ts(1595008822100000, TimeUnit::Micros), "2020-07-17 18:00:22.1");
  EXPECT_EQ(ts(0, TimeUnit::Nanos), "1970-01-01 00:00:00");
}

TEST(Timestamp, NegativeEpochs) {
  EXPECT_EQ(ts(-1, TimeUnit::Millis), "1969-12-31 23:59:59.999");
  EXPECT_EQ(ts(-1, TimeUnit::Micros), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(ts(-86400000, TimeUnit::Millis), "1969-12-31 00:00:00");
  EXPECT_EQ(ts(-2208988800000, TimeUnit::Millis), "1900-01-01 00:00:00");
  EXPECT_EQ(ts(-62135596800000000 - 1, TimeUnit::Micros), "0001-12-31 23:59:59.999999 BC");
}

TEST(Timestamp, NanosRoundHalfToEven) {
  EXPECT_EQ(ts(499, TimeUnit::Nanos), "1970-01-01 00:00:00");
  EXPECT_EQ(ts(500, TimeUnit::Nanos), "1970-01-01 00:00:00");  // tie, 0 is even
  EXPECT_EQ(ts(501, TimeUnit::Nanos), "1970-01-01 00:00:00.000001");
  EXPECT_EQ(ts(1500, TimeUnit::Nanos), "1970-01-01 00:00:00.000002");  // tie, up to even
  EXPECT_EQ(ts(2500, TimeUnit::Nanos), "1970-01-01 00:00:00.000002");  // tie, down to even
  EXPECT_EQ(ts(-500, TimeUnit::Nanos), "1970-01-01 00:00:00");
  EXPECT_EQ(ts(-1500, TimeUnit::Nanos), "1969-12-31 23:59:59.999998");
  EXPECT_EQ(ts(-2500, TimeUnit::Nanos), "1969-12-31 23:59:59.999998");
  EXPECT_EQ(ts(-501, TimeUnit::Nanos), "1969-12-31 23:59:59.999999");
  // A carry through seconds, minutes, hours and the day.
  EXPECT_EQ(ts(86399999999500, TimeUnit::Nanos), "1970-01-02 00:00:00");
  EXPECT_EQ(ts(86399999998500, TimeUnit::Nanos), "1970-01-01 23:59:59.999998");
}

TEST(Timestamp, Extremes) {
  EXPECT_EQ(ts(INT64_MAX, TimeUnit::Nanos), "2262-04-11 23:47:16.854776");
  EXPECT_EQ(ts(INT64_MIN, TimeUnit::Nanos), "1677-09-21 00:12:43.145224");
  EXPECT_EQ(ts(INT64_MAX - 1, TimeUnit::Micros), "294247-01-10 04:00:54.775806");
  EXPECT_EQ(ts(INT64_MIN, TimeUnit::Micros), "290309-12-21 19:59:05.224192 BC");
  EXPECT_EQ(ts(253402300799999, TimeUnit::Millis), "9999-12-31 23:59:59.999");
  std::string far = ts(INT64_MIN, TimeUnit::Millis);
  EXPECT_EQ(far.substr(far.size() - 3), " BC");
}

TEST(Timestamp, DebeziumPostgresInfinitySentinels) {
  EXPECT_EQ(ts(kPgInfinityMicros, TimeUnit::Micros), "infinity");
  EXPECT_EQ(ts(kPgNegInfinityMicros, TimeUnit::Micros), "-infinity");
  EXPECT_EQ(ts(kPgInfinityMicros / 1000, TimeUnit::Millis), "infinity");
  EXPECT_EQ(ts(kPgNegInfinityMicros / 1000, TimeUnit::Millis), "-infinity");
}

TEST(Timestamp, MatchesGlibcAtRandomInstants) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> secs(-62135596800, 253402300799);  // years 1..9999
  for (int i = 0; i < 20000; ++i) {
    int64_t s = secs(rng);
    int64_t us = int64_t(rng() % 1000000);
    std::string expect = glibc_datetime(s);
    if (us != 0) {
      char frac[8];
      std::snprintf(frac, sizeof frac, ".%06lld", (long long)us);
      std::string f = frac;
      while (f.back() == '0') f.pop_back();
      expect += f;
    }
    ASSERT_EQ(ts(s * 1000000 + us, TimeUnit::Micros), expect) << s;
  }
}

// ---------------------------------------------------------------- times of day

TEST(Time, EachUnit) {
  EXPECT_EQ(tm(64822000000, TimeUnit::Micros), "18:00:22");  // the flink-cdc sample's time_c
  EXPECT_EQ(tm(64822123, TimeUnit::Millis), "18:00:22.123");
  EXPECT_EQ(tm(64822123456, TimeUnit::Micros), "18:00:22.123456");
  EXPECT_EQ(tm(64822123456789, TimeUnit::Nanos), "18:00:22.123457");
  EXPECT_EQ(tm(0, TimeUnit::Millis), "00:00:00");
  EXPECT_EQ(tm(1, TimeUnit::Millis), "00:00:00.001");
  EXPECT_EQ(tm(86399999999, TimeUnit::Micros), "23:59:59.999999");
}

TEST(Time, BeyondADayAndNegativeLikeMySqlTime) {
  EXPECT_EQ(tm(86400000000, TimeUnit::Micros), "24:00:00");
  EXPECT_EQ(tm(3020399000000, TimeUnit::Micros), "838:59:59");
  EXPECT_EQ(tm(-3020399000000, TimeUnit::Micros), "-838:59:59");
  EXPECT_EQ(tm(-1, TimeUnit::Micros), "-00:00:00.000001");
  EXPECT_EQ(tm(-3600500000, TimeUnit::Micros), "-01:00:00.5");
  EXPECT_EQ(tm(-400, TimeUnit::Nanos), "00:00:00");  // rounds to zero: no sign
  EXPECT_EQ(tm(-500, TimeUnit::Nanos), "00:00:00");
  EXPECT_EQ(tm(-501, TimeUnit::Nanos), "-00:00:00.000001");
  EXPECT_EQ(tm(-1500, TimeUnit::Nanos), "-00:00:00.000002");
  EXPECT_EQ(tm(86399999999500, TimeUnit::Nanos), "24:00:00");  // rounding carries
  EXPECT_EQ(tm(INT64_MIN, TimeUnit::Micros), "-2562047788:00:54.775808");
  EXPECT_EQ(tm(INT64_MAX, TimeUnit::Millis), "2562047788015:12:55.807");
}

// ---------------------------------------------------------------- intervals

TEST(Interval, MicroDuration) {
  EXPECT_EQ(interval(0), "00:00:00");
  EXPECT_EQ(interval(1), "00:00:00.000001");
  EXPECT_EQ(interval(-3020399000000), "-838:59:59");
  EXPECT_EQ(interval(2629800000000), "730:30:00");  // Debezium's '1 mon' (30.4375 days)
  EXPECT_EQ(interval(90061000001), "25:01:01.000001");
}

TEST(Interval, HoursBeyondInt32MoveToDays) {
  EXPECT_EQ(interval(INT64_MAX), "106751991 days 04:00:54.775807");
  EXPECT_EQ(interval(INT64_MIN), "-106751991 days -04:00:54.775808");
  EXPECT_EQ(interval(int64_t(2147483647) * 3600000000), "2147483647:00:00");
  EXPECT_EQ(interval(int64_t(2147483648) * 3600000000), "89478485 days 08:00:00");
}

// ---------------------------------------------------------------- base64 and bytea

TEST(Base64, DecodesCanonicalOnly) {
  std::string s;
  EXPECT_TRUE(append_base64_decoded("", s));
  EXPECT_EQ(s, "");
  EXPECT_TRUE(append_base64_decoded("AQ==", s));
  EXPECT_EQ(s, std::string("\x01", 1));
  s.clear();
  EXPECT_TRUE(append_base64_decoded("AP//////////", s));
  EXPECT_EQ(s, std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff", 9));
  s.clear();
  EXPECT_TRUE(append_base64_decoded("-_8=", s));  // URL-safe alphabet
  EXPECT_EQ(s, "\xfb\xff");
  for (const char* bad : {"A", "AQ", "AQ=", "A===", "AQ==AQ==", "AR==", "AQE", "AQ =", " AQ==", "AQ\n=", "@@@@"}) {
    std::string out = "keep";
    EXPECT_FALSE(append_base64_decoded(bad, out)) << bad;
    EXPECT_EQ(out, "keep") << bad;
    EXPECT_FALSE(is_base64(bad)) << bad;
  }
}

TEST(Bytea, HexFromBase64) {
  EXPECT_EQ(bytea64("EA=="), "\\x10");  // UNHEX(HEX(16)) in the flink-cdc sample
  EXPECT_EQ(bytea64("ZRrtCDkPSJOy8TaSPnt0AA=="), "\\x651aed08390f4893b2f136923e7b7400");
  EXPECT_EQ(bytea64(""), "\\x");
  EXPECT_EQ(bytea64("AAEC/w=="), "\\x000102ff");
  std::string s = "prefix";
  uint8_t raw[] = {0xde, 0xad};
  append_bytea_hex(raw, 2, s);
  EXPECT_EQ(s, "prefix\\xdead");
  std::string bad = "x";
  EXPECT_FALSE(append_bytea_from_base64("not base64!", bad));
  EXPECT_EQ(bad, "x");
}

TEST(Bytea, EveryByteValue) {
  Bytes raw;
  for (int i = 0; i < 256; ++i) raw.push_back(uint8_t(i));
  // Encode with the reference encoder, then decode through the converter.
  std::string hex = bytea64(base64_of(raw));
  ASSERT_EQ(hex.size(), 2 + 512u);
  char expect[3];
  for (int i = 0; i < 256; ++i) {
    std::snprintf(expect, sizeof expect, "%02x", i);
    ASSERT_EQ(hex.substr(2 + 2 * size_t(i), 2), expect);
  }
}

// ---------------------------------------------------------------- decimals

TEST(Decimal, FlinkCdcSampleValues) {
  EXPECT_EQ(dec64("EtaH", 4), "123.4567");   // DECIMAL(8,4) 123.4567
  EXPECT_EQ(dec64("EtaI", 4), "123.4568");
  EXPECT_EQ(dec64("EtaJ", 4), "123.4569");
  EXPECT_EQ(dec64("AVo=", 0), "346");         // NUMERIC(6,0) given 345.6: MySQL rounded it
  EXPECT_EQ(dec64("FJqkSQ==", 1), "34567892.1");
  EXPECT_EQ(dec64("AP//////////", 0), "18446744073709551615");  // BIGINT UNSIGNED max
  EXPECT_EQ(dec64("AQ==", 0), "1");
}

TEST(Decimal, SignsAndScales) {
  EXPECT_EQ(dec({0x00}, 0), "0");
  EXPECT_EQ(dec({0x00}, 3), "0.000");
  EXPECT_EQ(dec({0x00}, -2), "0");
  EXPECT_EQ(dec({0xff}, 0), "-1");
  EXPECT_EQ(dec({0xff}, 5), "-0.00001");
  EXPECT_EQ(dec({0x80}, 0), "-128");
  EXPECT_EQ(dec({0x7f}, 0), "127");
  EXPECT_EQ(dec({0xff, 0x7f}, 0), "-129");
  EXPECT_EQ(dec({0x00, 0x80}, 0), "128");
  EXPECT_EQ(dec({0xfb}, 2), "-0.05");
  EXPECT_EQ(dec({0x7b}, 6), "0.000123");  // scale beyond the digits
  EXPECT_EQ(dec({0x7b}, 3), "0.123");
  EXPECT_EQ(dec({0x7b}, 2), "1.23");
  EXPECT_EQ(dec({0x0c}, -2), "1200");      // negative scale: trailing zeros
  EXPECT_EQ(dec({0xf4}, -3), "-12000");
  EXPECT_EQ(dec({0x03, 0xe8}, 1), "100.0");  // trailing zeros of the scale are kept
  EXPECT_EQ(dec({0x00, 0x00, 0x00, 0x01}, 0), "1");  // redundant sign bytes
  EXPECT_EQ(dec({0xff, 0xff, 0xff, 0xff}, 0), "-1");
  EXPECT_EQ(dec({0x3b, 0x9a, 0xca, 0x00}, 0), "1000000000");  // exactly one 10^9 limb
}

// A Decimal that JsonConverter wrote as a JSON number (decimal.format=NUMERIC) -> its text.
std::string decnum(std::string_view literal, int32_t scale) {
  std::string s;
  EXPECT_TRUE(append_decimal_from_number(literal, scale, s)) << literal;
  return s;
}

TEST(Decimal, FromJsonNumberPadsToTheScaleAndKeepsEveryDigit) {
  EXPECT_EQ(decnum("1.1", 3), "1.100");
  EXPECT_EQ(decnum("5", 2), "5.00");
  EXPECT_EQ(decnum("-5", 2), "-5.00");
  EXPECT_EQ(decnum("-0.5", 1), "-0.5");
  EXPECT_EQ(decnum("0", 3), "0.000");
  EXPECT_EQ(decnum("7", 0), "7");
  EXPECT_EQ(decnum("-7", 0), "-7");
  EXPECT_EQ(decnum("1.25", 0), "1.25");       // more fraction digits than the scale: as written
  EXPECT_EQ(decnum("1.23456", 2), "1.23456");
  EXPECT_EQ(decnum("1200", -2), "1200");      // negative scale: nothing to pad
  EXPECT_EQ(decnum("1.5e3", 2), "1.5e3");     // exponent form: numeric input reads it
  EXPECT_EQ(decnum("-1E-7", 9), "-1E-7");
  // 38 digits (DECIMAL(38,3)) and 65 digits (MySQL's DECIMAL(65,30)) with no rounding.
  EXPECT_EQ(decnum("123456789876543212345678987654321.110", 3), "123456789876543212345678987654321.110");
  EXPECT_EQ(decnum("-99999999999999999999999999999999999.99", 3), "-99999999999999999999999999999999999.990");
  EXPECT_EQ(decnum("99999999999999999999999999999999999.999999999999999999999999999999", 30),
            "99999999999999999999999999999999999.999999999999999999999999999999");
  std::string out = "x";
  ASSERT_TRUE(append_decimal_from_number("2.5", 2, out));  // appends
  EXPECT_EQ(out, "x2.50");
}

TEST(Decimal, FromJsonNumberRejectsWhatIsNotANumberLiteral) {
  std::string s = "keep";
  for (const char* bad : {"", "-", "1.", ".5", "01", "1e", "+1", "1.5 ", "abc", "0x10", "NaN", "1e+"}) {
    EXPECT_FALSE(append_decimal_from_number(bad, 2, s)) << bad;
  }
  EXPECT_FALSE(append_decimal_from_number("1", 2000000, s));  // a scale no column has
  EXPECT_EQ(s, "keep");
}

TEST(Decimal, RejectsEmptyAndAbsurdScales) {
  std::string s = "keep";
  EXPECT_FALSE(append_decimal(nullptr, 0, 0, s));
  EXPECT_FALSE(append_decimal_from_base64("", 0, s));
  EXPECT_FALSE(append_decimal_from_base64("AQ", 0, s));
  // Not canonical base64, in the lengths the 8-byte fast path reads itself.
  for (const char* bad : {"A", "AQ=", "A===", "====", "AA=A", "=AAA", "AR==", "AQ =",
                          "@@@@", "AAAAAAA*", "AAAAAAAAAAB=", "AAAAAAAAAB==", "AQF="}) {
    EXPECT_FALSE(is_base64(bad)) << bad;
    EXPECT_FALSE(append_decimal_from_base64(bad, 0, s)) << bad;
  }
  uint8_t one = 1;
  EXPECT_FALSE(append_decimal(&one, 1, 2000000, s));
  EXPECT_FALSE(append_decimal(&one, 1, -2000000, s));
  EXPECT_EQ(s, "keep");
}

// Big-endian two's-complement bytes of a decimal integer string (schoolbook, for the tests).
Bytes twos_complement(std::string digits) {
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  Bytes mag{0};
  for (char c : digits) {  // mag = mag * 10 + digit
    unsigned carry = unsigned(c - '0');
    for (size_t i = mag.size(); i-- > 0;) {
      unsigned v = mag[i] * 10u + carry;
      mag[i] = uint8_t(v);
      carry = v >> 8;
    }
    while (carry != 0) {
      mag.insert(mag.begin(), uint8_t(carry));
      carry >>= 8;
    }
  }
  if (mag[0] & 0x80) mag.insert(mag.begin(), 0);
  if (negative) {
    for (uint8_t& b : mag) b = uint8_t(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  return mag;
}

TEST(Decimal, MySqlDecimal65Extremes) {
  std::string nines(65, '9');
  Bytes max = twos_complement(nines);
  EXPECT_EQ(dec(max, 30), std::string(35, '9') + "." + std::string(30, '9'));
  EXPECT_EQ(dec(twos_complement("-" + nines), 30), "-" + std::string(35, '9') + "." + std::string(30, '9'));
  EXPECT_EQ(dec(max, 0), nines);
  EXPECT_EQ(dec(twos_complement("1"), 30), "0." + std::string(29, '0') + "1");
  EXPECT_EQ(dec(twos_complement("-1"), 30), "-0." + std::string(29, '0') + "1");
  std::string one_e64 = "1" + std::string(64, '0');
  EXPECT_EQ(dec(twos_complement(one_e64), 30), "1" + std::string(34, '0') + "." + std::string(30, '0'));
}

TEST(Decimal, RandomValuesMatchSchoolbook) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    size_t len = 1 + rng() % 80;
    std::string digits;
    if (rng() % 2) digits.push_back('-');
    digits.push_back(char('1' + rng() % 9));
    for (size_t k = 1; k < len; ++k) digits.push_back(char('0' + rng() % 10));
    ASSERT_EQ(dec(twos_complement(digits), 0), digits);
  }
}

// Values of up to 8 bytes at |scale| <= 40 take a 64-bit fast path; longer ones (here the same
// values with redundant sign bytes) the general long division. Both must write the same text.
TEST(Decimal, SixtyFourBitBoundaries) {
  const Bytes max = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const Bytes min = {0x80, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(dec(max, 0), "9223372036854775807");
  EXPECT_EQ(dec(max, 19), "0.9223372036854775807");
  EXPECT_EQ(dec(max, 21), "0.009223372036854775807");  // scale beyond the digits
  EXPECT_EQ(dec(max, -2), "922337203685477580700");
  EXPECT_EQ(dec(min, 0), "-9223372036854775808");
  EXPECT_EQ(dec(min, 4), "-922337203685477.5808");
  EXPECT_EQ(dec(min, 19), "-0.9223372036854775808");
  EXPECT_EQ(dec({0x00, 0x80, 0, 0, 0, 0, 0, 0, 0}, 0), "9223372036854775808");    // 9 bytes: 2^63
  EXPECT_EQ(dec({0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0), "-9223372036854775809");
  EXPECT_EQ(dec({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 2), "-0.01");
  EXPECT_EQ(dec({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 3), "0.000");
  EXPECT_EQ(dec64(base64_of(max), 2), "92233720368547758.07");  // 12 characters, one '='
  EXPECT_EQ(dec64(base64_of(min), 0), "-9223372036854775808");
  EXPECT_EQ(dec64("AAAAAAAAAAA=", 5), "0.00000");
  EXPECT_EQ(dec64("//////////8=", 0), "-1");
  EXPECT_EQ(dec64("AP//////////", 0), "18446744073709551615");  // 12 characters, 9 bytes
  EXPECT_EQ(dec64("gA==", 0), "-128");                           // 1 byte
  EXPECT_EQ(dec64("-_8=", 1), "-102.5");                         // URL-safe alphabet: 0xfb 0xff
}

TEST(Decimal, ZeroAndScalesAroundTheFastPathLimit) {
  for (int32_t scale : {-41, -40, -1, 0}) EXPECT_EQ(dec({0x00}, scale), "0") << scale;
  EXPECT_EQ(dec({0x00}, 40), "0." + std::string(40, '0'));
  EXPECT_EQ(dec({0x00}, 41), "0." + std::string(41, '0'));
  EXPECT_EQ(dec({0xfb}, 40), "-0." + std::string(39, '0') + "5");
  EXPECT_EQ(dec({0xfb}, 41), "-0." + std::string(40, '0') + "5");
  EXPECT_EQ(dec({0xfb}, -40), "-5" + std::string(40, '0'));
  EXPECT_EQ(dec({0xfb}, -41), "-5" + std::string(41, '0'));
  const Bytes min = {0x80, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(dec(min, 40), "-0." + std::string(21, '0') + "9223372036854775808");
  EXPECT_EQ(dec(min, -40), "-9223372036854775808" + std::string(40, '0'));
  EXPECT_EQ(dec64("AQ==", 40), "0." + std::string(39, '0') + "1");
  EXPECT_EQ(dec64("AQ==", 41), "0." + std::string(40, '0') + "1");
}

TEST(Decimal, FastPathMatchesLongDivision) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    size_t n = 1 + rng() % 8;
    Bytes b(n);
    for (uint8_t& v : b) v = uint8_t(rng() >> 13);
    if (i % 4 == 0) b[0] = i % 8 == 0 ? 0x00 : 0xff;  // values of fewer significant bytes
    int32_t scale = int32_t(rng() % 91) - 45;
    // The same value as 9..12 bytes: sign bytes in front move it to the general path.
    Bytes longer(9 + rng() % 4 - n, (b[0] & 0x80) != 0 ? 0xff : 0x00);
    longer.insert(longer.end(), b.begin(), b.end());
    std::string expect = dec(longer, scale);
    ASSERT_EQ(dec(b, scale), expect) << i;
    ASSERT_EQ(dec64(base64_of(b), scale), expect) << i;
  }
}

TEST(Decimal, HugeVariableScaleValue) {
  std::string digits(1000, '7');
  EXPECT_EQ(dec(twos_complement(digits), 500), digits.substr(0, 500) + "." + digits.substr(500));
}

TEST(VariableScaleDecimal, StructText) {
  std::string s;
  EXPECT_TRUE(append_variable_scale_decimal(R"({"scale":2,"value":"AQ=="})", s));
  EXPECT_EQ(s, "0.01");
  s.clear();
  EXPECT_TRUE(append_variable_scale_decimal(R"({ "value" : "EtaH" , "scale" : 4 })", s));
  EXPECT_EQ(s, "123.4567");
  s.clear();
  EXPECT_TRUE(append_variable_scale_decimal(R"({"scale":0,"value":"/w=="})", s));
  EXPECT_EQ(s, "-1");
  s = "keep";
  for (const char* bad : {R"({"scale":2})", R"({"value":"AQ=="})", R"({"scale":"2","value":"AQ=="})",
                          R"({"scale":2,"value":1})", R"({"scale":2,"value":"A"})", "[]", "",
                          R"({"scale":2.5,"value":"AQ=="})", R"({"scale":99999999,"value":"AQ=="})"}) {
    EXPECT_FALSE(append_variable_scale_decimal(bad, s)) << bad;
  }
  EXPECT_EQ(s, "keep");
  EXPECT_TRUE(append_variable_scale_decimal(R"({"x":{"scale":9,"v":[1,"}"]},"scale":1,"value":"AQ=="})", s));
  EXPECT_EQ(s, "keep0.1");
}

// ---------------------------------------------------------------- bits

TEST(Bits, FlinkCdcSampleBit64) {
  std::string s;
  ASSERT_TRUE(append_bits_from_base64("BAQEBAQEBAQ=", 64, s));
  // The INSERT's literal b'0000010000000100...'.
  EXPECT_EQ(s, "0000010000000100000001000000010000000100000001000000010000000100");
}

TEST(Bits, LittleEndianBytesMostSignificantBitFirst) {
  // MySQL BIT(16) b'0000000100000011' (259): Debezium writes [0x03, 0x01].
  EXPECT_EQ(bits({0x03, 0x01}, 16), "0000000100000011");
  EXPECT_EQ(bits({0x01}, 1), "1");
  EXPECT_EQ(bits({0x05}, 3), "101");
  EXPECT_EQ(bits({0x80}, 8), "10000000");
  EXPECT_EQ(bits({0x01, 0x80}, 16), "1000000000000001");
}

TEST(Bits, PaddingAndTruncation) {
  EXPECT_EQ(bits({0x05}, 10), "0000000101");           // BitSet drops high zero bytes
  EXPECT_EQ(bits({}, 4), "0000");                      // BitSet of zero: no bytes at all
  EXPECT_EQ(bits({0x05, 0x00}, 3), "101");             // PostgreSQL: a short's two bytes
  EXPECT_EQ(bits({0xff}, 4), "1111");                  // bits above length ignored
  EXPECT_EQ(bits({0x03, 0x01}, -1), "0000000100000011");  // no length: 8 per byte
  EXPECT_EQ(bits({0xff}, 0), "");
  std::string s = "keep";
  EXPECT_FALSE(append_bits_from_base64("***", 8, s));
  EXPECT_EQ(s, "keep");
}

TEST(Bits, FromUnsignedDecimal) {
  // MySQL BIT(n) as Canal and Maxwell write it: the bits read as a big-endian number.
  auto from = [](const char* decimal, int32_t length) {
    std::string s;
    return append_bits_from_unsigned(decimal, length, s) ? s : std::string("<false>");
  };
  EXPECT_EQ(from("5", 8), "00000101");
  EXPECT_EQ(from("0", 3), "000");
  EXPECT_EQ(from("1", 1), "1");
  EXPECT_EQ(from("259", 16), "0000000100000011");
  EXPECT_EQ(from("18446744073709551615", 64), std::string(64, '1'));
  EXPECT_EQ(from("9223372036854775808", 64), "1" + std::string(63, '0'));
  EXPECT_EQ(from("5", -1), "101");  // no length: as many bits as needed
  EXPECT_EQ(from("0", -1), "0");
  EXPECT_EQ(from("5", 2), "101");   // too wide for bit(2): kept whole so PostgreSQL rejects it
  EXPECT_EQ(from("1", 70), std::string(69, '0') + "1");
  EXPECT_EQ(from("18446744073709551616", 64), "<false>");  // above 2^64-1
  EXPECT_EQ(from("-1", 8), "<false>");
  EXPECT_EQ(from("1.0", 8), "<false>");
  EXPECT_EQ(from("", 8), "<false>");
  EXPECT_EQ(from("0x5", 8), "<false>");
}

// ---------------------------------------------------------------- Canal's ISO-8859-1 bytes

TEST(Latin1Bytes, EachCharacterIsOneByte) {
  auto hex = [](const std::string& utf8) {
    std::string s = "keep";
    return append_bytea_from_latin1(utf8, s) ? s.substr(4) : s == "keep" ? "<false>" : "<dirty>";
  };
  EXPECT_EQ(hex(""), "\\x");
  EXPECT_EQ(hex("abc"), "\\x616263");
  EXPECT_EQ(hex(std::string("\0\x01\x7f", 3)), "\\x00017f");
  EXPECT_EQ(hex("\xc2\x80\xc3\xbf\xc3\xa9"), "\\x80ffe9");  // U+0080, U+00FF, U+00E9
  EXPECT_EQ(hex("\xc4\x80"), "<false>");                          // U+0100: not a byte
  EXPECT_EQ(hex("\xe2\x82\xac"), "<false>");                     // the euro sign
  EXPECT_EQ(hex("\xc3"), "<false>");                               // cut short
  EXPECT_EQ(hex("\xc3("), "<false>");                              // not a continuation
  EXPECT_EQ(hex("\x80"), "<false>");                               // a stray continuation
}

// ---------------------------------------------------------------- integers

TEST(ParseInt64, Limits) {
  int64_t v = 0;
  EXPECT_TRUE(parse_int64("0", v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_int64("-0", v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_int64("9223372036854775807", v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(parse_int64("-9223372036854775808", v));
  EXPECT_EQ(v, INT64_MIN);
  for (const char* bad : {"9223372036854775808", "-9223372036854775809", "1.0", "1e3", "", "-",
                          " 1", "1 ", "+1", "0x10", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_int64(bad, v)) << bad;
  }
}

// ---------------------------------------------------------------- output buffer reuse

TEST(Output, AppendsAndReusesTheCallersBuffer) {
  std::string out;
  out.reserve(4096);
  const char* data = out.data();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    append_date(18460, out);
    out.push_back('|');
    append_timestamp(1595008822123456, TimeUnit::Micros, out);
    out.push_back('|');
    ASSERT_TRUE(append_decimal_from_base64("FJqkSQ==", 1, out));
    out.push_back('|');
    ASSERT_TRUE(append_bits_from_base64("BAQEBAQEBAQ=", 64, out));
  }
  EXPECT_EQ(out.data(), data);  // never reallocated
  EXPECT_EQ(out.substr(0, 44), "2020-07-17|2020-07-17 18:00:22.123456|345678");
}

}  // namespace
}  // namespace cdc::convert
