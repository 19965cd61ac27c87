// The launcher: one static background worker that starts and stops pipeline workers so that
// what runs always matches cdc_sync.pipelines (pg_cron style: config in a table, reload on change).
#include "pg/pg.hpp"
#include "pg/shmem.hpp"

extern "C" {
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void cdc_sync_launcher_main(Datum);
}

using namespace cdc::pg;

namespace {

// What the launcher wants running, read from the catalog: pipelines, and full loads (id: minus
// the load's, in the same slots; their workers run cdc_sync_load_main).
struct WantedPipeline {
  int id;
  Oid owner;
  int parallelism;
  char name[NAMEDATALEN];
};

// Per-slot bookkeeping that only the launcher process sees.
struct LocalSlot {
  BackgroundWorkerHandle* handle;  // null for a worker adopted from a previous launcher
  bool adopted;                    // watched by the pid it publishes in its slot
  TimestampTz restart_after;  // do not restart a crashed worker before this
  int failures;               // consecutive early exits, for backoff
  TimestampTz started_at;
};

LocalSlot* local = nullptr;

// Running pipelines that lack workers, as last published (to log each only when it starts waiting).
WaitingPipeline* was_waiting = nullptr;
int nwas_waiting = 0;

// Reads every running pipeline into a palloc'd array of the caller's memory context; false when
// the extension is not installed (yet).
bool read_wanted(WantedPipeline** out, int* count) {
  *count = 0;
  *out = nullptr;
  MemoryContext caller = CurrentMemoryContext;
  bool installed = false;
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  if (OidIsValid(get_extension_oid("cdc_sync", true))) {
    installed = true;
    SPI_connect();
    int rc = SPI_execute(
        "SELECT * FROM (SELECT id, owner::oid, coalesce((options->>'parallelism')::int, 1), name "
        "  FROM cdc_sync.pipelines WHERE state = 'running' "
        "  UNION ALL "
        "  SELECT -l.id, p.owner::oid, coalesce((l.options->>'parallelism')::int, 1), 'load ' || l.id "
        "  FROM cdc_sync.full_loads l JOIN cdc_sync.pipelines p ON p.name = l.pipeline WHERE l.state = 'running') w "
        "ORDER BY id < 0, abs(id)",  // pipelines first, oldest first
        true, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "cdc_sync launcher: reading pipelines failed");
    WantedPipeline* wanted = (WantedPipeline*)MemoryContextAlloc(caller, sizeof(WantedPipeline) * (SPI_processed + 1));
    *out = wanted;
    for (uint64 i = 0; i < SPI_processed; i++) {
      HeapTuple tup = SPI_tuptable->vals[i];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull;
      WantedPipeline& w = wanted[(*count)++];
      w.id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
      w.owner = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
      w.parallelism = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
      strlcpy(w.name, SPI_getvalue(tup, desc, 4), NAMEDATALEN);
    }
    SPI_finish();
  }
  PopActiveSnapshot();
  CommitTransactionCommand();
  pgstat_report_stat(false);
  return installed;
}

// The wanted pipeline with this id, or nullptr.
const WantedPipeline* find_wanted(const WantedPipeline* wanted, int count, int id) {
  for (int i = 0; i < count; i++)
    if (wanted[i].id == id) return &wanted[i];
  return nullptr;
}

// Starts worker `index` of pipeline `w` in slot `s`; false (slot released) when the postmaster has
// no background worker left (max_worker_processes).
bool start_worker(int s, const WantedPipeline& w, int index) {
  SharedState* st = shared();
  WorkerSlot* slot = &st->slots[s];
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  uint64 generation = ++slot->generation;
  slot->in_use = true;
  slot->pipeline_id = w.id;
  slot->worker_index = index;
  slot->parallelism = w.parallelism;
  slot->owner = w.owner;
  slot->pid = 0;
  slot->latch = nullptr;
  slot->lag = -1;
  slot->config_in_effect = 0;
  slot->kafka_problem[0] = '\0';
  LWLockRelease(st->lock);

  local[s].started_at = GetCurrentTimestamp();
  local[s].adopted = false;
  BackgroundWorker worker;
  memset(&worker, 0, sizeof(worker));
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  worker.bgw_main_arg = Int32GetDatum(s);
  worker.bgw_notify_pid = MyProcPid;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "cdc_sync");
  bool load = w.id < 0;
  snprintf(worker.bgw_function_name, BGW_MAXLEN, load ? "cdc_sync_load_main" : "cdc_sync_worker_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, load ? "cdc_sync %s #%d" : "cdc_sync worker %s #%d", w.name, index);
  snprintf(worker.bgw_type, BGW_MAXLEN, load ? "cdc_sync load" : "cdc_sync worker");
  memcpy(worker.bgw_extra, &generation, sizeof(generation));
  if (!RegisterDynamicBackgroundWorker(&worker, &local[s].handle)) {
    local[s].handle = nullptr;
    LWLockAcquire(st->lock, LW_EXCLUSIVE);
    slot->in_use = false;
    slot->pipeline_id = 0;  // the slot carries no backoff state for this pipeline
    LWLockRelease(st->lock);
    return false;
  }
  return true;
}

// Frees a slot whose worker is gone.
void release_slot(int s) {
  SharedState* st = shared();
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  st->slots[s].in_use = false;
  st->slots[s].pid = 0;
  st->slots[s].latch = nullptr;
  LWLockRelease(st->lock);
  if (local[s].handle) pfree(local[s].handle);
  local[s].handle = nullptr;
  local[s].adopted = false;
}

// The pid an adopted worker published in its slot (0: not attached yet, or gone).
pid_t slot_pid(int s) {
  SharedState* st = shared();
  LWLockAcquire(st->lock, LW_SHARED);
  pid_t pid = st->slots[s].pid;
  LWLockRelease(st->lock);
  return pid;
}

// True while the slot's worker process exists (or is about to). An adopted worker clears its pid
// when it exits (detach_slot); one the previous launcher registered but that never attached is
// given up after 10 s.
bool worker_alive(int s) {
  if (local[s].handle) {
    pid_t pid;
    return GetBackgroundWorkerPid(local[s].handle, &pid) != BGWH_STOPPED;
  }
  if (!local[s].adopted) return false;
  pid_t pid = slot_pid(s);
  if (pid > 0) return kill(pid, 0) == 0;
  return GetCurrentTimestamp() - local[s].started_at < 10 * USECS_PER_SEC;
}

// Asks the slot's worker to stop (SIGTERM: it rolls back a batch in flight and exits).
void stop_worker(int s) {
  if (local[s].handle) {
    TerminateBackgroundWorker(local[s].handle);
    return;
  }
  pid_t pid = slot_pid(s);
  if (pid > 0) (void)kill(pid, SIGTERM);
}

// Publishes the pipelines that lack workers (status shows why) and logs those that just started
// waiting, once each.
void publish_waiting(const WaitingPipeline* waiting, int n, const WantedPipeline* wanted, int count) {
  SharedState* st = shared();
  for (int i = 0; i < n; i++) {
    bool known = false;
    for (int j = 0; j < nwas_waiting && !known; j++)
      known = was_waiting[j].pipeline_id == waiting[i].pipeline_id && was_waiting[j].no_slot == waiting[i].no_slot;
    if (known) continue;
    const WantedPipeline* w = find_wanted(wanted, count, waiting[i].pipeline_id);
    char* problem = waiting_problem(waiting[i].no_slot);
    ereport(WARNING, (errmsg("cdc_sync: pipeline \"%s\" is %s", w ? w->name : "?", problem)));
    pfree(problem);
  }
  int shown = Min(n, kMaxWaiting);
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  memcpy(st->waiting, waiting, sizeof(WaitingPipeline) * shown);
  st->nwaiting = shown;
  LWLockRelease(st->lock);
  if (was_waiting) pfree(was_waiting);
  was_waiting = (WaitingPipeline*)MemoryContextAlloc(TopMemoryContext, sizeof(WaitingPipeline) * (n + 1));
  memcpy(was_waiting, waiting, sizeof(WaitingPipeline) * n);
  nwas_waiting = n;
}

// Makes the set of workers match the wanted pipelines (in id order: the oldest get slots first).
void reconcile(const WantedPipeline* wanted, int count) {
  SharedState* st = shared();
  TimestampTz now = GetCurrentTimestamp();
  // Stop workers of pipelines no longer wanted, or whose parallelism changed; reap dead ones.
  for (int s = 0; s < st->nslots; s++) {
    WorkerSlot* slot = &st->slots[s];
    if (!slot->in_use) continue;
    const WantedPipeline* w = find_wanted(wanted, count, slot->pipeline_id);
    bool keep = w && w->parallelism == slot->parallelism && slot->worker_index < w->parallelism;
    bool alive = worker_alive(s);
    if (!keep && alive) {
      stop_worker(s);
      continue;
    }
    if (!alive) {
      if (keep) {
        // Died while wanted: restart later with exponential backoff (1 s .. 60 s).
        if (now - local[s].started_at > 60 * USECS_PER_SEC) local[s].failures = 0;  // it had been healthy
        int f = Min(local[s].failures, 6);
        local[s].failures++;
        local[s].restart_after = now + (int64)(1L << f) * USECS_PER_SEC;
        ereport(LOG, (errmsg("cdc_sync: worker %d of pipeline \"%s\" exited; restarting in %d s",
                             slot->worker_index, w->name, 1 << f)));
      }
      release_slot(s);
    }
  }
  // Start missing workers.
  WaitingPipeline* waiting = (WaitingPipeline*)palloc(sizeof(WaitingPipeline) * (count + 1));
  int nwaiting = 0;
  bool postmaster_full = false;
  for (int i = 0; i < count; i++) {
    const WantedPipeline& w = wanted[i];
    for (int index = 0; index < w.parallelism; index++) {
      int free_slot = -1;
      bool present = false;
      bool any_stale = false;
      for (int s = 0; s < st->nslots; s++) {
        WorkerSlot* slot = &st->slots[s];
        if (slot->in_use && slot->pipeline_id == w.id) {
          if (slot->worker_index == index) present = true;
          if (slot->parallelism != w.parallelism) any_stale = true;
        }
      }
      if (present || any_stale) continue;  // wait for old-parallelism workers to exit first
      // Prefer the slot this worker had before (it carries the backoff state).
      for (int s = 0; s < st->nslots && free_slot < 0; s++)
        if (!st->slots[s].in_use && st->slots[s].pipeline_id == w.id && st->slots[s].worker_index == index)
          free_slot = s;
      for (int s = 0; s < st->nslots && free_slot < 0; s++)
        if (!st->slots[s].in_use && st->slots[s].pipeline_id <= 0) free_slot = s;
      for (int s = 0; s < st->nslots && free_slot < 0; s++)
        if (!st->slots[s].in_use) free_slot = s;
      if (free_slot < 0 || postmaster_full) {
        waiting[nwaiting++] = {w.id, w.owner, free_slot < 0};
        break;
      }
      bool same_worker = st->slots[free_slot].pipeline_id == w.id && st->slots[free_slot].worker_index == index;
      if (!same_worker) local[free_slot].failures = 0;
      if (same_worker && now < local[free_slot].restart_after) continue;
      if (!start_worker(free_slot, w, index)) {
        postmaster_full = true;  // no use trying the others until a worker exits
        waiting[nwaiting++] = {w.id, w.owner, false};
        break;
      }
    }
  }
  publish_waiting(waiting, nwaiting, wanted, count);
  pfree(waiting);
}

// The earliest pending restart, as a wait timeout in ms (capped at 1 s).
long next_timeout() {
  SharedState* st = shared();
  TimestampTz now = GetCurrentTimestamp();
  long timeout = 1000;
  for (int s = 0; s < st->nslots; s++) {
    if (st->slots[s].in_use || local[s].restart_after <= now) continue;
    long ms = (long)((local[s].restart_after - now) / 1000) + 1;
    if (ms < timeout) timeout = ms;
  }
  return timeout;
}

// This launcher was restarted alone (its predecessor exited on an error or was terminated): the
// workers it started run on, with their batches in flight. Adopt them, watched by pid, instead of
// stopping every pipeline; slots whose worker is gone are freed.
void adopt_workers(SharedState* st) {
  TimestampTz now = GetCurrentTimestamp();
  int adopted = 0;
  LWLockAcquire(st->lock, LW_EXCLUSIVE);
  for (int s = 0; s < st->nslots; s++) {
    WorkerSlot* slot = &st->slots[s];
    if (!slot->in_use) continue;
    local[s].adopted = true;
    local[s].started_at = now;  // one not attached yet gets 10 s to do so
    adopted++;
  }
  st->nwaiting = 0;
  st->launcher_latch = MyLatch;
  LWLockRelease(st->lock);
  if (adopted > 0) ereport(LOG, (errmsg("cdc_sync launcher: adopted %d running workers", adopted)));
}

}  // namespace

