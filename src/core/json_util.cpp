// JSON helpers shared by the JSON-based decoders (see json_util.hpp).
#include "core/json_util.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace cdc::json {

namespace ondemand = simdjson::ondemand;
using simdjson::error_code;

std::string_view PaddedBuffer::assign(const char* data, size_t len) {
  if (len > (size_t(1) << 40)) throw std::length_error("cdc::json::PaddedBuffer: message too big");
  size_t need = len + simdjson::SIMDJSON_PADDING;
  if (need > capacity_) {
    // Grow geometrically so a slowly growing message size does not reallocate every time.
    size_t cap = std::max({need, capacity_ * 2, size_t(4096)});
    buf_.reset(new char[cap]);
    capacity_ = cap;
  }
  if (len > 0) std::memcpy(buf_.get(), data, len);
  // simdjson only needs the padding to be readable; zeroing it keeps runs deterministic.
  std::memset(buf_.get() + len, 0, simdjson::SIMDJSON_PADDING);
  return {buf_.get(), len};
}

std::string_view PaddedBuffer::truncate(size_t len) {
  std::memset(buf_.get() + len, 0, simdjson::SIMDJSON_PADDING);
  return {buf_.get(), len};
}

namespace {

// True for an ASCII digit.
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Advances `i` over a run of digits and returns how many there were.
size_t skip_digits(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i - start;
}

}  // namespace

bool is_number_literal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;  // a leading zero stands alone: "01" is not JSON
  } else if (skip_digits(s, i) == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (skip_digits(s, i) == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (skip_digits(s, i) == 0) return false;
  }
  return i == s.size();
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty()) {
    char c = s.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    s.remove_suffix(1);
  }
  return s;
}

namespace {

error_code validate(ondemand::value value, int depth);

// Validates every member of an object (keys included, so bad escapes are caught).
error_code validate_object(ondemand::value value, int depth) {
  ondemand::object obj;
  SIMDJSON_TRY(value.get_object().get(obj));
  for (auto field : obj) {
    std::string_view key;
    SIMDJSON_TRY(field.unescaped_key().get(key));
    ondemand::value child;
    SIMDJSON_TRY(field.value().get(child));
    SIMDJSON_TRY(validate(child, depth + 1));
  }
  return simdjson::SUCCESS;
}

// Validates every element of an array.
error_code validate_array(ondemand::value value, int depth) {
  ondemand::array arr;
  SIMDJSON_TRY(value.get_array().get(arr));
  for (auto element : arr) {
    ondemand::value child;
    SIMDJSON_TRY(element.get(child));
    SIMDJSON_TRY(validate(child, depth + 1));
  }
  return simdjson::SUCCESS;
}

// Reads a number token without converting it, so its text survives exactly as written.
error_code number_text(ondemand::value value, std::string_view& text) {
  text = trim_right(value.raw_json_token());
  return is_number_literal(text) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
}

// Checks that a null token really is `null` (type() only looks at the first byte).
error_code check_null(ondemand::value value) {
  bool is_null = false;
  SIMDJSON_TRY(value.is_null().get(is_null));
  return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
}

// Fully validates one value: On-Demand skips unread values without checking them, but the raw
// text of a nested value is handed to jsonb, so it must be well-formed.
error_code validate(ondemand::value value, int depth) {
  if (depth > kMaxNesting) return simdjson::DEPTH_ERROR;
  ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  switch (type) {
    case ondemand::json_type::object:
      return validate_object(value, depth);
    case ondemand::json_type::array:
      return validate_array(value, depth);
    case ondemand::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case ondemand::json_type::number: {
      std::string_view s;
      return number_text(value, s);
    }
    case ondemand::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case ondemand::json_type::null:
      return check_null(value);
  }
  return simdjson::TAPE_ERROR;
}

// Validates a nested object/array and returns its raw text (from its opening bracket to its
// closing one, which ends where the next token begins, minus whitespace).
error_code nested_text(ondemand::value value, std::string_view& text) {
  const char* start = value.raw_json_token().data();
  SIMDJSON_TRY(validate(value, 1));
  const char* end = nullptr;
  // Field values always sit inside an enclosing object, so a next token exists.
  SIMDJSON_TRY(value.current_location().get(end));
  if (end < start) return simdjson::TAPE_ERROR;
  text = trim_right(std::string_view(start, size_t(end - start)));
  return simdjson::SUCCESS;
}

}  // namespace

