// The pipeline worker loop (see pipeline_worker.hpp). Pure C++: PostgreSQL is reached only
// through cdc::host, which turns PostgreSQL errors into exceptions.
#include "worker/pipeline_worker.hpp"

#include "bridge/runtime.hpp"
#include "core/error_text.hpp"
#include "core/topic_selection.hpp"

#include <algorithm>
#include <set>

namespace cdc::worker {

namespace {
constexpr int kMetadataTimeoutMs = 10000;
constexpr long kMaxBackoffMs = 30000;
// How often a running worker asks the cluster for new topics (patterns) and partitions, and how
// long it waits for the answer (the main loop is blocked meanwhile; a slow answer is skipped).
constexpr int64_t kPartitionCheckMs = 5000;
constexpr int kPartitionCheckTimeoutMs = 2000;
constexpr int kUnknownTopic = 3;  // RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
constexpr int64_t kProblemForgetMs = 30000;
}  // namespace

// A data exception (22xxx) or integrity violation (23xxx): the message's fault, so it may become
// a dead letter. Any other error (missing table, privileges, ...) is the environment's fault and
// must stop the pipeline rather than dead-letter every message.
bool is_data_error(const std::string& sqlstate) {
  // 21000: MERGE met one key twice in a batch (the same key written two ways, e.g. 1 and 1.0);
  // message by message it resolves itself.
  return sqlstate.compare(0, 2, "22") == 0 || sqlstate.compare(0, 2, "23") == 0 || sqlstate == "21000";
}

// Errors that go away by themselves: retry the same batch after a pause. A cancel (57014:
// pg_cancel_backend, statement_timeout) rolls the batch back like any of these; it is no reason to
// give up on the pipeline.
bool is_transient(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" ||
         sqlstate.compare(0, 2, "53") == 0;
}

PipelineWorker::PipelineWorker() : id_(host::identity()) {}

void PipelineWorker::run() {
  int failures = 0;  // sessions in a row that ended on a transient error
  try {
    while (!host::stop_requested()) {
      generation_ = host::config_generation();
      try {
        cfg_ = host::load_config();
      } catch (const host::PipelineGone&) {
        return;
      } catch (const host::HostError& e) {
        fail(e.what());
      }
      host::set_config_in_effect(generation_);  // the session builds everything from cfg_
      // An error no batch handled (storing start offsets, a lookup while idle, the fetch thread's
      // death) ends here rather than in a silent crash-and-restart loop: a transient one starts a
      // new session after a pause, anything else fails the pipeline with the reason.
      try {
        if (session() == End::Stop) return;
        failures = 0;
      } catch (const host::PipelineGone&) {
        throw;
      } catch (const host::HostError& e) {
        host::abort_batch();  // in case it left a transaction open
        std::string what = std::string("worker: ") + e.what();
        if (!is_transient(e.sqlstate()) || ++failures > kTransientRetries) fail(what);
        host::log(host::LogLevel::Warning, what + "; starting again");
        if (!host::wait(-1, 100L << std::min(failures, 6))) return;
      } catch (const std::exception& e) {
        host::abort_batch();
        fail(std::string("worker: ") + e.what());
      }
    }
  } catch (const EndWorker&) {
    return;
  } catch (const host::PipelineGone&) {
    return;
  }
}

// One consumer with one configuration; ends on stop or when the configuration changed.
PipelineWorker::End PipelineWorker::session() {
  decoder_ = make_decoder(cfg_.format, decoder_options(cfg_));
  routes_.clear();
  End end;
  try {
    if (!connect()) return host::stop_requested() ? End::Stop : End::Reload;
    end = consume();
  } catch (const Restart& r) {
    end = r.end;
  } catch (...) {
    fetcher_.reset();  // before a new session replaces the consumer the thread reads from
    consumer_.reset();
    throw;
  }
  fetcher_.reset();  // joins the thread and releases its messages before the client goes
  consumer_.reset();
  return end;
}

// Starts a batch transaction holding the pipeline's lock and the targets of `batch`. An API call
// that changed the configuration may have committed while the batch waited for that lock, or DDL
// changed a target (a column added, dropped, retyped): the batch then rolls back, the
// configuration is re-read, and either the batch starts again under it or, when the tables'
// columns changed, the session restarts (throws Restart) and rebuilds the batch from the stored
// offsets with the new columns.
void PipelineWorker::start_batch(host::BatchLock lock, const Batch* batch) {
  std::vector<int> targets;
  if (batch)
    for (size_t i = 0; i < batch->tables.size(); i++)
      if (!batch->tables[i].empty()) targets.push_back((int)i);
  for (;;) {
    host::begin_batch(lock);
    bool ddl = !targets.empty() && host::lock_targets(targets);
    if (!ddl && host::config_generation() == generation_) return;
    host::abort_batch();
    End end;
    if (config_changed(end, ddl)) throw Restart{end};
  }
}

// Creates the consumer, resolves offsets and assigns partitions; retries Kafka trouble with
// backoff (shown in status). False when stopped or reconfigured meanwhile.
bool PipelineWorker::connect() {
  long backoff = 1000;
  for (;;) {
    try {
      kafka::Config kc;
      kc.brokers = cfg_.brokers;
      kc.group_id = cfg_.group_id;
      kc.properties = cfg_.kafka;
      if (!kc.properties.count("client.id"))
        kc.properties["client.id"] = "cdc_sync-" + cfg_.name + "-" + std::to_string(id_.worker_index);
      consumer_ = std::make_unique<kafka::Consumer>(kc);
      std::vector<kafka::TopicPartition> all = all_partitions(kMetadataTimeoutMs);
      assign(all);
      kafka_problem_.clear();
      update_status(true);
      return true;
    } catch (const kafka::KafkaError& e) {
      consumer_.reset();
      if (kafka_problem_ != e.what()) host::log(host::LogLevel::Warning, std::string("Kafka: ") + e.what());
      kafka_problem_ = e.what();
      kafka_problem_ms_ = host::now_ms();
      update_status(true);
    }
    if (!host::wait(-1, backoff)) return false;
    backoff = std::min(backoff * 2, kMaxBackoffMs);
    End end;
    if (config_changed(end)) return false;
  }
}

// Every partition of the pipeline's topics, named or matched by a pattern (offsets unset).
std::vector<kafka::TopicPartition> PipelineWorker::all_partitions(int timeout_ms) {
  return kafka::select_partitions(cfg_.topics, consumer_->list_topics(timeout_ms), host::matches_pattern);
}

// Asks the cluster for the pipeline's partitions again; true when this worker's share changed (a
// new topic a pattern matches, partitions added to a topic, a matched topic deleted): the session
// then restarts and assigns them (a new partition is read from its start). An answer also clears a
// Kafka problem reported before the question (the brokers are back); Kafka trouble here is left to
// the fetch path, which reports it.
bool PipelineWorker::partitions_changed() {
  int64_t now = host::now_ms();
  if (now < next_partition_check_ms_) return false;
  next_partition_check_ms_ = now + kPartitionCheckMs;
  std::set<PartitionKey> fresh, current;
  try {
    for (const kafka::TopicPartition& tp : all_partitions(kPartitionCheckTimeoutMs))
      if (tp.partition % id_.parallelism == id_.worker_index) fresh.insert({tp.topic, tp.partition});
  } catch (const kafka::KafkaError& e) {
    // A named topic gone: reconnect, which reports it in status and retries until it is back.
    if (e.code() != kUnknownTopic) return false;
    host::log(host::LogLevel::Warning, std::string(e.what()) + "; reconnecting");
    return true;
  }
  drain_kafka_events();  // errors from before the answer, so that they do not outlive it
  if (!kafka_problem_.empty() && kafka_problem_ms_ <= now) {
    kafka_problem_.clear();
    update_status(true);
  }
  for (const kafka::TopicPartition& tp : assigned_) current.insert({tp.topic, tp.partition});
  if (fresh == current) return false;
  size_t added = 0, gone = 0;
  std::string example;
  for (const PartitionKey& k : fresh)
    if (!current.count(k) && added++ == 0) example = k.first + "[" + std::to_string(k.second) + "]";
  for (const PartitionKey& k : current)
    if (!fresh.count(k) && gone++ == 0 && example.empty()) example = k.first + "[" + std::to_string(k.second) + "]";
  host::log(host::LogLevel::Log, "partitions changed (" + std::to_string(added) + " new, " + std::to_string(gone) +
                                     " gone, e.g. " + example + "); reconnecting");
  return true;
}

// Concrete start offsets for `position` (earliest, latest or a timestamp) on every partition.
std::vector<kafka::TopicPartition> PipelineWorker::resolve_start(const std::vector<kafka::TopicPartition>& all,
                                                                 int64_t position) {
  if (position >= 0) return consumer_->offsets_for_time(all, position, kMetadataTimeoutMs);
  std::vector<kafka::TopicPartition> out = all;
  for (kafka::TopicPartition& tp : out) {
    kafka::Watermarks w = consumer_->query_watermarks(tp.topic, tp.partition, kMetadataTimeoutMs);
    tp.offset = position == host::kStartLatest ? w.high : w.low;
  }
  return out;
}

// Stores start offsets on a first start, then assigns this worker's partitions from the stored
// offsets; a stored offset below the partition's low-water mark fails the pipeline loudly.
void PipelineWorker::assign(const std::vector<kafka::TopicPartition>& all) {
  // Ask Kafka before taking the pipeline's lock: the lookups can take seconds per partition when
  // a broker is slow, and the lock holds up alter_pipeline() and stop_pipeline() meanwhile.
  int64_t peeked = 0, peeked_request = 0;
  std::vector<kafka::TopicPartition> resolved;
  if (host::peek_start(peeked, peeked_request)) resolved = resolve_start(all, peeked);
  start_batch(host::BatchLock::Exclusive);
  try {
    int64_t position = 0, request = 0;
    if (host::locked_start(position, request)) {
      // Another request since the peek (a reset_offsets() in between, even to the same
      // 'latest', which means later offsets now): look up again, under the lock.
      if (resolved.empty() || request != peeked_request || position != peeked)
        resolved = resolve_start(all, position);
      std::vector<host::StoredOffset> start;
      for (const kafka::TopicPartition& tp : resolved) start.push_back({tp.topic, tp.partition, tp.offset});
      host::write_start_offsets(start);
    }
    host::commit_batch();
  } catch (...) {
    host::abort_batch();
    throw;
  }
  std::map<PartitionKey, int64_t> stored;
  for (const host::StoredOffset& o : host::load_offsets()) stored[{o.topic, o.partition}] = o.next_offset;

  assigned_.clear();
  position_.clear();
  for (const kafka::TopicPartition& tp : all) {
    if (tp.partition % id_.parallelism != id_.worker_index) continue;
    kafka::Watermarks w = consumer_->query_watermarks(tp.topic, tp.partition, kMetadataTimeoutMs);
    auto it = stored.find({tp.topic, tp.partition});
    // A partition with no stored offset appeared after the pipeline started: all of it is new.
    int64_t next = it == stored.end() ? w.low : it->second;
    if (next < w.low)
      fail("offset " + std::to_string(next) + " of " + tp.topic + "[" + std::to_string(tp.partition) +
           "] is no longer in Kafka (the partition now starts at " + std::to_string(w.low) +
           "): messages were deleted before they were applied; call cdc_sync.reset_offsets() to accept the loss");
    assigned_.push_back({tp.topic, tp.partition, next});
    position_[{tp.topic, tp.partition}] = next;
  }
  consumer_->assign(assigned_);
  std::set<std::string> topics;
  for (const kafka::TopicPartition& tp : all) topics.insert(tp.topic);
  next_partition_check_ms_ = host::now_ms() + kPartitionCheckMs;
  host::log(host::LogLevel::Log, "consuming " + std::to_string(assigned_.size()) + " partitions of " +
                                     std::to_string(topics.size()) + " topics" +
                                     (topics.empty() ? " (no topic matches yet; checking every 5 s)" : ""));
}

// Re-reads the configuration when it changed; true when the session must restart (`end` says how).
bool PipelineWorker::config_changed(End& end, bool force) {
  uint64_t gen = host::config_generation();
  if (gen == generation_ && !force) return false;
  generation_ = gen;
  host::PipelineConfig fresh;
  try {
    fresh = host::load_config();
  } catch (const host::PipelineGone&) {
    end = End::Stop;
    return true;
  } catch (const host::HostError& e) {
    fail(e.what());
  }
  bool tables_same = fresh.tables.size() == cfg_.tables.size();
  for (size_t i = 0; tables_same && i < fresh.tables.size(); i++)
    tables_same = fresh.tables[i].id == cfg_.tables[i].id && fresh.tables[i].columns == cfg_.tables[i].columns &&
                  fresh.tables[i].column_types == cfg_.tables[i].column_types &&
                  fresh.tables[i].append == cfg_.tables[i].append && fresh.tables[i].op_field == cfg_.tables[i].op_field &&
                  fresh.tables[i].key == cfg_.tables[i].key && fresh.tables[i].source == cfg_.tables[i].source &&
                  fresh.tables[i].schema_changes == cfg_.tables[i].schema_changes &&
                  fresh.tables[i].target_missing == cfg_.tables[i].target_missing &&
                  fresh.tables[i].field_map.include == cfg_.tables[i].field_map.include &&
                  fresh.tables[i].field_map.exclude == cfg_.tables[i].field_map.exclude &&
                  fresh.tables[i].field_map.rename == cfg_.tables[i].field_map.rename &&
                  fresh.tables[i].semantics == cfg_.tables[i].semantics;
  bool restart = !tables_same || fresh.brokers != cfg_.brokers || fresh.topics != cfg_.topics ||
                 fresh.format != cfg_.format || fresh.kafka != cfg_.kafka || fresh.group_id != cfg_.group_id ||
                 fresh.parallelism != cfg_.parallelism || fresh.use_merge != cfg_.use_merge ||
                 fresh.topic_sources != cfg_.topic_sources || fresh.apply_truncate != cfg_.apply_truncate ||
                 fresh.unavailable_value != cfg_.unavailable_value || fresh.zero_dates_null != cfg_.zero_dates_null ||
                 fresh.base64_decimals != cfg_.base64_decimals ||
                 fresh.dms_before_image_prefix != cfg_.dms_before_image_prefix ||
                 fresh.reset_pending;  // stop, reset_offsets, start faster than we noticed the stop
  cfg_ = fresh;
  if (!restart && fetcher_) {
    fetcher_->set_settings(Fetcher::settings_of(cfg_));
    settings_pending_ = generation_;  // in effect once the fetch thread took them
  } else if (!restart) {
    host::set_config_in_effect(generation_);
  }
  if (restart) {
    host::log(host::LogLevel::Log, tables_same ? "configuration changed; reconnecting"
                                               : "sync tables or their targets' columns changed; reconnecting");
    end = End::Reload;
  }
  return restart;
}

// The main loop: hand route questions to PostgreSQL, apply the batches the fetch thread fills.
PipelineWorker::End PipelineWorker::consume() {
  fetcher_ = std::make_unique<Fetcher>(*consumer_, cfg_, assigned_);  // made with cfg_'s settings
  settings_pending_ = 0;
  reload_pending_ = false;
  fetcher_->start();
  // The group shows every assigned partition's position from the start of a session, also those
  // no batch touches soon (new partitions, idle ones, commits lost with the previous session).
  if (!cfg_.group_id.empty() && !assigned_.empty()) fetcher_->commit_later(assigned_);
  for (;;) {
    if (host::stop_requested()) return End::Stop;
    End end;
    // New sync tables from templates wait for the batch in progress: its every new source is
    // added before the one reload.
    if (!reload_pending_ && config_changed(end)) return end;
    replay_parked();
    if (fetcher_->take_relist_request()) next_partition_check_ms_ = 0;
    if (partitions_changed()) return End::Reload;
    fetcher_->clear_wakeup();
    if (settings_pending_ && fetcher_->settings_in_effect()) {
      host::set_config_in_effect(settings_pending_);
      settings_pending_ = 0;
    }
    std::string source, topic;
    if (fetcher_->route_question(source, topic)) fetcher_->answer_route(answer_route(source, topic));
    std::string error = fetcher_->error();
    if (!error.empty()) throw std::runtime_error(error);
    if (std::unique_ptr<Batch> batch = fetcher_->take_ready()) {
      if (reload_pending_) {
        host::log(host::LogLevel::Log, "sources new to target templates have their sync tables; reconnecting");
        return End::Reload;  // the batch is read again, routed to them
      }
      if (!batch->failure.empty()) fail(batch->failure);
      if (!kafka_problem_.empty()) {
        kafka_problem_.clear();
        update_status(true);
      }
      apply_batch(*batch);
      fetcher_->recycle(std::move(batch));
      drain_kafka_events();  // also under sustained load, when we never get to wait
      continue;
    }
    drain_kafka_events();
    update_status(false);
    if (!host::wait(fetcher_->wakeup_fd(), 1000)) return End::Stop;
  }
}

// The sync table for a source name (exact name first, then patterns in creation order), or -1.
int PipelineWorker::resolve_route(const std::string& source) {
  auto it = routes_.find(source);
  if (it != routes_.end()) return it->second;
  int found = -1;
  for (size_t i = 0; i < cfg_.tables.size() && found < 0; i++)
    if (cfg_.tables[i].source == source) found = (int)i;
  for (size_t i = 0; i < cfg_.tables.size() && found < 0; i++)
    if (host::matches_pattern(cfg_.tables[i].source, source)) found = (int)i;
  if (routes_.size() < kMaxCachedRoutes) routes_.emplace(source, found);
  return found;
}

int PipelineWorker::answer_route(const std::string& source, const std::string& topic) {
  int t = resolve_route(source);
  if (t < 0 || !cfg_.tables[t].is_template) return t;
  try {
    host::materialize_sync_table(cfg_.tables[t].id, source, topic);
  } catch (const host::HostError& e) {
    fail("source \"" + source + "\" of target template " + cfg_.tables[t].target + ": " + e.what());
  }
  routes_.erase(source);
  reload_pending_ = true;
  return -1;  // this batch is not applied
}

// Neutral view of a staged group for the host.
host::StageRows stage_rows(const StageGroup& g) {
  host::StageRows rows;
  rows.columns = &g.columns;
  rows.full = g.full;
  rows.replace = g.replace;
  rows.append = g.append;
  rows.validate_only = g.validate_only;
  rows.meta = g.meta;
  rows.archive = g.archive;
  rows.copy_text = &g.copy_text;
  rows.upserts = g.upserts;
  rows.deletes = g.deletes;
  return rows;
}

// Applies one sync table's part of a batch as the owner: its truncate first, then each group; a
// soft truncate (truncate_mode soft) between the groups of the rows changed before and after it.
void apply_table(int table, const TableBatch& rows, host::ApplyCounts& counts) {
  if (rows.truncate_first()) host::truncate_target(table, host::TruncateEvent());
  const std::vector<StageGroup> groups = rows.groups();
  const std::vector<RowMeta>& soft = rows.soft_truncates();
  for (uint32_t phase = 0; phase <= soft.size(); phase++) {
    if (phase > 0) {
      const RowMeta& m = soft[phase - 1];
      host::TruncateEvent event;
      event.source_ts_ms = m.source_ts_ms;
      event.topic = std::string(m.topic);
      event.partition = m.partition;
      event.offset = m.offset;
      host::truncate_target(table, event);
    }
    for (const StageGroup& g : groups)
      if (g.phase == phase) host::apply_rows(table, stage_rows(g), counts);
  }
}

// Adds what a table batch counted besides rows (truncates, unmatched fields) to `tp`.
void count_extras(const TableBatch& table, host::TableProgress& tp) {
  tp.truncates += (int64_t)table.truncates();
  tp.unmatched_values += (int64_t)table.unmatched_values();
  for (const std::string& f : table.new_unmatched_fields()) tp.unmatched_fields.push_back(f);
}

// Applies the batch and its offsets in one transaction. On a data error the messages are applied
// one by one, so the bad one is found and named: a dead letter, or the pipeline fails on it.
void PipelineWorker::apply_batch(Batch& batch) {
  evolve_targets(batch);
  host::BatchProgress& progress = batch.progress;
  progress.offsets.clear();
  for (const auto& [tp, next] : batch.next) progress.offsets.push_back({tp.first, tp.second, next});
  for (int attempt = 1;; attempt++) {
    progress.tables.clear();
    int applying = -1;  // the table whose statements run (an error there may park it)
    try {
      start_batch(host::BatchLock::Shared, &batch);
      park_messages(batch);
      for (size_t i = 0; i < batch.tables.size(); i++) {
        if (batch.tables[i].empty() || cfg_.tables[i].parked) continue;
        host::TableProgress tp;
        tp.sync_table_id = cfg_.tables[i].id;
        applying = (int)i;
        apply_table((int)i, batch.tables[i], tp.counts);
        applying = -1;
        count_extras(batch.tables[i], tp);
        progress.tables.push_back(tp);
      }
      host::write_progress(progress);
      publish_positions(progress);
      host::commit_batch();
      break;
    } catch (const host::HostError& e) {
      host::abort_batch();
      host::reset_apply_state();
      std::string what = "applying " + std::to_string(batch.size()) + " messages failed: " + readable_apply_error(e.what());
      if (applying >= 0 && parks(e, attempt, applying)) {
        park_table(batch, applying, e.what());
        attempt = 0;  // the batch again, without the parked table
        continue;
      }
      if (retry_transient(e, attempt, what)) continue;
      if (!is_data_error(e.sqlstate())) fail(what);
      host::log(host::LogLevel::Warning, what + (cfg_.dead_letter ? "; retrying message by message"
                                                                  : "; applying message by message to find the bad one"));
      apply_one_by_one(batch);
      break;
    }
  }
  finish_batch(batch);
}

// After a failed attempt: true when the error goes away by itself and attempts are left (it
// logs and waits first); a stop request while waiting ends the worker.
bool PipelineWorker::retry_transient(const host::HostError& e, int attempt, const std::string& what) {
  if (!is_transient(e.sqlstate()) || attempt >= kTransientRetries) return false;
  host::log(host::LogLevel::Warning, what + "; retrying");
  if (!host::wait(-1, 100L << std::min(attempt, 6))) throw EndWorker();  // stop requested
  return true;
}

// The slow path for a failed batch: each message in its own subtransaction, in order. A
// transient error (a deadlock with another session, say) rolls everything back and starts over.
void PipelineWorker::apply_one_by_one(Batch& batch) {
  const size_t fetch_dead_letters = batch.progress.dead_letters.size();  // found while decoding
  for (int attempt = 1;; attempt++) {
    slow_applying_ = -1;
    try {
      apply_each_message(batch);
      return;
    } catch (const host::HostError& e) {
      host::abort_batch();
      host::reset_apply_state();
      batch.progress.dead_letters.resize(fetch_dead_letters);  // this attempt's were rolled back
      std::string what = std::string("applying messages one by one failed: ") + readable_apply_error(e.what());
      // A table's own failure met here (the fast path stopped at another table's bad message):
      // park it as the fast path would, and go through the batch again without it.
      if (slow_applying_ >= 0 && parks(e, attempt, slow_applying_)) {
        park_table(batch, slow_applying_, e.what());
        attempt = 0;
        continue;
      }
      if (retry_transient(e, attempt, what)) continue;
      fail(what);
    }
  }
}

// One pass of the slow path in one transaction. The messages are applied in ranges, each in a
// subtransaction: a range that fails on a data error is split in two halves, applied in order the
// same way, down to the single bad messages, which become dead letters (on_error 'dead_letter') or
// fail the pipeline naming them; any other error is thrown. With k bad messages among n this takes
// about 2·k·log2(n) subtransactions (never one per message: a backend's subtransaction cache holds
// 64) and stages about twice the batch per bad message.
void PipelineWorker::apply_each_message(Batch& batch) {
  host::BatchProgress& progress = batch.progress;
  progress.tables.clear();
  std::vector<host::TableProgress> counts(cfg_.tables.size());
  size_t n = batch.messages.messages().size();
  size_t dead_before = progress.dead_letters.size();
  subtransactions_ = 0;
  start_batch(host::BatchLock::Shared, &batch);
  park_messages(batch);
  // The whole batch just failed in the fast path: start with its halves.
  apply_range(batch, 0, n / 2, counts);
  apply_range(batch, n / 2, n, counts);
  host::log(host::LogLevel::Log, "slow path: " + std::to_string(progress.dead_letters.size() - dead_before) +
                                     " bad of " + std::to_string(n) + " messages, found in " +
                                     std::to_string(subtransactions_) + " subtransactions");
  for (size_t t = 0; t < counts.size(); t++) {
    counts[t].sync_table_id = cfg_.tables[t].id;
    progress.tables.push_back(counts[t]);
  }
  host::write_progress(progress);
  publish_positions(progress);
  host::commit_batch();
}

// Applies the batch's messages [lo, hi) that are still to apply in one subtransaction, adding to
// `counts`; on a data error, its halves (see apply_each_message).
void PipelineWorker::apply_range(Batch& batch, size_t lo, size_t hi, std::vector<host::TableProgress>& counts) {
  const std::vector<kafka::Message>& all = batch.messages.messages();
  std::vector<TableBatch> tables;
  for (const host::SyncTableConfig& t : cfg_.tables) tables.emplace_back(shape_of(t, cfg_));
  std::vector<DecodedChange> changes;
  size_t applicable = 0, last = lo;
  int last_table = -1;  // a table the last message writes (to name it in an error)
  std::string error;
  for (size_t i = lo; i < hi; i++) {
    if (batch.state[i] != Batch::kApply) continue;
    const kafka::Message& m = all[i];
    size_t count = 0;
    if (decoder_->decode_all(m.key, m.key_len, m.value, m.value_len, changes, count).status != DecodeStatus::Change)
      continue;
    // The fetch thread checked this message: every row it routes can be keyed.
    for (size_t c = 0; c < count; c++) {
      if (changes[c].op == Op::Truncate && !cfg_.apply_truncate) continue;
      std::string_view source = source_of(changes[c], m.topic, cfg_.topic_sources);
      int t = resolve_route(std::string(source));
      if (t >= 0 && !cfg_.tables[t].parked) {
        shape_change(changes[c], cfg_.tables[t], source);
        tables[t].add(changes[c], error, ChangeMeta{m.topic, m.partition, m.offset});
        last_table = t;
      }
    }
    applicable++;
    last = i;
  }
  if (applicable == 0) return;
  subtransactions_++;
  host::begin_subtransaction();
  try {
    std::vector<host::ApplyCounts> range_counts(tables.size());
    for (size_t t = 0; t < tables.size(); t++) {
      if (tables[t].empty()) continue;
      slow_applying_ = (int)t;
      apply_table((int)t, tables[t], range_counts[t]);
    }
    slow_applying_ = -1;
    host::commit_subtransaction();
    for (size_t t = 0; t < tables.size(); t++) {
      counts[t].counts.inserted += range_counts[t].inserted;
      counts[t].counts.updated += range_counts[t].updated;
      counts[t].counts.deleted += range_counts[t].deleted;
      count_extras(tables[t], counts[t]);
    }
    return;
  } catch (const host::HostError& e) {
    host::rollback_subtransaction();
    host::reset_apply_state();
    const kafka::Message& m = all[last];
    if (!is_data_error(e.sqlstate())) {  // slow_applying_ still names the table that failed
      std::string at = applicable == 1 ? "message at " + where(m.topic, m.partition, m.offset)
                                       : std::to_string(applicable) + " messages up to " + where(m.topic, m.partition, m.offset);
      throw host::HostError(at + ": " + e.what(), e.sqlstate());
    }
    slow_applying_ = -1;  // a bad message, handled here: no table is at fault
    if (applicable == 1) {
      // Named in the user's terms: the message (topic, partition, offset, key), the target and
      // the column, not the staging table's COPY line.
      std::string reason = readable_apply_error(e.what());
      if (last_table >= 0) reason += " (target " + cfg_.tables[last_table].target + ")";
      if (!cfg_.dead_letter) {
        host::abort_batch();
        fail("bad message at " + describe_message(m.topic, m.partition, m.offset, m.key, m.key_len) + ": " + reason);
      }
      batch.add_dead_letter(m, reason);
      return;
    }
  }
  size_t mid = lo + (hi - lo) / 2;
  apply_range(batch, lo, mid, counts);
  apply_range(batch, mid, hi, counts);
}

// Just before a batch commits: its positions, and the lag they leave, go to the status view, so
// that whoever sees the commit (wait_for_catchup) also sees a status that agrees with it. Should
// the commit fail, the batch is retried or the worker fails; either way status follows.
void PipelineWorker::publish_positions(const host::BatchProgress& progress) {
  for (const host::StoredOffset& o : progress.offsets) position_[{o.topic, o.partition}] = o.next_offset;
  update_status(true);
}

// After a commit: remember positions, ask the fetch thread to tell Kafka (for lag tools).
void PipelineWorker::finish_batch(Batch& batch) {
  std::vector<kafka::TopicPartition> commit;
  for (const host::StoredOffset& o : batch.progress.offsets) {
    commit.push_back({o.topic, o.partition, o.next_offset});
    position_[{o.topic, o.partition}] = o.next_offset;
  }
  if (!cfg_.group_id.empty() && !commit.empty()) fetcher_->commit_later(commit);
  update_status(true);
}

// Logs what librdkafka reported and remembers client errors for the status view.
void PipelineWorker::drain_kafka_events() {
  for (const kafka::Event& e : consumer_->drain_events()) {
    if (e.kind == kafka::Event::Kind::Error) {
      if (e.fatal) fail("fatal Kafka client error: " + e.text);
      if (kafka_problem_ != e.text) host::log(host::LogLevel::Warning, "Kafka: " + e.text);
      kafka_problem_ = e.text;
      kafka_problem_ms_ = host::now_ms();
      update_status(true);
    } else {
      host::log(e.level <= 4 ? host::LogLevel::Warning : host::LogLevel::Debug, "librdkafka: " + e.text);
    }
  }
}

// Publishes lag and Kafka problems to shared memory (at most once a second unless forced).
void PipelineWorker::update_status(bool force) {
  int64_t now = host::now_ms();
  if (!force && now - status_ms_ < 1000) return;
  status_ms_ = now;
  if (!kafka_problem_.empty() && now - kafka_problem_ms_ > kProblemForgetMs) kafka_problem_.clear();
  host::LiveStatus s;
  s.kafka_problem = kafka_problem_;
  if (consumer_) {
    int64_t lag = 0;
    for (const auto& [tp, next] : position_) {
      kafka::Watermarks w;
      if (!consumer_->cached_watermarks(tp.first, tp.second, w)) {
        lag = -1;
        break;
      }
      lag += std::max<int64_t>(0, w.high - next);
    }
    s.lag = lag;
  }
  host::set_live_status(s);
}

void PipelineWorker::fail(const std::string& error) {
  // An error that a stop provoked (a cancelled batch, an interrupted query) is no failure: the
  // worker ends, and the pipeline keeps its state for the next start.
  if (host::stop_requested()) throw EndWorker();
  host::mark_failed(error);
  throw EndWorker();
}

}  // namespace cdc::worker

namespace cdc::runtime {

void run_worker() {
  worker::PipelineWorker w;
  w.run();
}

}  // namespace cdc::runtime
