// Apply semantics of a sync table (see apply_semantics.hpp): managed columns, the archive of
// deleted rows, tombstones, and the SQL pieces that maintain them.
#include "pg/apply_semantics.hpp"

#include "pg/bridge.hpp"
#include "pg/spi.hpp"

#include <algorithm>

extern "C" {
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace cdc::pg {

namespace {

// The columns options maintain, with the type a created or altered target gives them.
struct Managed {
  const char* name;
  const char* type;
};
constexpr Managed kManaged[] = {
    {"_cdc_op", "text"},           {"_cdc_source_ts", "timestamptz"}, {"_cdc_topic", "text"},
    {"_cdc_partition", "integer"}, {"_cdc_offset", "bigint"},         {"_cdc_synced_at", "timestamptz"},
    {"_cdc_deleted", "boolean NOT NULL DEFAULT false"},               {"_cdc_deleted_at", "timestamptz"},
    {"_cdc_before", "jsonb"},
};
// What an archived row records besides the row: when and where it was deleted.
constexpr const char* kArchiveColumns[] = {"_cdc_deleted_at", "_cdc_source_ts", "_cdc_topic", "_cdc_partition",
                                           "_cdc_offset"};

// The staged row's source commit time as timestamptz (NULL when the message said none).
constexpr const char* kSourceTs =
    "(TIMESTAMPTZ 'epoch' OPERATOR(pg_catalog.+) (s._cdc_m_ts_ms OPERATOR(pg_catalog.*) INTERVAL '1 millisecond'))";
constexpr const char* kIsSoft = "s._cdc_action OPERATOR(pg_catalog.=) 's'";

const char* managed_type(const std::string& name) {
  for (const Managed& m : kManaged)
    if (name == m.name) return m.type;
  return nullptr;
}

// Whether the options ask for managed column `name`.
bool wanted(const host::ApplyOptions& o, const char* name) {
  const std::string n(name);
  if (o.changelog && (n == "_cdc_op" || n == "_cdc_before")) return true;
  if ((o.delete_mode == "soft" || o.truncate_mode == "soft") && (n == "_cdc_deleted" || n == "_cdc_deleted_at"))
    return true;
  if (n == o.version_column) return true;
  return std::find(o.metadata_columns.begin(), o.metadata_columns.end(), n) != o.metadata_columns.end();
}

int index_of(const std::vector<std::string>& columns, const char* name) {
  auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : (int)(it - columns.begin());
}

// A side table's name, quoted: the target's, cut so that the suffix fits in NAMEDATALEN. (Inside
// guard(): no C++ object lives across the PostgreSQL calls.)
const char* side_table(const char* nspname, const char* relname, const char* suffix) {
  char name[NAMEDATALEN];
  int room = NAMEDATALEN - 1 - (int)strlen(suffix);
  int len = (int)strlen(relname);
  if (len > room) len = pg_mbcliplen(relname, len, room);
  snprintf(name, sizeof name, "%.*s%s", len, relname, suffix);
  return quote_qualified_identifier(nspname, name);
}

// The SQL expression a managed column takes from staged row `s` (archive: an archived row's).
std::string managed_expr(const std::string& name, bool archive) {
  if (name == "_cdc_op") return "s._cdc_m_op";
  if (name == "_cdc_source_ts") return kSourceTs;
  if (name == "_cdc_topic") return "s._cdc_m_topic";
  if (name == "_cdc_partition") return "s._cdc_m_partition";
  if (name == "_cdc_offset") return "s._cdc_m_offset";
  if (name == "_cdc_synced_at") return "pg_catalog.now()";
  if (name == "_cdc_before") return "s._cdc_m_before";
  std::string deleted_at = "coalesce(" + std::string(kSourceTs) + ", pg_catalog.now())";
  if (name == "_cdc_deleted") return archive ? "true" : std::string("(") + kIsSoft + ")";
  if (name == "_cdc_deleted_at") return archive ? deleted_at : "CASE WHEN " + std::string(kIsSoft) + " THEN " + deleted_at + " END";
  return "NULL";
}

// The managed columns an archived row gets: the target's, and the archive's own.
std::vector<std::string> archive_columns(const TableMeta& t) {
  std::vector<std::string> names = t.managed_names;
  for (const char* c : kArchiveColumns)
    if (std::find(names.begin(), names.end(), c) == names.end()) names.push_back(c);
  return names;
}

}  // namespace

void resolve_semantics(TableMeta& meta, const host::SyncTableConfig& tc, int table, const char* nspname,
                       const char* relname, std::string& problem) {
  const host::ApplyOptions& o = tc.semantics;
  meta.semantics = o;
  meta.append = tc.append;
  for (const Managed& m : kManaged) {
    if (!wanted(o, m.name)) continue;
    int c = index_of(tc.columns, m.name);
    if (c >= 0) {
      meta.managed.push_back(c);
      meta.managed_names.push_back(m.name);
    } else {
      worker.pending_ddl.push_back(
          {table, "ALTER TABLE " + meta.target_name + " ADD COLUMN IF NOT EXISTS " + m.name + " " + m.type});
    }
  }
  if (!o.version_column.empty()) {
    meta.version = index_of(tc.columns, o.version_column.c_str());
    if (std::find(meta.key.begin(), meta.key.end(), meta.version) != meta.key.end() && meta.version >= 0) {
      problem = "version_column \"" + o.version_column + "\" of source \"" + tc.source +
                "\" is a key column, whose value never changes for a row: choose another with alter_sync_table";
      return;
    }
    if (meta.version < 0 && managed_type(o.version_column) == nullptr) {
      problem = "version_column \"" + o.version_column + "\" is not a column of " + meta.target_name +
                " (sync table of source \"" + tc.source + "\"): add it, or change the option with alter_sync_table";
      return;
    }
  }
  if (o.delete_mode == "archive" || o.delete_mode == "only_archive") {
    meta.archive_name = side_table(nspname, relname, "_deleted");
    spi_exec("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), pg_catalog.to_regclass($2) IS NULL "
             "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
             "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute b WHERE b.attrelid = pg_catalog.to_regclass($2) "
             "  AND b.attname = a.attname AND b.attnum > 0 AND NOT b.attisdropped) ORDER BY a.attnum",
             SPI_OK_SELECT, "reading the archive's columns",
             {{OIDOID, ObjectIdGetDatum(meta.target)}, text_arg(meta.archive_name.c_str())});
    bool missing = SPI_processed > 0 && strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3), "t") == 0;
    if (missing) {
      worker.pending_ddl.push_back({table, "CREATE TABLE IF NOT EXISTS " + meta.archive_name + " AS SELECT * FROM " +
                                               meta.target_name + " WITH NO DATA"});
    } else {
      for (uint64 i = 0; i < SPI_processed; i++) {
        const char* column = quote_identifier(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
        const char* type = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        worker.pending_ddl.push_back(
            {table, "ALTER TABLE " + meta.archive_name + " ADD COLUMN IF NOT EXISTS " + column + " " + type});
      }
    }
    spi_exec("SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) "
             "AND attname = ANY ('{_cdc_deleted_at,_cdc_source_ts,_cdc_topic,_cdc_partition,_cdc_offset}') "
             "AND NOT attisdropped",
             SPI_OK_SELECT, "reading the archive's columns", {text_arg(meta.archive_name.c_str())});
    if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "5") != 0)
      for (const char* c : kArchiveColumns)
        worker.pending_ddl.push_back({table, "ALTER TABLE " + meta.archive_name + " ADD COLUMN IF NOT EXISTS " + c +
                                                 " " + managed_type(c)});
  }
  if (!o.version_column.empty() && (o.delete_mode == "delete" || o.delete_mode == "archive") && !meta.key.empty()) {
    // The tombstones: the key's columns and the version's, typed as the target's. One that lacks
    // the version column (version_column changed) gains it.
    meta.tombstone_name = side_table(nspname, relname, "_tombstones");
    if (meta.version < 0) return;  // the version column comes first
    const char* version = meta.columns[meta.version].c_str();
    spi_exec("SELECT pg_catalog.to_regclass($1) IS NULL, "
             "  NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) "
             "              AND attname = $2 AND NOT attisdropped), "
             "  pg_catalog.format_type(a.atttypid, a.atttypmod) "
             "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $3 AND a.attname = $2",
             SPI_OK_SELECT, "looking up the tombstones",
             {text_arg(meta.tombstone_name.c_str()), text_arg(o.version_column.c_str()),
              {OIDOID, ObjectIdGetDatum(meta.target)}});
    if (SPI_processed == 0) return;
    const bool create = strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0;
    const bool lacks = strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), "t") == 0;
    const char* version_type = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
    if (!create) {
      if (lacks)
        worker.pending_ddl.push_back({table, "ALTER TABLE " + meta.tombstone_name + " ADD COLUMN IF NOT EXISTS " +
                                                 version + " " + version_type});
      return;
    }
    worker.pending_ddl.push_back({table, "CREATE TABLE IF NOT EXISTS " + meta.tombstone_name + " ("});
    std::string& ddl = worker.pending_ddl.back().ddl;  // owned by worker: nothing here to unwind
    for (size_t k = 0; k < meta.key.size(); k++) {
      spi_exec("SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
               "WHERE attrelid = $1 AND attname = $2",
               SPI_OK_SELECT, "typing the tombstones",
               {{OIDOID, ObjectIdGetDatum(meta.target)}, text_arg(tc.columns[meta.key[k]].c_str())});
      const char* type = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
      ddl.append(meta.columns[meta.key[k]]).append(" ").append(type).append(", ");
    }
    ddl.append(version).append(" ").append(version_type).append(", PRIMARY KEY (");
    for (size_t k = 0; k < meta.key.size(); k++) ddl.append(k ? ", " : "").append(meta.columns[meta.key[k]]);
    ddl.append("))");
  }
}

