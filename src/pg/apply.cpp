// Applying a batch: COPY the rows into an UNLOGGED staging table, then one MERGE (or
// DELETE USING + INSERT) per column set, as the pipeline owner; then offsets and counters, all in
// one transaction.
#include "pg/apply_semantics.hpp"
#include "pg/bridge.hpp"
#include "pg/spi.hpp"
#include "pg/worker_state.hpp"

#include <algorithm>
#include <cctype>

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "utils/regproc.h"
#include "commands/copy.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "storage/lmgr.h"
}

using namespace cdc::pg;
namespace host = cdc::host;

namespace {

// The COPY text being streamed into the staging table (COPY's data callback has no user pointer).
const std::string* copy_source = nullptr;
size_t copy_pos = 0;
MemoryContext resume_context = nullptr;
ResourceOwner resume_owner = nullptr;

// COPY FROM data source: hands out the pending COPY text.
int copy_read(void* outbuf, int minread, int maxread) {
  size_t left = copy_source->size() - copy_pos;
  size_t n = left < (size_t)maxread ? left : (size_t)maxread;
  memcpy(outbuf, copy_source->data() + copy_pos, n);
  copy_pos += n;
  return (int)n;
}

// Executes a statement, prepared on first use and kept; returns rows processed.
// Called inside guard(): no objects with destructors are created here.
uint64 run_plan(TableMeta& t, const std::string& sql, int expected) {
  SPIPlanPtr plan;
  auto it = t.plans.find(sql);
  if (it == t.plans.end()) {
    plan = SPI_prepare(sql.c_str(), 0, nullptr);
    if (!plan) elog(ERROR, "cdc_sync: preparing statement failed: %s", SPI_result_code_string(SPI_result));
    SPI_keepplan(plan);
    t.plans.emplace(sql, plan);
  } else {
    plan = it->second;
  }
  int rc = SPI_execute_plan(plan, nullptr, nullptr, false, 0);
  if (rc != expected) elog(ERROR, "cdc_sync: statement failed (%s): %s", SPI_result_code_string(rc), sql.c_str());
  return SPI_processed;
}

// The statement that (re)creates this worker's staging table for `t`: the target's column types
// (and collations), no constraints, plus the op column; owned by the pipeline owner.
std::string create_stage_sql(TableMeta& t) {
  t.stage_name = "cdc_sync_stage.p" + std::to_string(worker.pipeline_id) + "_s" + std::to_string(t.sync_table_id) +
                 "_w" + std::to_string(worker.worker_index);
  // _cdc_action says what the row does (see StageGroup); _cdc_m_* hold its change's metadata.
  std::string sql = "DROP TABLE IF EXISTS " + t.stage_name + "; CREATE UNLOGGED TABLE " + t.stage_name +
                    " AS SELECT NULL::\"char\" AS _cdc_action, NULL::text AS _cdc_m_op, NULL::bigint AS _cdc_m_ts_ms, "
                    "NULL::text AS _cdc_m_topic, NULL::integer AS _cdc_m_partition, NULL::bigint AS _cdc_m_offset, "
                    "NULL::jsonb AS _cdc_m_before, t.* FROM " + t.target_name + " t WITH NO DATA";
#if CDC_DISTRIBUTED_CLAUSE
  if (t.key.empty()) {
    sql += " DISTRIBUTED RANDOMLY";
  } else {
    sql += " DISTRIBUTED BY (";
    for (size_t k = 0; k < t.key.size(); k++) sql += (k ? ", " : "") + t.columns[t.key[k]];
    sql += ")";
  }
#endif
  return sql + "; ALTER TABLE " + t.stage_name + " OWNER TO " + worker.owner_name;
}

// Streams COPY text into the staging table with the executor's COPY FROM (multi-insert).
void copy_into_stage(TableMeta& t, const host::StageRows& rows) {
  List* attnames = list_make1(makeString(pstrdup("_cdc_action")));
  if (rows.meta)
    for (const char* m : {"_cdc_m_op", "_cdc_m_ts_ms", "_cdc_m_topic", "_cdc_m_partition", "_cdc_m_offset", "_cdc_m_before"})
      attnames = lappend(attnames, makeString(pstrdup(m)));
  for (int c : *rows.columns) attnames = lappend(attnames, makeString(pstrdup(t.raw_columns[c].c_str())));
  copy_text_into(t.stage_name.c_str(), attnames, rows.copy_text);
}

}  // namespace

namespace cdc::pg {

void copy_text_into(const char* table, List* attnames, const std::string* text) {
  Oid relid = RangeVarGetRelid(makeRangeVarFromNameList(CDC_QUALIFIED_NAME_LIST(table)), RowExclusiveLock, false);
  Relation rel = table_open(relid, RowExclusiveLock);
  ParseState* pstate = make_parsestate(nullptr);
  addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false);
  copy_source = text;
  copy_pos = 0;
  // The COPY text is UTF-8 whatever the database encoding: COPY converts it, and a character the
  // database cannot represent is an error (a bad message), never mojibake.
  List* options = list_make1(makeDefElem(pstrdup("encoding"), (Node*)makeString(pstrdup("UTF8")), -1));
  CopyFromState cstate = BeginCopyFrom(pstate, rel, nullptr, nullptr, false, copy_read, attnames, options);
  CopyFrom(cstate);
  EndCopyFrom(cstate);
  copy_source = nullptr;
  free_parsestate(pstate);
  table_close(rel, NoLock);
}

}  // namespace cdc::pg