// Background worker entry point of the launcher.
void cdc_sync_launcher_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();

  SharedState* st = shared();
  if (!st) elog(ERROR, "cdc_sync launcher: shared memory not initialised");
  local = (LocalSlot*)MemoryContextAllocZero(TopMemoryContext, sizeof(LocalSlot) * st->nslots);
  adopt_workers(st);

  BackgroundWorkerInitializeConnection(database_name, nullptr, 0);
  pgstat_report_appname("cdc_sync launcher");
  ereport(LOG, (errmsg("cdc_sync launcher started in database \"%s\"", database_name)));

  MemoryContext loop_cxt = AllocSetContextCreate(TopMemoryContext, "cdc_sync launcher loop", ALLOCSET_DEFAULT_SIZES);
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    MemoryContextReset(loop_cxt);
    long timeout;
    // An error here (the catalog unreadable for a moment, out of memory) is logged and the round
    // is tried again a second later: the launcher does not exit, so no worker is disturbed.
    PG_TRY();
    {
      MemoryContext old = MemoryContextSwitchTo(loop_cxt);
      int count = 0;
      WantedPipeline* wanted = nullptr;
      read_wanted(&wanted, &count);  // in loop_cxt, valid until the next reset
      MemoryContextSwitchTo(old);
      reconcile(wanted, count);  // not in loop_cxt: worker handles must outlive it
      timeout = next_timeout();
    }
    PG_CATCH();
    {
      MemoryContextSwitchTo(TopMemoryContext);
      EmitErrorReport();
      FlushErrorState();
      AbortCurrentTransaction();
      timeout = 1000;
    }
    PG_END_TRY();
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
  }
}
