// The AWS DMS decoder: records written by an AWS Database Migration Service task whose target
// endpoint is Apache Kafka (JSON message format, one record per message).
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// A new AWS DMS decoder (what make_decoder("dms") returns). Not thread-safe.
std::unique_ptr<Decoder> make_dms_decoder();

}  // namespace cdc
