// Targets that follow their sources: schema evolution (schema_changes) and auto_create, done by
// the worker before a batch is applied.
#include "worker/pipeline_worker.hpp"

#include "core/error_text.hpp"

#include <algorithm>

namespace cdc::worker {

// Schema evolution, before a batch is applied. A field without a column in its target adds the
// column (schema_changes 'evolve': ADD COLUMN as the owner, in a transaction of its own, recorded
// in cdc_sync.schema_history) or fails the pipeline ('fail'). The batch itself then finds its
// target changed when it starts (start_batch) and is rebuilt from the stored offsets with the new
// column, so no value of it is lost. A field seen only as null, with no declared type, waits for a
// value that says what it is.
void PipelineWorker::evolve_targets(Batch& batch) {
  const std::vector<kafka::Message>& all = batch.messages.messages();
  for (size_t t = 0; t < batch.tables.size() && t < cfg_.tables.size(); t++) {
    const host::SyncTableConfig& tc = cfg_.tables[t];
    if (tc.parked) continue;  // its messages are kept aside, not applied
    if (tc.target_missing) {
      if (batch.tables[t].empty()) continue;
      if (!create_target((int)t, batch)) continue;  // parked
      throw Restart{End::Reload};  // read the batch again, with the new table's columns
    }
    if (tc.schema_changes == host::SchemaChanges::Ignore) continue;
    // A declared type the target column cannot hold: nothing is altered (that could lose values);
    // the table is parked (or the pipeline stops) until the user changes the column.
    if (!batch.tables[t].incompatible_types().empty()) {
      const NewColumn& c = batch.tables[t].incompatible_types()[0];
      std::string current;
      for (size_t i = 0; i < tc.columns.size() && i < tc.column_types.size(); i++)
        if (tc.columns[i] == c.name) current = tc.column_types[i];
      std::string reason = "the source now declares column \"" + c.name + "\" as " + c.type + ", which " + tc.target +
                           "'s column (" + current + ") cannot hold: change the target column (ALTER TABLE " +
                           tc.target + " ALTER COLUMN ... TYPE ...), then call cdc_sync.retry_table()";
      if (!tc.park_on_error || tc.schema_changes == host::SchemaChanges::Fail) fail(reason);
      park_table(batch, (int)t, reason);
      continue;
    }
    std::vector<host::AddedColumn> add;
    for (const NewColumn& c : batch.tables[t].new_columns()) {
      if (c.type.empty() || c.message >= all.size()) continue;
      const kafka::Message& m = all[c.message];
      if (tc.schema_changes == host::SchemaChanges::Fail)
        fail("field \"" + c.name + "\" of the message at " + describe_message(m.topic, m.partition, m.offset, m.key, m.key_len) +
             " has no column in target " + tc.target + " (sync table option schema_changes is 'fail'): add the column " +
             "to the target, or set schema_changes to 'evolve' or 'ignore'");
      add.push_back({c.name, c.type, false, std::string(m.topic), m.partition, m.offset});
    }
    // A wider type declared for a column the target has (a longer varchar, a wider decimal).
    for (const NewColumn& c : batch.tables[t].wider_types()) {
      if (c.message >= all.size() || tc.schema_changes != host::SchemaChanges::Evolve) continue;
      const kafka::Message& m = all[c.message];
      add.push_back({c.name, c.type, true, std::string(m.topic), m.partition, m.offset});
    }
    if (add.empty()) continue;
    std::string what;
    for (const host::AddedColumn& c : add)
      what += (what.empty() ? "" : ", ") + c.name + (c.widen ? " widened to " : " ") + c.type;
    for (int attempt = 1;; attempt++) {
      try {
        start_batch();
        host::add_columns((int)t, add);
        host::commit_batch();
        break;
      } catch (const host::HostError& e) {
        host::abort_batch();
        std::string problem = "changing " + tc.target + " (" + what + ") failed: " + e.what();
        if (retry_transient(e, attempt, problem)) continue;
        fail(problem + (e.sqlstate() == "42501" ? " (the pipeline owner must own the target to add columns; or set "
                                                  "the sync table's schema_changes to 'ignore')"
                                                : ""));
      }
    }
    host::log(host::LogLevel::Log, "target " + tc.target + " follows its source: " + what);
  }
}

// auto_create: creates the missing target of table `t` from what its first batch carries: the
// fields in the order they came, with the types the messages declare (or their values say), and
// the sync table's key, else the first message's key fields (Debezium's Kafka key, Canal's
// pkNames). Under the pipeline's exclusive lock, so another worker of the pipeline cannot race it.
// False when it failed and the table is parked (on_table_error 'park': the user fixes the cause or
// creates the table, then calls retry_table()).
bool PipelineWorker::create_target(int t, Batch& batch) {
  const std::vector<kafka::Message>& all = batch.messages.messages();
  return create_target(t, batch.tables[t], all.size(),
                       [&](size_t i) { return MessageAt{all[i].topic, all[i].partition, all[i].offset}; }, &batch);
}

// The same from `tb`, whose messages are `count` and `message_at(i)`; a failure parks the table in
// `parking` (a live batch), or else (a replay) throws.
bool PipelineWorker::create_target(int t, const TableBatch& tb, size_t count,
                                   const std::function<MessageAt(size_t)>& message_at, Batch* parking) {
  const host::SyncTableConfig& tc = cfg_.tables[t];
  const std::vector<NewColumn>& fields = tb.new_columns();
  std::string at;
  if (fields.empty() || fields[0].message >= count) {
    at = "its first change";
  } else {
    MessageAt m = message_at(fields[0].message);
    at = "the message at " + where(m.topic, m.partition, m.offset);
  }
  std::vector<std::string> key;
  if (!tc.append) key = !tc.key_names.empty() ? tc.key_names : tb.key_fields();
  if (!tc.append && key.empty())
    fail("cannot create target " + tc.target + " for source \"" + tc.source + "\": the sync table names no primary key " +
         "and " + at + " carries none; pass primary_key to add_sync_table (or append)");
  std::vector<host::AddedColumn> columns;
  for (const NewColumn& c : fields) {
    bool is_key = std::find(key.begin(), key.end(), c.name) != key.end();
    if (c.type.empty() && !is_key) continue;  // only nulls so far: added once a value says what it is
    if (c.type.empty())
      fail("cannot create target " + tc.target + ": key column \"" + c.name + "\" has no type (" + at + ")");
    MessageAt m = message_at(std::min<size_t>(c.message, count - 1));
    columns.push_back({c.name, c.type, false, std::string(m.topic), m.partition, m.offset});
  }
  for (const std::string& k : key)
    if (std::none_of(columns.begin(), columns.end(), [&](const host::AddedColumn& c) { return c.name == k; }))
      fail("cannot create target " + tc.target + ": key column \"" + k + "\" is not a field of " + at);
  bool created = false;
  for (int attempt = 1;; attempt++) {
    try {
      start_batch(host::BatchLock::Exclusive);
      created = host::create_target(t, columns, key);
      host::commit_batch();
      break;
    } catch (const host::HostError& e) {
      host::abort_batch();
      std::string problem = "creating target " + tc.target + " failed: " + e.what();
      if (retry_transient(e, attempt, problem)) continue;
      if (parking == nullptr) throw host::HostError(problem, e.sqlstate());
      if (parks(e, attempt, t)) {
        park_table(*parking, t, problem + "; fix the cause, then call cdc_sync.retry_table()");
        return false;
      }
      fail(problem);
    }
  }
  if (created) {
    std::string what;
    for (const host::AddedColumn& c : columns) what += (what.empty() ? "" : ", ") + c.name + " " + c.type;
    host::log(host::LogLevel::Log, "created target " + tc.target + " (" + what + ")");
  }
  return true;
}

}  // namespace cdc::worker
