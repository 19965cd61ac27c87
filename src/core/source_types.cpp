// The PostgreSQL column type for a source column (see source_types.hpp).
#include "core/source_types.hpp"

#include <cctype>
#include <cstdlib>
#include <vector>

namespace cdc {

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A type spelled "base(a,b) suffix": its parts (a, b: -1 when absent or not numbers).
struct Spelling {
  std::string base;    // "varchar", "timestamp"
  int64_t a = -1, b = -1;
  std::string suffix;  // what follows the parentheses: " unsigned", " with time zone"
};

int64_t number_or(std::string_view s, int64_t fallback) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty() || s.size() > 18) return fallback;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return fallback;
  return std::strtoll(std::string(s).c_str(), nullptr, 10);
}

Spelling spell(std::string_view type) {
  std::string t = lower_trimmed(type);
  Spelling s;
  size_t open = t.find('(');
  if (open == std::string::npos) {
    s.base = t;
  } else {
    s.base = t.substr(0, open);
    while (!s.base.empty() && s.base.back() == ' ') s.base.pop_back();
    // The closing parenthesis, skipping quoted labels (enum('a)', 'b')).
    size_t close = std::string::npos;
    bool quoted = false;
    for (size_t i = open + 1; i < t.size(); i++) {
      if (t[i] == '\'') quoted = !quoted;
      if (!quoted && t[i] == ')') {
        close = i;
        break;
      }
    }
    std::string_view args = std::string_view(t).substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    size_t comma = args.find(',');
    s.a = number_or(args.substr(0, comma), -1);
    if (comma != std::string_view::npos) s.b = number_or(args.substr(comma + 1), -1);
    if (close != std::string::npos) s.suffix = t.substr(close + 1);
  }
  // "int unsigned" without parentheses: the modifiers are part of the base.
  for (const char* word : {" zerofill", " unsigned", " signed"}) {
    size_t at = s.base.find(word);
    if (at != std::string::npos) {
      s.suffix = s.base.substr(at) + s.suffix;
      s.base.erase(at);
    }
  }
  return s;
}

std::string with_precision(const char* base, int64_t p, const char* zone) {
  std::string out = base;
  if (p >= 0) out += "(" + std::to_string(p) + ")";
  return out + zone;
}

}  // namespace

// MySQL's spatial types (lower case).
static bool is_spatial(const std::string& b) {
  return b == "geometry" || b == "point" || b == "linestring" || b == "polygon" || b == "multipoint" ||
         b == "multilinestring" || b == "multipolygon" || b == "geometrycollection" || b == "geomcollection";
}

std::string pg_type_for_mysql(std::string_view mysql_type) {
  Spelling s = spell(mysql_type);
  bool is_unsigned = s.suffix.find("unsigned") != std::string::npos;
  const std::string& b = s.base;
  if (b == "tinyint") return "smallint";
  if (b == "smallint") return is_unsigned ? "integer" : "smallint";
  if (b == "mediumint") return "integer";
  if (b == "int" || b == "integer") return is_unsigned ? "bigint" : "integer";
  if (b == "bigint") return is_unsigned ? "numeric(20,0)" : "bigint";
  if (b == "decimal" || b == "numeric" || b == "dec" || b == "fixed") {
    int64_t p = s.a < 0 ? 10 : s.a, sc = s.b < 0 ? 0 : s.b;
    return "numeric(" + std::to_string(p) + "," + std::to_string(sc) + ")";
  }
  if (b == "float") return s.a > 24 && s.b < 0 ? "double precision" : "real";
  if (b == "double" || b == "double precision" || b == "real") return "double precision";
  if (b == "bit") return s.a <= 1 ? "boolean" : "bit(" + std::to_string(s.a) + ")";
  if (b == "bool" || b == "boolean") return "boolean";
  if (b == "char" || b == "character" || b == "nchar")
    return "character(" + std::to_string(s.a < 0 ? 1 : s.a) + ")";
  if (b == "varchar" || b == "character varying" || b == "nvarchar" || b == "varchar2")
    return s.a < 0 ? "text" : "character varying(" + std::to_string(s.a) + ")";
  if (b == "tinytext" || b == "text" || b == "mediumtext" || b == "longtext" || b == "long" ||
      b == "long varchar")
    return "text";
  if (b == "binary" || b == "varbinary" || b == "tinyblob" || b == "blob" || b == "mediumblob" ||
      b == "longblob" || b == "long varbinary")
    return "bytea";
  if (b == "date") return "date";
  if (b == "datetime") return with_precision("timestamp", s.a < 0 ? 0 : s.a, " without time zone");
  if (b == "timestamp") return with_precision("timestamp", s.a < 0 ? 0 : s.a, " with time zone");
  if (b == "time") return "interval";  // MySQL's TIME spans -838:59:59 to 838:59:59, beyond a day
  if (b == "year") return "smallint";
  if (b == "enum" || b == "set") return "text";
  if (b == "json") return "jsonb";
  if (b == "uuid") return "uuid";
  if (b == "inet4" || b == "inet6") return "inet";
  if (is_spatial(b))
    return "bytea";
  return "";
}

