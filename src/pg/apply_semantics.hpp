// The sync table options that decide what a change does to its target (delete_mode,
// truncate_mode, version_column, metadata_columns, mode changelog): the columns and side tables
// they need, and the SQL pieces apply.cpp builds its statements from.
#pragma once

#include "pg/worker_state.hpp"

#include <string>
#include <vector>

namespace cdc::pg {

// Inside guard(), once the target's columns are read: records the options in `meta`, finds the
// managed columns and the version column, and queues (worker.pending_ddl) the DDL for what the
// target lacks: columns, the archive of deleted rows, the tombstones. `problem` is set for an
// option that cannot work (a version_column the target lacks).
void resolve_semantics(TableMeta& meta, const host::SyncTableConfig& tc, int table, const char* nspname,
                       const char* relname, std::string& problem);

// Runs worker.pending_ddl as the owner in one transaction, each statement recorded in
// cdc_sync.schema_history; clears it. Throws HostError naming what to do when it fails.
void run_pending_ddl();

// Whether column `c` is one the options maintain (never written from a message's fields).
bool is_managed(const TableMeta& t, int c);

// ", col = expr" / ", col" / ", expr" for every managed column, for a statement reading staging
// rows as `s`; archive: the values an archived row gets (the archive's own columns included).
std::string managed_set(const TableMeta& t);
std::string managed_columns(const TableMeta& t, bool archive);
std::string managed_values(const TableMeta& t, bool archive);

// version_column: " AND (t.v IS NULL OR <staged version> >= t.v)"; "" without a version.
std::string version_ok(const TableMeta& t);
// The staged row's version (s.column, or from its metadata).
std::string staged_version(const TableMeta& t);
// The version column's name, quoted.
std::string version_name(const TableMeta& t);

// The tombstone statements (version_column with hard deletes): records the staged deletes'
// versions, and the condition an insert must meet (its version is not older than a tombstone's).
std::string tombstone_upsert(const TableMeta& t, const std::string& key_join);
std::string tombstone_allows(const TableMeta& t);

// truncate_mode soft: the UPDATE that marks every row deleted ($1 source ms or NULL, $2 topic,
// $3 partition, $4 offset).
std::string soft_truncate_sql(const TableMeta& t);

}  // namespace cdc::pg
