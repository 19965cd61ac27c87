// Debezium message schemas: parsing, caching and schema-driven value conversion.
#include "core/debezium_schema.hpp"

#include "core/source_types.hpp"

#include <atomic>
#include <cstring>
#include <functional>
#include <iterator>

#include "core/pg_array.hpp"
#include "core/value_convert.hpp"

namespace cdc::debezium {
namespace {

namespace dom = simdjson::dom;
using convert::TimeUnit;

// One logical name and the Connect type its values must have to be converted.
struct Logical {
  std::string_view name;
  std::string_view type;
  Conv conv;
};

constexpr Logical kLogicals[] = {
    {"org.apache.kafka.connect.data.Decimal", "bytes", Conv::Decimal},
    {"io.debezium.data.VariableScaleDecimal", "struct", Conv::VariableScaleDecimal},
    {"io.debezium.data.Bits", "bytes", Conv::Bits},
    {"io.debezium.time.Date", "int32", Conv::Date},
    {"org.apache.kafka.connect.data.Date", "int32", Conv::Date},
    {"io.debezium.time.Time", "int32", Conv::TimeMillis},
    {"org.apache.kafka.connect.data.Time", "int32", Conv::TimeMillis},
    {"io.debezium.time.MicroTime", "int64", Conv::TimeMicros},
    {"io.debezium.time.NanoTime", "int64", Conv::TimeNanos},
    {"io.debezium.time.Timestamp", "int64", Conv::TimestampMillis},
    {"org.apache.kafka.connect.data.Timestamp", "int64", Conv::TimestampMillis},
    {"io.debezium.time.MicroTimestamp", "int64", Conv::TimestampMicros},
    {"io.debezium.time.NanoTimestamp", "int64", Conv::TimestampNanos},
    {"io.debezium.time.MicroDuration", "int64", Conv::MicroDuration},
};

// A string member of `obj`, or "" when absent or not a string.
std::string_view string_member(dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// An integer schema parameter ("scale": "4"; Connect writes parameters as strings), or `fallback`.
int32_t int_parameter(dom::object field, std::string_view key, int32_t fallback) {
  dom::object params;
  if (field["parameters"].get_object().get(params) != simdjson::SUCCESS) return fallback;
  dom::element v;
  if (params[key].get(v) != simdjson::SUCCESS) return fallback;
  int64_t n = 0;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    if (!convert::parse_int64(s, n)) return fallback;
  } else if (v.get_int64().get(n) != simdjson::SUCCESS) {
    return fallback;
  }
  return (n < INT32_MIN || n > INT32_MAX) ? fallback : int32_t(n);
}

// A string schema parameter, or "" when absent.
std::string_view string_parameter(dom::object field, std::string_view key) {
  dom::object params;
  if (field["parameters"].get_object().get(params) != simdjson::SUCCESS) return {};
  return string_member(params, key);
}

// The PostgreSQL type a field's schema gives its column (see FieldSchema::pg_type); `from_source`
// says whether it is the source column's own type.
std::string pg_type_of(dom::object field, bool& from_source) {
  std::string_view source_type = string_parameter(field, "__debezium.source.column.type");
  from_source = false;
  if (!source_type.empty()) {
    std::string t = pg_type_for_mysql(source_type, int_parameter(field, "__debezium.source.column.length", -1),
                                      int_parameter(field, "__debezium.source.column.scale", -1));
    from_source = !t.empty();
    if (from_source) return t;
  }
  std::string_view logical = string_member(field, "name");
  int32_t precision = logical == "io.debezium.data.Bits" ? int_parameter(field, "length", -1)
                                                         : int_parameter(field, "connect.decimal.precision", -1);
  return pg_type_for_connect(string_member(field, "type"), logical, precision, int_parameter(field, "scale", -1));
}

// Reads the field schemas of a struct schema's "fields" array into `row`.
void read_fields(dom::array fields, RowSchema& row) {
  for (dom::element f : fields) {
    dom::object obj;
    if (f.get_object().get(obj) != simdjson::SUCCESS) continue;
    FieldSchema fs;
    fs.name = std::string(string_member(obj, "field"));
    fs.conv = conv_of(string_member(obj, "type"), string_member(obj, "name"));
    fs.pg_type = pg_type_of(obj, fs.pg_type_from_source);
    if (fs.conv == Conv::Decimal) fs.param = int_parameter(obj, "scale", 0);
    dom::object items;
    if (string_member(obj, "type") == "array" && obj["items"].get_object().get(items) == simdjson::SUCCESS &&
        conv_of(string_member(items, "type"), string_member(items, "name")) == Conv::Decimal) {
      // The schema says the elements are base64 decimals: decode them here, not by the column's
      // type (which only decodes base64 decimals when the pipeline declares them).
      fs.conv = Conv::DecimalArray;
      fs.param = int_parameter(items, "scale", 0);
    }
    if (fs.conv == Conv::Bits) fs.param = int_parameter(obj, "length", -1);
    row.converts |= fs.conv != Conv::None;
    row.fields.push_back(std::move(fs));
  }
}

// Builds the name index once `row.fields` is final (it points into the names).
void index_fields(RowSchema& row) {
  row.index.clear();
  for (size_t i = 0; i < row.fields.size(); ++i) {
    row.index.emplace(row.fields[i].name, static_cast<uint32_t>(i));
  }
}

// Reads a nested struct member ("before"/"after") of an envelope schema.
void read_image_schema(dom::object field, RowSchema& row) {
  dom::array fields;
  if (string_member(field, "type") != "struct") return;
  if (field["fields"].get_array().get(fields) != simdjson::SUCCESS) return;
  read_fields(fields, row);
}

// The bare number an integer-valued field holds (JSON integer), or false.
bool integer_of(const FieldValue& v, int64_t& n) {
  return v.kind == ValueKind::Number && convert::parse_int64(v.text, n);
}

// A JSON array of Decimal elements (base64, or numbers) -> numeric[] input; false (out unchanged)
// when an element is neither.
bool append_decimal_array(std::string_view json, int32_t scale, std::string& out) {
  bool fits = true;
  size_t at = out.size();
  bool ok = append_pg_array_from_json(
      json,
      [scale, &fits](const FieldValue& e, std::string& o) {
        bool done = e.kind == ValueKind::Number ? convert::append_decimal_from_number(e.text, scale, o)
                    : e.kind == ValueKind::String ? convert::append_decimal_from_base64(e.text, scale, o)
                                                   : false;
        fits &= done;
        return done;
      },
      out);
  if (ok && fits) return true;
  out.resize(at);
  return false;
}

// Appends the converted text of `v` to `out`; false when `v` does not fit the conversion.
bool convert_value(const FieldSchema& fs, const FieldValue& v, std::string& out) {
  int64_t n = 0;
  switch (fs.conv) {
    case Conv::None:
      return true;
    case Conv::Bytes:
      return v.kind == ValueKind::String && convert::append_bytea_from_base64(v.text, out);
    case Conv::Decimal:
      // A string is the base64 of the unscaled bytes (JsonConverter's default); a number is the
      // value itself (its decimal.format=NUMERIC).
      if (v.kind == ValueKind::Number) {
        return convert::append_decimal_from_number(v.text, fs.param, out);
      }
      return v.kind == ValueKind::String &&
             convert::append_decimal_from_base64(v.text, fs.param, out);
    case Conv::DecimalArray:
      return v.kind == ValueKind::Json && append_decimal_array(v.text, fs.param, out);
    case Conv::VariableScaleDecimal:
      return v.kind == ValueKind::Json && convert::append_variable_scale_decimal(v.text, out);
    case Conv::Bits:
      return v.kind == ValueKind::String &&
             convert::append_bits_from_base64(v.text, fs.param, out);
    default:
      break;
  }
  if (!integer_of(v, n)) return false;
  switch (fs.conv) {
    case Conv::Date: convert::append_date(n, out); break;
    case Conv::TimeMillis: convert::append_time(n, TimeUnit::Millis, out); break;
    case Conv::TimeMicros: convert::append_time(n, TimeUnit::Micros, out); break;
    case Conv::TimeNanos: convert::append_time(n, TimeUnit::Nanos, out); break;
    case Conv::TimestampMillis: convert::append_timestamp(n, TimeUnit::Millis, out); break;
    case Conv::TimestampMicros: convert::append_timestamp(n, TimeUnit::Micros, out); break;
    case Conv::TimestampNanos: convert::append_timestamp(n, TimeUnit::Nanos, out); break;
    case Conv::MicroDuration: convert::append_interval_micros(n, out); break;
    default: return false;
  }
  return true;
}

}  // namespace

Conv conv_of(std::string_view type, std::string_view name) {
  if (!name.empty()) {
    for (const Logical& l : kLogicals) {
      if (l.name == name) return l.type == type ? l.conv : Conv::None;
    }
  }
  // Any other bytes (MySQL BINARY/BLOB, PostgreSQL bytea) are raw bytes; other named types
  // (Json, Uuid, Enum, ZonedTimestamp, ...) are strings PostgreSQL reads as they are.
  return type == "bytes" ? Conv::Bytes : Conv::None;
}

const FieldSchema* RowSchema::find_by_name(std::string_view name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &fields[it->second];
}

bool parse_schema(std::string_view json, dom::parser& parser, MessageSchema& out) {
  dom::object root;
  if (parser.parse(json.data(), json.size()).get_object().get(root) != simdjson::SUCCESS) {
    return false;
  }
  if (string_member(root, "type") != "struct") return false;
  dom::array fields;
  if (root["fields"].get_array().get(fields) != simdjson::SUCCESS) return false;
  read_fields(fields, out.row);
  for (dom::element f : fields) {
    dom::object obj;
    if (f.get_object().get(obj) != simdjson::SUCCESS) continue;
    std::string_view name = string_member(obj, "field");
    if (name == "before") read_image_schema(obj, out.before);
    if (name == "after") read_image_schema(obj, out.after);
  }
  index_fields(out.row);
  index_fields(out.before);
  index_fields(out.after);
  return true;
}

const MessageSchema* SchemaCache::find(std::string_view text) {
  // Fast path: the same table as the previous message.
  if (last_ != nullptr && last_->text.size() == text.size() &&
      std::memcmp(last_->text.data(), text.data(), text.size()) == 0) {
    return last_->schema.get();
  }
  size_t hash = std::hash<std::string_view>{}(text);
  auto range = by_hash_.equal_range(hash);
  const Entry* found = nullptr;
  for (auto it = range.first; it != range.second && found == nullptr; ++it) {
    if (it->second->text == text) found = it->second;
  }
  if (found == nullptr) found = insert(text, hash);
  touch(found);
  return found->schema.get();
}

const MessageSchema* SchemaCache::match_prefix(std::string_view text, char next,
                                               size_t& length) const {
  for (const Entry* e : recent_) {
    if (e == nullptr || e->schema == nullptr) continue;
    size_t n = e->text.size();
    if (text.size() > n && text[n] == next && std::memcmp(text.data(), e->text.data(), n) == 0) {
      length = n;
      return e->schema.get();
    }
  }
  return nullptr;
}

// Makes `entry` the last one found and moves it to the front of recent_.
void SchemaCache::touch(const Entry* entry) {
  last_ = entry;
  size_t i = 0;
  while (i + 1 < std::size(recent_) && recent_[i] != entry) ++i;
  for (; i > 0; --i) recent_[i] = recent_[i - 1];
  recent_[0] = entry;
}

// Parses `text` and adds it to the cache (forgetting everything first when the cache is full).
const SchemaCache::Entry* SchemaCache::insert(std::string_view text, size_t hash) {
  if (entries_.size() >= kMaxEntries) {
    by_hash_.clear();
    entries_.clear();
    last_ = nullptr;
    for (const Entry*& e : recent_) e = nullptr;
  }
  auto entry = std::make_unique<Entry>();
  entry->text = std::string(text);
  auto schema = std::make_unique<MessageSchema>();
  static std::atomic<uint64_t> serials{0};
  schema->serial = ++serials;
  if (parse_schema(entry->text, parser_, *schema)) entry->schema = std::move(schema);
  const Entry* raw = entry.get();
  entries_.push_back(std::move(entry));
  by_hash_.emplace(hash, raw);
  return raw;
}

void ImageConverter::reset() {
  text_.clear();
  fixups_.clear();
}

bool ImageConverter::convert(const RowSchema& schema, std::vector<FieldValue>& image,
                             std::string& error) {
  if (!schema.converts) return true;
  for (size_t i = 0; i < image.size(); ++i) {
    const FieldValue& v = image[i];
    if (v.kind == ValueKind::Null) continue;
    const FieldSchema* fs = schema.find(v.name, i);
    if (fs == nullptr || fs->conv == Conv::None) continue;
    size_t at = text_.size();
    if (!convert_value(*fs, v, text_)) {
      text_.resize(at);
      std::string_view shown = v.text.substr(0, 100);
      error = "field '" + std::string(v.name) + "' value \"" + std::string(shown) +
              (v.text.size() > 100 ? "...\"" : "\"") + " does not match its schema";
      return false;
    }
    // text_ may still grow, so the view is made in finish().
    fixups_.push_back(Fixup{&image, i, at, text_.size() - at});
  }
  return true;
}

void ImageConverter::finish() {
  for (const Fixup& f : fixups_) {
    FieldValue& v = (*f.image)[f.index];
    v.kind = ValueKind::Text;
    v.text = std::string_view(text_.data() + f.offset, f.length);
  }
}

}  // namespace cdc::debezium