void run_pending_ddl() {
  std::vector<WorkerState::PendingDdl> ddl;
  ddl.swap(worker.pending_ddl);
  try {
    in_transaction([&]() {
      // The pipeline's workers may all find the same DDL wanting: one at a time, each statement
      // idempotent, each recorded once.
      spi_exec("SELECT pg_catalog.pg_advisory_xact_lock(1128547157, $1)", SPI_OK_SELECT, "locking the options' DDL",
               {{INT4OID, Int32GetDatum(worker.pipeline_id)}});
      for (const WorkerState::PendingDdl& d : ddl) {
        const TableMeta& t = worker.tables[d.table];
        AsOwner owner;
        if (SPI_execute(d.ddl.c_str(), false, 0) != SPI_OK_UTILITY) elog(ERROR, "cdc_sync: %s failed", d.ddl.c_str());
        owner.restore();
        spi_exec("INSERT INTO cdc_sync.schema_history (pipeline, source, target, ddl, topic, partition, \"offset\") "
                 "SELECT $1, $2, $3, $4, '', 0, 0 WHERE NOT EXISTS (SELECT 1 FROM cdc_sync.schema_history h "
                 "  WHERE h.pipeline = $1 AND h.target = $3 AND h.ddl = $4)",
                 SPI_OK_INSERT, "recording a schema change",
                 {text_arg(worker.pipeline_name.c_str()), text_arg(t.source.c_str()), text_arg(t.target_name.c_str()),
                  text_arg(d.ddl.c_str())});
      }
    });
  } catch (const host::HostError& e) {
    std::string all;
    for (const WorkerState::PendingDdl& d : ddl) all += d.ddl + "; ";
    throw host::HostError(std::string("the sync table options need changes to the target that the pipeline owner "
                                      "could not make: ") + e.what(),
                          e.sqlstate(), "Run as the table's owner: " + all);
  }
}

