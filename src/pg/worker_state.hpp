// Process-local state of a pipeline worker, shared by worker_host.cpp and apply.cpp.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/guc.h"  // AsOwner: NewGUCNestLevel, AtEOXact_GUC
#include "utils/snapmgr.h"
}

#include "bridge/host.hpp"
#include "pg/bridge.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace cdc::pg {

// One sync table as the apply code needs it.
struct TableMeta {
  int sync_table_id = 0;
  Oid target = InvalidOid;
  std::string target_name;             // quoted, schema-qualified
  std::vector<std::string> columns;    // quoted column names (writable columns, table order)
  std::vector<std::string> raw_columns;  // the same names unquoted (for COPY's column list)
  std::vector<int> key;                // indices into columns
  std::vector<std::string> key_eq;     // OPERATOR(schema.=) per key column
  std::string stage_name;              // schema-qualified (needs no quoting); empty until created
  std::string source;                  // the sync table's source (for schema_history)
  bool stage_analyzed = false;         // the staging table has key statistics
  bool merge_counts_from_stats = true;  // MERGE's effect can be read from pgstat (plain table)
  std::unordered_map<std::string, SPIPlanPtr> plans;  // by statement text
  // Sync table option partition_by (a target the pipeline creates): "range", "hash" or "".
  std::string partition_kind;
  std::vector<std::string> partition_columns;  // unquoted
  std::string partition_step;                  // range: day ... year, or an integer's step
  int partitions = 8;                          // hash
  // Apply semantics (apply_semantics.cpp): the sync table's options, and what they write.
  host::ApplyOptions semantics;
  bool append = false;
  std::vector<int> managed;                // columns the options maintain (indices into columns)
  std::vector<std::string> managed_names;  // their names, unquoted
  int version = -1;                        // version_column: index into columns
  std::string archive_name;                // delete_mode archive/only_archive: quoted, qualified
  std::string tombstone_name;              // version_column with hard deletes: quoted, qualified
};

struct WorkerState {
  int slot = -1;
  uint64 generation = 0;  // of the slot, when this worker was started in it
  int pipeline_id = 0;
  int worker_index = 0;
  int parallelism = 1;
  Oid owner = InvalidOid;
  std::string owner_name;  // quoted
  std::string pipeline_name;
  bool use_merge = true;
  std::vector<TableMeta> tables;
  MemoryContext batch_context = nullptr;  // reset at every batch
  // DDL that sync table options need (columns, archive and tombstone tables), found while the
  // configuration was read: run as the owner, then the configuration is read again.
  struct PendingDdl {
    int table;  // index into tables
    std::string ddl;
  };
  std::vector<PendingDdl> pending_ddl;
};

extern WorkerState worker;

// Runs SPI statements as `owner`, the pipeline owner (changes are applied with the owner's
// rights), in a security-restricted operation: the owner's triggers cannot queue deferred triggers
// (which would fire at commit, as superuser) nor change the session; any GUC they set is undone on
// restore(). Trivially destructible: usable inside guard().
struct AsOwner {
  Oid owner;
  Oid saved_user;
  int saved_context;
  int guc_level;
  explicit AsOwner(Oid who = worker.owner) : owner(who) { enter(); }
  void enter() {
    GetUserIdAndSecContext(&saved_user, &saved_context);
    guc_level = NewGUCNestLevel();
    SetUserIdAndSecContext(owner, saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
  }
  void restore() {
    AtEOXact_GUC(false, guc_level);
    SetUserIdAndSecContext(saved_user, saved_context);
  }
};

// Runs `fn` in its own transaction with SPI connected and a snapshot; aborts on error.
template <typename F>
void in_transaction(F&& fn) {
  try {
    guard([&]() {
      SetCurrentStatementStartTimestamp();
      StartTransactionCommand();
      SPI_connect();
      PushActiveSnapshot(GetTransactionSnapshot());
      fn();
      PopActiveSnapshot();
      SPI_finish();
      CommitTransactionCommand();
    });
  } catch (...) {
    guard([]() { AbortCurrentTransaction(); });
    throw;
  }
}

// Inside guard(): COPYs `text` (COPY text format, UTF-8) into the columns `attnames` (a List of
// String) of `table` (a qualified name, quoted where needed), as the current user.
void copy_text_into(const char* table, List* attnames, const std::string* text);

// Set while a batch transaction is open (begin_batch to commit/abort): a SIGTERM then also cancels
// the statement in progress, so a stop does not wait for a lock held by a user or a long MERGE.
void set_batch_open(bool open);

// Set by the relcache callback when a target of worker.tables (or every relation) was invalidated;
// cleared when the configuration is loaded again.
extern volatile bool targets_invalidated;
void watch_targets();

// Inside write_progress(): stores the batch's parked messages and the tables it parked.
void write_parked(const host::BatchProgress& progress);

// Drops all prepared statements and forgets staging tables (they are re-created on next use).
void forget_apply_state();

}  // namespace cdc::pg
