// Debezium value encodings -> PostgreSQL input text (see value_convert.hpp for the rules).
#include "core/value_convert.hpp"

#include <array>
#include <cstring>

namespace cdc::convert {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
constexpr int64_t kMillisPerDay = 86400 * 1000;

// Largest |scale| accepted: far above PostgreSQL numeric's limits, low enough that a hostile
// scale cannot make us write gigabytes of zeros.
constexpr int64_t kMaxScale = 1000000;

// floor(a / b) for b > 0 (C++ division truncates toward zero).
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// a - floor_div(a, b) * b for b > 0, in [0, b): computed without that product, which overflows
// near INT64_MIN.
int64_t floor_mod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

// Appends `v` in decimal, zero-padded to at least `width` digits.
void append_uint(uint64_t v, int width, std::string& out) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < width) buf[n++] = '0';
  while (n > 0) out.push_back(buf[--n]);
}

// Appends '.ffffff' without trailing zeros; nothing for 0.
void append_fraction(uint32_t micros, std::string& out) {
  if (micros == 0) return;
  char buf[6];
  for (int i = 5; i >= 0; --i) {
    buf[i] = char('0' + micros % 10);
    micros /= 10;
  }
  int n = 6;
  while (buf[n - 1] == '0') --n;
  out.push_back('.');
  out.append(buf, size_t(n));
}

// Appends 'HH:MM:SS[.ffffff]' for a non-negative duration (hours may exceed 23).
void append_hms(uint64_t seconds, uint32_t micros, std::string& out) {
  append_uint(seconds / 3600, 2, out);
  out.push_back(':');
  append_uint(seconds / 60 % 60, 2, out);
  out.push_back(':');
  append_uint(seconds % 60, 2, out);
  append_fraction(micros, out);
}

// Rounds q + r/1000 (0 <= r < 1000) half to even.
uint64_t round_thousandths(uint64_t q, uint64_t r) {
  return (r > 500 || (r == 500 && (q & 1) != 0)) ? q + 1 : q;
}

// |value| in `unit` as whole seconds plus microseconds (nanoseconds rounded half to even).
void split_magnitude(int64_t value, TimeUnit unit, uint64_t& seconds, uint32_t& micros) {
  uint64_t mag = value < 0 ? 0 - uint64_t(value) : uint64_t(value);
  switch (unit) {
    case TimeUnit::Millis:
      seconds = mag / 1000;
      micros = uint32_t(mag % 1000 * 1000);
      return;
    case TimeUnit::Micros:
      break;
    case TimeUnit::Nanos:
      // Half-to-even is symmetric, so rounding the magnitude equals rounding the signed value.
      mag = round_thousandths(mag / 1000, mag % 1000);
      break;
  }
  seconds = mag / uint64_t(kMicrosPerSecond);
  micros = uint32_t(mag % uint64_t(kMicrosPerSecond));
}

// A signed epoch value in `unit` as days since 1970-01-01 plus microseconds into that day.
void split_epoch(int64_t value, TimeUnit unit, int64_t& days, int64_t& micros_of_day) {
  switch (unit) {
    case TimeUnit::Millis:
      days = floor_div(value, kMillisPerDay);
      micros_of_day = floor_mod(value, kMillisPerDay) * 1000;
      return;
    case TimeUnit::Micros:
      break;
    case TimeUnit::Nanos: {
      int64_t q = floor_div(value, 1000);
      value = int64_t(round_thousandths(uint64_t(q), uint64_t(floor_mod(value, 1000))));
      break;
    }
  }
  days = floor_div(value, kMicrosPerDay);
  micros_of_day = floor_mod(value, kMicrosPerDay);
}

// A proleptic Gregorian date (year 0 = 1 BC) from days since 1970-01-01 (H. Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& year, unsigned& month, unsigned& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint64_t doe = uint64_t(z - era * 146097);                       // [0, 146096]
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          // [0, 365]
  const uint64_t mp = (5 * doy + 2) / 153;                               // [0, 11]
  day = unsigned(doy - (153 * mp + 2) / 5 + 1);
  month = unsigned(mp < 10 ? mp + 3 : mp - 9);
  year = int64_t(yoe) + era * 400 + (month <= 2 ? 1 : 0);
}

