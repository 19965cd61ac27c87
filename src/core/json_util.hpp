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
  // Shortens the copy to its first `len` bytes (at most its length), zeroing the padding after
  // them again, and returns it.
  std::string_view truncate(size_t len);
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
// left out when unknown. Structural errors, which simdjson reports at byte 0 or nowhere, are
// described from the shape of `input` instead: "<what>: the JSON document ends early
// (truncated?) after N bytes, ...", trailing content or a stray closing bracket at its byte.
std::string describe_error(std::string_view what, simdjson::error_code code, std::string_view input,
                           simdjson::ondemand::document* doc);

// True when `text` is the JSON literal null, whitespace aside (some producers' tombstone). Checked
// on the text: simdjson 3.0.1's root is_null() rejects "null" followed by whitespace.
bool is_null_document(std::string_view text);

// Consumes a value whose type() is null, checking that it really is `null`.
simdjson::error_code read_null(simdjson::ondemand::value value);

// Reads an array of strings (or null: no strings) into `dst`, which is cleared first.
// INCORRECT_TYPE for anything else.
simdjson::error_code read_string_array(simdjson::ondemand::value value,
                                       std::vector<std::string_view>& dst);

// A short, printable-ASCII rendering of message text for use inside an error reason.
std::string printable(std::string_view text);

// ---- Row images of the MySQL-sourced formats (Canal, Maxwell) ----

// The field named `name` (ASCII case-insensitive, as MySQL column names are), or null.
const FieldValue* find_field(const std::vector<FieldValue>& row, std::string_view name);

// Writes the fields of `changes` over the same-named fields of `image` (appending unknown ones):
// turns a row and the previous values of its changed columns into the row's before image.
void overlay_fields(std::vector<FieldValue>& image, const std::vector<FieldValue>& changes);

// True for MySQL's zero date or datetime: "0000-00-00", optionally followed by " 00:00:00" and
// a fraction of zeros. PostgreSQL has no such value and rejects it.
bool is_mysql_zero_date(std::string_view text);

// True when a MySQL column type ("datetime(3)", "DATE", "timestamp") can hold a zero date.
bool is_mysql_date_type(std::string_view mysql_type);

// One row of a MySQL-format message, ready to become change(s).
struct RowChangeInput {
  Op op = Op::Insert;                 // Insert, Update or Delete
  std::string_view source;            // "db.table"
  const std::vector<FieldValue>* row = nullptr;  // the row: after image, or a delete's before image
  const std::vector<FieldValue>* old = nullptr;  // update: previous values of changed columns
  const std::vector<std::string_view>* key_names = nullptr;  // primary key columns, if known
  bool split_key_change = true;       // key change -> Delete(old key) + Insert(new row)
  int64_t source_ts_ms = DecodedChange::kNoSourceTime;  // the source's commit time, if said
};

// Appends the change(s) of one row at out[count], growing `out` only when it is too short.
// An update whose `old` changes a key column's value is a key change: the batch layer keys an
// update by its after image, so unless split it would leave the old key's row behind.
void append_row_changes(const RowChangeInput& in, std::vector<DecodedChange>& out, size_t& count);

}  // namespace cdc::json

// ---------------------------------------------------------------- helpers of the dms,
// flink-debezium and json decoders: opening a message, reading row images, JSON-object keys.

namespace cdc::json {

// Outcome of reading part of a message: success, malformed JSON (`code`), or well-formed JSON
// that breaks the format's rules (`problem`, a static string that becomes the Error reason).
struct ReadStatus {
  simdjson::error_code code = simdjson::SUCCESS;
  const char* problem = nullptr;

  bool failed() const { return code != simdjson::SUCCESS || problem != nullptr; }
};

// A ReadStatus for a simdjson error code (SUCCESS means success).
inline ReadStatus malformed(simdjson::error_code code) { return ReadStatus{code, nullptr}; }

// A ReadStatus for a message that is valid JSON but not valid in its format.
inline ReadStatus invalid(const char* problem) { return ReadStatus{simdjson::SUCCESS, problem}; }

// Reads a member that must be a string into `out`; any other well-formed value is the problem
// `bad_type`.
ReadStatus read_string(simdjson::ondemand::value value, std::string_view& out,
                       const char* bad_type);

// What a row image member ("before", "after", "data", ...) held.
enum class ImageState : uint8_t { Absent, Null, Object };

// Reads a row image: an object (its fields replace `dst`) or null; anything else is `bad_type`.
ReadStatus read_image(simdjson::ondemand::value value, std::vector<FieldValue>& dst,
                      ImageState& state, const char* bad_type);

// Appends one FieldValue per member of the opened object `obj` to `dst`.
simdjson::error_code read_object_fields(simdjson::ondemand::object obj,
                                        std::vector<FieldValue>& dst);

// A message value opened for one On-Demand pass: its padded copy, parser and document. Views
// read from it stay valid until the next open(). Allocates nothing once warmed up.
class ValueDocument {
 public:
  // Copies and parses `data`. Change: it is a JSON object and `root` is ready to iterate.
  // Skip "tombstone": absent, empty or JSON null. Error: malformed, or not an object.
  DecodeResult open(const char* data, size_t len, simdjson::ondemand::object& root);
  // Checks, once the root object was read to its end, that nothing follows it.
  ReadStatus finish();
  // The Error result for a failed read: the problem, or "malformed JSON in value at byte N: ...".
  DecodeResult failure(const ReadStatus& status);

