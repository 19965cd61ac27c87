// The pipeline worker's PostgreSQL side: entry point, identity, configuration, offsets, waiting,
// status. Implements the host interface (bridge/host.hpp) that the C++ runtime drives.
#include "pg/bridge.hpp"
#include "pg/apply_semantics.hpp"
#include "pg/key_equality.hpp"
#include "pg/spi.hpp"
#include "pg/shmem.hpp"
#include "pg/worker_state.hpp"

#include "bridge/runtime.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/inval.h"
#include "storage/lmgr.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void cdc_sync_worker_main(Datum);
}

namespace cdc::pg {
WorkerState worker;
}

using namespace cdc::pg;
namespace host = cdc::host;

namespace {


// Executes a read-only query with one int4 parameter; errors raise.
void query_with_id(const char* sql, int id) {
  spi_exec(sql, SPI_OK_SELECT, "reading the pipeline's configuration", {{INT4OID, Int32GetDatum(id)}}, true);
}

// Text of column `col` of SPI result row `row` ("" for null).
std::string text_at(uint64 row, int col) {
  char* v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
  return v ? std::string(v) : std::string();
}

// Reads the pipeline option `option`, an object of strings ("kafka", "topic_sources"), into `out`.
// Inside guard(): `out` belongs to the caller, so no C++ object lives in this frame.
void read_option_map(const char* option, std::map<std::string, std::string>& out) {
  spi_exec("SELECT e.key, e.value #>> '{}' FROM cdc_sync.pipelines p, "
           "jsonb_each(coalesce(p.options->$2, '{}')) e WHERE p.id = $1",
           SPI_OK_SELECT, "reading the pipeline's options",
           {{INT4OID, Int32GetDatum(worker.pipeline_id)}, text_arg(option)}, true);
  for (uint64 i = 0; i < SPI_processed; i++) {
    std::string& value = out[text_at(i, 1)];
    value = text_at(i, 2);
  }
}

// `OPERATOR(schema.=)` for the equality operator of a key type (key_equality.hpp), "" for none.
std::string equality_operator(Oid type) {
  Oid op = key_equality_operator(type);
  if (!OidIsValid(op)) return std::string();  // add_sync_table refuses such keys
  const char* text = qualified_operator(op);
  // Built only now: no std::string may be alive while PostgreSQL can raise an ERROR.
  return std::string(text);
}

// Index of the column named by the `len` bytes at `name`, or -1.
int column_index(const std::vector<std::string>& columns, const char* name, size_t len) {
  for (size_t c = 0; c < columns.size(); c++)
    if (columns[c].size() == len && columns[c].compare(0, len, name, len) == 0) return (int)c;
  return -1;
}

// Loads the sync tables of the pipeline into `cfg` and worker.tables. Runs inside guard(): every
// C++ object it fills is owned by cfg or worker.tables, none by this frame, so an ERROR's
// longjmp skips no destructor; strings are built only from values PostgreSQL already returned.
void load_tables(host::PipelineConfig& cfg, std::string& problem) {
  uint64 ntables = spi_exec(
      "SELECT s.id, s.source, CASE WHEN s.target_template IS NULL "
      "  THEN coalesce(s.target, pg_catalog.to_regclass(s.target_name))::oid END, c.oid IS NOT NULL, "
      // A key left to the first message's ('{}') whose target the user made: the target's own.
      "array_to_string(CASE WHEN cardinality(s.primary_key) > 0 OR c.oid IS NULL THEN s.primary_key "
      "  ELSE cdc_sync._primary_key(c.oid) END, E'\\n'), "
      "coalesce((s.options->>'append')::bool, false), coalesce(s.options->>'op_field', ''), "
      "coalesce(s.options->>'schema_changes', 'evolve'), s.target_name, "
      "coalesce(s.options->>'on_table_error', 'park') = 'park', s.parked_at IS NOT NULL, s.retry_requested, "
"s.target_template IS NOT NULL, coalesce(s.options->>'source_column', ''), "
      "lower(substring(s.options->>'partition_by' from '^\\s*(\\w+)')), "
      "array_to_string(regexp_split_to_array(btrim(substring(s.options->>'partition_by' from '\\((.*)\\)')), "
      "  '\\s*,\\s*'), E'\\n'), "
"coalesce(s.options->>'partition_interval', 'month'), coalesce(s.options->>'partitions', '8'), "
      "array_to_string(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.options->'columns'->'include')), E'\n'), "
      "array_to_string(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.options->'columns'->'exclude')), E'\n'), "
      "array_to_string(ARRAY(SELECT r.key || E'\n' || r.value "
      "  FROM pg_catalog.jsonb_each_text(s.options->'columns'->'rename') r), E'\n'), "
      "coalesce(s.options->>'delete_mode', 'delete'), coalesce(s.options->>'truncate_mode', 'truncate'), "
      "coalesce(s.options->>'version_column', ''), "
      "array_to_string(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.options->'metadata_columns')), E'\n'), "
      "coalesce(s.options->>'mode', 'upsert') = 'changelog' "
      "FROM cdc_sync.sync_tables s "
      "LEFT JOIN pg_catalog.pg_class c ON s.target_template IS NULL "
      "  AND c.oid = coalesce(s.target, pg_catalog.to_regclass(s.target_name))::oid "
      "WHERE s.pipeline = $1 ORDER BY s.id",
      SPI_OK_SELECT, "reading sync tables", {text_arg(cfg.name.c_str())}, true);
  SPITupleTable* tables = SPI_tuptable;
  for (uint64 t = 0; t < ntables; t++) {
    bool isnull;
    cfg.tables.emplace_back();
    worker.tables.emplace_back();
    host::SyncTableConfig& tc = cfg.tables.back();
    TableMeta& meta = worker.tables.back();
    tc.id = meta.sync_table_id = DatumGetInt32(SPI_getbinval(tables->vals[t], tables->tupdesc, 1, &isnull));
    tc.source = SPI_getvalue(tables->vals[t], tables->tupdesc, 2);
    meta.source = tc.source;
    bool never_created;  // target NULL and none of its name: an auto_create target
    meta.target = DatumGetObjectId(SPI_getbinval(tables->vals[t], tables->tupdesc, 3, &never_created));
    bool exists = DatumGetBool(SPI_getbinval(tables->vals[t], tables->tupdesc, 4, &isnull));
    const char* keys = SPI_getvalue(tables->vals[t], tables->tupdesc, 5);  // newline-separated
    tc.append = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 6), "t") == 0;
    tc.op_field = SPI_getvalue(tables->vals[t], tables->tupdesc, 7);
    const char* changes = SPI_getvalue(tables->vals[t], tables->tupdesc, 8);
    tc.schema_changes = strcmp(changes, "ignore") == 0 ? host::SchemaChanges::Ignore
                        : strcmp(changes, "fail") == 0 ? host::SchemaChanges::Fail
                                                       : host::SchemaChanges::Evolve;
    tc.park_on_error = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 10), "t") == 0;
    tc.parked = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 11), "t") == 0;
    tc.retry_requested = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 12), "t") == 0;
    tc.is_template = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 13), "t") == 0;
    tc.source_column = SPI_getvalue(tables->vals[t], tables->tupdesc, 14);
    const char* kind = SPI_getvalue(tables->vals[t], tables->tupdesc, 15);
    if (kind != nullptr) {
      meta.partition_kind = kind;
      split_lines(SPI_getvalue(tables->vals[t], tables->tupdesc, 16), meta.partition_columns);
      meta.partition_step = SPI_getvalue(tables->vals[t], tables->tupdesc, 17);
      meta.partitions = atoi(SPI_getvalue(tables->vals[t], tables->tupdesc, 18));
    }
    split_lines(keys, tc.key_names);
    split_lines(SPI_getvalue(tables->vals[t], tables->tupdesc, 19), tc.field_map.include);
    split_lines(SPI_getvalue(tables->vals[t], tables->tupdesc, 20), tc.field_map.exclude);
    split_pairs(SPI_getvalue(tables->vals[t], tables->tupdesc, 21), tc.field_map.rename);
    tc.semantics.delete_mode = SPI_getvalue(tables->vals[t], tables->tupdesc, 22);
    tc.semantics.truncate_mode = SPI_getvalue(tables->vals[t], tables->tupdesc, 23);
    tc.semantics.version_column = SPI_getvalue(tables->vals[t], tables->tupdesc, 24);
    split_lines(SPI_getvalue(tables->vals[t], tables->tupdesc, 25), tc.semantics.metadata_columns);
    tc.semantics.changelog = strcmp(SPI_getvalue(tables->vals[t], tables->tupdesc, 26), "t") == 0;
    if (tc.semantics.changelog) tc.append = true;
    if (tc.is_template) {
      // Never written: its sources' own sync tables are.
      tc.target = meta.target_name = SPI_getvalue(tables->vals[t], tables->tupdesc, 9);
      meta.target = InvalidOid;
      continue;
    }
    if (never_created) {
      // auto_create: created by the first batch that has a change for it (create_target()).
      tc.target_missing = true;
      tc.target = meta.target_name = SPI_getvalue(tables->vals[t], tables->tupdesc, 9);
      meta.target = InvalidOid;
      continue;
    }
    if (!exists) {
      problem = "the target table of source \"" + tc.source + "\" no longer exists";
      return;
    }
    if (tc.key_names.empty() && !tc.append) {
      problem = "the target table of source \"" + tc.source + "\" has no primary key, and the sync table names none: "
                "add a primary key to the table";
      return;
    }
    // Locked before its names are read: a DROP TABLE committed since the query above would
    // otherwise leave get_rel_name() a null to quote.
    LockRelationOid(meta.target, AccessShareLock);
    const char* relname = get_rel_name(meta.target);
    const char* nspname = relname ? get_namespace_name(get_rel_namespace(meta.target)) : nullptr;
    if (relname == nullptr || nspname == nullptr) {
      problem = "the target table of source \"" + tc.source + "\" no longer exists";
      return;
    }
    meta.target_name = quote_qualified_identifier(nspname, relname);
    // pgstat counts a partitioned table's rows in its partitions, and nothing without track_counts.
    meta.merge_counts_from_stats = pgstat_track_counts && get_rel_relkind(meta.target) == RELKIND_RELATION;
    tc.target = meta.target_name;

    // The base type (through domains) decides how schema-less values convert.
    spi_exec("SELECT a.attname, a.atttypid, "
             "  CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) "
             "       ELSE pg_catalog.format_type(a.atttypid, a.atttypmod) END "
             "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
             "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
             "ORDER BY a.attnum",
             SPI_OK_SELECT, "reading columns", {{OIDOID, ObjectIdGetDatum(meta.target)}}, true);
    Oid* col_types = (Oid*)palloc(sizeof(Oid) * (SPI_processed + 1));
    for (uint64 c = 0; c < SPI_processed; c++) {
      const char* name = SPI_getvalue(SPI_tuptable->vals[c], SPI_tuptable->tupdesc, 1);
      const char* quoted = quote_identifier(name);
      const char* type = SPI_getvalue(SPI_tuptable->vals[c], SPI_tuptable->tupdesc, 3);
      col_types[c] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[c], SPI_tuptable->tupdesc, 2, &isnull));
      tc.columns.push_back(name);
      meta.columns.push_back(quoted);
      meta.raw_columns.push_back(name);
      tc.column_types.push_back(type);
    }
    for (const std::string& k : tc.key_names) {
      int index = column_index(tc.columns, k.data(), k.size());
      if (index < 0) {
        problem = "key column \"" + k + "\" of " + meta.target_name + " no longer exists";
        return;
      }
      tc.key.push_back(index);
      meta.key.push_back(index);
      meta.key_eq.push_back(equality_operator(col_types[index]));
      if (meta.key_eq.back().empty()) {
        problem = "key column \"" + k + "\" of " + meta.target_name + " has no equality operator";
        return;
      }
    }
    resolve_semantics(meta, tc, (int)t, nspname, relname, problem);
    if (!problem.empty()) return;
  }
}

}  // namespace