error_code read_value(ondemand::value value, FieldValue& out) {
  ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  out.text = {};
  switch (type) {
    case ondemand::json_type::string:
      out.kind = ValueKind::String;
      return value.get_string().get(out.text);
    case ondemand::json_type::number:
      out.kind = ValueKind::Number;
      return number_text(value, out.text);
    case ondemand::json_type::boolean: {
      bool b = false;
      SIMDJSON_TRY(value.get_bool().get(b));
      out.kind = ValueKind::Bool;
      out.text = b ? std::string_view("true") : std::string_view("false");
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::null:
      out.kind = ValueKind::Null;
      return check_null(value);
    case ondemand::json_type::object:
    case ondemand::json_type::array:
      out.kind = ValueKind::Json;
      return nested_text(value, out.text);
  }
  return simdjson::TAPE_ERROR;
}

error_code read_fields(ondemand::value value, std::vector<FieldValue>& dst) {
  ondemand::object obj;
  SIMDJSON_TRY(value.get_object().get(obj));
  return read_object_fields(obj, dst);
}

namespace {

// How the brackets and strings of a JSON text leave it, found by a scan that checks nothing else.
struct TextShape {
  enum Kind : uint8_t {
    Closed,     // every string and bracket is closed, nothing follows the root
    InString,   // it ends inside a string
    Open,       // it ends with an object or array open
    Trailing,   // something follows the root value, at `at`
    StrayClose, // a closing bracket at `at` matches no open one
  } kind = Closed;
  size_t at = 0;
};

// Scans `text` for TextShape. Only run on an error, so the bracket stack may allocate.
TextShape shape_of(std::string_view text) {
  std::string open;  // the open brackets, innermost last
  bool root_closed = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (root_closed) return {TextShape::Trailing, i};
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;  // the escaped character, a quote included
      }
      if (i >= text.size()) return {TextShape::InString, text.size()};
    } else if (c == '{' || c == '[') {
      open.push_back(c);
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back() != (c == '}' ? '{' : '[')) return {TextShape::StrayClose, i};
      open.pop_back();
    }
    root_closed = open.empty() && (c == '}' || c == ']');
  }
  return {open.empty() ? TextShape::Closed : TextShape::Open, text.size()};
}

// The reason for a structural error, which simdjson reports where its check ran (at byte 0, or
// with no position) rather than where the problem is: said from the text's shape instead, e.g.
// "<what>: the JSON document ends early (truncated?) after 30 bytes, inside a string". False when
// the shape does not explain the error.
bool describe_structure_error(std::string_view what, error_code code, std::string_view input,
                              std::string& msg) {
  if (code != simdjson::INCOMPLETE_ARRAY_OR_OBJECT && code != simdjson::UNCLOSED_STRING &&
      code != simdjson::TAPE_ERROR) {
    return false;
  }
  TextShape shape = shape_of(input);
  msg.assign(what);
  switch (shape.kind) {
    case TextShape::InString:
    case TextShape::Open:
      msg += ": the JSON document ends early (truncated?) after " + std::to_string(input.size()) +
             (input.size() == 1 ? " byte, " : " bytes, ");
      msg += shape.kind == TextShape::InString ? "inside a string"
                                               : "with an object or array still open";
      return true;
    case TextShape::Trailing:
      msg += " at byte " + std::to_string(shape.at) + ": ";
      msg += simdjson::error_message(simdjson::TRAILING_CONTENT);
      return true;
    case TextShape::StrayClose: {
      char close = input[shape.at];
      msg += " at byte " + std::to_string(shape.at) + ": '" + close + "' closes no open '" +
             (close == '}' ? '{' : '[') + "'";
      return true;
    }
    case TextShape::Closed:
      break;
  }
  return false;
}

}  // namespace

