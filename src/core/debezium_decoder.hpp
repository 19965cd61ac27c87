// The Debezium JSON decoder: change events as written by Kafka Connect's JsonConverter, with or
// without the {"schema":..., "payload":...} envelope.
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// A new Debezium decoder (what make_decoder("debezium") returns). Not thread-safe.
std::unique_ptr<Decoder> make_debezium_decoder();

}  // namespace cdc