namespace cdc::host {

Identity identity() {
  Identity id;
  id.pipeline_id = worker.pipeline_id;
  id.worker_index = worker.worker_index;
  id.parallelism = worker.parallelism;
  return id;
}

PipelineConfig load_config() {
  PipelineConfig cfg;
  // Declared out here: inside in_transaction() no C++ object may be alive across a PostgreSQL call.
  std::string state;
  std::string strategy;
  std::string problem;
  bool found = false;
  forget_apply_state();
  worker.tables.clear();
  worker.pending_ddl.clear();
  targets_invalidated = false;  // DDL from now on is noticed by the next batch
  in_transaction([&]() {
    query_with_id(
        "SELECT p.name, p.brokers, p.format, "
        "coalesce((p.options->>'batch_max_rows')::bigint, 10000), "
        "coalesce((p.options->>'batch_max_ms')::bigint, 500), "
        "coalesce(p.options->>'on_error', 'fail') = 'dead_letter', "
        "coalesce(p.options->>'apply_strategy', 'auto'), "
        "coalesce((p.options->>'parallelism')::int, 1), "
        "coalesce(p.options->>'group_id', 'cdc_sync.' || p.name), "
        "p.state, coalesce(p.options->>'truncate', 'apply') = 'apply', p.start_override IS NOT NULL, "
        "coalesce(p.options->>'unavailable_value', '__debezium_unavailable_value'), "
        "coalesce(p.options->>'zero_dates', 'null') = 'null', "
        "coalesce(p.options->>'time_zone', ''), "
        "coalesce(p.options->>'decimal_handling_mode', 'string') = 'precise', "
        "coalesce(p.options->>'dms_before_image_prefix', 'BI_'), "
        "coalesce((p.options->>'batch_max_bytes')::bigint, 67108864) "
        "FROM cdc_sync.pipelines p WHERE p.id = $1",
        worker.pipeline_id);
    if (SPI_processed == 0) return;
    found = true;
    cfg.id = worker.pipeline_id;
    cfg.name = text_at(0, 1);
    cfg.brokers = text_at(0, 2);
    cfg.format = text_at(0, 3);
    cfg.batch_max_rows = std::stoll(text_at(0, 4));
    cfg.batch_max_ms = std::stoll(text_at(0, 5));
    cfg.dead_letter = text_at(0, 6) == "t";
    strategy = text_at(0, 7);
    cfg.parallelism = std::stoi(text_at(0, 8));
    cfg.group_id = text_at(0, 9);
    state = text_at(0, 10);
    cfg.apply_truncate = text_at(0, 11) == "t";
    cfg.reset_pending = text_at(0, 12) == "t";
    cfg.unavailable_value = text_at(0, 13);
    cfg.zero_dates_null = text_at(0, 14) == "t";
    cfg.base64_decimals = text_at(0, 16) == "t";
    cfg.dms_before_image_prefix = text_at(0, 17);
    cfg.batch_max_bytes = std::stoll(text_at(0, 18));
    // Date-times without a zone (Canal's and Maxwell's TIMESTAMP) are read in this zone by the
    // input functions: the worker's session takes the source's zone.
    const char* zone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 15);
    SetConfigOption("TimeZone", zone && *zone ? zone : nullptr, PGC_USERSET, PGC_S_SESSION);  // null: default
    cfg.use_merge = strategy == "merge" || (strategy == "auto" && CDC_HAVE_MERGE);
    if (strategy == "merge" && !CDC_HAVE_MERGE) problem = "apply_strategy \"merge\" is not available on this server";

    query_with_id("SELECT t FROM cdc_sync.pipelines p, unnest(p.topics) t WHERE p.id = $1", worker.pipeline_id);
    for (uint64 i = 0; i < SPI_processed; i++) cfg.topics.push_back(text_at(i, 1));
    read_option_map("kafka", cfg.kafka);
    read_option_map("topic_sources", cfg.topic_sources);
    worker.pipeline_name = cfg.name;
    worker.owner_name = quote_identifier(GetUserNameFromId(worker.owner, false));
    worker.use_merge = cfg.use_merge;
    load_tables(cfg, problem);
  });
  if (!found || state != "running") throw PipelineGone("pipeline is no longer running");
  if (!problem.empty()) {
    worker.pending_ddl.clear();
    throw HostError(problem, "42P01");
  }
  if (!worker.pending_ddl.empty()) {
    // Columns and side tables the sync tables' options need: made, then read again (a table of
    // tombstones needs the version column first: a few rounds at most).
    static int rounds = 0;
    if (rounds >= 3) {
      std::string ddl = worker.pending_ddl.front().ddl;
      worker.pending_ddl.clear();
      rounds = 0;
      throw HostError("the sync table options still need \"" + ddl + "\" after it ran", "XX000");
    }
    run_pending_ddl();
    rounds++;
    try {
      cfg = load_config();
    } catch (...) {
      rounds = 0;
      throw;
    }
    rounds = 0;
  }
  return cfg;
}