std::string describe_error(std::string_view what, error_code code, std::string_view input,
                           ondemand::document* doc) {
  std::string msg;
  if (describe_structure_error(what, code, input, msg)) return msg;
  msg.assign(what);
  const char* loc = nullptr;
  if (doc != nullptr && doc->current_location().get(loc) == simdjson::SUCCESS &&
      loc >= input.data() && loc <= input.data() + input.size()) {
    msg += " at byte ";
    msg += std::to_string(loc - input.data());
  }
  msg += ": ";
  msg += simdjson::error_message(code);
  return msg;
}

bool is_null_document(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  // The first byte rules out almost every message before the end of a long one is touched.
  return begin != std::string_view::npos && text[begin] == 'n' && trim_right(text.substr(begin)) == "null";
}

error_code read_null(ondemand::value value) { return check_null(value); }

error_code read_string_array(ondemand::value value, std::vector<std::string_view>& dst) {
  dst.clear();
  ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) return check_null(value);
  ondemand::array arr;
  SIMDJSON_TRY(value.get_array().get(arr));
  for (auto element : arr) {
    std::string_view s;
    SIMDJSON_TRY(element.get_string().get(s));
    dst.push_back(s);
  }
  return simdjson::SUCCESS;
}

std::string printable(std::string_view text) {
  std::string r;
  for (char c : text.substr(0, 32)) r += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 32) r += "...";
  return r;
}

