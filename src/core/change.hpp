// A decoded CDC event: the format-independent shape every decoder produces.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdc {

// What an event does to the row of its key. Snapshot reads ('r') decode as Insert.
enum class Op : uint8_t { Insert, Update, Delete, Truncate };

// How a value was written in the message, which decides how it is handed to PostgreSQL.
enum class ValueKind : uint8_t {
  Null,    // JSON null
  String,  // text: the unescaped string content
  Number,  // text: the number literal exactly as written (no float round trip)
  Bool,    // text: "true" or "false"
  Json,    // text: the raw JSON of an object or array
  Text,    // text: already PostgreSQL input text (a decoder converted it, e.g. by its schema);
           // the batch hands it to the input function without any further conversion
};

// One field of a row image. Views point into the decoder's buffers.
struct FieldValue {
  std::string_view name;
  ValueKind kind = ValueKind::Null;
  std::string_view text;
};

// One decoded change. All views stay valid until the decoder's next decode() call.
struct DecodedChange {
  Op op = Op::Insert;
  std::string_view source;         // "db.table" (Debezium MySQL) or "schema.table" (PostgreSQL);
                                   // empty when the format names no table (the topic decides)
  bool has_before = false;
  bool has_after = false;
  std::vector<FieldValue> before;  // row image before the change (may be partial or absent)
  std::vector<FieldValue> after;   // row image after the change
  std::vector<FieldValue> key;     // fields of the Kafka message key, when it is a JSON object
  int64_t source_ts_ms = kNoSourceTime;  // when the source committed it (Debezium's source.ts_ms,
                                         // Canal's es, Maxwell's ts), kNoSourceTime when unsaid

  static constexpr int64_t kNoSourceTime = INT64_MIN;
  // Source times outside 1970 .. 9999 are not taken (a timestamptz could not hold every such value).
  static constexpr int64_t kMaxSourceTime = 253402300800000;  // 10000-01-01, in ms
  static bool plausible_source_ts(int64_t ms) { return ms >= 0 && ms < kMaxSourceTime; }

  void clear() {
    op = Op::Insert;
    source = {};
    source_ts_ms = kNoSourceTime;
    has_before = has_after = false;
    before.clear();
    after.clear();
    key.clear();
  }
};

enum class DecodeStatus : uint8_t {
  Change,  // `out` holds a change to apply
  Skip,    // nothing to apply (tombstone, heartbeat, schema-change or other non-data event); `reason` says why
  Error,   // the message is malformed; `reason` says how (this is a bad message: on_error policy applies)
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::Change;
  std::string reason;
};

// A Skip result, with why.
inline DecodeResult skip(std::string reason) { return {DecodeStatus::Skip, std::move(reason)}; }

// An Error result, with why.
inline DecodeResult error(std::string reason) { return {DecodeStatus::Error, std::move(reason)}; }

// Turns raw Kafka messages of one format into DecodedChange. Not thread-safe; one per thread.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes a message that carries one change. key/value may be null (absent); a null value is a
  // tombstone. Formats that batch rows (Canal, Maxwell's bootstrap) return their first change here.
  virtual DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                              DecodedChange& out) = 0;
  // Decodes a message into all the changes it carries, in order (Canal puts several rows in one
  // message): out[0 .. count) on return. `out` only grows, so its elements (and their vectors'
  // capacity) are reused across calls. Status Change means count >= 1.
  virtual DecodeResult decode_all(const char* key, size_t key_len, const char* value, size_t value_len,
                                  std::vector<DecodedChange>& out, size_t& count) {
    if (out.empty()) out.resize(1);
    out[0].clear();
    DecodeResult r = decode(key, key_len, value, value_len, out[0]);
    count = r.status == DecodeStatus::Change ? 1 : 0;
    return r;
  }
  // The PostgreSQL type that the last decoded message declares for its column `field` (Debezium's
  // schema envelope, Canal's mysqlType; see source_types.hpp), or "" when it declares none. Asked
  // only for fields without a target column (schema evolution), so it may cost a parse.
  virtual std::string source_type(std::string_view field) { return {}; }
  // The source column's own type (MySQL's, as PostgreSQL's) that the last decoded message declares
  // for `field`: Canal's mysqlType, Debezium's propagated source type; "" otherwise (a generic
  // Connect type is no declaration). Widening an existing column follows only these.
  virtual std::string declared_type(std::string_view field) { return {}; }
  // The primary key columns the last decoded message names besides its Kafka key (Canal's
  // pkNames); empty when it names none.
  virtual std::vector<std::string> declared_key() { return {}; }
  // Identifies the column types the last decoded message declares: the same number for messages
  // that declare the same types, another one when they change; 0 when it declares none.
  virtual uint64_t declared_types_id() { return 0; }
};

// Choices a pipeline makes about how values are decoded.
struct DecoderOptions {
  // MySQL zero dates ('0000-00-00', '0000-00-00 00:00:00') that Canal and Maxwell pass through:
  // NULL (true), or kept as they are, so PostgreSQL rejects them as a bad message (false).
  bool zero_date_as_null = true;
  // AWS DMS: prefix of the before-image columns add-before-image-columns puts in "data" ("": none).
  std::string dms_before_image_prefix = "BI_";
};

// The decoder for a pipeline format name ("debezium", ...); throws std::invalid_argument for an unknown one.
std::unique_ptr<Decoder> make_decoder(std::string_view format, const DecoderOptions& options = DecoderOptions());

// True when `format` names a supported format (for validating create_pipeline's argument).
bool is_known_format(std::string_view format);

}  // namespace cdc