void materialize_sync_table(int template_id, const std::string& source, const std::string& topic) {
  in_transaction([&]() {
    spi_exec("SELECT cdc_sync._materialize_sync_table($1, $2, $3)", SPI_OK_SELECT, "adding a template's sync table",
             {{INT4OID, Int32GetDatum(template_id)}, text_arg(source.c_str()), text_arg(topic.c_str())});
  });
}

std::vector<StoredOffset> load_offsets() {
  std::vector<StoredOffset> offsets;
  in_transaction([&]() {
    spi_exec("SELECT topic, partition, next_offset FROM cdc_sync.offsets WHERE pipeline = $1", SPI_OK_SELECT,
             "reading offsets", {text_arg(worker.pipeline_name.c_str())}, true);
    for (uint64 i = 0; i < SPI_processed; i++) {
      StoredOffset& o = offsets.emplace_back();  // owned by `offsets`, outside the guarded frame
      o.topic = text_at(i, 1);
      o.partition = std::stoi(text_at(i, 2));
      o.next_offset = std::stoll(text_at(i, 3));
    }
  });
  return offsets;
}

// Reads whether the pipeline needs start offsets, and from where (see locked_start()).
// Inside guard() with SPI connected; `need` and `position` belong to the caller.
static void read_start_position(const char* name, bool& need, int64& position, int64& request) {
  spi_exec("SELECT p.start_override IS NOT NULL OR NOT p.start_resolved, "
           "  cdc_sync._position_ms(coalesce(p.start_override, p.options->>'start_from', 'earliest')), "
           "  p.xmin::text::bigint "
           "FROM cdc_sync.pipelines p WHERE p.name = $1",
           SPI_OK_SELECT, "reading the start position", {text_arg(name)});
  need = false;
  if (SPI_processed == 1) {
    bool isnull;
    need = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    position = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
    request = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
  }
}

