// Decodes Flink SQL's debezium-json rows into DecodedChange.
//
// Flink's serializer writes {"before": {...}|null, "after": {...}|null, "op": "c"|"d"}: an update
// becomes a "d" of the old row followed by a "c" of the new one, and no "source" names the table,
// so source stays empty and the pipeline takes the table from the topic. Other producers of the
// same shape may write "r" (read, an insert) and "u" (an update with both images); both are
// accepted. With 'debezium-json.schema-include' the row sits in a {"schema":..., "payload":...}
// envelope, which is unwrapped. Members other than before/after/op (a real Debezium event's
// source, ts_ms, transaction) are ignored.
#include "core/flink_debezium_decoder.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_util.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;
using json::ImageState;
using json::ReadStatus;

// What the row held besides its images (those go straight into DecodedChange).
struct FlinkRow {
  std::string_view op;
  bool has_op = false;
  bool null_payload = false;  // {"schema":...,"payload":null}: an enveloped tombstone
  ImageState before = ImageState::Absent;
  ImageState after = ImageState::Absent;
};

ReadStatus read_payload(ondemand::value value, FlinkRow& row, DecodedChange& out);

// Handles one member of the row object (`top`: the message's own object, not the payload's).
ReadStatus row_field(std::string_view key, ondemand::value value, bool top, FlinkRow& row,
                     DecodedChange& out) {
  if (key == "op") {
    row.has_op = true;
    return json::read_string(value, row.op, "'op' is not a string");
  }
  if (key == "before") {
    return json::read_image(value, out.before, row.before,
                            "'before' is neither an object nor null");
  }
  if (key == "after") {
    return json::read_image(value, out.after, row.after, "'after' is neither an object nor null");
  }
  if (key == "payload" && top) return read_payload(value, row, out);
  return {};
}

// Reads the members of `obj` as row members.
ReadStatus read_members(ondemand::object obj, bool top, FlinkRow& row, DecodedChange& out) {
  for (auto field : obj) {
    std::string_view key;
    if (simdjson::error_code err = field.unescaped_key().get(key)) return json::malformed(err);
    ondemand::value member;
    if (simdjson::error_code err = field.value().get(member)) return json::malformed(err);
    CDC_READ_TRY(row_field(key, member, top, row, out));
  }
  return {};
}

// Reads the envelope's "payload": the row object, or null for a tombstone.
ReadStatus read_payload(ondemand::value value, FlinkRow& row, DecodedChange& out) {
  ondemand::json_type type;
  if (simdjson::error_code err = value.type().get(type)) return json::malformed(err);
  if (type == ondemand::json_type::null) {
    if (simdjson::error_code err = json::read_null(value)) return json::malformed(err);
    row.null_payload = true;
    return {};
  }
  if (type != ondemand::json_type::object) {
    return json::invalid("'payload' is neither an object nor null");
  }
  ondemand::object obj;
  if (simdjson::error_code err = value.get_object().get(obj)) return json::malformed(err);
  return read_members(obj, false, row, out);
}

// Maps an op code; false for an unknown one.
bool map_op(std::string_view code, Op& op) {
  if (code == "c" || code == "r") {
    op = Op::Insert;
  } else if (code == "u") {
    op = Op::Update;
  } else if (code == "d") {
    op = Op::Delete;
  } else {
    return false;
  }
  return true;
}

// Checks the scanned row and fills op/has_*; source stays empty (the topic decides).
DecodeResult finish(const FlinkRow& row, DecodedChange& out) {
  if (!row.has_op) {
    if (row.null_payload) return skip("tombstone");
    return error("no 'op' field: not a Flink debezium-json row");
  }
  Op op;
  if (!map_op(row.op, op)) return error("unknown op '" + json::printable(row.op) + "'");
  out.op = op;
  out.has_before = row.before == ImageState::Object;
  out.has_after = row.after == ImageState::Object;
  if (op != Op::Delete && !out.has_after) {
    return error("op '" + json::printable(row.op) + "' without an 'after' row image");
  }
  // Flink always writes the old row of a delete; without it there is nothing to find the row by.
  if (op == Op::Delete && !out.has_before) return error("op 'd' without a 'before' row image");
  return {};
}

class FlinkDebeziumDecoder final : public Decoder {
 public:
  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;

 private:
  json::ValueDocument value_;
  json::ObjectKeyReader key_;
};

DecodeResult FlinkDebeziumDecoder::decode(const char* key, size_t key_len, const char* value,
                                          size_t value_len, DecodedChange& out) {
  out.clear();
  ondemand::object root;
  DecodeResult result = value_.open(value, value_len, root);
  if (result.status == DecodeStatus::Change) {
    FlinkRow row;
    ReadStatus status = read_members(root, true, row, out);
    if (!status.failed()) status = value_.finish();
    result = status.failed() ? value_.failure(status) : finish(row, out);
  }
  if (result.status == DecodeStatus::Change) {
    key_.read(key, key_len, out.key);  // Flink SQL's 'key.format' = 'json' writes an object
  } else {
    out.clear();  // nothing half-decoded leaks out
  }
  return result;
}

}  // namespace

std::unique_ptr<Decoder> make_flink_debezium_decoder() {
  return std::make_unique<FlinkDebeziumDecoder>();
}

}  // namespace cdc