std::string pg_type_for_mysql(std::string_view type_name, int64_t length, int64_t scale) {
  Spelling s = spell(type_name);  // "INT UNSIGNED": base and modifiers
  std::string spelled = s.base;
  if (length >= 0) {
    spelled += "(" + std::to_string(length);
    if (scale >= 0) spelled += "," + std::to_string(scale);
    spelled += ")";
  }
  // Debezium sends a spatial value as a struct {wkb, srid}: kept whole, as jsonb.
  if (is_spatial(s.base)) return "jsonb";
  return pg_type_for_mysql(spelled + s.suffix);
}

std::string pg_type_for_connect(std::string_view type, std::string_view logical, int64_t precision,
                                int64_t scale) {
  if (!logical.empty()) {
    if (logical == "org.apache.kafka.connect.data.Decimal")
      return precision > 0 ? "numeric(" + std::to_string(precision) + "," + std::to_string(scale < 0 ? 0 : scale) + ")"
                           : "numeric";
    if (logical == "io.debezium.data.VariableScaleDecimal") return "numeric";
    if (logical == "io.debezium.time.Date" || logical == "org.apache.kafka.connect.data.Date") return "date";
    if (logical == "io.debezium.time.Time" || logical == "org.apache.kafka.connect.data.Time")
      return "time(3) without time zone";
    // What the MySQL connector sends for TIME (adaptive_time_microseconds), whose values may be
    // negative or past 24 hours.
    if (logical == "io.debezium.time.MicroTime") return "interval";
    if (logical == "io.debezium.time.NanoTime") return "time without time zone";
    if (logical == "io.debezium.time.Timestamp" || logical == "org.apache.kafka.connect.data.Timestamp")
      return "timestamp(3) without time zone";
    if (logical == "io.debezium.time.MicroTimestamp") return "timestamp(6) without time zone";
    if (logical == "io.debezium.time.NanoTimestamp") return "timestamp without time zone";
    if (logical == "io.debezium.time.ZonedTimestamp") return "timestamp with time zone";
    if (logical == "io.debezium.time.ZonedTime") return "time with time zone";
    if (logical == "io.debezium.time.Year") return "smallint";
    if (logical == "io.debezium.time.MicroDuration") return "interval";
    if (logical == "io.debezium.data.Bits") return precision > 1 ? "bit(" + std::to_string(precision) + ")" : "boolean";
    if (logical == "io.debezium.data.Json") return "jsonb";
    if (logical == "io.debezium.data.Uuid") return "uuid";
    if (logical == "io.debezium.data.Enum" || logical == "io.debezium.data.EnumSet") return "text";
    // Other logical types (geometries are structs of WKB and SRID): as their Connect type says.
  }
  if (type == "int8" || type == "int16") return "smallint";
  if (type == "int32") return "integer";
  if (type == "int64") return "bigint";
  if (type == "float32") return "real";
  if (type == "float64") return "double precision";
  if (type == "boolean") return "boolean";
  if (type == "string") return "text";
  if (type == "bytes") return "bytea";
  if (type == "struct" || type == "map" || type == "array") return "jsonb";
  return "";
}

