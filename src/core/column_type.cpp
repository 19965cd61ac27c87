// PostgreSQL type names -> ColumnType, and the schema-less conversions by target column type.
#include "core/column_type.hpp"

#include <cstring>

#include "core/pg_array.hpp"
#include "core/value_convert.hpp"

namespace cdc {
namespace {

using convert::TimeUnit;

// A type name lower-cased, without "pg_catalog." and with its "(...)" modifier cut out:
// "time(3) without time zone" -> name "time without time zone", modifier "3".
struct SplitName {
  char name[96];
  size_t len = 0;
  std::string_view modifier;
  bool ok = false;

  std::string_view view() const { return {name, len}; }
};

// Lower-cases and trims `text` and cuts out its parenthesized modifier.
SplitName split_type_name(std::string_view text) {
  SplitName s;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  constexpr std::string_view kCatalog = "pg_catalog.";
  if (text.size() > kCatalog.size() && text.substr(0, kCatalog.size()) == kCatalog) {
    text.remove_prefix(kCatalog.size());
  }
  size_t open = text.find('(');
  size_t close = open == std::string_view::npos ? open : text.find(')', open);
  if (open != std::string_view::npos) {
    if (close == std::string_view::npos) return s;
    s.modifier = text.substr(open + 1, close - open - 1);
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (open != std::string_view::npos && i >= open && i <= close) continue;
    if (s.len == sizeof s.name) return s;
    char c = text[i];
    s.name[s.len++] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  s.ok = true;
  return s;
}

// Parses a non-negative decimal integer; false for anything else.
bool parse_small(std::string_view text, int32_t& value) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  int64_t v = 0;
  if (!convert::parse_int64(text, v) || v < 0 || v > INT32_MAX) return false;
  value = int32_t(v);
  return true;
}

// The scale of a numeric modifier "p,s" ("p" alone means scale 0); -1 when absent or odd.
int32_t numeric_scale(std::string_view modifier) {
  if (modifier.empty()) return -1;
  size_t comma = modifier.find(',');
  int32_t scale = 0;
  if (comma == std::string_view::npos) return parse_small(modifier, scale) ? 0 : -1;
  return parse_small(modifier.substr(comma + 1), scale) ? scale : -1;
}

// True when `name` is one of `names`.
bool any_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (name == n) return true;
  }
  return false;
}

// The ColumnKind of a normalised type name without modifier.
ColumnKind kind_of(std::string_view n) {
  if (n == "date") return ColumnKind::Date;
  if (any_of(n, {"time", "time without time zone"})) return ColumnKind::Time;
  if (any_of(n, {"timetz", "time with time zone"})) return ColumnKind::TimeTz;
  if (any_of(n, {"timestamp", "timestamp without time zone"})) return ColumnKind::Timestamp;
  if (any_of(n, {"timestamptz", "timestamp with time zone"})) return ColumnKind::TimestampTz;
  if (n == "interval" || n.substr(0, 9) == "interval ") return ColumnKind::Interval;
  if (n == "bytea") return ColumnKind::Bytea;
  if (n == "bit") return ColumnKind::Bit;
  if (any_of(n, {"bit varying", "varbit"})) return ColumnKind::VarBit;
  if (any_of(n, {"numeric", "decimal"})) return ColumnKind::Numeric;
  if (any_of(n, {"smallint", "integer", "bigint", "int", "int2", "int4", "int8"})) {
    return ColumnKind::Integer;
  }
  if (n == "uuid") return ColumnKind::Uuid;
  return ColumnKind::Other;
}

// Epoch bounds of years 1..9999 in milliseconds: the range MySQL/Oracle DATETIME values live in.
constexpr int64_t kMinMillis = -62135596800000LL;   // 0001-01-01
constexpr int64_t kEndMillis = 253402300800000LL;   // 10000-01-01

// The unit of a schema-less epoch number, told by magnitude (see column_type.hpp).
TimeUnit epoch_unit(int64_t n) {
  if (n >= kMinMillis && n < kEndMillis) return TimeUnit::Millis;
  if (n >= kMinMillis * 1000 && n < kEndMillis * 1000) return TimeUnit::Micros;
  return TimeUnit::Nanos;
}