namespace {

// "t.k1 = s.k1 AND ..." with each key type's own equality operator.
std::string key_join(const TableMeta& t) {
  std::string on;
  for (size_t k = 0; k < t.key.size(); k++) {
    const std::string& col = t.columns[t.key[k]];
    if (k) on += " AND ";
    on += "t." + col + " " + t.key_eq[k] + " s." + col;
  }
  return on;
}

// Column list "a, b, c" (prefixed: "s.a, s.b") for the given column indices; the columns the
// options maintain are not the message's to write (managed_columns() adds them).
std::string column_list(const TableMeta& t, const std::vector<int>& cols, const char* prefix) {
  std::string out;
  for (int c : cols)
    if (!is_managed(t, c)) out += (out.empty() ? "" : ", ") + std::string(prefix) + t.columns[c];
  return out;
}

// "a = s.a, ..." for the non-key columns among `cols`, then the managed ones; empty when none.
std::string update_list(const TableMeta& t, const std::vector<int>& cols) {
  std::string out;
  for (int c : cols) {
    bool is_key = false;
    for (int k : t.key) is_key |= (k == c);
    if (is_key || is_managed(t, c)) continue;
    out += (out.empty() ? "" : ", ") + t.columns[c] + " = s." + t.columns[c];
  }
  std::string managed = managed_set(t);
  return out.empty() && !managed.empty() ? managed.substr(2) : out + managed;
}

constexpr size_t kAnalyzeMinRows = 100;
constexpr const char* kIsDelete = "s._cdc_action OPERATOR(pg_catalog.=) 'd'";
constexpr const char* kIsUpsert = "s._cdc_action OPERATOR(pg_catalog.<>) 'd'";

// What a statement's row count means for the inserted/updated/deleted statistics.
enum class Counts {
  Deleted,             // rows deleted because their message was a delete
  Updated,             // existing rows changed (or removed to be replaced)
  Inserted,            // new rows
  InsertedOrReplaced,  // rows inserted; those that replaced a removed row were counted as Updated
  Merge,               // a MERGE: counts come from the table's transaction statistics
  None,                // not the target's rows (archive, tombstones)
};

// The statements that apply one staged group, each with the SPI result code it must return.
struct ApplyPlan {
  std::string truncate_stage;
  std::string analyze_stage;   // once per session, so plans scale with the batch, not the target
  std::string count;           // only for MERGE where transaction statistics cannot count
  struct Step {
    std::string sql;
    int expected;
    Counts counts;
  };
  std::vector<Step> steps;
};

// "a, b" + ", c, d": joins two column lists of which the second starts with ", " (or is empty).
std::string joined(const std::string& list, const std::string& more) {
  return list.empty() && !more.empty() ? more.substr(2) : list + more;
}

// Builds the statements for a group: none beyond COPY for a validate-only group, one MERGE,
// DELETE USING + INSERT for full rows or replacements, or UPDATE + DELETE + INSERT for partial
// rows without MERGE (absent columns keep their values, which delete + insert would lose).
// The sync table's options add their columns (managed_*), conditions (version_ok: a change older
// than the row is not applied; tombstone_allows: nor one older than the key's last delete, whether
// the row exists or not, so both strategies decide alike) and statements
// (the archive's insert, the tombstones' upsert), the same way for both strategies.
ApplyPlan plan_group(const TableMeta& t, const host::StageRows& rows) {
  ApplyPlan p;
  p.truncate_stage = "TRUNCATE " + t.stage_name;
  if (rows.validate_only) return p;  // COPY alone runs every value through its input function
  if (rows.archive) {
    p.steps.push_back({"INSERT INTO " + t.archive_name + " (" +
                           joined(column_list(t, *rows.columns, ""), managed_columns(t, true)) + ") SELECT " +
                           joined(column_list(t, *rows.columns, "s."), managed_values(t, true)) + " FROM " +
                           t.stage_name + " s WHERE s._cdc_action OPERATOR(pg_catalog.=) 'a'",
                       SPI_OK_INSERT, Counts::None});
    return p;
  }
  const std::string on = key_join(t);
  const std::string cols = joined(column_list(t, *rows.columns, ""), managed_columns(t, false));
  const std::string values = joined(column_list(t, *rows.columns, "s."), managed_values(t, false));
  const std::string set = update_list(t, *rows.columns);
  const std::string newer = version_ok(t);         // "" without version_column
  const std::string allowed = tombstone_allows(t);  // "" without tombstones
  const std::string absent = newer.empty() ? "" : " AND NOT EXISTS (SELECT 1 FROM " + t.target_name + " t WHERE " + on + ")";
  const std::string insert_select = "INSERT INTO " + t.target_name + " (" + cols +
                                    ") OVERRIDING SYSTEM VALUE SELECT " + values + " FROM " + t.stage_name +
                                    " s WHERE " + kIsUpsert;
  const std::string delete_using = "DELETE FROM " + t.target_name + " t USING " + t.stage_name + " s WHERE " + on;
  if (!t.key.empty()) p.analyze_stage = "ANALYZE " + t.stage_name + " (" + column_list(t, t.key, "") + ")";
  if (rows.append) {
    p.steps.push_back({insert_select, SPI_OK_INSERT, Counts::Inserted});
  } else if (!rows.replace && worker.use_merge) {
    if (!t.merge_counts_from_stats)
      p.count = "SELECT count(*) FILTER (WHERE " + std::string(kIsDelete) + "), count(*) FILTER (WHERE " + kIsUpsert +
                ") FROM " + t.stage_name + " s JOIN " + t.target_name + " t ON " + on;
    std::string merge = "MERGE INTO " + t.target_name + " t USING " + t.stage_name + " s ON " + on +
                        " WHEN MATCHED AND " + kIsDelete + newer + " THEN DELETE";
    if (!set.empty()) merge += " WHEN MATCHED" + newer + allowed + " THEN UPDATE SET " + set;
    merge += " WHEN NOT MATCHED AND " + std::string(kIsUpsert) + allowed + " THEN INSERT (" + cols +
             ") OVERRIDING SYSTEM VALUE VALUES (" + values + ")";
    p.steps.push_back({merge, CDC_SPI_OK_MERGE, Counts::Merge});
  } else if (rows.replace || rows.full) {
    p.steps.push_back({delete_using + " AND " + kIsDelete + newer, SPI_OK_DELETE, Counts::Deleted});
    p.steps.push_back({delete_using + " AND " + kIsUpsert + newer + allowed, SPI_OK_DELETE, Counts::Updated});
    p.steps.push_back({insert_select + absent + allowed, SPI_OK_INSERT, Counts::InsertedOrReplaced});
  } else {
    if (!set.empty())
      p.steps.push_back({"UPDATE " + t.target_name + " t SET " + set + " FROM " + t.stage_name + " s WHERE " + on +
                             " AND " + kIsUpsert + newer + allowed,
                         SPI_OK_UPDATE, Counts::Updated});
    p.steps.push_back({delete_using + " AND " + kIsDelete + newer, SPI_OK_DELETE, Counts::Deleted});
    p.steps.push_back({insert_select + " AND NOT EXISTS (SELECT 1 FROM " + t.target_name + " t WHERE " + on + ")" + allowed,
                       SPI_OK_INSERT, Counts::Inserted});
  }
  if (!t.tombstone_name.empty() && rows.deletes > 0)
    p.steps.push_back({tombstone_upsert(t, on), SPI_OK_INSERT, Counts::None});
  return p;
}

// Rows inserted, updated and deleted in `rel` by this transaction so far (its pgstat counters).
host::ApplyCounts xact_tuple_counts(Oid rel) {
  host::ApplyCounts c;
  c.inserted = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_inserted, ObjectIdGetDatum(rel)));
  c.updated = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_updated, ObjectIdGetDatum(rel)));
  c.deleted = DatumGetInt64(DirectFunctionCall1(pg_stat_get_xact_tuples_deleted, ObjectIdGetDatum(rel)));
  return c;
}