bool is_managed(const TableMeta& t, int c) { return std::find(t.managed.begin(), t.managed.end(), c) != t.managed.end(); }

std::string managed_set(const TableMeta& t) {
  std::string out;
  for (size_t i = 0; i < t.managed.size(); i++)
    out += ", " + t.columns[t.managed[i]] + " = " + managed_expr(t.managed_names[i], false);
  return out;
}

std::string managed_columns(const TableMeta& t, bool archive) {
  std::string out;
  for (const std::string& name : archive ? archive_columns(t) : t.managed_names)
    out += std::string(", ") + quote_identifier(name.c_str());
  return out;
}

std::string managed_values(const TableMeta& t, bool archive) {
  std::string out;
  for (const std::string& name : archive ? archive_columns(t) : t.managed_names) out += ", " + managed_expr(name, archive);
  return out;
}

std::string version_name(const TableMeta& t) { return quote_identifier(t.semantics.version_column.c_str()); }

std::string staged_version(const TableMeta& t) {
  // A version from the metadata is the staged row's metadata (kept in the managed column).
  const std::string& v = t.semantics.version_column;
  if (v == "_cdc_source_ts" || v == "_cdc_offset") return managed_expr(v, false);
  return "s." + version_name(t);
}

std::string version_ok(const TableMeta& t) {
  if (t.semantics.version_column.empty()) return "";
  std::string target = "t." + version_name(t);
  return " AND (" + target + " IS NULL OR " + staged_version(t) + " OPERATOR(pg_catalog.>=) " + target + ")";
}

