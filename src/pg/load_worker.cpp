// Full loads, PostgreSQL side: the load workers' entry point (started by the launcher, one per
// load and index), the catalog and target work they ask for (bridge/load_host.hpp), and
// cdc_sync._mysql_query(). The handover to the stream is in cdc_sync._begin_load / _end_load.
#include "pg/bridge.hpp"
#include "pg/shmem.hpp"
#include "pg/spi.hpp"
#include "pg/worker_state.hpp"

#include "bridge/load_host.hpp"
#include "bridge/runtime.hpp"

#include <algorithm>

extern "C" {
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

PGDLLEXPORT void cdc_sync_load_main(Datum);
PG_FUNCTION_INFO_V1(cdc_sync_mysql_query);
}

using namespace cdc::pg;
namespace host = cdc::host;
namespace load = cdc::host::load;

namespace {

// The load this worker runs: its owner and sync table (read with the load).
Oid load_owner = InvalidOid;
int load_sync_table = 0;

// Text of SPI result row 0, column `col` (null: "").
const char* value_at(int col) {
  char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
  return v ? v : "";
}

// Opens a transaction with SPI and a snapshot.
void begin() {
  guard([]() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
  });
}

void commit() {
  guard([]() {
    PopActiveSnapshot();
    SPI_finish();
    CommitTransactionCommand();
  });
}

void abort_quietly() {
  try {
    guard([]() { AbortCurrentTransaction(); });
  } catch (...) {
  }
}

// "a, b" from names, each quoted; prefixed ("s.a, s.b") when `prefix` is given.
std::string quoted_list(const std::vector<std::string>& names, const char* prefix = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); i++) out += (i ? ", " : "") + std::string(prefix) + quote_identifier(names[i].c_str());
  return out;
}

}  // namespace

namespace cdc::host::load {

Load read(int id, int index) {
  Load l;
  l.id = id;
  l.index = index;
  bool found = false;
  in_transaction([&]() {
    spi_exec("SELECT l.state, l.pipeline, split_part(l.source, '.', 1), substr(l.source, strpos(l.source, '.') + 1), "
             "  c.options::text, coalesce(l.options->>'where', ''), coalesce(l.key_column, ''), "
             "  coalesce(s.target::text, s.target_name), l.sync_table, l.planned, "
             "  coalesce((l.options->>'truncate')::bool, true), "
             "  coalesce(s.target, pg_catalog.to_regclass(s.target_name)) IS NOT NULL, "
             "  coalesce((s.options->>'auto_create')::bool, true), coalesce((s.options->>'append')::bool, false), "
             "  coalesce((l.options->>'chunk_rows')::int, 8192), p.owner::oid, array_to_string(s.primary_key, E'\\n'), "
             "  coalesce((l.options->>'max_unchunked_rows')::bigint, 1000000), "
             "  (SELECT count(*) FROM cdc_sync.load_chunks c WHERE c.load = l.id), "
             "  (SELECT c.hi FROM cdc_sync.load_chunks c WHERE c.load = l.id ORDER BY c.chunk DESC LIMIT 1), "
             "  array_to_string(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.options->'columns'->'include')), E'\\n'), "
             "  array_to_string(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.options->'columns'->'exclude')), E'\\n'), "
             "  array_to_string(ARRAY(SELECT r.key || E'\\n' || r.value "
             "    FROM pg_catalog.jsonb_each_text(s.options->'columns'->'rename') r), E'\\n') "
             "FROM cdc_sync.full_loads l JOIN cdc_sync.pipelines p ON p.name = l.pipeline "
             "JOIN cdc_sync.sync_tables s ON s.id = l.sync_table "
             "JOIN cdc_sync.mysql_connections c ON c.name = l.connection WHERE l.id = $1",
             SPI_OK_SELECT, "reading the load", {{INT4OID, Int32GetDatum(id)}}, true);
    found = SPI_processed > 0;
    if (!found) return;
    // (Into strings owned outside this frame: an ERROR's longjmp skips no destructor here.)
    l.state = value_at(1);
    l.pipeline = value_at(2);
    l.db = value_at(3);
    l.table = value_at(4);
    l.connection_json = value_at(5);
    l.where = value_at(6);
    l.key_column = value_at(7);
    l.target = value_at(8);
    load_sync_table = atoi(value_at(9));
    l.planned = strcmp(value_at(10), "t") == 0;
    l.truncate = strcmp(value_at(11), "t") == 0;
    l.target_exists = strcmp(value_at(12), "t") == 0;
    l.auto_create = strcmp(value_at(13), "t") == 0;
    l.append = strcmp(value_at(14), "t") == 0;
    l.chunk_rows = atol(value_at(15));
    load_owner = (Oid)strtoul(value_at(16), nullptr, 10);
    split_lines(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 17), l.key);
    l.max_unchunked_rows = atol(value_at(18));
    l.chunks_recorded = atoi(value_at(19));
    if (SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 20) != nullptr) l.last_end = std::string(value_at(20));
    split_lines(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 21), l.field_map.include);
    split_lines(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 22), l.field_map.exclude);
    split_pairs(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 23), l.field_map.rename);
  });
  if (!found) l.state = "gone";
  return l;
}

