// cdc_sync.wait_for_catchup(): waits until a pipeline's committed offsets reach the high-water
// marks its topics had when the call started, and its workers use the configuration of then.
#include "pg/bridge.hpp"
#include "pg/shmem.hpp"
#include "pg/spi.hpp"

#include "bridge/runtime.hpp"

extern "C" {
#include "pgstat.h"
#include "utils/array.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(cdc_sync_wait_for_catchup);
}

using namespace cdc::pg;

namespace {

// The pipeline's connection settings, read as the caller (row-level security applies).
struct Target {
  int id;
  char* brokers;
  char* state;
  char* last_error;
  List* topics;       // of char*
  List* kafka_names;  // of char*
  List* kafka_values;
};

// Column `col` of SPI result row `row`, copied into `outer` so it survives SPI_finish().
char* value_in(MemoryContext outer, uint64 row, int col) {
  char* v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
  return v ? MemoryContextStrdup(outer, v) : nullptr;
}

// Reads what we need of the pipeline; errors when the caller cannot see it.
Target read_pipeline(const char* name) {
  Target t = {};
  MemoryContext outer = CurrentMemoryContext;
  SPI_connect();
  if (spi_exec("SELECT brokers, state, last_error, id FROM cdc_sync.pipelines WHERE name = $1", SPI_OK_SELECT,
               "reading the pipeline", {text_arg(name)}, true) == 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("pipeline \"%s\" does not exist", name)));
  t.brokers = value_in(outer, 0, 1);
  t.state = value_in(outer, 0, 2);
  t.last_error = value_in(outer, 0, 3);
  t.id = atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4));
  spi_exec("SELECT unnest(topics) FROM cdc_sync.pipelines WHERE name = $1", SPI_OK_SELECT, "reading topics",
           {text_arg(name)}, true);
  for (uint64 i = 0; i < SPI_processed; i++)
  {
    MemoryContext spi = MemoryContextSwitchTo(outer);
    t.topics = lappend(t.topics, value_in(outer, i, 1));
    MemoryContextSwitchTo(spi);
  }
  spi_exec("SELECT e.key, e.value #>> '{}' FROM cdc_sync.pipelines p, "
           "jsonb_each(coalesce(p.options->'kafka', '{}')) e WHERE p.name = $1",
           SPI_OK_SELECT, "reading Kafka options", {text_arg(name)}, true);
  for (uint64 i = 0; i < SPI_processed; i++) {
    MemoryContext spi = MemoryContextSwitchTo(outer);
    t.kafka_names = lappend(t.kafka_names, value_in(outer, i, 1));
    t.kafka_values = lappend(t.kafka_values, value_in(outer, i, 2));
    MemoryContextSwitchTo(spi);
  }
  SPI_finish();
  return t;
}

// Current state and error of the pipeline, from a fresh snapshot.
void read_state(const char* name, char** state, char** last_error) {
  MemoryContext outer = CurrentMemoryContext;
  SPI_connect();
  if (spi_exec("SELECT state, last_error FROM cdc_sync.pipelines WHERE name = $1", SPI_OK_SELECT,
               "reading the pipeline state", {text_arg(name)}) == 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("pipeline \"%s\" does not exist", name)));
  *state = value_in(outer, 0, 1);
  *last_error = value_in(outer, 0, 2);
  SPI_finish();
}

// Parked sync tables of the pipeline: whether a retry_table() is still being replayed, and the
// parked ones as "source (reason)" (palloc'd in the caller's context; NULL for none).
bool replay_pending(const char* name, char** parked) {
  MemoryContext outer = CurrentMemoryContext;
  SPI_connect();
  spi_exec("SELECT bool_or(retry_requested), "
           "string_agg(format('%s (%s)', source, parked_reason), '; ' ORDER BY source) "
           "FROM cdc_sync.sync_tables WHERE pipeline = $1 AND parked_at IS NOT NULL",
           SPI_OK_SELECT, "reading parked tables", {text_arg(name)});
  bool isnull;
  bool pending = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
  *parked = value_in(outer, 0, 2);
  SPI_finish();
  return pending;
}

// Number of partitions whose stored next offset is below the given high-water mark.
// (read_only = false: each call takes a fresh snapshot, so progress committed meanwhile is seen.)
int64 partitions_behind(const char* name, Datum topics, Datum partitions, Datum highs) {
  SPI_connect();
  spi_exec("SELECT count(*) FROM unnest($2::text[], $3::int4[], $4::int8[]) AS m(topic, partition, high) "
           "LEFT JOIN cdc_sync.offsets o ON o.pipeline = $1 AND o.topic = m.topic AND o.partition = m.partition "
           "WHERE coalesce(o.next_offset, 0) < m.high",
           SPI_OK_SELECT, "reading offsets",
           {text_arg(name), {TEXTARRAYOID, topics}, {INT4ARRAYOID, partitions}, {INT8ARRAYOID, highs}});
  bool isnull;
  int64 behind = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  SPI_finish();
  return behind;
}