// Debezium's PostgreSQL infinity sentinels (us or ms) -> 'infinity'/'-infinity', else null.
// Checked before the unit is guessed: by magnitude they would read as nanoseconds.
const char* infinity_of(int64_t n) {
  using convert::kPgInfinityMicros;
  using convert::kPgNegInfinityMicros;
  if (n == kPgInfinityMicros || n == kPgInfinityMicros / 1000) return "infinity";
  if (n == kPgNegInfinityMicros || n == kPgNegInfinityMicros / 1000) return "-infinity";
  return nullptr;
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// A schema-less number into a date column.
void date_from_number(int64_t n, std::string& out) {
  if ((n > -10000000 && n < 10000000) || convert::is_date_infinity(n)) {
    convert::append_date(n, out);
    return;
  }
  TimeUnit unit = epoch_unit(n);
  int64_t per_day = unit == TimeUnit::Millis ? 86400000LL
                    : unit == TimeUnit::Micros ? 86400000000LL : 86400000000000LL;
  convert::append_date(floor_div(n, per_day), out);
}

// A schema-less epoch number into a timestamptz column: the instant it names, in UTC.
void timestamptz_from_number(int64_t n, std::string& out) {
  size_t at = out.size();
  convert::append_timestamp(n, epoch_unit(n), out);
  std::string_view text(out.data() + at, out.size() - at);
  bool bc = text.size() > 3 && text.substr(text.size() - 3) == " BC";
  if (bc) out.resize(out.size() - 3);
  out.append(bc ? "+00 BC" : "+00");
}

// A JSON number literal in fraction or exponent form whose value is an integer (12345.0, 1.0E18:
// decimal.handling.mode=double writes DECIMAL(p,0) so) -> that integer's digits. False for any
// other literal, a value with a fraction, or one of more than 40 digits (no integer column holds
// it; the input function then refuses the literal as it is).
bool integral_from_number(std::string_view text, std::string& out) {
  size_t i = 0;
  bool negative = i < text.size() && text[i] == '-';
  if (negative) ++i;
  std::string digits;  // integer and fraction digits, without the point
  int64_t exponent = 0;  // of the last digit
  size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') digits.push_back(text[i++]);
  if (i == start) return false;
  if (i < text.size() && text[i] == '.') {
    size_t fraction = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') digits.push_back(text[i++]);
    if (i == fraction) return false;
    exponent -= int64_t(i - fraction);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    int64_t e = 0;
    size_t exp_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (e < 100000) e = e * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exp_start) return false;
    exponent += exp_negative ? -e : e;
  } else if (exponent == 0) {
    return false;  // a plain integer: nothing to do
  }
  if (i != text.size()) return false;
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    out.push_back('0');
    return true;
  }
  digits.erase(0, first);
  if (exponent < 0) {
    size_t cut = size_t(-exponent);
    if (cut >= digits.size() || digits.find_first_not_of('0', digits.size() - cut) != std::string::npos) {
      return false;  // a fraction remains
    }
    digits.resize(digits.size() - cut);
  } else if (digits.size() + size_t(exponent) > 40) {
    return false;
  } else {
    digits.append(size_t(exponent), '0');
  }
  if (negative) out.push_back('-');
  out.append(digits);
  return true;
}

// A schema-less JSON number for a column of kind `kind`.
bool from_number(std::string_view text, ColumnKind kind, std::string& out) {
  int64_t n = 0;
  if (!convert::parse_int64(text, n)) return kind == ColumnKind::Integer && integral_from_number(text, out);
  const char* infinity = infinity_of(n);
  if (infinity != nullptr && (kind == ColumnKind::Timestamp || kind == ColumnKind::TimestampTz)) {
    out.append(infinity);
    return true;
  }
  switch (kind) {
    case ColumnKind::Date:
      date_from_number(n, out);
      return true;
    case ColumnKind::Timestamp:
      convert::append_timestamp(n, epoch_unit(n), out);
      return true;
    case ColumnKind::TimestampTz:
      timestamptz_from_number(n, out);
      return true;
    case ColumnKind::Time:
      convert::append_time(n, TimeUnit::Micros, out);
      return true;
    case ColumnKind::Interval:
      convert::append_interval_micros(n, out);
      return true;
    default:
      return false;
  }
}