void commit_plan(const Load& l, const Plan& plan) {
  std::string keys;
  for (const std::string& k : plan.table_key) keys += (keys.empty() ? "" : "\n") + k;
  std::string source = l.db + "." + l.table;
  std::string truncate = "TRUNCATE " + l.target;
  in_transaction([&]() {
    // The pipeline's lock first (in _begin_load): a worker of the pipeline may be creating the
    // same target for the stream, under that lock.
    if (plan.first_chunk == 0)
      spi_exec("SELECT cdc_sync._begin_load($1)", SPI_OK_SELECT, "starting the load", {{INT4OID, Int32GetDatum(l.id)}});
    if (plan.first_chunk == 0 && !plan.create_ddl.empty()) {
      AsOwner owner(load_owner);
      if (SPI_execute(plan.create_ddl.c_str(), false, 0) != SPI_OK_UTILITY)
        elog(ERROR, "cdc_sync: creating the target failed");
      owner.restore();
      spi_exec("INSERT INTO cdc_sync.schema_history (pipeline, source, target, ddl, topic, partition, \"offset\") "
               "VALUES ($1, $2, $3, $4, '', 0, 0)",
               SPI_OK_INSERT, "recording the created target",
               {text_arg(l.pipeline.c_str()), text_arg(source.c_str()), text_arg(l.target.c_str()),
                text_arg(plan.create_ddl.c_str())});
      spi_exec("UPDATE cdc_sync.sync_tables SET target = coalesce(target, pg_catalog.to_regclass(target_name)), "
               "primary_key = CASE WHEN cardinality(primary_key) = 0 THEN coalesce(string_to_array(nullif($2, ''), E'\\n'), "
               "'{}') ELSE primary_key END WHERE id = $1",
               SPI_OK_UPDATE, "recording the created target",
               {{INT4OID, Int32GetDatum(load_sync_table)}, text_arg(keys.c_str())});
    }
    if (plan.first_chunk == 0 && l.truncate) {
      AsOwner owner(load_owner);
      if (SPI_execute(truncate.c_str(), false, 0) != SPI_OK_UTILITY) elog(ERROR, "cdc_sync: emptying the target failed");
      owner.restore();
    }
    for (size_t c = 0; c < plan.ends.size(); c++) {
      const std::optional<std::string>& from = c == 0 ? plan.after : plan.ends[c - 1];
      const char* lo = from ? from->c_str() : nullptr;
      const char* hi = plan.ends[c] ? plan.ends[c]->c_str() : nullptr;
      spi_exec("INSERT INTO cdc_sync.load_chunks (load, chunk, lo, hi) VALUES ($1, $2, $3, $4)", SPI_OK_INSERT,
               "recording a chunk",
               {{INT4OID, Int32GetDatum(l.id)}, {INT4OID, Int32GetDatum(plan.first_chunk + (int)c)},
                lo ? text_arg(lo) : SpiArg{TEXTOID, (Datum)0, true}, hi ? text_arg(hi) : SpiArg{TEXTOID, (Datum)0, true}});
    }
    spi_exec("UPDATE cdc_sync.full_loads SET planned = $3, key_column = nullif($2, '') WHERE id = $1", SPI_OK_UPDATE,
             "recording the plan",
             {{INT4OID, Int32GetDatum(l.id)}, text_arg(plan.key_column.c_str()), {BOOLOID, BoolGetDatum(plan.complete)}});
  });
  if (plan.complete)
    ereport(LOG, (errmsg("cdc_sync: full load %d of %s into %s: %zu chunks", l.id, source.c_str(), l.target.c_str(),
                         plan.first_chunk + plan.ends.size())));
}