// Appends 'YYYY-MM-DD' for the date part; returns whether ' BC' must follow the whole value.
bool append_ymd(int64_t days, std::string& out) {
  int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  bool bc = year <= 0;
  append_uint(bc ? uint64_t(1 - year) : uint64_t(year), 4, out);
  out.push_back('-');
  append_uint(month, 2, out);
  out.push_back('-');
  append_uint(day, 2, out);
  return bc;
}

// Debezium PostgreSQL's LocalDate sentinels for date 'infinity' and '-infinity' (before
// debezium/dbz#2524 'infinity' was written with a minus sign, which is still out of any range).
const int64_t kDateInfinity = days_from_civil(5877611, 6, 21);
const int64_t kDateInfinityOld = days_from_civil(-5877611, 6, 21);
const int64_t kDateNegInfinity = days_from_civil(-5877611, 6, 22);

// Value of one base64 character (standard and URL-safe alphabets), 64 for '=', 255 otherwise.
constexpr std::array<uint8_t, 256> make_base64_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 255;
  for (int i = 0; i < 26; ++i) {
    t[size_t('A' + i)] = uint8_t(i);
    t[size_t('a' + i)] = uint8_t(26 + i);
  }
  for (int i = 0; i < 10; ++i) t[size_t('0' + i)] = uint8_t(52 + i);
  t[size_t('+')] = t[size_t('-')] = 62;
  t[size_t('/')] = t[size_t('_')] = 63;
  t[size_t('=')] = 64;
  return t;
}
constexpr std::array<uint8_t, 256> kBase64 = make_base64_table();

// Decoded length of canonical base64 `s`, or -1 when it is not canonical base64.
int64_t base64_decoded_size(std::string_view s) {
  if (s.size() % 4 != 0) return -1;
  if (s.empty()) return 0;
  size_t pad = s[s.size() - 1] == '=' ? (s[s.size() - 2] == '=' ? 2 : 1) : 0;
  for (size_t i = 0; i < s.size() - pad; ++i) {
    if (kBase64[uint8_t(s[i])] >= 64) return -1;
  }
  // Canonical: the bits the padding leaves unused are zero.
  uint8_t last = kBase64[uint8_t(s[s.size() - pad - 1])];
  if ((pad == 1 && (last & 0x3) != 0) || (pad == 2 && (last & 0xf) != 0)) return -1;
  return int64_t(s.size() / 4 * 3 - pad);
}

// Decodes canonical base64 (already checked) into `dst`.
void base64_decode(std::string_view s, char* dst) {
  size_t j = 0;
  for (size_t i = 0; i < s.size(); i += 4) {
    uint32_t v = 0;
    int chars = 0;
    for (size_t k = 0; k < 4; ++k) {
      uint8_t c = kBase64[uint8_t(s[i + k])];
      if (c == 64) break;
      v |= uint32_t(c) << (18 - 6 * k);
      ++chars;
    }
    dst[j++] = char(v >> 16);
    if (chars > 2) dst[j++] = char(v >> 8);
    if (chars > 3) dst[j++] = char(v);
  }
}

// Two's-complement negation of the big-endian integer in bytes[0, n).
void negate(uint8_t* bytes, size_t n) {
  unsigned carry = 1;
  for (size_t i = n; i-- > 0;) {
    unsigned v = unsigned(uint8_t(~bytes[i])) + carry;
    bytes[i] = uint8_t(v);
    carry = v >> 8;
  }
}

// Divides the big-endian magnitude bytes[0, n) by 10^9 in place; returns the remainder.
uint32_t divide_1e9(uint8_t* bytes, size_t n) {
  uint64_t rem = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t cur = (rem << 8) | bytes[i];
    bytes[i] = uint8_t(cur / 1000000000u);
    rem = cur % 1000000000u;
  }
  return uint32_t(rem);
}

// Largest |scale| of the 64-bit fast path (append_small_decimal's buffer holds its text).
constexpr int32_t kSmallDecimalMaxScale = 40;

// The two's-complement integer of 1..8 big-endian bytes.
int64_t int_from_bytes(const uint8_t* bytes, size_t n) {
  uint64_t v = (bytes[0] & 0x80) != 0 ? ~uint64_t(0) : 0;  // sign-extended
  for (size_t i = 0; i < n; ++i) v = (v << 8) | bytes[i];
  return int64_t(v);
}

