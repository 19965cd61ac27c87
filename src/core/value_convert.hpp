// Conversions of Debezium's encoded values (epoch numbers, base64 bytes) into the text that
// PostgreSQL's input functions read back as the value the source database held.
//
// Every function appends to `out` (never clears it) and allocates nothing but `out`'s growth, so
// a caller that reuses one string converts a whole message without touching the heap. Functions
// that can fail return false and leave `out` as it was.
//
// Rules, chosen to be what PostgreSQL itself would store:
//  * Calendar: proleptic Gregorian, as both Java's java.time and PostgreSQL use. Years before
//    1 AD are written the PostgreSQL way: astronomical year 0 is '0001-..-.. BC', -1 is 2 BC.
//    Years are zero-padded to four digits ('0099-01-01'); later years just get longer.
//  * Fractions: at most 6 digits (microseconds: all PostgreSQL keeps), trailing zeros dropped.
//  * Nanoseconds to microseconds: round half to even on the exact integer, the rule of the rint()
//    PostgreSQL applies when it reads a 7-9 digit fraction itself. 1500 ns -> 2 us, 2500 ns ->
//    2 us, -1500 ns -> -2 us; only exact ties (xxx500 ns) are affected by the choice. PostgreSQL
//    rounds a binary double approximation of the fraction instead, so on an exact tie its own
//    parse of the 9-digit text lands on the other neighbour now and then (59 of 5015 random ties
//    against PostgreSQL 15); off ties the results are identical. Rounding may carry into the
//    next second or day: time 23:59:59.9999995 -> '24:00:00'.
//  * Times of day and durations: '[-]HH:MM:SS[.ffffff]'. Hours are not limited to 23 and a
//    negative value gets one leading '-': MySQL TIME spans -838:59:59..838:59:59, which PostgreSQL
//    `interval` accepts in exactly this form; `time` rejects it (out of range), which is right:
//    it cannot hold the value.
//  * Debezium's PostgreSQL infinity sentinels are mapped back to 'infinity' / '-infinity'.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdc::convert {

// The unit of an epoch or time-of-day number.
enum class TimeUnit : uint8_t { Millis, Micros, Nanos };

// Timestamp sentinels the Debezium PostgreSQL connector writes for 'infinity'/'-infinity'
// (PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY, in the field's own unit for micros; /1000 for millis).
constexpr int64_t kPgInfinityMicros = 9223372036825200000LL;
constexpr int64_t kPgNegInfinityMicros = -9223372036832400000LL;

// Days since 1970-01-01 -> 'YYYY-MM-DD' (' BC' suffix before year 1). io.debezium.time.Date and
// org.apache.kafka.connect.data.Date. Debezium's date infinity sentinels give '[-]infinity'.
void append_date(int64_t days, std::string& out);
// True for the day numbers Debezium uses for PostgreSQL's date infinity and -infinity.
bool is_date_infinity(int64_t days);

// Time since midnight -> '[-]HH:MM:SS[.ffffff]' (hours may exceed 24; see the file comment).
// io.debezium.time.Time / org.apache.kafka.connect.data.Time (ms), MicroTime (us), NanoTime (ns).
void append_time(int64_t value, TimeUnit unit, std::string& out);

// Time since the epoch, read as a local date-time without zone ->
// 'YYYY-MM-DD HH:MM:SS[.ffffff][ BC]'. io.debezium.time.Timestamp and
// org.apache.kafka.connect.data.Timestamp (ms), MicroTimestamp (us), NanoTimestamp (ns).
void append_timestamp(int64_t value, TimeUnit unit, std::string& out);

// io.debezium.time.MicroDuration -> interval text '[-]H:MM:SS[.ffffff]' (all in the time field,
// as Debezium flattened it: its months were 30.4375 days, so '1 mon' arrives as 730:30:00).
// Beyond what PostgreSQL parses as hours (2^31-1) it is written '[-]D days [-]HH:MM:SS'.
void append_interval_micros(int64_t micros, std::string& out);

// Decodes base64 (standard or URL-safe alphabet, '=' padding to a multiple of 4, canonical: no
// stray bits) and appends the raw bytes. False for anything else, including whitespace.
bool append_base64_decoded(std::string_view base64, std::string& out);

