// Shared state between the launcher, the pipeline workers and SQL sessions.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "port/atomics.h"
#include "storage/lwlock.h"
}

namespace cdc::pg {

constexpr int kProblemLen = 256;

// One pipeline worker's place. The launcher owns in_use/pipeline_id/worker_index/parallelism and
// the generation; the worker writes its pid, latch and live status while the slot's generation is
// the one it was started with (as PostgreSQL's logical replication launcher does): a stale process
// cannot act on a slot that was reused for another worker.
struct WorkerSlot {
  bool in_use;
  uint64 generation;  // bumped at every start; handed to the worker in bgw_extra
  int pipeline_id;
  int worker_index;
  int parallelism;
  Oid owner;
  pid_t pid;
  Latch* latch;
  int64 lag;                       // -1 when unknown
  uint64 config_in_effect;         // configuration generation the worker's batches use (0: none yet)
  char kafka_problem[kProblemLen];  // empty when healthy
};

// A running pipeline that lacks workers the launcher could not start, and why (cdc_sync.status).
struct WaitingPipeline {
  int pipeline_id;
  Oid owner;
  bool no_slot;  // true: every cdc_sync.max_workers slot is taken; false: max_worker_processes is
};

// How many waiting pipelines status can show (the launcher starts them all once slots free up).
constexpr int kMaxWaiting = 1024;

struct SharedState {
  LWLock* lock;
  Latch* launcher_latch;
  pg_atomic_uint64 config_generation;
  int nwaiting;                          // written by the launcher at every reconcile
  WaitingPipeline waiting[kMaxWaiting];
  int nslots;
  WorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

// Why a pipeline lacks workers, for status (`no_slot` as in WaitingPipeline); palloc'd.
char* waiting_problem(bool no_slot);

// The shared state, or nullptr when cdc_sync is not in shared_preload_libraries.
SharedState* shared();
void request_shmem();
void init_shmem();

// First call of a worker the launcher started in slot `s` (pipeline and load workers alike): false
// when the slot was given to another worker meanwhile (a late start: the worker exits); else
// publishes this process's pid and latch there (cleared at exit while the slot is still ours) and
// copies the slot into `out`.
bool attach_to_slot(int s, WorkerSlot& out);

// Wakes the launcher and every worker (after a configuration change committed).
void wake_all();

extern char* database_name;
extern int max_workers;

}  // namespace cdc::pg