bool locked_start(int64_t& position, int64_t& request) {
  bool need = false;
  int64 pos = 0, req = 0;
  // begin_batch(BatchLock::Exclusive) took the locks in statements of their own: this one has a
  // fresh snapshot and sees what the workers that held the lock before us committed.
  guard([&]() { read_start_position(worker.pipeline_name.c_str(), need, pos, req); });
  position = pos;
  request = req;
  return need;
}

bool peek_start(int64_t& position, int64_t& request) {
  bool need = false;
  int64 pos = 0, req = 0;
  in_transaction([&]() { read_start_position(worker.pipeline_name.c_str(), need, pos, req); });
  position = pos;
  request = req;
  return need;
}

void write_start_offsets(const std::vector<StoredOffset>& offsets) {
  guard([&]() {
    for (const StoredOffset& o : offsets)
      spi_exec("INSERT INTO cdc_sync.offsets (pipeline, topic, partition, next_offset) "
               "VALUES ($1, $2, $3, $4) ON CONFLICT (pipeline, topic, partition) "
               "DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
               SPI_OK_INSERT, "storing start offsets",
               {text_arg(worker.pipeline_name.c_str()), text_arg(o.topic.c_str()),
                {INT4OID, Int32GetDatum(o.partition)}, {INT8OID, Int64GetDatum(o.next_offset)}});
    spi_exec("UPDATE cdc_sync.pipelines SET start_override = NULL, start_resolved = true WHERE name = $1", SPI_OK_UPDATE,
             "clearing the start override", {text_arg(worker.pipeline_name.c_str())});
  });
}