// True for text PostgreSQL numeric input reads as a number (decimal.handling.mode=string).
bool is_numeric_literal(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "NaN" || s == "Infinity" || s == "inf" || s == "infinity") return true;
  size_t i = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// True for a non-empty string of only '0' and '1' (already bit string input).
bool is_bit_string(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c != '0' && c != '1') return false;
  }
  return true;
}

// 16 raw bytes -> 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'.
void append_uuid(const uint8_t* b, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
}

// bytea hex text ('\x' + 32 hex digits) of 16 bytes into a uuid column.
bool uuid_from_bytea_hex(std::string_view text, std::string& out) {
  if (text.size() != 34 || text[0] != '\\' || text[1] != 'x') return false;
  uint8_t raw[16];
  for (size_t i = 0; i < 16; i++) {
    int hi = convert::hex_digit(text[2 + 2 * i]), lo = convert::hex_digit(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    raw[i] = (uint8_t)(hi << 4 | lo);
  }
  append_uuid(raw, out);
  return true;
}

// 16 raw bytes, or fewer padded with zero bytes (a MySQL BINARY(16) read from the binlog, which
// drops trailing zero bytes), into a uuid column.
bool uuid_from_raw(std::string_view raw, bool pad_short, std::string& out) {
  if (raw.size() > 16 || raw.empty() || (raw.size() < 16 && !pad_short)) return false;
  uint8_t bytes[16] = {};
  std::memcpy(bytes, raw.data(), raw.size());
  append_uuid(bytes, out);
  return true;
}

// base64 of 16 bytes (MySQL BINARY(16)) into a uuid column; `pad_short`: see uuid_from_raw().
bool uuid_from_base64(std::string_view text, bool pad_short, std::string& out) {
  if (text.size() > 24 || !convert::is_base64(text)) return false;
  size_t at = out.size();
  convert::append_base64_decoded(text, out);
  std::string raw = out.substr(at);
  out.resize(at);
  return uuid_from_raw(raw, pad_short, out);
}

// DMS's '0x' hex text of binary values into a bytea, uuid or bit column.
bool from_0x_hex(std::string_view text, const ColumnType& type, std::string& out) {
  if (type.kind != ColumnKind::Bytea && type.kind != ColumnKind::Uuid && type.kind != ColumnKind::Bit &&
      type.kind != ColumnKind::VarBit)
    return false;
  std::string raw;
  if (!convert::append_bytes_from_0x_hex(text, raw)) return false;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  switch (type.kind) {
    case ColumnKind::Bytea:
      convert::append_bytea_hex(bytes, raw.size(), out);
      return true;
    case ColumnKind::Uuid:
      return uuid_from_raw(raw, true, out);
    default:
      convert::append_bits_big_endian(bytes, raw.size(), type.length, out);
      return true;
  }
}

// A schema-less JSON string for a column of type `type`; base64 into numeric and integer columns
// only when the pipeline declared base64 decimals.
bool from_string(std::string_view text, const ColumnType& type, bool base64_decimals, std::string& out) {
  switch (type.kind) {
    case ColumnKind::Bytea:
      if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') return false;
      return convert::append_bytea_from_base64(text, out);
    case ColumnKind::Bit:
    case ColumnKind::VarBit:
      if (is_bit_string(text)) return false;
      return convert::append_bits_from_base64(text, type.length, out);
    case ColumnKind::Numeric:
      if (!base64_decimals || type.scale < 0 || is_numeric_literal(text)) return false;
      return convert::append_decimal_from_base64(text, type.scale, out);
    case ColumnKind::Integer:
      if (!base64_decimals || is_numeric_literal(text)) return false;
      return convert::append_decimal_from_base64(text, 0, out);
    case ColumnKind::Uuid:
      return uuid_from_base64(text, false, out);
    default:
      return false;
  }
}

}  // namespace