std::string pg_type_for_dms(std::string_view type, int64_t length, int64_t precision, int64_t scale) {
  std::string t;
  for (char c : type) t += (char)std::toupper((unsigned char)c);
  if (t == "BOOLEAN") return "boolean";
  if (t == "INT1" || t == "INT8" || t == "INT2" || t == "INT16" || t == "UINT1") return "smallint";
  if (t == "INT4" || t == "INT32" || t == "UINT2" || t == "UINT16") return "integer";
  if (t == "INT64" || t == "UINT4" || t == "UINT32") return "bigint";
  if (t == "UINT8" || t == "UINT64") return "numeric(20,0)";
  if (t == "REAL4" || t == "FLOAT") return "real";
  if (t == "REAL8" || t == "DOUBLE") return "double precision";
  if (t == "NUMERIC" || t == "DECIMAL") {
    if (precision > 0 && precision <= 1000 && scale >= 0 && scale <= precision)
      return "numeric(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    return "numeric";
  }
  if (t == "STRING" || t == "WSTRING")
    return length > 0 && length <= 10485760 ? "character varying(" + std::to_string(length) + ")" : "text";
  if (t == "CLOB" || t == "NCLOB") return "text";
  if (t == "BYTES" || t == "BLOB") return "bytea";
  if (t == "DATE") return "date";
  if (t == "TIME") return "interval";  // MySQL's TIME goes past a day
  if (t == "DATETIME" || t == "TIMESTAMP") {
    // DMS's DATETIME carries up to 9 fractional digits; PostgreSQL keeps 6.
    if (scale >= 0 && scale < 6) return "timestamp(" + std::to_string(scale) + ") without time zone";
    return "timestamp(6) without time zone";
  }
  return "";
}

std::string pg_type_for_value(ValueKind kind, std::string_view text) {
  switch (kind) {
    case ValueKind::Null:
      return "";
    case ValueKind::Bool:
      return "boolean";
    case ValueKind::Json:
      return "jsonb";
    case ValueKind::Number: {
      std::string_view digits = text;
      if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
      bool integral = !digits.empty() && digits.size() <= 18;
      for (char c : digits) integral = integral && std::isdigit(static_cast<unsigned char>(c));
      return integral ? "bigint" : "numeric";
    }
    case ValueKind::String:
    case ValueKind::Text:
      return "text";
  }
  return "text";
}

namespace {

// Digits before the point that an integer type's values need.
int64_t integer_digits(const std::string& base) {
  if (base == "smallint") return 5;
  if (base == "integer") return 10;
  if (base == "bigint") return 19;
  return -1;
}

int integer_rank(const std::string& base) {
  if (base == "smallint") return 1;
  if (base == "integer") return 2;
  if (base == "bigint") return 3;
  return 0;
}

}  // namespace

TypeChange compare_types(std::string_view from, std::string_view to) {
  Spelling f = spell(from), t = spell(to);
  if (f.base == t.base && f.a == t.a && f.b == t.b && f.suffix == t.suffix) return TypeChange::Same;
  // Integers: a wider integer, or a numeric with room for every value.
  if (integer_rank(f.base) > 0) {
    if (integer_rank(t.base) >= integer_rank(f.base)) return TypeChange::Widen;
    if (t.base == "numeric" && (t.a < 0 || t.a - (t.b < 0 ? 0 : t.b) >= integer_digits(f.base))) return TypeChange::Widen;
    return TypeChange::Incompatible;
  }
  if (f.base == "numeric" && t.base == "numeric") {
    if (t.a < 0) return TypeChange::Widen;  // unconstrained numeric holds every numeric
    if (f.a < 0) return TypeChange::Incompatible;
    int64_t fs = f.b < 0 ? 0 : f.b, ts = t.b < 0 ? 0 : t.b;
    return ts >= fs && t.a - ts >= f.a - fs ? TypeChange::Widen : TypeChange::Incompatible;
  }
  if (f.base == "real" && t.base == "double precision") return TypeChange::Widen;
  // Character types: a longer limit, or none.
  bool f_chars = f.base == "character varying" || f.base == "character";
  if (f_chars && t.base == "text") return TypeChange::Widen;
  if (f_chars && t.base == "character varying" && (t.a < 0 || t.a >= f.a)) return TypeChange::Widen;
  if (f.base == "character" && t.base == "character" && t.a >= f.a) return TypeChange::Widen;
  // Temporal types of the same kind: more fractional digits (none written means 6).
  if ((f.base == "timestamp" || f.base == "time") && f.base == t.base && f.suffix == t.suffix)
    return (t.a < 0 ? 6 : t.a) >= (f.a < 0 ? 6 : f.a) ? TypeChange::Widen : TypeChange::Incompatible;
  if (f.base == "bit" && t.base == "bit varying" && (t.a < 0 || t.a >= f.a)) return TypeChange::Widen;
  return TypeChange::Incompatible;
}

bool column_holds(std::string_view column, std::string_view values) {
  if (compare_types(values, column) != TypeChange::Incompatible) return true;
  // text (and unbounded varchar) holds the text form of every value.
  Spelling c = spell(column);
  return c.base == "text" || (c.base == "character varying" && c.a < 0);
}

}  // namespace cdc