bool matches_pattern(const std::string& pattern, const std::string& source) {
  // Called outside transactions, also by an idle worker every few seconds (topic patterns): a
  // context of its own, emptied after each match, so nothing accumulates until the next batch.
  static MemoryContext match_context = nullptr;
  bool match = false;
  guard([&]() {
    if (match_context == nullptr)
      match_context = AllocSetContextCreate(TopMemoryContext, "cdc_sync pattern match", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(match_context);
    match = regex_full_match(pattern.c_str(), source.c_str());
    MemoryContextSwitchTo(old);
    MemoryContextReset(match_context);
  });
  return match;
}

uint64_t config_generation() { return pg_atomic_read_u64(&shared()->config_generation); }

bool wait(int fd, long timeout_ms) {
  if (ShutdownRequestPending || ProcDiePending) return false;
  guard([&]() {
    int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | WL_TIMEOUT;
    if (fd >= 0) events |= WL_SOCKET_READABLE;
    (void)WaitLatchOrSocket(MyLatch, events, fd, timeout_ms < 0 ? 0 : timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    CHECK_FOR_INTERRUPTS();
  });
  return !(ShutdownRequestPending || ProcDiePending);
}

bool stop_requested() { return ShutdownRequestPending || ProcDiePending; }

int64_t now_ms() { return GetCurrentTimestamp() / 1000; }

void log(LogLevel level, const std::string& message) {
  int elevel = level == LogLevel::Debug ? DEBUG1 : level == LogLevel::Log ? LOG : level == LogLevel::Info ? LOG : WARNING;
  guard([&]() { ereport(elevel, (errmsg("cdc_sync pipeline \"%s\": %s", worker.pipeline_name.c_str(), message.c_str()))); });
}

void mark_failed(const std::string& error) {
  log(LogLevel::Warning, "failed: " + error);
  in_transaction([&]() {
    spi_exec("UPDATE cdc_sync.pipelines SET state = 'failed', last_error = $2, "
             "state_changed_at = now() WHERE id = $1 AND state = 'running'",
             SPI_OK_UPDATE, "marking the pipeline failed",
             {{INT4OID, Int32GetDatum(worker.pipeline_id)}, text_arg(error.c_str())});
  });
  SharedState* st = shared();
  if (st->launcher_latch) SetLatch(st->launcher_latch);
}

void set_live_status(const LiveStatus& status) {
  SharedState* st = shared();
  WorkerSlot* slot = &st->slots[worker.slot];
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  if (slot->generation == worker.generation) {
    slot->lag = status.lag;
    strlcpy(slot->kafka_problem, status.kafka_problem.c_str(), kProblemLen);
  }
  LWLockRelease(st->lock);
}

void set_config_in_effect(uint64_t generation) {
  SharedState* st = shared();
  WorkerSlot* slot = &st->slots[worker.slot];
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  if (slot->generation == worker.generation) slot->config_in_effect = generation;
  LWLockRelease(st->lock);
}

}  // namespace cdc::host

namespace {

// Takes a session advisory lock on (pipeline, worker index); false when another process has it.
// Two workers for the same partitions would apply the same offsets twice.
bool claim_worker_identity() {
  bool got = false;
  int64 key = ((int64)0x43444353 << 32) | ((int64)worker.pipeline_id << 8) | worker.worker_index;
  in_transaction([&]() {
    spi_exec("SELECT pg_catalog.pg_try_advisory_lock($1)", SPI_OK_SELECT, "taking the worker lock",
             {{INT8OID, Int64GetDatum(key)}});
    got = text_at(0, 1) == "t";
  });
  return got;
}

}  // namespace

namespace {

volatile sig_atomic_t batch_open = 0;

// SIGTERM (stop_pipeline, drop_pipeline, server shutdown): a clean exit at the next wait, the fetch
// thread joined and the Kafka client closed. A batch in flight is cancelled as by
// pg_cancel_backend: it rolls back (its offsets with it) instead of being waited for, whatever it
// waits on; the retry that would follow sees the stop and ends the worker.
void handle_sigterm(SIGNAL_ARGS) {
  int save_errno = errno;
  ShutdownRequestPending = true;
  if (batch_open) {
    QueryCancelPending = true;
    InterruptPending = true;
  }
  SetLatch(MyLatch);
  errno = save_errno;
}

}  // namespace

volatile bool cdc::pg::targets_invalidated = false;

// Relcache callback: DDL on a target (or an invalidation of every relation) since the
// configuration was read. Runs inside PostgreSQL: only reads worker.tables, allocates nothing.
static void on_relcache_invalidation(Datum, Oid relid) {
  if (relid == InvalidOid) {
    targets_invalidated = true;
    return;
  }
  for (const TableMeta& t : worker.tables)
    if (t.target == relid) targets_invalidated = true;
}

void cdc::pg::watch_targets() { CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum)0); }