// Reads canonical base64 of 1..8 bytes (as base64_decoded_size() accepts it) straight into the
// two's-complement integer they hold; false for anything else, including longer values.
bool int_from_base64(std::string_view s, int64_t& value) {
  if (s.empty() || s.size() % 4 != 0 || s.size() > 12) return false;
  size_t pad = s[s.size() - 1] == '=' ? (s[s.size() - 2] == '=' ? 2 : 1) : 0;
  size_t n = s.size() / 4 * 3 - pad;
  if (n > 8) return false;
  // Every sextet but the last one's unused low bits (zero when canonical): 8n bits, <= 64.
  uint64_t v = 0;
  uint8_t seen = 0;  // bit 6 is set when a character was '=' or not base64
  size_t chars = s.size() - pad;
  for (size_t i = 0; i + 1 < chars; ++i) {
    uint8_t c = kBase64[uint8_t(s[i])];
    seen |= c;
    v = (v << 6) | c;
  }
  uint8_t last = kBase64[uint8_t(s[chars - 1])];
  unsigned unused = unsigned(2 * pad);
  if (((seen | last) & 0x40) != 0 || (last & ((1u << unused) - 1)) != 0) return false;
  v = (v << (6 - unused)) | (last >> unused);
  if (n < 8 && ((v >> (8 * n - 1)) & 1) != 0) v |= ~uint64_t(0) << (8 * n);  // sign-extend
  value = int64_t(v);
  return true;
}

// Appends the decimal text of `unscaled` at |scale| <= kSmallDecimalMaxScale: the common case
// (every numeric of up to 18 digits), in 64-bit arithmetic instead of decimal_in_place()'s long
// division, composed right to left in one stack buffer and appended at once.
void append_small_decimal(int64_t unscaled, int32_t scale, std::string& out) {
  char buf[64];  // fraction (<= 40) + '.' + 20 digits + '-', or 20 digits + 40 zeros + '-'
  char* p = buf + sizeof buf;
  uint64_t mag = unscaled < 0 ? 0 - uint64_t(unscaled) : uint64_t(unscaled);  // INT64_MIN too
  if (scale > 0) {
    for (int32_t i = 0; i < scale; ++i, mag /= 10) *--p = char('0' + mag % 10);  // zero-padded
    *--p = '.';
  } else if (mag != 0) {
    p -= -scale;
    std::memset(p, '0', size_t(-scale));
  }
  do {
    *--p = char('0' + mag % 10);
    mag /= 10;
  } while (mag != 0);  // at least one digit: "0.05", "0"
  if (unscaled < 0) *--p = '-';
  out.append(p, size_t(buf + sizeof buf - p));
}

// Whether append_small_decimal() can write a value at `scale`.
bool is_small_decimal_scale(int32_t scale) {
  return scale <= kSmallDecimalMaxScale && scale >= -kSmallDecimalMaxScale;
}

// Replaces the unscaled two's-complement bytes out[p, end) with their decimal text.
bool decimal_in_place(std::string& out, size_t p, int64_t scale) {
  size_t n = out.size() - p;
  if (n == 0 || scale > kMaxScale || scale < -kMaxScale) {
    out.resize(p);
    return false;
  }
  auto* bytes = reinterpret_cast<uint8_t*>(&out[p]);
  bool negative = (bytes[0] & 0x80) != 0;
  if (negative) negate(bytes, n);
  // Base 256 -> base 10: peel 9 digits at a time, least significant first, behind the bytes.
  size_t digits_at = out.size();
  size_t start = 0;
  do {
    bytes = reinterpret_cast<uint8_t*>(&out[p]);
    uint32_t limb = divide_1e9(bytes + start, n - start);
    while (start < n && bytes[start] == 0) ++start;
    for (int i = 0; i < 9; ++i, limb /= 10) out.push_back(char('0' + limb % 10));
  } while (start < n);
  while (out.size() > digits_at + 1 && out.back() == '0') out.pop_back();  // leading zeros
  size_t k = out.size() - digits_at;  // significant digits, reversed
  bool zero = k == 1 && out[digits_at] == '0';
  // Compose "-", integer part, ".", fraction behind the digits, then move it to p.
  size_t text_at = out.size();
  if (negative && !zero) out.push_back('-');
  auto digit = [&](size_t i) { return out[digits_at + k - 1 - i]; };  // i-th most significant
  if (scale <= 0) {
    for (size_t i = 0; i < k; ++i) out.push_back(digit(i));
    if (!zero) out.append(size_t(-scale), '0');
  } else if (k > size_t(scale)) {
    size_t int_digits = k - size_t(scale);
    for (size_t i = 0; i < int_digits; ++i) out.push_back(digit(i));
    out.push_back('.');
    for (size_t i = int_digits; i < k; ++i) out.push_back(digit(i));
  } else {
    out.append("0.");
    out.append(size_t(scale) - k, '0');
    for (size_t i = 0; i < k; ++i) out.push_back(digit(i));
  }
  out.erase(p, text_at - p);
  return true;
}

