// The Canal decoder: Alibaba Canal's "flat message" JSON (canal.mq.flatMessage = true), also as
// written by TiCDC's canal-json protocol and Flink's canal-json format.
//
// One message carries one binlog event of one table, possibly several rows: decode_all() returns
// one change per row, in order (an update that changes the primary key gives two: a Delete of
// the old key, then an Insert of the new row). decode() returns the first row only, and keeps a
// key change as one Update whose before image holds the old key.
#pragma once
#include "core/pure_cpp.hpp"

#include <memory>

#include "core/change.hpp"

namespace cdc {

// Canal decoder options; the defaults are what make_decoder("canal") uses.
struct CanalOptions {
  // MySQL zero dates ('0000-00-00', '0000-00-00 00:00:00[.000]') in date/datetime/timestamp
  // columns become NULL: PostgreSQL has no such value and would reject the row.
  bool zero_date_as_null = true;
};

// A new Canal decoder with default options. Not thread-safe.
std::unique_ptr<Decoder> make_canal_decoder();

// A new Canal decoder with `options`. Not thread-safe.
std::unique_ptr<Decoder> make_canal_decoder(const CanalOptions& options);

}  // namespace cdc
