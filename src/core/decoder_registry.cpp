// The format-name -> decoder table behind make_decoder() and is_known_format().
#include <stdexcept>
#include <string>

#include "core/canal_decoder.hpp"
#include "core/change.hpp"
#include "core/debezium_decoder.hpp"
#include "core/maxwell_decoder.hpp"
#include "core/dms_decoder.hpp"
#include "core/flink_debezium_decoder.hpp"
#include "core/json_decoder.hpp"

namespace cdc {
namespace {

// One supported pipeline format.
struct FormatEntry {
  std::string_view name;
  std::unique_ptr<Decoder> (*make)(const DecoderOptions&);
};

// Every format create_pipeline accepts; add new decoders here.
constexpr FormatEntry kFormats[] = {
    {"debezium", [](const DecoderOptions&) { return make_debezium_decoder(); }},
    {"canal",
     [](const DecoderOptions& o) {
       CanalOptions c;
       c.zero_date_as_null = o.zero_date_as_null;
       return make_canal_decoder(c);
     }},
    {"maxwell",
     [](const DecoderOptions& o) {
       MaxwellOptions m;
       m.zero_date_as_null = o.zero_date_as_null;
       return make_maxwell_decoder(m);
     }},
    {"dms",
     [](const DecoderOptions& o) {
       DmsOptions d;
       d.before_image_prefix = o.dms_before_image_prefix;
       return make_dms_decoder(d);
     }},
    {"flink-debezium", [](const DecoderOptions&) { return make_flink_debezium_decoder(); }},
    {"json", [](const DecoderOptions&) { return make_json_decoder(); }},
};

// The entry for `format`, or null.
const FormatEntry* find_format(std::string_view format) {
  for (const FormatEntry& entry : kFormats) {
    if (entry.name == format) return &entry;
  }
  return nullptr;
}

// "a, b, c": the known names, for error messages.
std::string known_names() {
  std::string names;
  for (const FormatEntry& entry : kFormats) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(std::string_view format, const DecoderOptions& options) {
  if (const FormatEntry* entry = find_format(format)) return entry->make(options);
  throw std::invalid_argument("unknown message format '" + std::string(format) +
                              "' (known formats: " + known_names() + ")");
}

bool is_known_format(std::string_view format) { return find_format(format) != nullptr; }

}  // namespace cdc
