// Module load: GUCs, shared memory hooks, the launcher, and the small SQL helper functions.
#include "pg/bridge.hpp"
#include "pg/shmem.hpp"
#include "pg/spi.hpp"

#include "bridge/runtime.hpp"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/array.h"
#include "commands/dbcommands.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PG_FUNCTION_INFO_V1(cdc_sync_notify);
PG_FUNCTION_INFO_V1(cdc_sync_warn_if_not_running_here);
PG_FUNCTION_INFO_V1(cdc_sync_worker_status);
PG_FUNCTION_INFO_V1(cdc_sync_is_known_format);
PG_FUNCTION_INFO_V1(cdc_sync_check_kafka_property);
}

namespace cdc::pg {
char* database_name = nullptr;
int max_workers = 16;
}

using namespace cdc::pg;

static shmem_startup_hook_type prev_shmem_startup_hook = nullptr;
#if CDC_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = nullptr;
#endif
static bool notify_pending = false;

// Allocates our shared memory once the postmaster sets it up.
static void shmem_startup() {
  if (prev_shmem_startup_hook) prev_shmem_startup_hook();
  init_shmem();
}

#if CDC_HAVE_SHMEM_REQUEST_HOOK
// Asks for our shared memory (PostgreSQL 15+ wants this in a hook).
static void shmem_request() {
  if (prev_shmem_request_hook) prev_shmem_request_hook();
  request_shmem();
}
#endif

// Wakes the launcher and workers once a transaction that changed configuration commits.
// Only SetLatch and an atomic add happen here: nothing that can fail runs at commit. A prepared
// transaction would commit later in another session, which nobody wakes: refused before it is
// prepared (the only point where an error is still allowed).
static void notify_at_commit(XactEvent event, void*) {
  if (!notify_pending) return;
  if (event == XACT_EVENT_PRE_PREPARE) {
    notify_pending = false;
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cdc_sync: a transaction that changes pipelines cannot be prepared"),
                    errhint("call the cdc_sync functions in a transaction without PREPARE TRANSACTION")));
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT) {
    notify_pending = false;
    wake_all();
  } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
    notify_pending = false;
  }
}

// Registers the launcher: a static background worker that needs shared_preload_libraries.
static void register_launcher() {
  BackgroundWorker worker;
  memset(&worker, 0, sizeof(worker));
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = 5;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "cdc_sync");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "cdc_sync_launcher_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, "cdc_sync launcher");
  snprintf(worker.bgw_type, BGW_MAXLEN, "cdc_sync launcher");
  RegisterBackgroundWorker(&worker);
}

void _PG_init(void) {
  DefineCustomStringVariable("cdc_sync.database", "Database in which cdc_sync pipelines run.", nullptr,
                             &database_name, "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("cdc_sync.max_workers", "Maximum number of cdc_sync pipeline workers.", nullptr,
                          &max_workers, 16, 1, 1024, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  CDC_RESERVE_GUC_PREFIX("cdc_sync");
  RegisterXactCallback(notify_at_commit, nullptr);

  if (!process_shared_preload_libraries_in_progress) return;
#if CDC_HAVE_SHMEM_REQUEST_HOOK
  prev_shmem_request_hook = shmem_request_hook;
  shmem_request_hook = shmem_request;
#else
  request_shmem();
#endif
  prev_shmem_startup_hook = shmem_startup_hook;
  shmem_startup_hook = shmem_startup;
  register_launcher();
}

// SQL: cdc_sync._notify() -- wake the launcher and workers when this transaction commits.
Datum cdc_sync_notify(PG_FUNCTION_ARGS) {
  notify_pending = true;
  PG_RETURN_VOID();
}

// SQL: cdc_sync._warn_if_not_running_here(pipeline) -- pipelines only run in cdc_sync.database
// (and only with shared_preload_libraries); say so where a user starts one elsewhere.
Datum cdc_sync_warn_if_not_running_here(PG_FUNCTION_ARGS) {
  const char* pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
  if (!shared())
    ereport(WARNING, (errmsg("cdc_sync is not loaded by shared_preload_libraries: pipeline \"%s\" will not run",
                             pipeline),
                      errhint("add cdc_sync to shared_preload_libraries and restart the server")));
  else if (strcmp(get_database_name(MyDatabaseId), database_name) != 0)
    ereport(WARNING, (errmsg("pipeline \"%s\" will not run: pipelines run in database \"%s\" only", pipeline,
                             database_name),
                      errhint("set cdc_sync.database to this database, or create the pipeline there")));
  else {
    // Slots are not reserved: this only says what the launcher will find if nothing changes.
    SharedState* st = shared();
    int free_slots = 0;
    LWLockAcquire(st->lock, LW_SHARED);
    for (int i = 0; i < st->nslots; i++) free_slots += !st->slots[i].in_use;
    int waiting = st->nwaiting;
    LWLockRelease(st->lock);
    if (free_slots <= waiting)
      ereport(WARNING, (errmsg("pipeline \"%s\" must wait for a worker: all %d cdc_sync.max_workers slots are in use",
                               pipeline, st->nslots),
                        errhint("it starts as soon as a slot frees up (cdc_sync.status.worker_problem says so "
                                "meanwhile); stop a pipeline, or raise cdc_sync.max_workers and max_worker_processes")));
  }
  PG_RETURN_VOID();
}

// Prepares a set-returning function to return a tuplestore (PostgreSQL 14 lacks InitMaterializedSRF).
static void materialize_srf(FunctionCallInfo fcinfo) {
  ReturnSetInfo* rsinfo = (ReturnSetInfo*)fcinfo->resultinfo;
  TupleDesc tupdesc;
  if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "return type must be a row type");
  MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
  rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
  MemoryContextSwitchTo(old);
}