bool claim(const Load& l, Chunk& chunk, std::vector<std::string>& target_columns) {
  begin();
  bool claimed = false;
  char* lo = nullptr;
  char* hi = nullptr;
  try {
    guard([&]() {
      spi_exec("SELECT chunk, lo, hi FROM cdc_sync.load_chunks WHERE load = $1 AND done_at IS NULL "
               "ORDER BY chunk LIMIT 1 FOR UPDATE SKIP LOCKED",
               SPI_OK_SELECT, "claiming a chunk", {{INT4OID, Int32GetDatum(l.id)}});
      if (SPI_processed == 0) return;
      claimed = true;
      chunk.chunk = atoi(value_at(1));
      lo = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
      hi = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
      spi_exec("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) "
               "AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
               SPI_OK_SELECT, "reading the target's columns", {text_arg(l.target.c_str())});
      for (uint64 i = 0; i < SPI_processed; i++)  // into a vector owned outside this frame
        target_columns.emplace_back(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
    });
    if (!claimed) {
      commit();
      return false;
    }
    if (lo) chunk.lo = std::string(lo);
    if (hi) chunk.hi = std::string(hi);
  } catch (...) {
    abort_quietly();
    throw;
  }
  return true;
}

// Inside guard(), in the chunk's transaction: the chunk is done, its rows counted.
static void mark_chunk_done(const Load& l, const Chunk& chunk, long rows) {
  spi_exec("UPDATE cdc_sync.load_chunks SET done_at = now(), rows = $3 WHERE load = $1 AND chunk = $2", SPI_OK_UPDATE,
           "marking the chunk done",
           {{INT4OID, Int32GetDatum(l.id)}, {INT4OID, Int32GetDatum(chunk.chunk)}, {INT8OID, Int64GetDatum(rows)}});
  spi_exec("UPDATE cdc_sync.full_loads SET rows_loaded = rows_loaded + $2 WHERE id = $1", SPI_OK_UPDATE,
           "counting the load's rows", {{INT4OID, Int32GetDatum(l.id)}, {INT8OID, Int64GetDatum(rows)}});
}

void write_chunk(const Load& l, const Chunk& chunk, const std::vector<std::string>& names, const std::string& text,
                 long rows) {
  // The target was emptied when the load began (truncate): a chunk's rows are COPYed straight into
  // it. A stream batch that was waiting then to write the table finds its target truncated when it
  // locks it, and starts over with the table kept aside (lock_targets()); so no key a chunk holds
  // is there before it. Without truncate, they may be: the chunk goes through a staging table and
  // replaces those rows.
  if (l.truncate || l.append) {
    guard([&]() {
      AsOwner owner(load_owner);
      List* attnames = NIL;
      for (const std::string& n : names) attnames = lappend(attnames, makeString(pstrdup(n.c_str())));
      copy_text_into(l.target.c_str(), attnames, &text);
      owner.restore();
      mark_chunk_done(l, chunk, rows);
    });
    commit();
    return;
  }
  std::string stage = "cdc_sync_stage.l" + std::to_string(l.id) + "_w" + std::to_string(l.index);
  std::string create = "CREATE UNLOGGED TABLE IF NOT EXISTS " + stage + " AS SELECT * FROM " + l.target +
                       " WITH NO DATA; ALTER TABLE " + stage + " OWNER TO ";
  std::string truncate = "TRUNCATE " + stage;
  // Upserted, not only inserted: a batch of the stream that was in flight when the load began
  // may have written a key this chunk holds (README: Full loads).
  std::string replace;
  if (!l.key.empty() && !l.append) {
    replace = "DELETE FROM " + l.target + " t USING " + stage + " s WHERE ";
    for (size_t k = 0; k < l.key.size(); k++)
      replace += std::string(k ? " AND " : "") + "t." + quote_identifier(l.key[k].c_str()) + " = s." +
                 quote_identifier(l.key[k].c_str());
    replace += "; ";
  }
  replace += "INSERT INTO " + l.target + " (" + quoted_list(names) + ") SELECT " + quoted_list(names, "s.") + " FROM " +
             stage + " s";
  guard([&]() {
    char* sql = psprintf("%s%s", create.c_str(), quote_identifier(GetUserNameFromId(load_owner, false)));
    if (SPI_execute(sql, false, 0) < 0) elog(ERROR, "cdc_sync: creating the load's staging table failed");
    AsOwner owner(load_owner);
    if (SPI_execute(truncate.c_str(), false, 0) < 0) elog(ERROR, "cdc_sync: emptying the staging table failed");
    List* attnames = NIL;
    for (const std::string& n : names) attnames = lappend(attnames, makeString(pstrdup(n.c_str())));
    copy_text_into(stage.c_str(), attnames, &text);
    if (SPI_execute(replace.c_str(), false, 0) < 0) elog(ERROR, "cdc_sync: writing the chunk failed");
    owner.restore();
    mark_chunk_done(l, chunk, rows);
  });
  commit();
}

void abandon() { abort_quietly(); }

bool end_if_done(const Load& l) {
  bool done = false;
  in_transaction([&]() {
    spi_exec("SELECT l.planned AND NOT EXISTS (SELECT 1 FROM cdc_sync.load_chunks c WHERE c.load = l.id AND c.done_at IS NULL) "
             "FROM cdc_sync.full_loads l WHERE l.id = $1", SPI_OK_SELECT,
             "checking the load", {{INT4OID, Int32GetDatum(l.id)}});
    done = strcmp(value_at(1), "t") == 0;
    if (done) spi_exec("SELECT cdc_sync._end_load($1)", SPI_OK_SELECT, "ending the load", {{INT4OID, Int32GetDatum(l.id)}});
  });
  if (done) ereport(LOG, (errmsg("cdc_sync: full load %d done", l.id)));
  return done;
}

bool stop_requested() { return ShutdownRequestPending; }

bool nap(long ms) {
  WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
  ResetLatch(MyLatch);
  return !ShutdownRequestPending;
}

}  // namespace cdc::host::load

