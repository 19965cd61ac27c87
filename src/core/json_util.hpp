// JSON helpers shared by the JSON-based decoders: padded input copies, exact value extraction
// (numbers as written, nested values as raw text) and readable error messages.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/change.hpp"

namespace cdc::json {

// Deepest object/array nesting accepted inside a field value; bounds the validating recursion
// (fuzzed input must not exhaust the stack) and is far beyond what CDC payloads use.
constexpr int kMaxNesting = 256;

// A reusable copy of one message followed by SIMDJSON_PADDING bytes, which simdjson reads past
// the end of its input. It only grows, so the steady state performs no allocation.
class PaddedBuffer {
 public:
  // Copies `data` in (zeroing the padding) and returns the copy.
  std::string_view assign(const char* data, size_t len);
  // Bytes usable by the parser: the last copy's length plus at least SIMDJSON_PADDING.
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;  // allocated bytes, padding included
};

// True when `text` is exactly one JSON number literal (RFC 8259 grammar, no whitespace).
bool is_number_literal(std::string_view text);

// `text` without trailing JSON whitespace (simdjson's raw tokens run up to the next token).
std::string_view trim_right(std::string_view text);

// Reads one JSON value into `out.kind`/`out.text` (see ValueKind). Strings are unescaped into the
// parser's string buffer; numbers and nested values point into the parser's input. Nested values
// are fully validated, so their raw text is well-formed JSON.
simdjson::error_code read_value(simdjson::ondemand::value value, FieldValue& out);

// Appends one FieldValue per member of the object `value` to `dst`.
simdjson::error_code read_fields(simdjson::ondemand::value value, std::vector<FieldValue>& dst);

// "<what> at byte N: <simdjson message>"; the position comes from `doc` (may be null) and is
// left out when unknown.
std::string describe_error(std::string_view what, simdjson::error_code code, std::string_view input,
                           simdjson::ondemand::document* doc);

}  // namespace cdc::json
