// What a full load's worker (worker/full_load.cpp) asks of the PostgreSQL side (pg/load_worker.cpp).
//
// Neutral header: standard C++ only. Functions throw host::HostError for PostgreSQL errors.
#pragma once

#include "bridge/host.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cdc::host::load {

// A load as the catalog has it now (cdc_sync.full_loads and what it refers to).
struct Load {
  int id = 0;
  int index = 0;                  // this worker's
  std::string state;              // running, done, failed; "gone" when deleted
  std::string pipeline, db, table;
  std::string connection_json;    // the MySQL connection's options
  std::string where;              // full_load option: a condition on the source rows
  std::string key_column;         // the chunks' key ("" : one chunk)
  std::string target;             // quoted, qualified
  bool planned = false;
  bool truncate = true;
  bool target_exists = false;
  bool auto_create = true;
  bool append = false;
  long chunk_rows = 8192;
  long max_unchunked_rows = 1000000;  // a table without a primary key: read in one pass up to this
  int chunks_recorded = 0;              // chunks in load_chunks so far (planning goes on while loading)
  std::optional<std::string> last_end;  // the last recorded chunk's end
  std::vector<std::string> key;   // the sync table's key ("" entries never)
  ColumnMapping field_map;        // the sync table's columns option
};

// What worker 0 decides, a few chunks at a time (the other workers load the first ones meanwhile).
struct Plan {
  std::string create_ddl;         // CREATE TABLE for a missing target ("" : it exists)
  std::vector<std::string> table_key;  // the created target's key (the sync table's key when it had none)
  std::string key_column;
  int first_chunk = 0;            // the number of ends[0]'s chunk; 0: the plan's first part
  std::optional<std::string> after;  // where chunk first_chunk starts (none: at the first row)
  std::vector<std::optional<std::string>> ends;  // chunk first_chunk + i ends at ends[i]; none: open
  bool complete = false;          // the last chunk is among these
};

struct Chunk {
  int chunk = 0;
  std::optional<std::string> lo, hi;
};

Load read(int id, int index);
// One transaction: records the plan's chunks (and the load as planned when it is complete); with
// its first part, also creates the target (as the owner), starts the handover (_begin_load) and
// empties the target (truncate).
void commit_plan(const Load& load, const Plan& plan);
// Opens a transaction and claims a chunk no other worker holds (with the target's column names);
// false, with no transaction open, when none is left.
bool claim(const Load& load, Chunk& chunk, std::vector<std::string>& target_columns);
// In the claim's transaction: writes the chunk's rows (COPY text of columns `names`) as the owner,
// marks it done and commits.
void write_chunk(const Load& load, const Chunk& chunk, const std::vector<std::string>& names, const std::string& copy_text,
                 long rows);
// Aborts the transaction claim() opened.
void abandon();
// True (and the load ended, its table's kept changes replayed next) when every chunk is done.
bool end_if_done(const Load& load);
// Waits up to `ms`; false when the worker must stop.
bool nap(long ms);
bool stop_requested();

}  // namespace cdc::host::load
