// The Maxwell decoder: Zendesk Maxwell's JSON row events ({"database", "table", "type", "data",
// "old", ...}), one row per message.
//
// decode_all() returns one change, or two for an update that changes the primary key (a Delete
// of the old key, then an Insert of the new row). decode() returns exactly one change and keeps
// a key change as one Update whose before image holds the old key.
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// Maxwell decoder options; the defaults are what make_decoder("maxwell") uses.
struct MaxwellOptions {
  // MySQL zero dates ('0000-00-00', '0000-00-00 00:00:00[.000]'), which Maxwell reproduces
  // as strings, become NULL: PostgreSQL has no such value and would reject the row. Maxwell
  // writes no column types, so any string of exactly that form counts.
  bool zero_date_as_null = true;
};

// A new Maxwell decoder with default options. Not thread-safe.
std::unique_ptr<Decoder> make_maxwell_decoder();

// A new Maxwell decoder with `options`. Not thread-safe.
std::unique_ptr<Decoder> make_maxwell_decoder(const MaxwellOptions& options);

}  // namespace cdc