namespace {

// Marks the load failed with `error`; its table's kept changes then wait for a new load or a
// retry_table.
void fail_load(int id, const std::string& error) {
  try {
    in_transaction([&]() {
      spi_exec("UPDATE cdc_sync.full_loads SET state = 'failed', error = $2, finished_at = now() "
               "WHERE id = $1 AND state = 'running'",
               SPI_OK_UPDATE, "recording the load's failure", {{INT4OID, Int32GetDatum(id)}, text_arg(error.c_str())});
      spi_exec("UPDATE cdc_sync.sync_tables s SET parked_reason = 'full load ' || $1 || ' failed: ' || $2 || "
               "'; run cdc_sync.full_load() again, or cdc_sync.retry_table() to apply the kept changes without it' "
               "FROM cdc_sync.full_loads l WHERE l.id = $1 AND s.id = l.sync_table AND s.parked_at IS NOT NULL",
               SPI_OK_UPDATE, "recording the load's failure", {{INT4OID, Int32GetDatum(id)}, text_arg(error.c_str())});
    });
  } catch (const std::exception& e) {
    ereport(WARNING, (errmsg("cdc_sync: recording the failure of full load %d failed: %s", id, e.what())));
  }
}

void handle_sigterm(SIGNAL_ARGS) {
  int save_errno = errno;
  ShutdownRequestPending = true;
  SetLatch(MyLatch);
  errno = save_errno;
}

}  // namespace

void cdc_sync_load_main(Datum arg) {
  pqsignal(SIGTERM, handle_sigterm);
  BackgroundWorkerUnblockSignals();
  WorkerSlot slot;
  if (!attach_to_slot(DatumGetInt32(arg), slot)) proc_exit(0);  // started too late
  int load_id = -slot.pipeline_id;  // (loads take their slots with minus their id)
  int index = slot.worker_index;
  BackgroundWorkerInitializeConnection(database_name, nullptr, 0);
  SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
  pgstat_report_appname("cdc_sync load");
  entry([&]() -> Datum {
    try {
      cdc::runtime::run_load(load_id, index);
    } catch (const std::exception& e) {
      if (!ShutdownRequestPending) {  // a stop is no failure: the next worker goes on
        ereport(LOG, (errmsg("cdc_sync: full load %d failed: %s", load_id, e.what())));
        fail_load(load_id, e.what());
      }
    }
    return (Datum)0;
  });
  proc_exit(0);
}

// SQL: cdc_sync._mysql_query(connection text, sql text) -> jsonb: the rows of `sql` at the server
// of the caller's own connection (read under row-level security, as the caller), as an array of
// arrays of strings and nulls.
Datum cdc_sync_mysql_query(PG_FUNCTION_ARGS) {
  // No C++ object lives in this frame across a PostgreSQL call (an ERROR's longjmp would skip it).
  char* connection = text_to_cstring(PG_GETARG_TEXT_PP(0));
  char* sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
  char* options = nullptr;
  SPI_connect();
  spi_exec("SELECT options::text FROM cdc_sync.mysql_connections WHERE name = $1", SPI_OK_SELECT,
           "reading the connection", {text_arg(connection)}, true);
  if (SPI_processed == 1) options = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
  if (options) options = MemoryContextStrdup(CurrentMemoryContext, options);
  SPI_finish();
  if (options == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("MySQL connection \"%s\" does not exist", connection)));
  char* json = nullptr;
  entry([&]() -> Datum {
    std::string rows = cdc::runtime::mysql_query_json(options, sql);
    json = pstrdup(rows.c_str());
    return (Datum)0;
  });
  return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}
