// JSON helpers shared by the JSON-based decoders (see json_util.hpp).
#include "core/json_util.hpp"

#include <algorithm>
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

std::string describe_error(std::string_view what, error_code code, std::string_view input,
                           ondemand::document* doc) {
  std::string msg(what);
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

}  // namespace cdc::json