// Replaces the little-endian bit bytes out[p, end) with a bit string of `length` bits.
void bits_in_place(std::string& out, size_t p, int32_t length) {
  size_t n = out.size() - p;
  size_t bits = length < 0 ? n * 8 : size_t(length);
  size_t text_at = out.size();
  out.resize(text_at + bits);
  const auto* bytes = reinterpret_cast<const uint8_t*>(out.data() + p);
  char* text = &out[text_at];
  for (size_t i = 0; i < bits; ++i) {
    size_t bit = bits - 1 - i;  // most significant first
    bool set = bit / 8 < n && ((bytes[bit / 8] >> (bit % 8)) & 1) != 0;
    text[i] = set ? '1' : '0';
  }
  out.erase(p, text_at - p);
}

// Skips JSON whitespace.
size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// Index just past the JSON string starting at s[i] == '"', or npos.
size_t skip_string(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Index just past the JSON value starting at s[i] (already validated JSON), or npos.
size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  int depth = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      if (i == std::string_view::npos) return i;
      --i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      return i;
    }
  }
  return depth == 0 ? i : std::string_view::npos;
}

// The raw token of member `key` of a flat JSON object (keys without escapes), or false.
bool find_member(std::string_view obj, std::string_view key, std::string_view& value) {
  size_t i = skip_ws(obj, 0);
  if (i >= obj.size() || obj[i] != '{') return false;
  i = skip_ws(obj, i + 1);
  while (i < obj.size() && obj[i] == '"') {
    size_t key_end = skip_string(obj, i);
    if (key_end == std::string_view::npos) return false;
    std::string_view name = obj.substr(i + 1, key_end - i - 2);
    i = skip_ws(obj, key_end);
    if (i >= obj.size() || obj[i] != ':') return false;
    i = skip_ws(obj, i + 1);
    size_t end = skip_value(obj, i);
    if (end == std::string_view::npos) return false;
    if (name == key) {
      value = obj.substr(i, end - i);
      return true;
    }
    i = skip_ws(obj, end);
    if (i < obj.size() && obj[i] == ',') i = skip_ws(obj, i + 1);
  }
  return false;
}

}  // namespace

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const uint64_t yoe = uint64_t(year - era * 400);                                 // [0, 399]
  const uint64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                      // [0, 146096]
  return era * 146097 + int64_t(doe) - 719468;
}

bool is_date_infinity(int64_t days) {
  return days == kDateInfinity || days == kDateInfinityOld || days == kDateNegInfinity;
}

void append_date(int64_t days, std::string& out) {
  if (days == kDateInfinity || days == kDateInfinityOld) {
    out.append("infinity");
    return;
  }
  if (days == kDateNegInfinity) {
    out.append("-infinity");
    return;
  }
  if (append_ymd(days, out)) out.append(" BC");
}

void append_time(int64_t value, TimeUnit unit, std::string& out) {
  uint64_t seconds;
  uint32_t micros;
  split_magnitude(value, unit, seconds, micros);
  if (value < 0 && (seconds != 0 || micros != 0)) out.push_back('-');
  append_hms(seconds, micros, out);
}

