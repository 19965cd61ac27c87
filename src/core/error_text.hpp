// Error texts a user reads in last_error and dead letters: which message, and why, in their terms.
#pragma once

#include "core/pure_cpp.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdc {

// "topic[partition]@offset, key <key>": the key as the message carries it (a Debezium key's
// payload only, without its schema), shortened to a readable length; no key part when absent.
std::string describe_message(std::string_view topic, int32_t partition, int64_t offset, const char* key,
                             size_t key_len);

// PostgreSQL's error text for a staged row, in the user's terms: the context of a COPY into the
// staging table ("COPY p1_s2_w0, line 3, column qty: \"abc\"") becomes "column qty: \"abc\"": the
// staging table and its line numbers mean nothing to the user; context lines quoting cdc_sync's own
// statements on the staging table are dropped; other texts are returned unchanged.
std::string readable_apply_error(const std::string& error);

}  // namespace cdc