namespace {

// ASCII lower case of one byte.
char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// ASCII case-insensitive prefix test.
bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Mutable twin of find_field.
FieldValue* find_mutable(std::vector<FieldValue>& row, std::string_view name) {
  for (FieldValue& f : row) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

// True when one of the key columns has a previous value (in `old`) other than its value in `row`.
// Compared by value, not presence: some writers (Flink CDC's canal-json) put every column in old.
bool key_changed(const std::vector<FieldValue>& row, const std::vector<FieldValue>& old,
                 const std::vector<std::string_view>& key_names) {
  for (std::string_view name : key_names) {
    const FieldValue* was = find_field(old, name);
    if (was == nullptr) continue;
    const FieldValue* now = find_field(row, name);
    if (now == nullptr || now->kind != was->kind || now->text != was->text) return true;
  }
  return false;
}

// The next element of `out` to fill, cleared; grows `out` only when all elements are in use.
DecodedChange& next_change(std::vector<DecodedChange>& out, size_t& count) {
  if (count == out.size()) out.emplace_back();
  DecodedChange& c = out[count++];
  c.clear();
  return c;
}

}  // namespace

const FieldValue* find_field(const std::vector<FieldValue>& row, std::string_view name) {
  for (const FieldValue& f : row) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

void overlay_fields(std::vector<FieldValue>& image, const std::vector<FieldValue>& changes) {
  for (const FieldValue& change : changes) {
    if (FieldValue* f = find_mutable(image, change.name)) {
      f->kind = change.kind;
      f->text = change.text;
    } else {
      image.push_back(change);
    }
  }
}

bool is_mysql_zero_date(std::string_view s) {
  constexpr std::string_view kDate = "0000-00-00";
  constexpr std::string_view kTime = " 00:00:00";
  if (s.substr(0, kDate.size()) != kDate) return false;
  s.remove_prefix(kDate.size());
  if (s.empty()) return true;
  if (s.substr(0, kTime.size()) != kTime) return false;
  s.remove_prefix(kTime.size());
  if (s.empty()) return true;
  if (s[0] != '.' || s.size() == 1) return false;
  return s.find_first_not_of('0', 1) == std::string_view::npos;
}

bool is_mysql_date_type(std::string_view mysql_type) {
  return istarts_with(mysql_type, "date") || istarts_with(mysql_type, "timestamp");
}

void append_row_changes(const RowChangeInput& in, std::vector<DecodedChange>& out, size_t& count) {
  const std::vector<FieldValue>& row = *in.row;
  if (in.op != Op::Update) {
    DecodedChange& c = next_change(out, count);
    c.op = in.op;
    c.source = in.source;
    c.source_ts_ms = in.source_ts_ms;
    bool is_delete = in.op == Op::Delete;
    (is_delete ? c.before : c.after).assign(row.begin(), row.end());
    (is_delete ? c.has_before : c.has_after) = true;
    return;
  }
  DecodedChange& c = next_change(out, count);
  c.op = Op::Update;
  c.source = in.source;
  c.source_ts_ms = in.source_ts_ms;
  c.before.assign(row.begin(), row.end());
  if (in.old != nullptr) overlay_fields(c.before, *in.old);
  c.has_before = true;
  bool split = in.split_key_change && in.old != nullptr && in.key_names != nullptr &&
               key_changed(row, *in.old, *in.key_names);
  if (!split) {
    c.after.assign(row.begin(), row.end());
    c.has_after = true;
    return;
  }
  c.op = Op::Delete;  // of the old key; the batch then ends with exactly the new row
  DecodedChange& insert = next_change(out, count);
  insert.op = Op::Insert;
  insert.source = in.source;
  insert.source_ts_ms = in.source_ts_ms;
  insert.after.assign(row.begin(), row.end());
  insert.has_after = true;
}

}  // namespace cdc::json

// ---------------------------------------------------------------- helpers of the dms,
// flink-debezium and json decoders (see the matching part of json_util.hpp).

namespace cdc::json {

namespace ondemand = simdjson::ondemand;

namespace {

// The status for a value of the wrong type: `bad_type`, unless the value is malformed JSON (type()
// only looks at the first byte, so "nul" would otherwise read as "not a string").
ReadStatus wrong_type(ondemand::value value, const char* bad_type) {
  FieldValue scratch;
  if (simdjson::error_code err = read_value(value, scratch)) return malformed(err);
  return invalid(bad_type);
}

}  // namespace

ReadStatus read_string(ondemand::value value, std::string_view& out, const char* bad_type) {
  ondemand::json_type type;
  if (simdjson::error_code err = value.type().get(type)) return malformed(err);
  if (type != ondemand::json_type::string) return wrong_type(value, bad_type);
  return malformed(value.get_string().get(out));
}

ReadStatus read_image(ondemand::value value, std::vector<FieldValue>& dst, ImageState& state,
                      const char* bad_type) {
  dst.clear();  // a repeated member replaces the earlier one
  state = ImageState::Absent;
  ondemand::json_type type;
  if (simdjson::error_code err = value.type().get(type)) return malformed(err);
  if (type == ondemand::json_type::null) {
    if (simdjson::error_code err = read_null(value)) return malformed(err);
    state = ImageState::Null;
    return {};
  }
  if (type != ondemand::json_type::object) return wrong_type(value, bad_type);
  if (simdjson::error_code err = read_fields(value, dst)) return malformed(err);
  state = ImageState::Object;
  return {};
}

simdjson::error_code read_object_fields(ondemand::object obj, std::vector<FieldValue>& dst) {
  for (auto field : obj) {
    FieldValue fv;
    SIMDJSON_TRY(field.unescaped_key().get(fv.name));
    ondemand::value child;
    SIMDJSON_TRY(field.value().get(child));
    SIMDJSON_TRY(read_value(child, fv));
    dst.push_back(fv);
  }
  return simdjson::SUCCESS;
}

namespace {

// "an array", "a string", ...: what a non-object root is, for the Error reason.
const char* json_type_name(ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::array: return "the value is not a JSON object but an array";
    case ondemand::json_type::string: return "the value is not a JSON object but a string";
    case ondemand::json_type::number: return "the value is not a JSON object but a number";
    case ondemand::json_type::boolean: return "the value is not a JSON object but a boolean";
    default: return "the value is not a JSON object";
  }
}

// An Error DecodeResult.
DecodeResult error_result(std::string reason) { return {DecodeStatus::Error, std::move(reason)}; }

}  // namespace

DecodeResult ValueDocument::open(const char* data, size_t len, ondemand::object& root) {
  // librdkafka hands a tombstone over as a null payload; an empty one carries no row either.
  if (data == nullptr || len == 0) return {DecodeStatus::Skip, "tombstone"};
  json_ = buf_.assign(data, len);
  if (is_null_document(json_)) return {DecodeStatus::Skip, "tombstone"};
  auto parsed = parser_.iterate(json_.data(), json_.size(), buf_.capacity());
  if (simdjson::error_code err = std::move(parsed).get(doc_)) {
    return error_result(describe_error("malformed JSON in value", err, json_, nullptr));
  }
  ondemand::json_type type;
  if (simdjson::error_code err = doc_.type().get(type)) return failure(malformed(err));
  // A lone JSON null was caught above, so any other 'n' is malformed.
  if (type == ondemand::json_type::null) return failure(malformed(simdjson::N_ATOM_ERROR));
  if (type != ondemand::json_type::object) return error_result(json_type_name(type));
  if (simdjson::error_code err = doc_.get_object().get(root)) return failure(malformed(err));
  return {};
}

ReadStatus ValueDocument::finish() {
  const char* rest = nullptr;
  // A location exists only while unread tokens remain: past the root object, that is trailing junk.
  if (doc_.current_location().get(rest) == simdjson::SUCCESS) {
    return malformed(simdjson::TRAILING_CONTENT);
  }
  return {};
}

DecodeResult ValueDocument::failure(const ReadStatus& status) {
  if (status.problem != nullptr) return error_result(status.problem);
  return error_result(describe_error("malformed JSON in value", status.code, json_, &doc_));
}

void ObjectKeyReader::read(const char* key, size_t len, std::vector<FieldValue>& dst) {
  dst.clear();
  if (key == nullptr || len == 0) return;
  std::string_view text(key, len);
  size_t begin = text.find_first_not_of(" \t\r\n");
  // Most keys are not objects (DMS, plain ids): skip the parse for them.
  if (begin == std::string_view::npos || text[begin] != '{') return;
  std::string_view json = buf_.assign(key, len);
  auto parsed = parser_.iterate(json.data(), json.size(), buf_.capacity());
  if (std::move(parsed).get(doc_)) return;
  ondemand::object obj;
  if (doc_.get_object().get(obj) || read_object_fields(obj, dst)) {
    dst.clear();
    return;
  }
  const char* rest = nullptr;
  if (doc_.current_location().get(rest) == simdjson::SUCCESS) dst.clear();  // trailing content
}

}  // namespace cdc::json