// Builds the int4/int8/text arrays for the set-based progress statements.
Datum int8_array(const std::vector<int64>& v) {
  Datum* d = (Datum*)palloc(sizeof(Datum) * (v.size() + 1));
  for (size_t i = 0; i < v.size(); i++) d[i] = Int64GetDatum(v[i]);
  return PointerGetDatum(construct_array(d, (int)v.size(), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
Datum int4_array(const std::vector<int32>& v) {
  Datum* d = (Datum*)palloc(sizeof(Datum) * (v.size() + 1));
  for (size_t i = 0; i < v.size(); i++) d[i] = Int32GetDatum(v[i]);
  return PointerGetDatum(construct_array(d, (int)v.size(), INT4OID, 4, true, TYPALIGN_INT));
}
Datum text_array(const std::vector<std::string>& v) {
  Datum* d = (Datum*)palloc(sizeof(Datum) * (v.size() + 1));
  for (size_t i = 0; i < v.size(); i++) d[i] = PointerGetDatum(utf8_to_text(v[i].data(), v[i].size()));
  return PointerGetDatum(construct_array(d, (int)v.size(), TEXTOID, -1, false, TYPALIGN_INT));
}

// A Kafka key or value as text for the dead-letter table (hex when it is not valid in the encoding).
Datum raw_as_text(const std::string& raw) {
  if (raw.find('\0') == std::string::npos)
    if (text* t = utf8_to_text(raw.data(), raw.size(), true)) return PointerGetDatum(t);
  static const char* digits = "0123456789abcdef";
  char* hex = (char*)palloc(raw.size() * 2 + 3);
  hex[0] = '\\';
  hex[1] = 'x';
  for (size_t i = 0; i < raw.size(); i++) {
    hex[2 + 2 * i] = digits[(unsigned char)raw[i] >> 4];
    hex[3 + 2 * i] = digits[(unsigned char)raw[i] & 15];
  }
  hex[2 + 2 * raw.size()] = '\0';
  return CStringGetTextDatum(hex);
}

// Adds field names that matched no column to their sync tables' unmatched_fields (the first 100)
// and warns once for each name not recorded before: data the user does not get must be seen.
void record_unmatched_fields(const std::vector<int32>& tables, const std::vector<std::string>& names) {
  // Names come from messages: only those that are valid UTF-8 and have an exact equivalent in the
  // database encoding are recorded.
  Datum* ids = (Datum*)palloc(sizeof(Datum) * (names.size() + 1));
  Datum* texts = (Datum*)palloc(sizeof(Datum) * (names.size() + 1));
  int valid = 0;
  for (size_t i = 0; i < names.size(); i++) {
    if (names[i].find('\0') != std::string::npos) continue;
    text* name = utf8_to_text(names[i].data(), names[i].size(), true);
    if (name == nullptr) continue;
    ids[valid] = Int32GetDatum(tables[i]);
    texts[valid++] = PointerGetDatum(name);
  }
  Datum table_ids = PointerGetDatum(construct_array(ids, valid, INT4OID, 4, true, TYPALIGN_INT));
  Datum field_names = PointerGetDatum(construct_array(texts, valid, TEXTOID, -1, false, TYPALIGN_INT));
  uint64 n = spi_exec(
      "WITH u AS (SELECT DISTINCT u.id, u.f FROM unnest($1::int4[], $2::text[]) AS u(id, f)), "
      "fresh AS (SELECT u.id, u.f FROM u JOIN cdc_sync.sync_table_counters c ON c.sync_table = u.id "
      "          WHERE u.f <> ALL (c.unmatched_fields) AND cardinality(c.unmatched_fields) < 100), "
      "upd AS (UPDATE cdc_sync.sync_table_counters c "
      "        SET unmatched_fields = (c.unmatched_fields || ARRAY(SELECT f FROM fresh WHERE fresh.id = c.sync_table "
      "                                                             ORDER BY f))[1:100] "
      "        WHERE c.sync_table IN (SELECT id FROM fresh)) "
      "SELECT f.f, s.source, s.target::text FROM fresh f JOIN cdc_sync.sync_tables s ON s.id = f.id ORDER BY 2, 1",
      SPI_OK_SELECT, "recording unmatched fields", {{INT4ARRAYOID, table_ids}, {TEXTARRAYOID, field_names}});
  for (uint64 i = 0; i < n; i++)
    ereport(WARNING,
            (errmsg("cdc_sync: pipeline \"%s\": field \"%s\" matches no column of %s (sync table of source "
                    "\"%s\"); its values are not applied",
                    worker.pipeline_name.c_str(), SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
                    SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3),
                    SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2)),
             errhint("add the column to the target table (a field matches a column of the same name, or the only "
                     "one equal to it ignoring case); cdc_sync.table_stats counts such values in values_unmatched")));
}

}  // namespace

