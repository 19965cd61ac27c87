// What the PostgreSQL side offers the pipeline runtime: config, waiting, transactions, apply, status.
//
// Neutral header: standard C++ only, included both by src/pg/ (which implements it beside
// postgres.h) and by src/worker/ (which uses it beside the core). Every function here either
// returns normally or throws cdc::host::HostError; a PostgreSQL error never longjmps out of it.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace cdc::host {

// A PostgreSQL error raised while the host served a call, converted to an exception.
class HostError : public std::runtime_error {
 public:
  HostError(const std::string& message, const std::string& sqlstate, const std::string& detail = "")
      : std::runtime_error(message), sqlstate_(sqlstate), detail_(detail) {}
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string sqlstate_;
  std::string detail_;
};

// The pipeline of this worker no longer exists or is no longer running: exit quietly.
class PipelineGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a sync table does with a source column its target lacks (option schema_changes).
enum class SchemaChanges { Evolve, Ignore, Fail };

// Sync table option columns: which source fields reach the target, and under which names.
struct ColumnMapping {
  std::vector<std::string> include;                          // only these fields (empty: all)
  std::vector<std::string> exclude;                          // never these fields
  std::vector<std::pair<std::string, std::string>> rename;   // source field -> target column
  bool empty() const { return include.empty() && exclude.empty() && rename.empty(); }
};

// Sync table options that decide what a change does to its target (core/change_meta.hpp).
struct ApplyOptions {
  std::string delete_mode = "delete";      // delete, soft, archive, only_archive, ignore
  std::string truncate_mode = "truncate";  // truncate, soft, ignore
  std::string version_column;              // "" for none
  std::vector<std::string> metadata_columns;  // _cdc_op, _cdc_source_ts, ... maintained on every write
  bool changelog = false;                  // mode changelog: every change is a new row
  // Whether rows stage their change's metadata (any option above that is not a default).
  bool stage_meta() const {
    return delete_mode != "delete" || truncate_mode == "soft" || !version_column.empty() ||
           !metadata_columns.empty() || changelog;
  }
  bool operator==(const ApplyOptions& o) const {
    return delete_mode == o.delete_mode && truncate_mode == o.truncate_mode && version_column == o.version_column &&
           metadata_columns == o.metadata_columns && changelog == o.changelog;
  }
};

struct SyncTableConfig {
  int id = 0;
  std::string source;                 // regular expression over "db.table"
  std::string target;                 // qualified, quoted target name (for messages)
  std::vector<std::string> columns;   // writable target columns, in table order
  std::vector<std::string> column_types;  // format_type() of each column's base type
  std::vector<int> key;               // indices into columns (empty for append tables)
  bool append = false;                // sync table option: every message is a new row
  std::string op_field;               // sync table option: field whose 'd'/'delete' means delete
  SchemaChanges schema_changes = SchemaChanges::Evolve;
  // The sync table's key columns by name (for a missing target, empty: the first message key's).
  std::vector<std::string> key_names;
  // auto_create: the target does not exist yet (target is the name to create; columns empty).
  bool target_missing = false;
  // Per-table isolation (on_table_error): a table whose apply fails for a reason other than a bad
  // message is parked (its messages kept in cdc_sync.parked) instead of stopping the pipeline.
  bool park_on_error = true;
  bool parked = false;
  bool retry_requested = false;  // retry_table(): replay the parked messages, then apply live
  // A target template: no target of its own; each source it matches gets its own sync table
  // (materialize_sync_table()) at its first change.
  bool is_template = false;
  // Sync table option source_column: the column that takes each row's source name (a key column,
  // so that sources merged into one target keep equal keys apart); "" for none.
  std::string source_column;
  ColumnMapping field_map;  // sync table option columns
  ApplyOptions semantics;   // delete_mode, truncate_mode, version_column, metadata_columns, mode
};

// Special values of PipelineConfig::start_position.
constexpr int64_t kStartEarliest = -2;
constexpr int64_t kStartLatest = -1;

