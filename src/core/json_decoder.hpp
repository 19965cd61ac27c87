// The plain JSON decoder: every message is one JSON object, which is one row to insert.
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// A new plain JSON decoder (what make_decoder("json") returns). Not thread-safe.
std::unique_ptr<Decoder> make_json_decoder();

}  // namespace cdc