namespace cdc::pg {

void forget_apply_state() {
  for (TableMeta& t : worker.tables) {
    for (auto& entry : t.plans) SPI_freeplan(entry.second);
    t.plans.clear();
    t.stage_name.clear();
  }
}

}  // namespace cdc::pg

namespace cdc::host {

void begin_batch(BatchLock lock) {
  bool gone = false;
  guard([&]() {
    MemoryContextReset(worker.batch_context);
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    set_batch_open(true);
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    // Deferrable constraints of the targets are checked at once, inside the owner's section,
    // so nothing the owner controls is left to run at commit (as the worker's superuser).
    if (SPI_execute("SET CONSTRAINTS ALL IMMEDIATE", false, 0) != SPI_OK_UTILITY)
      elog(ERROR, "cdc_sync: SET CONSTRAINTS failed");
    // The pipeline's lock first, its row next, stage tables and offsets after: the API takes them
    // in the same order (cdc_sync._pipeline_for), so the two cannot deadlock. After the locks the
    // batch runs only if this worker still may: the same pipeline id (not a dropped and re-created
    // namesake), still running, its index within the parallelism.
    bool exclusive = lock == BatchLock::Exclusive;
    spi_exec(exclusive ? "SELECT pg_catalog.pg_advisory_xact_lock(1128547155, $1)"
                       : "SELECT pg_catalog.pg_advisory_xact_lock_shared(1128547155, $1)",
             SPI_OK_SELECT, "locking the pipeline", {{INT4OID, Int32GetDatum(worker.pipeline_id)}});
    gone = spi_exec(exclusive ? "SELECT 1 FROM cdc_sync.pipelines WHERE id = $1 AND state = 'running' "
                                "AND $2 < coalesce((options->>'parallelism')::int, 1) FOR UPDATE"
                              : "SELECT 1 FROM cdc_sync.pipelines WHERE id = $1 AND state = 'running' "
                                "AND $2 < coalesce((options->>'parallelism')::int, 1) FOR KEY SHARE",
                    SPI_OK_SELECT, "locking the pipeline's row",
                    {{INT4OID, Int32GetDatum(worker.pipeline_id)}, {INT4OID, Int32GetDatum(worker.worker_index)}}) == 0;
    pgstat_report_activity(STATE_RUNNING, "cdc_sync: applying batch");
  });
  if (gone) {
    abort_batch();
    throw PipelineGone("pipeline was dropped, stopped or narrowed");
  }
}

bool lock_targets(const std::vector<int>& tables) {
  guard([&]() {
    // The lock the apply takes anyway, taken first: DDL cannot slip in between this check and the
    // statements, and taking it processes the invalidations of any DDL committed before.
    for (int t : tables)
      if (OidIsValid(worker.tables[t].target)) LockRelationOid(worker.tables[t].target, RowExclusiveLock);
  });
  return targets_invalidated;
}

void commit_batch() {
  guard([]() {
    PopActiveSnapshot();
    SPI_finish();
    set_batch_open(false);  // a cancel now would hit the next transaction, not this commit
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, nullptr);
    pgstat_report_stat(false);
  });
}

