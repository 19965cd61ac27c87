// The Flink debezium-json decoder: rows written by Flink SQL's Kafka connector with
// 'format' = 'debezium-json' ({"before":..., "after":..., "op":...}, no source block).
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// A new Flink debezium-json decoder (what make_decoder("flink-debezium") returns). Not thread-safe.
std::unique_ptr<Decoder> make_flink_debezium_decoder();

}  // namespace cdc