void append_timestamp(int64_t value, TimeUnit unit, std::string& out) {
  int64_t scale = unit == TimeUnit::Millis ? 1000 : 1;
  if (unit != TimeUnit::Nanos && value == kPgInfinityMicros / scale) {
    out.append("infinity");
    return;
  }
  if (unit != TimeUnit::Nanos && value == kPgNegInfinityMicros / scale) {
    out.append("-infinity");
    return;
  }
  int64_t days, micros_of_day;
  split_epoch(value, unit, days, micros_of_day);
  bool bc = append_ymd(days, out);
  out.push_back(' ');
  append_hms(uint64_t(micros_of_day / kMicrosPerSecond), uint32_t(micros_of_day % kMicrosPerSecond),
             out);
  if (bc) out.append(" BC");
}

void append_interval_micros(int64_t micros, std::string& out) {
  uint64_t seconds;
  uint32_t frac;
  split_magnitude(micros, TimeUnit::Micros, seconds, frac);
  const char* sign = micros < 0 && (seconds != 0 || frac != 0) ? "-" : "";
  if (seconds / 3600 <= 2147483647u) {
    out.append(sign);
    append_hms(seconds, frac, out);
    return;
  }
  // PostgreSQL reads the hours field as int32: move whole days into the day field.
  out.append(sign);
  append_uint(seconds / 86400, 1, out);
  out.append(" days ");
  out.append(sign);
  append_hms(seconds % 86400, frac, out);
}

bool is_base64(std::string_view text) { return base64_decoded_size(text) >= 0; }

bool append_base64_decoded(std::string_view base64, std::string& out) {
  int64_t n = base64_decoded_size(base64);
  if (n < 0) return false;
  size_t at = out.size();
  out.resize(at + size_t(n));
  base64_decode(base64, &out[at]);
  return true;
}

void append_bytea_hex(const uint8_t* bytes, size_t n, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 2 + 2 * n);
  char* p = &out[at];
  *p++ = '\\';
  *p++ = 'x';
  for (size_t i = 0; i < n; ++i) {
    *p++ = kHex[bytes[i] >> 4];
    *p++ = kHex[bytes[i] & 0xf];
  }
}

bool append_bytea_from_base64(std::string_view base64, std::string& out) {
  size_t at = out.size();
  if (!append_base64_decoded(base64, out)) return false;
  size_t n = out.size() - at;
  // Expand in place from the end: byte i moves to hex at 2+2i, never over an unread byte.
  out.resize(at + 2 + 2 * n);
  static const char kHex[] = "0123456789abcdef";
  char* p = &out[at];
  for (size_t i = n; i-- > 0;) {
    uint8_t b = uint8_t(p[i]);
    p[2 + 2 * i] = kHex[b >> 4];
    p[3 + 2 * i] = kHex[b & 0xf];
  }
  p[0] = '\\';
  p[1] = 'x';
  return true;
}

bool append_decimal(const uint8_t* bytes, size_t n, int32_t scale, std::string& out) {
  if (n >= 1 && n <= 8 && is_small_decimal_scale(scale)) {
    append_small_decimal(int_from_bytes(bytes, n), scale, out);
    return true;
  }
  size_t at = out.size();
  out.append(reinterpret_cast<const char*>(bytes), n);
  return decimal_in_place(out, at, scale);
}

bool append_decimal_from_base64(std::string_view base64, int32_t scale, std::string& out) {
  int64_t unscaled = 0;
  if (is_small_decimal_scale(scale) && int_from_base64(base64, unscaled)) {
    append_small_decimal(unscaled, scale, out);
    return true;
  }
  // Longer, invalid or at an extreme scale: the general path decides.
  size_t at = out.size();
  if (!append_base64_decoded(base64, out)) return false;
  return decimal_in_place(out, at, scale);
}

