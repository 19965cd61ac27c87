// The AWS DMS decoder: records written by an AWS Database Migration Service task whose target
// endpoint is Apache Kafka (JSON message format, one record per message).
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>
#include <string>

#include "core/change.hpp"

namespace cdc {

// AWS DMS decoder options; the defaults are what make_decoder("dms") uses.
struct DmsOptions {
  // The prefix of the before-image columns that the add-before-image-columns transformation rule
  // adds to "data" (its default "BI_"; matched case-sensitively). A member <prefix>X of "data"
  // holds the old value of column X when X is a member too. Empty: no such columns.
  std::string before_image_prefix = "BI_";
};

// A new AWS DMS decoder with default options. Not thread-safe.
std::unique_ptr<Decoder> make_dms_decoder();

// A new AWS DMS decoder with `options`. Not thread-safe.
std::unique_ptr<Decoder> make_dms_decoder(const DmsOptions& options);

}  // namespace cdc