// The waiting entry of pipeline `id` in `waiting`, or nullptr.
static const WaitingPipeline* find_waiting(const WaitingPipeline* waiting, int n, int id) {
  for (int i = 0; i < n; i++)
    if (waiting[i].pipeline_id == id) return &waiting[i];
  return nullptr;
}

// SQL: cdc_sync._worker_status() -- live per-pipeline worker state from shared memory: every
// pipeline with a worker slot, and every running one that waits for a worker (worker_problem).
Datum cdc_sync_worker_status(PG_FUNCTION_ARGS) {
  ReturnSetInfo* rsinfo = (ReturnSetInfo*)fcinfo->resultinfo;
  materialize_srf(fcinfo);
  SharedState* st = shared();
  if (!st) PG_RETURN_VOID();

  // Copy the slots and the waiting list under the lock, then build rows without holding it.
  int n = st->nslots;
  WorkerSlot* copy = (WorkerSlot*)palloc(sizeof(WorkerSlot) * n);
  WaitingPipeline* waiting = (WaitingPipeline*)palloc(sizeof(WaitingPipeline) * kMaxWaiting);
  LWLockAcquire(st->lock, LW_SHARED);
  memcpy(copy, st->slots, sizeof(WorkerSlot) * n);
  int nwaiting = st->nwaiting;
  memcpy(waiting, st->waiting, sizeof(WaitingPipeline) * nwaiting);
  LWLockRelease(st->lock);

  Datum* pids = (Datum*)palloc(sizeof(Datum) * (n + 1));
  for (int i = 0; i < n + nwaiting; i++) {
    bool from_slot = i < n;
    int pid = from_slot ? copy[i].pipeline_id : waiting[i - n].pipeline_id;
    Oid owner = from_slot ? copy[i].owner : waiting[i - n].owner;
    if (from_slot && (!copy[i].in_use || pid < 0)) continue;
    if (!has_privs_of_role(GetUserId(), owner)) continue;  // others' pipelines stay private
    bool seen = false;
    for (int j = 0; j < Min(i, n) && !seen; j++) seen = copy[j].in_use && copy[j].pipeline_id == pid;
    if (seen) continue;
    // Aggregate the workers of this pipeline.
    int npids = 0;
    int64 lag = 0;
    bool lag_known = from_slot;
    const char* problem = nullptr;
    for (int j = i; j < n; j++) {
      if (!copy[j].in_use || copy[j].pipeline_id != pid) continue;
      if (copy[j].pid > 0) pids[npids++] = Int32GetDatum(copy[j].pid);
      if (copy[j].lag < 0)
        lag_known = false;
      else
        lag += copy[j].lag;
      if (!problem && copy[j].kafka_problem[0]) problem = copy[j].kafka_problem;
    }
    const WaitingPipeline* w = find_waiting(waiting, nwaiting, pid);
    Datum values[5];
    bool nulls[5] = {false, false, false, false, false};
    values[0] = Int32GetDatum(pid);
    values[1] = PointerGetDatum(construct_array(pids, npids, INT4OID, 4, true, TYPALIGN_INT));
    values[2] = Int64GetDatum(lag);
    nulls[2] = !lag_known;
    if (problem)
      values[3] = PointerGetDatum(utf8_to_text(problem, strlen(problem)));  // librdkafka's words: UTF-8
    else
      nulls[3] = true;
    if (w)
      values[4] = CStringGetTextDatum(waiting_problem(w->no_slot));
    else
      nulls[4] = true;
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  PG_RETURN_VOID();
}

// SQL: cdc_sync._is_known_format(text)
Datum cdc_sync_is_known_format(PG_FUNCTION_ARGS) {
  char* format = text_to_cstring(PG_GETARG_TEXT_PP(0));
  return entry([&]() -> Datum { return BoolGetDatum(cdc::runtime::is_known_format(format)); });
}

// SQL: cdc_sync._check_kafka_property(name, value) -- '' when librdkafka accepts it.
Datum cdc_sync_check_kafka_property(PG_FUNCTION_ARGS) {
  char* name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  char* value = text_to_cstring(PG_GETARG_TEXT_PP(1));
  char* problem = nullptr;
  entry([&]() -> Datum {
    std::string p = cdc::runtime::check_kafka_property(name, value);
    guard([&]() { problem = pstrdup(p.c_str()); });  // `p` is alive: an ERROR must not skip it
    return (Datum)0;
  });
  PG_RETURN_TEXT_P(cstring_to_text(problem));
}