ColumnType column_type_from_name(std::string_view format_type_name) {
  SplitName s = split_type_name(format_type_name);
  if (!s.ok) return {};
  std::string_view name = s.view();
  bool array = false;
  // format_type() writes one "[]" whatever the dimensions.
  while (name.size() >= 2 && name.substr(name.size() - 2) == "[]") {
    name.remove_suffix(2);
    array = true;
  }
  ColumnKind kind = kind_of(name);
  ColumnType type(kind);
  int32_t n = 0;
  if ((kind == ColumnKind::Bit || kind == ColumnKind::VarBit) && parse_small(s.modifier, n)) {
    type.length = n;
  }
  if (kind == ColumnKind::Numeric) type.scale = numeric_scale(s.modifier);
  if (array) {
    type.element = kind;
    type.kind = ColumnKind::Array;
  }
  return type;
}

bool convert_for_column(const FieldValue& value, const ColumnType& type, std::string& out,
                        SourceEncoding encoding) {
  if (type.kind == ColumnKind::Other) return false;
  bool base64_decimals = encoding == SourceEncoding::DebeziumBase64Decimals;
  bool debezium = encoding == SourceEncoding::Debezium || base64_decimals;
  if (type.kind == ColumnKind::Array) {
    if (value.kind != ValueKind::Json || value.text.empty() || value.text[0] != '[') return false;
    ColumnType element(type.element, type.length, type.scale);
    return append_pg_array_from_json(
        value.text,
        [&element, encoding](const FieldValue& e, std::string& o) {
          return convert_for_column(e, element, o, encoding);
        },
        out);
  }
  switch (value.kind) {
    case ValueKind::Number:
      if (type.kind == ColumnKind::Bit || type.kind == ColumnKind::VarBit)
        return convert::append_bits_from_unsigned(value.text, type.length, out);
      return debezium && from_number(value.text, type.kind, out);
    case ValueKind::String:
      switch (encoding) {
        case SourceEncoding::Debezium:
        case SourceEncoding::DebeziumBase64Decimals:
          return from_string(value.text, type, base64_decimals, out);
        case SourceEncoding::Base64Bytes:  // Maxwell's BINARY/BLOB values, JSON libraries' bytes
          if (type.kind == ColumnKind::Uuid) return uuid_from_base64(value.text, true, out);
          return type.kind == ColumnKind::Bytea && from_string(value.text, type, false, out);
        case SourceEncoding::HexBytes:
          return from_0x_hex(value.text, type, out);
        default:
          return false;
      }
    case ValueKind::Bool:
      if (type.kind != ColumnKind::Bit && type.kind != ColumnKind::VarBit) return false;
      out.push_back(value.text == "true" ? '1' : '0');
      return true;
    case ValueKind::Json:
      return debezium && type.kind == ColumnKind::Numeric &&
             convert::append_variable_scale_decimal(value.text, out);
    case ValueKind::Text:
      // A decoder made bytes bytea text (Debezium's "bytes", Canal's BINARY(16)).
      return type.kind == ColumnKind::Uuid && uuid_from_bytea_hex(value.text, out);
    default:
      return false;
  }
}

std::string base64_decimal_problem(const FieldValue& value, const ColumnType& type, SourceEncoding encoding) {
  if (encoding != SourceEncoding::Debezium || value.kind != ValueKind::String) return {};
  if (type.kind != ColumnKind::Numeric && type.kind != ColumnKind::Integer) return {};
  if (is_numeric_literal(value.text) || !convert::is_base64(value.text)) return {};
  std::string preview(value.text.substr(0, 40));
  if (value.text.size() > 40) preview += "...";
  return "value \"" + preview + "\" of column \"" + std::string(value.name) + "\" is not a number but looks like a base64 " +
         "decimal (Debezium's decimal.handling.mode=precise, sent without a schema): cdc_sync does not guess. " +
         "Set the connector's decimal.handling.mode to string or double, or send schemas " +
         "(value.converter.schemas.enable=true); if this topic's decimals are base64, set the pipeline option " +
         "decimal_handling_mode to 'precise' (numeric columns then need a declared scale)";
}

}  // namespace cdc
