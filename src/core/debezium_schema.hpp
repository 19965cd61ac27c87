// The Kafka Connect schema of a Debezium message, reduced to what value conversion needs: which
// fields carry a logical type (io.debezium.time.Date, Decimal, Bits, ...) and its parameters.
//
// Schemas repeat for every message of a table, so they are parsed once and cached by their exact
// raw text; a cache hit costs one memcmp against the last schema seen (or a hash and a memcmp).
#pragma once
#include "core/pure_cpp.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "core/change.hpp"

namespace cdc::debezium {

// How one field's JSON value becomes PostgreSQL text (see value_convert.hpp).
enum class Conv : uint8_t {
  None,                  // passes through as it is
  Bytes,                 // "bytes" without logical name: base64 -> bytea '\x..'
  Decimal,               // org.apache.kafka.connect.data.Decimal (param: scale)
  DecimalArray,          // an array of Decimal items (param: their scale): PostgreSQL's numeric[]
  VariableScaleDecimal,  // io.debezium.data.VariableScaleDecimal {"scale","value"}
  Bits,                  // io.debezium.data.Bits (param: length)
  Date,                  // io.debezium.time.Date, org.apache.kafka.connect.data.Date
  TimeMillis,            // io.debezium.time.Time, org.apache.kafka.connect.data.Time
  TimeMicros,            // io.debezium.time.MicroTime
  TimeNanos,             // io.debezium.time.NanoTime
  TimestampMillis,       // io.debezium.time.Timestamp, org.apache.kafka.connect.data.Timestamp
  TimestampMicros,       // io.debezium.time.MicroTimestamp
  TimestampNanos,        // io.debezium.time.NanoTimestamp
  MicroDuration,         // io.debezium.time.MicroDuration
};

// The conversion for a field of Connect type `type` with logical name `name` ("" if none), or
// Conv::None when the type does not fit the name (the value then passes through).
Conv conv_of(std::string_view type, std::string_view name);

// One field of a struct schema.
struct FieldSchema {
  std::string name;
  Conv conv = Conv::None;
  int32_t param = -1;  // Decimal: scale (0 if absent); Bits: length (-1 if absent)
  // The PostgreSQL type for the column: from the source column type when the connector propagates
  // it (column.propagate.source.type), else from the Connect type (source_types.hpp); "" if none.
  std::string pg_type;
  bool pg_type_from_source = false;  // pg_type comes from the source column's own type
};

// The fields of one struct (a row image or a key), in schema order.
struct RowSchema {
  std::vector<FieldSchema> fields;
  std::unordered_map<std::string_view, uint32_t> index;  // name -> position in `fields`
  bool converts = false;  // some field has a conversion

  // The schema of field `name`, expected at `position` (JsonConverter keeps schema order).
  // Inline: it runs for every field of every converted row image.
  const FieldSchema* find(std::string_view name, size_t position) const {
    if (position < fields.size() && std::string_view(fields[position].name) == name) {
      return &fields[position];
    }
    return find_by_name(name);
  }
  // The schema of field `name` wherever it is, or null.
  const FieldSchema* find_by_name(std::string_view name) const;
};

// A parsed "schema" member.
struct MessageSchema {
  RowSchema row;     // the struct's own fields: a key's columns
  RowSchema before;  // an envelope's "before" struct
  RowSchema after;   // an envelope's "after" struct
  uint64_t serial = 0;  // unique per parsed schema in this process (SchemaCache), never 0
};

// Parses a "schema" member's JSON; false when it is not a struct schema.
bool parse_schema(std::string_view json, simdjson::dom::parser& parser, MessageSchema& out);

// Parsed schemas by exact raw text. Not thread-safe.
class SchemaCache {
 public:
  // The schema for `text`, parsed on first sight; null when it is not a usable struct schema.
  const MessageSchema* find(std::string_view text);
  // A recently found usable schema whose text is a prefix of `text` and is followed there by
  // `next` (no parsing: lets the decoder skip a schema it has seen); sets `length` to its size.
  const MessageSchema* match_prefix(std::string_view text, char next, size_t& length) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string text;
    std::unique_ptr<MessageSchema> schema;  // null: not usable
  };
  const Entry* insert(std::string_view text, size_t hash);
  void touch(const Entry* entry);

  static constexpr size_t kMaxEntries = 1024;  // then start over: schemas changed a lot
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_multimap<size_t, const Entry*> by_hash_;
  const Entry* last_ = nullptr;
  const Entry* recent_[4] = {};  // most recently found first: topics interleave a few tables
  simdjson::dom::parser parser_;
};

// Converts row-image values by their schema into text it owns, then points the fields at it.
// Reused across messages; allocation-free once its buffers have grown.
class ImageConverter {
 public:
  // Forgets the previous message's text (views into it die).
  void reset();
  // Converts the fields of `image` that `schema` gives a conversion. False (with `error` set)
  // when a value does not fit its schema, e.g. a Decimal that is neither base64 nor a number.
  bool convert(const RowSchema& schema, std::vector<FieldValue>& image, std::string& error);
  // Points every converted field at its text (kind Text); call after the last convert().
  void finish();

 private:
  struct Fixup {
    std::vector<FieldValue>* image;
    size_t index;
    size_t offset;
    size_t length;
  };
  std::string text_;
  std::vector<Fixup> fixups_;
};

}  // namespace cdc::debezium