// True when every started worker of the pipeline makes its batches with configuration
// `generation` or newer, so options the caller altered before the call are in effect.
bool config_in_effect(int pipeline_id, uint64 generation) {
  SharedState* st = shared();
  if (st == nullptr) return true;  // not preloaded: no worker runs anything
  bool all = true;
  LWLockAcquire(st->lock, LW_SHARED);
  for (int i = 0; i < st->nslots && all; i++) {
    const WorkerSlot& s = st->slots[i];
    // A worker not started yet (pid 0) will read the configuration as it is then.
    if (s.in_use && s.pipeline_id == pipeline_id && s.pid != 0) all = s.config_in_effect >= generation;
  }
  LWLockRelease(st->lock);
  return all;
}

}  // namespace

// SQL: cdc_sync.wait_for_catchup(pipeline text, timeout interval) RETURNS boolean
Datum cdc_sync_wait_for_catchup(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("pipeline must not be null")));
  char* name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  Interval* timeout = PG_ARGISNULL(1) ? nullptr : PG_GETARG_INTERVAL_P(1);
  if (IsolationUsesXactSnapshot())
    ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
                    errmsg("wait_for_catchup() cannot see progress inside a REPEATABLE READ or SERIALIZABLE transaction"),
                    errhint("call it in a READ COMMITTED transaction")));
  TimestampTz start = GetCurrentTimestamp();
  TimestampTz deadline = timeout ? DatumGetTimestampTz(DirectFunctionCall2(
                                       timestamptz_pl_interval, TimestampTzGetDatum(start), PointerGetDatum(timeout)))
                                 : DT_NOEND;

  // Configuration committed before this call (the generation is bumped after commit).
  uint64 generation = shared() ? pg_atomic_read_u64(&shared()->config_generation) : 0;
  Target t = read_pipeline(name);
  long kafka_timeout_ms = 10000;
  if (deadline != DT_NOEND) kafka_timeout_ms = Max(1000, Min(kafka_timeout_ms, (long)((deadline - start) / 1000)));

  // Ask the brokers for the high-water marks (C++; exceptions become errors here).
  Datum topics_array = 0, partitions_array = 0, highs_array = 0;
  entry([&]() -> Datum {
    std::vector<std::string> topics;
    ListCell* lc;
    foreach (lc, t.topics) topics.emplace_back((char*)lfirst(lc));
    std::map<std::string, std::string> kafka;
    ListCell *n, *v;
    forboth (n, t.kafka_names, v, t.kafka_values) kafka[(char*)lfirst(n)] = (char*)lfirst(v);
    std::vector<cdc::runtime::PartitionMark> marks;
    try {
      auto matches = [](const std::string& pattern, const std::string& topic) {
        bool match = false;
        guard([&]() { match = regex_full_match(pattern.c_str(), topic.c_str()); });
        return match;
      };
      auto check_interrupts = []() { guard([]() { CHECK_FOR_INTERRUPTS(); }); };
      marks = cdc::runtime::query_watermarks(t.brokers, kafka, topics, matches, (int)kafka_timeout_ms,
                                             check_interrupts);
    } catch (const cdc::host::HostError&) {
      throw;  // PostgreSQL's own (a cancel while matching patterns, say): keep its SQLSTATE
    } catch (const std::exception& e) {
      throw cdc::host::HostError(std::string("cannot read the high-water marks from Kafka: ") + e.what(), "08006");
    }
    // `marks` and the other C++ objects above are alive: PostgreSQL calls go through guard().
    guard([&]() {
      Datum* td = (Datum*)palloc(sizeof(Datum) * (marks.size() + 1));
      Datum* pd = (Datum*)palloc(sizeof(Datum) * (marks.size() + 1));
      Datum* hd = (Datum*)palloc(sizeof(Datum) * (marks.size() + 1));
      for (size_t i = 0; i < marks.size(); i++) {
        td[i] = CStringGetTextDatum(marks[i].topic.c_str());
        pd[i] = Int32GetDatum(marks[i].partition);
        // An empty partition (high == low) is caught up whatever is stored.
        hd[i] = Int64GetDatum(marks[i].high > marks[i].low ? marks[i].high : 0);
      }
      topics_array = PointerGetDatum(construct_array(td, (int)marks.size(), TEXTOID, -1, false, TYPALIGN_INT));
      partitions_array = PointerGetDatum(construct_array(pd, (int)marks.size(), INT4OID, 4, true, TYPALIGN_INT));
      highs_array =
          PointerGetDatum(construct_array(hd, (int)marks.size(), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
    });
    return (Datum)0;
  });

  for (;;) {
    char* parked = nullptr;
    if (config_in_effect(t.id, generation) &&
        partitions_behind(name, topics_array, partitions_array, highs_array) == 0 && !replay_pending(name, &parked)) {
      // A parked table never holds the wait: its changes are kept, and the caller is told.
      if (parked)
        ereport(NOTICE, (errmsg("pipeline \"%s\" caught up; parked tables: %s", name, parked),
                         errhint("fix the cause, then call cdc_sync.retry_table(pipeline, source)")));
      PG_RETURN_BOOL(true);
    }
    char *state, *last_error;
    read_state(name, &state, &last_error);
    if (strcmp(state, "failed") == 0)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("pipeline \"%s\" failed: %s", name, last_error ? last_error : "unknown error")));
    if (strcmp(state, "stopped") == 0)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("pipeline \"%s\" is stopped and has not caught up", name),
                      errhint("start it with cdc_sync.start_pipeline()")));
    TimestampTz now = GetCurrentTimestamp();
    if (now >= deadline) PG_RETURN_BOOL(false);
    long wait_ms = Min(50L, (long)((deadline - now) / 1000) + 1);
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  }
}