// True when `text` is canonical base64 as append_base64_decoded() accepts it.
bool is_base64(std::string_view text);

// Raw bytes -> PostgreSQL bytea hex input '\x0a1b...' (lower case).
void append_bytea_hex(const uint8_t* bytes, size_t n, std::string& out);

// Base64 bytes (binary.handling.mode=bytes) -> bytea hex input. False if not base64.
bool append_bytea_from_base64(std::string_view base64, std::string& out);

// A big-endian two's-complement unscaled integer (java.math.BigInteger.toByteArray) and a scale
// -> exact decimal text: 1234567 scale 4 -> '123.4567', 5 scale 4 -> '0.0005', -5 scale 0 -> '-5',
// 12 scale -2 -> '1200'. Trailing zeros inside the scale are kept (they are numeric's dscale).
// Any length; false for zero bytes (BigInteger has no empty encoding).
bool append_decimal(const uint8_t* bytes, size_t n, int32_t scale, std::string& out);

// org.apache.kafka.connect.data.Decimal as JSON carries it: base64 of the unscaled bytes.
bool append_decimal_from_base64(std::string_view base64, int32_t scale, std::string& out);

// org.apache.kafka.connect.data.Decimal as JsonConverter writes it with decimal.format=NUMERIC:
// a JSON number literal, appended exactly as written (no float round trip), except that a plain
// literal (no exponent) with fewer fraction digits than `scale` is padded with zeros to it, as
// the source's DECIMAL(p,s) holds them: 1.1 scale 3 -> '1.100', 5 scale 2 -> '5.00'. An exponent
// form, or more fraction digits than the scale, passes through (numeric input reads both). False
// when `literal` is not one JSON number (RFC 8259 grammar) or the scale is absurd.
bool append_decimal_from_number(std::string_view literal, int32_t scale, std::string& out);

// io.debezium.data.VariableScaleDecimal's struct as JSON text: {"scale":N,"value":"<base64>"}.
// False when it is not such an object.
bool append_variable_scale_decimal(std::string_view json_object, std::string& out);

// io.debezium.data.Bits: bytes holding the bits little-endian (bit i is bit i%8 of byte i/8, as
// java.util.BitSet.toByteArray writes them) -> '0101...' of exactly `length` bits, most
// significant first, as PostgreSQL bit/varbit input reads. Missing high bytes are zeros (BitSet
// drops them); bits at or above `length` are ignored. length < 0: 8 bits per byte.
void append_bits(const uint8_t* bytes, size_t n, int32_t length, std::string& out);

// Bits as JSON carries them (base64). False if not base64.
bool append_bits_from_base64(std::string_view base64, int32_t length, std::string& out);

// An unsigned integer in decimal (MySQL BIT(n) as Canal and Maxwell write it: the bits read as a
// big-endian number, at most 2^64-1) -> '0101...' of `length` bits, or as many as the value needs
// when that is more (PostgreSQL then rejects it for bit(length)) or length < 0 (at least one).
// False when it is not such a number.
bool append_bits_from_unsigned(std::string_view decimal, int32_t length, std::string& out);

// Bytes that travelled as ISO-8859-1 text (Canal's BINARY/BLOB values: each byte became the
// character U+0000..U+00FF, here UTF-8 encoded) -> bytea hex input. False when a character lies
// above U+00FF or the UTF-8 is malformed.
bool append_bytea_from_latin1(std::string_view utf8, std::string& out);

// The value of a hex digit (either case), or -1.
int hex_digit(char c);

// '0x' followed by an even number of hex digits (AWS DMS's text of binary values) -> the raw
// bytes, appended. False for anything else.
bool append_bytes_from_0x_hex(std::string_view text, std::string& out);

// Big-endian bytes holding an unsigned number (MySQL BIT(n) as bytes) -> its low `length` bits as
// '0101...' (zeros in front when length exceeds the bytes' bits); length < 0, or a set bit above
// `length` (PostgreSQL then rejects the value rather than lose bits): all 8 per byte.
void append_bits_big_endian(const uint8_t* bytes, size_t n, int32_t length, std::string& out);

// Parses a JSON integer literal (optional '-', digits, no fraction/exponent) that fits int64.
bool parse_int64(std::string_view text, int64_t& value);

// Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace cdc::convert