struct PipelineConfig {
  int id = 0;
  std::string name;
  std::string brokers;
  std::vector<std::string> topics;
  std::string format;
  int64_t batch_max_rows = 10000;
  int64_t batch_max_ms = 500;
  int64_t batch_max_bytes = 64 << 20;
  bool dead_letter = false;           // on_error = 'dead_letter'
  bool use_merge = true;              // apply_strategy resolved against the server
  int parallelism = 1;
  std::string group_id;
  std::map<std::string, std::string> kafka;
  std::map<std::string, std::string> topic_sources;  // source name of formats that carry none
  bool apply_truncate = true;         // truncate events empty the target ('apply') or are skipped
  bool reset_pending = false;         // reset_offsets() was called: the start position must be resolved again
  std::string unavailable_value;      // placeholder for values the source did not send
  bool zero_dates_null = true;        // zero_dates = 'null' (else 'error')
  bool base64_decimals = false;       // decimal_handling_mode = 'precise': schema-less base64 decimals
  std::string dms_before_image_prefix = "BI_";  // DMS add-before-image-columns prefix ('' = off)
  std::vector<SyncTableConfig> tables;
};

struct Identity {
  int pipeline_id = 0;
  int worker_index = 0;
  int parallelism = 1;
};

struct StoredOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
};

// One group of staged rows (see core StageGroup), in neutral form.
struct StageRows {
  const std::vector<int>* columns = nullptr;  // indices into SyncTableConfig::columns
  bool full = false;
  bool replace = false;
  bool append = false;                        // plain inserts
  bool validate_only = false;                 // staged only to pass the input functions; not applied
  bool meta = false;                          // lines carry the change's metadata after the op
  bool archive = false;                       // rows for the archive of deleted rows
  const std::string* copy_text = nullptr;     // "op\tv...\n" lines
  size_t upserts = 0;
  size_t deletes = 0;
};

struct ApplyCounts {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
};

// A Kafka message kept as it came (dead letters, parked messages).
struct RawMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;    // raw bytes of the Kafka key (may be empty)
  bool key_null = true;
  std::string value;  // raw bytes of the Kafka value
  bool value_null = true;
};

struct DeadLetter : RawMessage {
  std::string error;
};

// A message of a parked table, kept raw (cdc_sync.parked).
struct ParkedMessage : RawMessage {
  int64_t id = 0;  // when read back
  int sync_table_id = 0;
};

struct TableProgress {
  int sync_table_id = 0;
  ApplyCounts counts;
  int64_t truncates = 0;                     // truncate events applied
  int64_t unmatched_values = 0;              // values of fields that match no column
  std::vector<std::string> unmatched_fields;  // names of such fields (maybe seen before)
};

// Everything a batch commits besides the rows: positions, counters, dead letters.
struct BatchProgress {
  std::vector<StoredOffset> offsets;
  std::vector<TableProgress> tables;
  int64_t consumed = 0;
  int64_t skipped = 0;
  std::vector<DeadLetter> dead_letters;
  std::vector<ParkedMessage> parked;                  // messages of parked tables
  std::vector<std::pair<int, std::string>> parking;  // tables parked by this batch: id, reason
};

// Live, non-durable state shown in cdc_sync.status.
struct LiveStatus {
  int64_t lag = -1;          // messages behind the high watermarks, -1 when unknown
  std::string kafka_problem;  // empty when the brokers answer
};

enum class LogLevel { Debug, Log, Info, Warning };

// -- identity and configuration --
Identity identity();
PipelineConfig load_config();                  // throws PipelineGone
std::vector<StoredOffset> load_offsets();
// Inside begin_batch(BatchLock::Exclusive), which holds the pipeline's lock and row: tells where a
// first start (or a start after reset_offsets) must begin: kStartEarliest, kStartLatest or epoch
// ms. False when the start was resolved before and no reset is pending (partitions without an
// offset then start at earliest: they were created after the pipeline started).
// `request` identifies the start request (it changes with every change of the pipeline's row, so
// a reset_offsets() to the same symbolic position is a new request).
bool locked_start(int64_t& position, int64_t& request);
// The same question without a lock, in its own transaction: lets the worker ask Kafka for the
// start offsets before it takes the lock (the lock blocks alter/stop_pipeline meanwhile).
bool peek_start(int64_t& position, int64_t& request);
// Inside begin_batch(): stores resolved start offsets for every partition and clears the reset.
void write_start_offsets(const std::vector<StoredOffset>& offsets);
// True when the regular expression `pattern` (PostgreSQL's engine) matches the whole of `text`:
// sync table sources and topic patterns.
bool matches_pattern(const std::string& pattern, const std::string& text);
// A counter bumped whenever any pipeline's configuration changes.
uint64_t config_generation();