bool append_decimal_from_number(std::string_view literal, int32_t scale, std::string& out) {
  if (scale > kMaxScale || scale < -kMaxScale) return false;
  // Checked here rather than trusted: the caller's kind says number, the grammar makes it so.
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < literal.size() && literal[i] >= '0' && literal[i] <= '9') ++i;
    return i - start;
  };
  if (i < literal.size() && literal[i] == '-') ++i;
  size_t int_start = i;
  size_t int_digits = digits();
  if (int_digits == 0 || (int_digits > 1 && literal[int_start] == '0')) return false;
  size_t fraction_digits = 0;
  bool has_point = i < literal.size() && literal[i] == '.';
  if (has_point) {
    ++i;
    fraction_digits = digits();
    if (fraction_digits == 0) return false;
  }
  bool has_exponent = i < literal.size() && (literal[i] == 'e' || literal[i] == 'E');
  if (has_exponent) {
    ++i;
    if (i < literal.size() && (literal[i] == '+' || literal[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  if (i != literal.size()) return false;
  out.append(literal);
  // The exponent would have to be folded in to know the fraction's length: numeric reads it as is.
  if (has_exponent || scale <= 0 || fraction_digits >= size_t(scale)) return true;
  if (!has_point) out.push_back('.');
  out.append(size_t(scale) - fraction_digits, '0');
  return true;
}

bool append_variable_scale_decimal(std::string_view json_object, std::string& out) {
  std::string_view scale_text, value_text;
  if (!find_member(json_object, "scale", scale_text) || !find_member(json_object, "value", value_text)) {
    return false;
  }
  int64_t scale = 0;
  if (!parse_int64(scale_text, scale) || scale > kMaxScale || scale < -kMaxScale) return false;
  if (value_text.size() < 2 || value_text.front() != '"' || value_text.back() != '"') return false;
  return append_decimal_from_base64(value_text.substr(1, value_text.size() - 2), int32_t(scale), out);
}

void append_bits(const uint8_t* bytes, size_t n, int32_t length, std::string& out) {
  size_t at = out.size();
  out.append(reinterpret_cast<const char*>(bytes), n);
  bits_in_place(out, at, length);
}

bool append_bits_from_base64(std::string_view base64, int32_t length, std::string& out) {
  size_t at = out.size();
  if (!append_base64_decoded(base64, out)) return false;
  bits_in_place(out, at, length);
  return true;
}

bool append_bits_from_unsigned(std::string_view decimal, int32_t length, std::string& out) {
  if (decimal.empty() || decimal.size() > 20) return false;
  uint64_t v = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') return false;
    unsigned d = unsigned(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  int needed = 1;
  while (needed < 64 && (v >> needed) != 0) ++needed;
  int width = length > needed ? length : needed;
  size_t at = out.size();
  out.resize(at + size_t(width), '0');
  for (int i = 0; i < width && i < 64; ++i) {
    if ((v >> i) & 1) out[at + size_t(width - 1 - i)] = '1';
  }
  return true;
}

bool append_bytea_from_latin1(std::string_view utf8, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.reserve(at + 2 + 2 * utf8.size());
  out += "\\x";
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    unsigned byte = c;
    if (c >= 0x80) {
      // Only the two-byte forms of U+0080..U+00FF (lead byte C2 or C3) stand for one byte.
      if ((c != 0xC2 && c != 0xC3) || i + 1 >= utf8.size() ||
          (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) != 0x80) {
        out.resize(at);
        return false;
      }
      byte = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3Fu);
    }
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool append_bytes_from_0x_hex(std::string_view text, std::string& out) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || text.size() % 2 != 0) return false;
  size_t at = out.size();
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) {
      out.resize(at);
      return false;
    }
    out.push_back(char(hi << 4 | lo));
  }
  return true;
}

void append_bits_big_endian(const uint8_t* bytes, size_t n, int32_t length, std::string& out) {
  const size_t have = 8 * n;
  size_t want = length < 0 ? have : size_t(length);
  for (size_t k = want; k < have; ++k) {  // a set bit above `length`: keep them all, never cut
    if ((bytes[n - 1 - k / 8] >> (k % 8)) & 1) {
      want = have;
      break;
    }
  }
  for (size_t k = want; k-- > 0;) {  // bit k of the number, most significant first
    out.push_back(k < have && ((bytes[n - 1 - k / 8] >> (k % 8)) & 1) ? '1' : '0');
  }
}

bool parse_int64(std::string_view text, int64_t& value) {
  size_t i = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  if (i >= text.size()) return false;
  uint64_t mag = 0;
  const uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    unsigned d = unsigned(c - '0');
    if (mag > (limit - d) / 10) return false;
    mag = mag * 10 + d;
  }
  value = negative ? int64_t(0 - mag) : int64_t(mag);
  return true;
}

}  // namespace cdc::convert