void abort_batch() {
  guard([]() {
    set_batch_open(false);
    AbortCurrentTransaction();
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

void begin_subtransaction() {
  guard([]() {
    resume_context = CurrentMemoryContext;
    resume_owner = CurrentResourceOwner;
    BeginInternalSubTransaction(nullptr);
    MemoryContextSwitchTo(resume_context);
  });
}

void commit_subtransaction() {
  guard([]() {
    ReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(resume_context);
    CurrentResourceOwner = resume_owner;
  });
}

void rollback_subtransaction() {
  guard([]() {
    RollbackAndReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(resume_context);
    CurrentResourceOwner = resume_owner;
  });
}

void reset_apply_state() {
  guard([]() { forget_apply_state(); });
}

void truncate_target(int table, const TruncateEvent& event) {
  TableMeta& t = worker.tables[table];
  if (t.semantics.truncate_mode == "soft" && !t.append) {
    const std::string soft = soft_truncate_sql(t);
    const bool known_ts = event.source_ts_ms != INT64_MIN, known_at = event.offset >= 0;
    guard([&]() {
      AsOwner owner;
      spi_exec(soft.c_str(), SPI_OK_UPDATE, "marking every row deleted (truncate_mode soft)",
               {{INT8OID, Int64GetDatum(known_ts ? event.source_ts_ms : 0), !known_ts},
                {TEXTOID, known_at ? PointerGetDatum(utf8_to_text(event.topic.data(), event.topic.size())) : (Datum)0, !known_at},
                {INT4OID, Int32GetDatum(event.partition), !known_at},
                {INT8OID, Int64GetDatum(event.offset), !known_at}});
      owner.restore();
    });
    return;
  }
  // The tombstones go too: after a truncate, no delete before it decides anything.
  const std::string sql = "TRUNCATE " + t.target_name + (t.tombstone_name.empty() ? "" : ", " + t.tombstone_name);
  guard([&]() {
    AsOwner owner;
    if (SPI_execute(sql.c_str(), false, 0) != SPI_OK_UTILITY) elog(ERROR, "cdc_sync: truncate failed");
    owner.restore();
  });
}

// The types come from source_types.cpp's fixed vocabulary; checked anyway, as they go into DDL.
static void check_type_spellings(const std::vector<AddedColumn>& columns) {
  for (const AddedColumn& c : columns)
    for (char ch : c.type)
      if (!(std::islower((unsigned char)ch) || std::isdigit((unsigned char)ch) || ch == ' ' || ch == '(' ||
            ch == ')' || ch == ','))
        throw HostError("unexpected column type \"" + c.type + "\" for column \"" + c.name + "\"", "XX000");
}

// Inside guard(): runs `ddl` on target `t` as the owner and records it in cdc_sync.schema_history
// with the message that brought it (`from`; none: an empty position).
static void run_schema_change(const TableMeta& t, const char* ddl, const AddedColumn* from) {
  AsOwner owner;
  if (SPI_execute(ddl, false, 0) != SPI_OK_UTILITY) elog(ERROR, "cdc_sync: %s failed", ddl);
  owner.restore();
  spi_exec("INSERT INTO cdc_sync.schema_history (pipeline, source, target, ddl, topic, partition, \"offset\") "
           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
           SPI_OK_INSERT, "recording a schema change",
           {text_arg(worker.pipeline_name.c_str()), text_arg(t.source.c_str()), text_arg(t.target_name.c_str()),
            text_arg(ddl), text_arg(from ? from->topic.c_str() : ""), {INT4OID, Int32GetDatum(from ? from->partition : 0)},
            {INT8OID, Int64GetDatum(from ? from->offset : 0)}});
}

// Appends "(a, b, ...)", each name quoted.
static void append_identifier_list(StringInfo out, const std::vector<std::string>& names) {
  appendStringInfoChar(out, '(');
  for (size_t i = 0; i < names.size(); i++)
    appendStringInfo(out, "%s%s", i ? ", " : "", quote_identifier(names[i].c_str()));
  appendStringInfoChar(out, ')');
}

void add_columns(int table, const std::vector<AddedColumn>& columns) {
  const TableMeta& t = worker.tables[table];
  check_type_spellings(columns);
  guard([&]() {
    for (const AddedColumn& c : columns) {
      const char* form = c.widen ? "ALTER TABLE %s ALTER COLUMN %s TYPE %s" : "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s";
      run_schema_change(t, psprintf(form, t.target_name.c_str(), quote_identifier(c.name.c_str()), c.type.c_str()), &c);
      // The archive of deleted rows keeps the target's columns.
      if (!t.archive_name.empty())
        run_schema_change(t, psprintf(form, t.archive_name.c_str(), quote_identifier(c.name.c_str()), c.type.c_str()), &c);
    }
  });
}

// partition_by of a target to create: checks its columns against the target's `columns` and
// returns the PARTITION BY clause ("" for none); `table_key` (the PRIMARY KEY) gains the partition
// columns, as a partitioned table's must hold them. The sync table's key stays the source's.
static std::string partition_clause(const TableMeta& t, const std::vector<AddedColumn>& columns,
                                    std::vector<std::string>& table_key) {
  if (t.partition_kind.empty()) return "";
  std::string clause = t.partition_kind == "range" ? " PARTITION BY RANGE (" : " PARTITION BY HASH (";
  for (size_t i = 0; i < t.partition_columns.size(); i++) {
    const std::string& name = t.partition_columns[i];
    auto c = std::find_if(columns.begin(), columns.end(), [&](const AddedColumn& a) { return a.name == name; });
    if (c == columns.end())
      throw HostError("partition_by names column \"" + name + "\", which the source's changes do not carry", "42703");
    bool numeric_step = std::isdigit((unsigned char)t.partition_step[0]);
    bool time = c->type == "date" || c->type.rfind("timestamp", 0) == 0;
    bool integer = c->type == "smallint" || c->type == "integer" || c->type == "bigint" || c->type.rfind("numeric", 0) == 0;
    if (t.partition_kind == "range" && (numeric_step ? !integer : !time))
      throw HostError("partition_by RANGE column \"" + name + "\" is " + c->type + ", which a partition_interval of \"" +
                          t.partition_step + "\" does not divide (" +
                          (numeric_step ? "a number needs an integer column" : "a unit needs a date or timestamp column") + ")",
                      "22023");
    clause += (i ? ", " : "") + std::string(quote_identifier(name.c_str()));
    if (!table_key.empty() && std::find(table_key.begin(), table_key.end(), name) == table_key.end())
      table_key.push_back(name);
  }
  return clause + ")";
}

// Inside guard(), the batch's rows staged: creates (as the owner) the RANGE partitions they need
// that the target lacks, and records each in schema_history.
static void add_range_partitions(const TableMeta& t) {
  AsOwner owner;
  spi_exec("SELECT cdc_sync._add_range_partitions($1::regclass, $2::regclass, $3, $4)", SPI_OK_SELECT,
           "adding partitions",
           {text_arg(t.target_name.c_str()), text_arg(t.stage_name.c_str()), text_arg(t.partition_columns[0].c_str()),
            text_arg(t.partition_step.c_str())});
  owner.restore();
  uint64 n = SPI_processed;
  char** statements = (char**)palloc(sizeof(char*) * (n + 1));
  for (uint64 i = 0; i < n; i++) statements[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
  for (uint64 i = 0; i < n; i++)
    spi_exec("INSERT INTO cdc_sync.schema_history (pipeline, source, target, ddl, topic, partition, \"offset\") "
             "VALUES ($1, $2, $3, $4, '', 0, 0)",
             SPI_OK_INSERT, "recording a partition",
             {text_arg(worker.pipeline_name.c_str()), text_arg(t.source.c_str()), text_arg(t.target_name.c_str()),
              text_arg(statements[i])});
}

bool create_target(int table, const std::vector<AddedColumn>& columns, const std::vector<std::string>& key) {
  TableMeta& t = worker.tables[table];
  check_type_spellings(columns);
  bool created = false;
  const AddedColumn* first = columns.empty() ? nullptr : &columns[0];
  std::vector<std::string> table_key = key;
  const std::string partitioning = partition_clause(t, columns, table_key);
  guard([&]() {
    spi_exec("SELECT pg_catalog.to_regclass($1) IS NULL", SPI_OK_SELECT, "looking up the target",
             {text_arg(t.target_name.c_str())});
    if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") != 0) return;  // created meanwhile
    StringInfoData ddl;
    initStringInfo(&ddl);
    appendStringInfo(&ddl, "CREATE TABLE %s (", t.target_name.c_str());
    for (size_t i = 0; i < columns.size(); i++)
      appendStringInfo(&ddl, "%s%s %s", i ? ", " : "", quote_identifier(columns[i].name.c_str()), columns[i].type.c_str());
    if (!table_key.empty()) {
      appendStringInfoString(&ddl, columns.empty() ? "PRIMARY KEY " : ", PRIMARY KEY ");
      append_identifier_list(&ddl, table_key);
    }
    appendStringInfoChar(&ddl, ')');
    appendStringInfoString(&ddl, partitioning.c_str());
#if CDC_DISTRIBUTED_CLAUSE
    if (!key.empty()) {
      appendStringInfoString(&ddl, " DISTRIBUTED BY ");
      append_identifier_list(&ddl, key);
    }
#endif
    run_schema_change(t, ddl.data, first);  // as the owner: the owner owns the table it creates
    if (t.partition_kind == "hash") {
      // Every HASH partition now; RANGE partitions come with the rows that need them
      // (add_range_partitions()). No default partition: it would make adding those scan it.
      spi_exec("SELECT pg_catalog.format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES WITH (MODULUS %s, REMAINDER %s)', "
               "  n.nspname, left(c.relname, 55) || '_h' || i, c.oid::regclass, $2, i) "
               "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, "
               "  pg_catalog.generate_series(0, $2 - 1) i "
               "WHERE c.oid = pg_catalog.to_regclass($1) ORDER BY i",
               SPI_OK_SELECT, "naming partitions", {text_arg(t.target_name.c_str()), {INT4OID, Int32GetDatum(t.partitions)}});
      uint64 n = SPI_processed;
      char** statements = (char**)palloc(sizeof(char*) * (n + 1));
      for (uint64 i = 0; i < n; i++) statements[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
      for (uint64 i = 0; i < n; i++) run_schema_change(t, statements[i], first);
    }
    spi_exec("UPDATE cdc_sync.sync_tables SET target = pg_catalog.to_regclass(target_name), primary_key = $2 "
             "WHERE id = $1",
             SPI_OK_UPDATE, "recording the created target",
             {{INT4OID, Int32GetDatum(t.sync_table_id)}, {TEXTARRAYOID, text_array(key)}});
    created = true;
  });
  return created;
}

void apply_rows(int table, const StageRows& rows, ApplyCounts& counts) {
  TableMeta& t = worker.tables[table];
  const std::string create = t.stage_name.empty() ? create_stage_sql(t) : std::string();
  if (!create.empty()) t.stage_analyzed = false;
  const ApplyPlan plan = plan_group(t, rows);
  guard([&]() {
    if (!create.empty() && SPI_execute(create.c_str(), false, 0) < 0)
      elog(ERROR, "cdc_sync: creating staging table %s failed", t.stage_name.c_str());
    AsOwner owner;
    run_plan(t, plan.truncate_stage, SPI_OK_UTILITY);
    copy_into_stage(t, rows);
    if (t.partition_kind == "range" && rows.upserts > 0 && !rows.archive) {
      owner.restore();
      add_range_partitions(t);
      owner.enter();
    }
    if (!t.stage_analyzed && !plan.analyze_stage.empty() && rows.upserts + rows.deletes >= kAnalyzeMinRows) {
      // TRUNCATE keeps pg_statistic: one ANALYZE teaches the planner that keys are unique.
      run_plan(t, plan.analyze_stage, SPI_OK_UTILITY);
      t.stage_analyzed = true;
    }
    CommandCounterIncrement();
    int64 updated = 0;
    if (!plan.count.empty()) {
      run_plan(t, plan.count, SPI_OK_SELECT);
      bool isnull;
      counts.deleted += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
      updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
      counts.updated += updated;
      counts.inserted += (int64)rows.upserts - updated;
    }
    for (const ApplyPlan::Step& step : plan.steps) {
      ApplyCounts before = step.counts == Counts::Merge && plan.count.empty() ? xact_tuple_counts(t.target) : ApplyCounts();
      int64 n = (int64)run_plan(t, step.sql, step.expected);
      switch (step.counts) {
        case Counts::Deleted: counts.deleted += n; break;
        case Counts::Updated: counts.updated += n; updated += n; break;
        case Counts::Inserted: counts.inserted += n; break;
        case Counts::InsertedOrReplaced: counts.inserted += n - updated; break;
        case Counts::None: break;
        case Counts::Merge:
          if (plan.count.empty()) {
            ApplyCounts after = xact_tuple_counts(t.target);
            counts.inserted += after.inserted - before.inserted;
            counts.updated += after.updated - before.updated;
            counts.deleted += after.deleted - before.deleted;
          }
          break;
      }
    }
    owner.restore();
  });
}

void write_progress(const BatchProgress& p) {
  // Plain C++ first: nothing with a destructor may be created inside the guarded region.
  std::vector<std::string> topics;
  std::vector<int32> partitions, ids;
  std::vector<int64> offsets, ins, upd, del, trunc, unmatched;
  std::vector<int32> field_tables;
  std::vector<std::string> fields;
  for (const StoredOffset& o : p.offsets) {
    topics.push_back(o.topic);
    partitions.push_back(o.partition);
    offsets.push_back(o.next_offset);
  }
  for (const TableProgress& t : p.tables) {
    ids.push_back(t.sync_table_id);
    ins.push_back(t.counts.inserted);
    upd.push_back(t.counts.updated);
    del.push_back(t.counts.deleted);
    trunc.push_back(t.truncates);
    unmatched.push_back(t.unmatched_values);
    for (const std::string& f : t.unmatched_fields) {
      field_tables.push_back(t.sync_table_id);
      fields.push_back(f);
    }
  }
  guard([&]() {
    MemoryContext old = MemoryContextSwitchTo(worker.batch_context);
    Datum name = CStringGetTextDatum(worker.pipeline_name.c_str());
    // Offsets only move forward: exactly-once rests on one writer per partition, and a batch that
    // would move one back (a second writer, a stale worker) fails instead of replaying rows.
    if (!topics.empty() &&
        spi_exec("INSERT INTO cdc_sync.offsets AS o (pipeline, topic, partition, next_offset) "
                 "SELECT $1, u.t, u.p, u.o FROM unnest($2::text[], $3::int4[], $4::int8[]) AS u(t, p, o) "
                 "ON CONFLICT (pipeline, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, "
                 "updated_at = now() WHERE o.next_offset <= EXCLUDED.next_offset",
                 SPI_OK_INSERT, "storing offsets",
                 {{TEXTOID, name}, {TEXTARRAYOID, text_array(topics)}, {INT4ARRAYOID, int4_array(partitions)},
                  {INT8ARRAYOID, int8_array(offsets)}}) != topics.size())
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("cdc_sync: a batch would move the stored offsets of pipeline \"%s\" backwards",
                             worker.pipeline_name.c_str()),
                      errdetail("Another process committed later offsets for the same partitions."),
                      errhint("This is a bug or two workers for one partition; the batch was rolled back. "
                              "Check cdc_sync.offsets and the server log.")));
    if (!ids.empty())
      spi_exec("UPDATE cdc_sync.sync_table_counters c SET rows_inserted = c.rows_inserted + u.i, "
               "rows_updated = c.rows_updated + u.up, rows_deleted = c.rows_deleted + u.d, "
               "truncates = c.truncates + u.tr, values_unmatched = c.values_unmatched + u.um, last_applied_at = now() "
               "FROM unnest($1::int4[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]) "
               "AS u(id, i, up, d, tr, um) WHERE c.sync_table = u.id",
               SPI_OK_UPDATE, "updating table counters",
               {{INT4ARRAYOID, int4_array(ids)}, {INT8ARRAYOID, int8_array(ins)}, {INT8ARRAYOID, int8_array(upd)},
                {INT8ARRAYOID, int8_array(del)}, {INT8ARRAYOID, int8_array(trunc)},
                {INT8ARRAYOID, int8_array(unmatched)}});
    if (!fields.empty()) record_unmatched_fields(field_tables, fields);
    for (const DeadLetter& d : p.dead_letters)
      spi_exec("INSERT INTO cdc_sync.dead_letters (pipeline, topic, partition, \"offset\", key, value, error) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7)",
               SPI_OK_INSERT, "storing a dead letter",
               {{TEXTOID, name}, text_arg(d.topic.c_str()), {INT4OID, Int32GetDatum(d.partition)},
                {INT8OID, Int64GetDatum(d.offset)},
                {TEXTOID, d.key_null ? (Datum)0 : raw_as_text(d.key), d.key_null},
                {TEXTOID, d.value_null ? (Datum)0 : raw_as_text(d.value), d.value_null},
                text_arg(d.error.c_str())});
    write_parked(p);
    uint64 updated = spi_exec(
        "UPDATE cdc_sync.pipeline_counters SET "
        "messages_consumed = messages_consumed + $2, messages_skipped = messages_skipped + $3, "
        "messages_dead_lettered = messages_dead_lettered + $4, batches = batches + 1, "
        "last_batch_at = now() WHERE pipeline = $1",
        SPI_OK_UPDATE, "updating pipeline counters",
        {{TEXTOID, name}, {INT8OID, Int64GetDatum(p.consumed)}, {INT8OID, Int64GetDatum(p.skipped)},
         {INT8OID, Int64GetDatum((int64)p.dead_letters.size())}});
    if (updated != 1)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                      errmsg("pipeline \"%s\" no longer exists", worker.pipeline_name.c_str())));
    MemoryContextSwitchTo(old);
  });
}

}  // namespace cdc::host