// ---------------------------------------------------------------- helpers of the Canal and
// Maxwell decoders (see the matching part of json_util.hpp).

namespace cdc::json {

DecodeResult start_document(const char* value, size_t len, PaddedBuffer& buf,
                            simdjson::ondemand::parser& parser, simdjson::ondemand::document& doc,
                            std::string_view& json) {
  if (value == nullptr || len == 0) return {DecodeStatus::Skip, "tombstone"};
  std::string_view copy = buf.assign(value, len);
  if (is_null_document(copy)) return {DecodeStatus::Skip, "tombstone"};
  auto parsed = parser.iterate(copy.data(), copy.size(), buf.capacity());
  if (simdjson::error_code err = std::move(parsed).get(doc)) {
    return {DecodeStatus::Error, describe_error("malformed JSON in value", err, copy, nullptr)};
  }
  json = copy;
  return {};
}

simdjson::error_code read_string_member(simdjson::ondemand::value value, std::string_view& out,
                                        bool null_ok, const char* bad_type, const char*& problem) {
  simdjson::ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  out = {};
  if (null_ok && type == simdjson::ondemand::json_type::null) return read_null(value);
  if (type != simdjson::ondemand::json_type::string) {
    problem = bad_type;
    return simdjson::INCORRECT_TYPE;
  }
  return value.get_string().get(out);
}

DecodeResult take_first_change(DecodeResult r, const std::vector<DecodedChange>& changes,
                               DecodedChange& out) {
  out.clear();
  if (r.status != DecodeStatus::Change) return r;
  const DecodedChange& first = changes[0];
  out.op = first.op;
  out.source = first.source;
  out.source_ts_ms = first.source_ts_ms;
  out.has_before = first.has_before;
  out.has_after = first.has_after;
  out.before = first.before;  // copy-assignment reuses out's capacity
  out.after = first.after;
  return r;
}

}  // namespace cdc::json
