// Shared memory: worker slots, the configuration generation and the launcher's latch.
#include "pg/shmem.hpp"

extern "C" {
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
}

namespace cdc::pg {

static SharedState* state = nullptr;
static uint64 attached_generation = 0;  // of the slot this worker attached to

// Clears this worker's pid and latch from its slot when the process exits, unless it was reused.
static void detach_from_slot(int, Datum arg) {
  int s = DatumGetInt32(arg);
  LWLockAcquire(state->lock, LW_EXCLUSIVE);
  if (state->slots[s].pid == MyProcPid && state->slots[s].generation == attached_generation) {
    state->slots[s].pid = 0;
    state->slots[s].latch = nullptr;
  }
  LWLockRelease(state->lock);
}

bool attach_to_slot(int s, WorkerSlot& out) {
  WorkerSlot* slot = &state->slots[s];
  uint64 generation;
  memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));
  LWLockAcquire(state->lock, LW_EXCLUSIVE);
  if (!slot->in_use || slot->generation != generation) {
    LWLockRelease(state->lock);
    ereport(LOG, (errmsg("cdc_sync: worker slot %d was reused before this worker started; exiting", s)));
    return false;
  }
  slot->pid = MyProcPid;
  slot->latch = MyLatch;
  out = *slot;
  LWLockRelease(state->lock);
  attached_generation = generation;
  on_shmem_exit(detach_from_slot, Int32GetDatum(s));
  return true;
}

// Bytes of shared memory the slots need.
static Size shmem_size() {
  return add_size(offsetof(SharedState, slots), mul_size(sizeof(WorkerSlot), max_workers));
}

SharedState* shared() { return state; }

char* waiting_problem(bool no_slot) {
  if (no_slot)
    return psprintf("waiting for a worker slot: all %d of cdc_sync.max_workers are in use; it starts as soon as one "
                    "frees up (stop a pipeline, or raise cdc_sync.max_workers and max_worker_processes)",
                    max_workers);
  return psprintf("waiting for a background worker: max_worker_processes (%d) are all in use; raise it", max_worker_processes);
}

void request_shmem() {
  RequestAddinShmemSpace(shmem_size());
  RequestNamedLWLockTranche("cdc_sync", 1);
}

void init_shmem() {
  bool found;
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  state = static_cast<SharedState*>(ShmemInitStruct("cdc_sync", shmem_size(), &found));
  if (!found) {
    memset(state, 0, shmem_size());
    state->lock = &(GetNamedLWLockTranche("cdc_sync"))->lock;
    pg_atomic_init_u64(&state->config_generation, 1);
    state->nslots = max_workers;
  }
  LWLockRelease(AddinShmemInitLock);
}

void wake_all() {
  if (!state) return;
  pg_atomic_fetch_add_u64(&state->config_generation, 1);
  // Racy reads of latch pointers are fine: a spurious SetLatch only causes an extra loop.
  if (state->launcher_latch) SetLatch(state->launcher_latch);
  for (int i = 0; i < state->nslots; i++)
    if (state->slots[i].in_use && state->slots[i].latch) SetLatch(state->slots[i].latch);
}

}  // namespace cdc::pg