// -- event loop --
// Sleeps until the latch is set, `fd` is readable (if >= 0) or timeout_ms passed; services
// SIGHUP and interrupts. Returns false once the worker has been asked to stop.
bool wait(int fd, long timeout_ms);
bool stop_requested();
int64_t now_ms();
void log(LogLevel level, const std::string& message);

// -- batches --
// How a batch transaction locks its pipeline. Batches share the lock (several workers of one
// pipeline apply at once); the start path and every API call take it exclusively, so an API call
// waits for the batches in flight and new batches queue behind it (a heavyweight lock: fair).
enum class BatchLock { Shared, Exclusive };
// Starts the transaction and locks the pipeline, then its row; throws PipelineGone when this
// worker may no longer run (pipeline dropped or re-created, stopped, parallelism narrowed).
void begin_batch(BatchLock lock = BatchLock::Shared);
// A column to add to a target, or to widen (schema_changes 'evolve'), and the message that brought it.
struct AddedColumn {
  std::string name;
  std::string type;    // PostgreSQL's spelling, from source_types.hpp
  bool widen = false;  // ALTER COLUMN ... TYPE an existing column, not ADD COLUMN
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};
// Inside begin_batch(): adds the columns to the target of table `table` as the pipeline owner
// (ADD COLUMN IF NOT EXISTS), or widens them (ALTER COLUMN ... TYPE), and records each in
// cdc_sync.schema_history.
void add_columns(int table, const std::vector<AddedColumn>& columns);
// Inside begin_batch(BatchLock::Exclusive): creates the missing target of table `table` as the
// pipeline owner with `columns` (in order) and primary key `key` (none for an append table),
// records it in cdc_sync.schema_history and in the sync table. False when it exists by now (another
// worker of the pipeline created it).
bool create_target(int table, const std::vector<AddedColumn>& columns, const std::vector<std::string>& key);
// Own transaction: gives source `source` (first seen in `topic`) of template sync table
// `template_id` its own sync table (cdc_sync._materialize_sync_table), unless one exists by now.
void materialize_sync_table(int template_id, const std::string& source, const std::string& topic);
// Inside begin_batch(): up to `limit` parked messages of a sync table after id `after`, in order.
std::vector<ParkedMessage> read_parked(int sync_table_id, int64_t after, int limit);
// Inside begin_batch(): deletes the sync table's parked messages up to id `last` (replayed).
void delete_parked(int sync_table_id, int64_t last);
// Inside begin_batch(): the sync table is live again (and every worker reloads at commit).
void unpark(int sync_table_id);
// Its own transaction: a replay failed; the table stays parked with `reason`.
void replay_failed(int sync_table_id, const std::string& reason);
// Inside begin_batch(): locks the targets of these tables (indexes into PipelineConfig::tables)
// for writing, and says whether DDL changed any target since load_config() read them (the batch
// must then be rebuilt from the fresh columns: a column added to a target is filled at once).
bool lock_targets(const std::vector<int>& tables);
// A truncate event, for truncate_mode soft (which marks every row deleted with it).
struct TruncateEvent {
  int64_t source_ts_ms = INT64_MIN;  // INT64_MIN: unknown
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;  // -1: unknown
};
// Truncates the target of table `table` (index into PipelineConfig::tables) as the owner, or marks
// its rows deleted (truncate_mode soft).
void truncate_target(int table, const TruncateEvent& event);
// Stages `rows` and applies them to table `table` as the pipeline owner; adds to `counts`.
void apply_rows(int table, const StageRows& rows, ApplyCounts& counts);
void write_progress(const BatchProgress& progress);
void commit_batch();
void abort_batch();
void begin_subtransaction();
void commit_subtransaction();
void rollback_subtransaction();
// Marks the pipeline failed with `error` (own transaction) so the launcher stops restarting it.
void mark_failed(const std::string& error);
// Forgets prepared statements and staging tables (after a configuration change).
void reset_apply_state();

// -- status --
void set_live_status(const LiveStatus& status);
// Every batch from now on is made with the configuration of `generation` (wait_for_catchup
// waits for it, so a caller's alter_pipeline is in effect when it returns).
void set_config_in_effect(uint64_t generation);

}  // namespace cdc::host