void cdc::pg::set_batch_open(bool open) {
  batch_open = open;
  // A stop requested just before the batch began cancels it at its first statement.
  if (open && ShutdownRequestPending) {
    QueryCancelPending = true;
    InterruptPending = true;
  }
}

// Background worker entry point of a pipeline worker; the slot index is the argument.
void cdc_sync_worker_main(Datum arg) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, handle_sigterm);
  BackgroundWorkerUnblockSignals();

  int s = DatumGetInt32(arg);
  WorkerSlot slot;
  if (!attach_to_slot(s, slot)) proc_exit(0);  // started too late: the slot is another worker's
  worker.slot = s;
  worker.generation = slot.generation;
  worker.pipeline_id = slot.pipeline_id;
  worker.worker_index = slot.worker_index;
  worker.parallelism = slot.parallelism;
  worker.owner = slot.owner;

  // Connect as the bootstrap superuser: catalog writes need it; rows are applied as the owner.
  BackgroundWorkerInitializeConnection(database_name, nullptr, 0);
  SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
  worker.batch_context = AllocSetContextCreate(TopMemoryContext, "cdc_sync batch", ALLOCSET_DEFAULT_SIZES);
  pgstat_report_appname("cdc_sync worker");
  watch_targets();

  bool claimed = false;
  entry([&]() -> Datum {
    claimed = claim_worker_identity();
    if (claimed) cdc::runtime::run_worker();
    return (Datum)0;
  });
  if (!claimed)
    ereport(LOG, (errmsg("cdc_sync: another process is already worker %d of pipeline %d; exiting",
                         worker.worker_index, worker.pipeline_id)));
  proc_exit(0);
}