 private:
  PaddedBuffer buf_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document doc_;
  std::string_view json_;  // the current message inside buf_
};

// Decodes Kafka message keys that are one JSON object into fields; any other key gives none
// (e.g. AWS DMS's "schema.table.pk" strings). Own parser, so value views survive a key read.
class ObjectKeyReader {
 public:
  // Replaces `dst` with the key's members; empty when the key is absent, malformed or not an
  // object.
  void read(const char* key, size_t len, std::vector<FieldValue>& dst);

 private:
  PaddedBuffer buf_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document doc_;
};

}  // namespace cdc::json

// Returns the ReadStatus from the enclosing function when it failed.
#define CDC_READ_TRY(expr)                         \
  do {                                             \
    ::cdc::json::ReadStatus cdc_status_ = (expr);  \
    if (cdc_status_.failed()) return cdc_status_;  \
  } while (0)

// ---------------------------------------------------------------- helpers of the Canal and
// Maxwell decoders: starting a message, scanning its top-level members, decode()'s one change.

namespace cdc::json {

// Copies `value` into `buf` and starts an On-Demand pass over it into `doc`. Change: `json` is
// the padded copy and `doc` is ready to scan. Skip "tombstone": absent, empty or JSON null (a
// compacted topic may hold them). Error: JSON so malformed that simdjson cannot even start.
DecodeResult start_document(const char* value, size_t len, PaddedBuffer& buf,
                            simdjson::ondemand::parser& parser, simdjson::ondemand::document& doc,
                            std::string_view& json);

// Scans the top-level object of `doc`: on_member(key, value) for each member in order (an error
// it returns stops the scan), then checks that nothing follows the object. A root that is not an
// object sets `problem` to "the value is not a JSON object" and returns INCORRECT_TYPE.
template <typename OnMember>
simdjson::error_code scan_root_members(simdjson::ondemand::document& doc, const char*& problem,
                                       OnMember&& on_member) {
  simdjson::ondemand::json_type type;
  SIMDJSON_TRY(doc.type().get(type));
  // A lone JSON null was caught before parsing (start_document), so any other 'n' is malformed.
  if (type == simdjson::ondemand::json_type::null) return simdjson::N_ATOM_ERROR;
  if (type != simdjson::ondemand::json_type::object) {
    problem = "the value is not a JSON object";
    return simdjson::INCORRECT_TYPE;
  }
  simdjson::ondemand::object root;
  SIMDJSON_TRY(doc.get_object().get(root));
  for (auto field : root) {
    std::string_view key;
    SIMDJSON_TRY(field.unescaped_key().get(key));
    simdjson::ondemand::value value;
    SIMDJSON_TRY(field.value().get(value));
    SIMDJSON_TRY(on_member(key, value));
  }
  const char* rest = nullptr;
  // A location exists only while unread tokens remain: past the root object, that is trailing junk.
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return simdjson::TRAILING_CONTENT;
  return simdjson::SUCCESS;
}

// Reads a member that must be a string into `out` (cleared first); with `null_ok`, null is
// accepted too and leaves it empty. Any other type sets `problem` to `bad_type` and returns
// INCORRECT_TYPE (so "nul" reads as the wrong type, as type() only looks at the first byte).
simdjson::error_code read_string_member(simdjson::ondemand::value value, std::string_view& out,
                                        bool null_ok, const char* bad_type, const char*& problem);

// decode() of a format whose messages may hold several changes: `out` is cleared and, when `r`
// is a Change, takes the first of `changes` (their key stays empty: these formats have none).
// Returns `r`.
DecodeResult take_first_change(DecodeResult r, const std::vector<DecodedChange>& changes,
                               DecodedChange& out);

}  // namespace cdc::json
