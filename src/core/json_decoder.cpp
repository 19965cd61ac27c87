// Decodes plain JSON messages: each message is one JSON object, decoded as an Insert whose after
// image holds every top-level member (nested objects and arrays as Json values). The format names
// no table, so source stays empty and the pipeline takes the table from the topic. Anything but
// an object is an Error; a null value is a tombstone and skipped. Per-table options that turn
// rows into other operations (append, op_field) are applied after decoding, not here.
#include "core/json_decoder.hpp"

#include "core/json_util.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;

class JsonDecoder final : public Decoder {
 public:
  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;

 private:
  json::ValueDocument value_;
  json::ObjectKeyReader key_;
};

DecodeResult JsonDecoder::decode(const char* key, size_t key_len, const char* value,
                                 size_t value_len, DecodedChange& out) {
  out.clear();
  ondemand::object root;
  DecodeResult result = value_.open(value, value_len, root);
  if (result.status == DecodeStatus::Change) {
    json::ReadStatus status = json::malformed(json::read_object_fields(root, out.after));
    if (!status.failed()) status = value_.finish();
    if (status.failed()) result = value_.failure(status);
  }
  if (result.status != DecodeStatus::Change) {
    out.clear();  // nothing half-decoded leaks out
    return result;
  }
  out.op = Op::Insert;
  out.has_after = true;
  key_.read(key, key_len, out.key);
  return result;
}

}  // namespace

std::unique_ptr<Decoder> make_json_decoder() { return std::make_unique<JsonDecoder>(); }

}  // namespace cdc