std::string tombstone_upsert(const TableMeta& t, const std::string& key_join) {
  std::string keys, staged_keys;
  for (size_t k = 0; k < t.key.size(); k++) {
    keys += (k ? ", " : "") + t.columns[t.key[k]];
    staged_keys += (k ? ", s." : "s.") + t.columns[t.key[k]];
  }
  const std::string v = version_name(t);
  return "INSERT INTO " + t.tombstone_name + " AS b (" + keys + ", " + v + ") SELECT " + staged_keys + ", " +
         staged_version(t) + " FROM " + t.stage_name + " s WHERE s._cdc_action OPERATOR(pg_catalog.=) 'd' " +
         "ON CONFLICT (" + keys + ") DO UPDATE SET " + v + " = EXCLUDED." + v + " WHERE b." + v + " IS NULL OR EXCLUDED." +
         v + " OPERATOR(pg_catalog.>=) b." + v;
}

std::string tombstone_allows(const TableMeta& t) {
  if (t.tombstone_name.empty()) return "";
  std::string on;
  for (size_t k = 0; k < t.key.size(); k++) {
    const std::string& col = t.columns[t.key[k]];
    on += (k ? " AND b." : "b.") + col + " " + t.key_eq[k] + " s." + col;
  }
  const std::string b = "b." + version_name(t);
  return " AND NOT EXISTS (SELECT 1 FROM " + t.tombstone_name + " b WHERE " + on + " AND " + b + " IS NOT NULL AND (" +
         staged_version(t) + " IS NULL OR " + b + " OPERATOR(pg_catalog.>) " + staged_version(t) + "))";
}

std::string soft_truncate_sql(const TableMeta& t) {
  std::string ts = "(TIMESTAMPTZ 'epoch' OPERATOR(pg_catalog.+) ($1 OPERATOR(pg_catalog.*) INTERVAL '1 millisecond'))";
  std::string sql = "UPDATE " + t.target_name + " SET _cdc_deleted = true, _cdc_deleted_at = coalesce(" + ts +
                    ", pg_catalog.now())";
  for (const std::string& name : t.managed_names) {
    if (name == "_cdc_op") sql += ", _cdc_op = 'truncate'";
    if (name == "_cdc_source_ts") sql += ", _cdc_source_ts = " + ts;
    if (name == "_cdc_topic") sql += ", _cdc_topic = $2";
    if (name == "_cdc_partition") sql += ", _cdc_partition = $3";
    if (name == "_cdc_offset") sql += ", _cdc_offset = $4";
    if (name == "_cdc_synced_at") sql += ", _cdc_synced_at = pg_catalog.now()";
  }
  // A version from the metadata orders the truncate too: replayed, it leaves later rows alone.
  const std::string& v = t.semantics.version_column;
  std::string newer;
  if (v == "_cdc_offset") newer = " AND (_cdc_offset IS NULL OR $4 OPERATOR(pg_catalog.>=) _cdc_offset)";
  if (v == "_cdc_source_ts") newer = " AND (_cdc_source_ts IS NULL OR " + ts + " OPERATOR(pg_catalog.>=) _cdc_source_ts)";
  return sql + " WHERE _cdc_deleted IS NOT TRUE" + newer;
}

}  // namespace cdc::pg
