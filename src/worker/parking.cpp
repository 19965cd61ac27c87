// Per-table isolation: a sync table whose changes cannot be applied for a reason other than a bad
// message (its target altered incompatibly, a privilege revoked, a lock it cannot get) is parked:
// its messages are kept raw and in order in cdc_sync.parked, the pipeline's offsets advance and the
// other tables go on. retry_table() has worker 0 replay them in order, then apply the table live.
#include "worker/pipeline_worker.hpp"

#include "core/error_text.hpp"

namespace cdc::worker {

namespace {
constexpr int kReplayChunk = 1000;  // parked messages per replay transaction
}

// The batch's messages of parked tables go to progress.parked (rebuilt at every attempt).
void PipelineWorker::park_messages(Batch& batch) {
  batch.progress.parked.clear();
  const std::vector<kafka::Message>& all = batch.messages.messages();
  for (size_t t = 0; t < cfg_.tables.size() && t < batch.table_messages.size(); t++) {
    if (!cfg_.tables[t].parked) continue;
    for (uint32_t i : batch.table_messages[t]) {
      if (batch.state[i] != Batch::kApply) continue;
      host::ParkedMessage p;
      p.sync_table_id = cfg_.tables[t].id;
      keep_raw(all[i], p);
      batch.progress.parked.push_back(std::move(p));
    }
  }
}

// Whether an error of table `table`'s statements parks it: not a bad message (those have their
// own policy), not one that goes away by itself while attempts are left, not one a stop provoked.
bool PipelineWorker::parks(const host::HostError& e, int attempt, int table) {
  if (!cfg_.tables[table].park_on_error || host::stop_requested()) return false;
  if (is_data_error(e.sqlstate())) return false;
  return !(is_transient(e.sqlstate()) && attempt < kTransientRetries);
}

void PipelineWorker::park_table(Batch& batch, int table, const std::string& reason) {
  host::SyncTableConfig& tc = cfg_.tables[table];
  tc.parked = true;
  tc.retry_requested = false;
  batch.progress.parking.push_back({tc.id, readable_apply_error(reason)});
  host::log(host::LogLevel::Warning, "sync table \"" + tc.source + "\" (target " + tc.target + ") parked: " + readable_apply_error(reason) +
                                         "; its changes are kept in cdc_sync.parked until cdc_sync.retry_table()");
}

// A parked table whose target could not be created: creates it from its first kept messages
// (their fields, declared types and key, as a batch would), then reloads; the next session
// replays into it. False when it failed again (the table stays parked with the reason).
bool PipelineWorker::create_parked_target(int table) {
  host::SyncTableConfig& tc = cfg_.tables[table];
  try {
    start_batch(host::BatchLock::Shared);
    std::vector<host::ParkedMessage> parked = host::read_parked(tc.id, 0, kReplayChunk);
    host::abort_batch();
    TableShape shape = shape_of(tc, cfg_);
    Decoder* decoder = decoder_.get();
    shape.source_type = [decoder](std::string_view field) { return decoder->source_type(field); };
    TableBatch rows(std::move(shape));
    std::vector<DecodedChange> changes;
    std::string error;
    for (size_t i = 0; i < parked.size(); i++) {
      const host::ParkedMessage& p = parked[i];
      size_t count = 0;
      if (decoder_->decode_all(p.key_null ? nullptr : p.key.data(), p.key.size(), p.value_null ? nullptr : p.value.data(),
                               p.value.size(), changes, count).status != DecodeStatus::Change)
        continue;
      for (size_t c = 0; c < count; c++) {
        std::string_view source = source_of(changes[c], p.topic, cfg_.topic_sources);
        if (changes[c].op == Op::Truncate || resolve_route(std::string(source)) != table) continue;
        shape_change(changes[c], tc, source);
        rows.at_message((uint32_t)i);
        rows.add(changes[c], error, ChangeMeta{p.topic, p.partition, p.offset});
        if (rows.key_fields().empty()) {
          std::vector<std::string> key;
          for (const FieldValue& f : changes[c].key) key.emplace_back(f.name);
          rows.set_key_fields(key.empty() ? decoder_->declared_key() : std::move(key));
        }
      }
    }
    create_target(table, rows, parked.size(),
                  [&](size_t i) { return MessageAt{parked[i].topic, parked[i].partition, parked[i].offset}; }, nullptr);
  } catch (const host::HostError& e) {
    host::abort_batch();
    host::log(host::LogLevel::Warning, "sync table \"" + tc.source + "\" stays parked: " + e.what());
    host::replay_failed(tc.id, e.what());
    tc.retry_requested = false;
    return false;
  }
  throw Restart{End::Reload};  // retry_requested stays: the next session replays into the new table
}

// Worker 0 replays the tables retry_table() asked for, before the next batch.
void PipelineWorker::replay_parked() {
  if (id_.worker_index != 0) return;
  for (size_t t = 0; t < cfg_.tables.size(); t++)
    if (cfg_.tables[t].parked && cfg_.tables[t].retry_requested) replay_table((int)t);
}

// Applies table `table`'s parked messages in order, deleting them in the transactions that apply
// them, then makes it live under the pipeline's exclusive lock (no other worker is in a batch, so
// none can park a later message after the last one read). On an error the table stays parked with
// it as the reason. True when the table is live again.
bool PipelineWorker::replay_table(int table) {
  host::SyncTableConfig& tc = cfg_.tables[table];
  if (tc.target_missing) return create_parked_target(table);
  size_t replayed = 0;
  for (int attempt = 1;;) {
    bool last_round = false;
    try {
      start_batch(host::BatchLock::Shared);
      std::vector<host::ParkedMessage> parked = host::read_parked(tc.id, 0, kReplayChunk);
      if (parked.empty()) {
        host::abort_batch();
        start_batch(host::BatchLock::Exclusive);
        last_round = true;
        parked = host::read_parked(tc.id, 0, 1 << 30);
      }
      TableBatch rows(shape_of(tc, cfg_));
      std::vector<DecodedChange> changes;
      std::string error;
      for (const host::ParkedMessage& p : parked) {
        size_t count = 0;
        DecodeResult r = decoder_->decode_all(p.key_null ? nullptr : p.key.data(), p.key.size(),
                                              p.value_null ? nullptr : p.value.data(), p.value.size(), changes, count);
        if (r.status == DecodeStatus::Error)
          throw host::HostError("parked message " + describe_message(p.topic, p.partition, p.offset,
                                                                     p.key_null ? nullptr : p.key.data(), p.key.size()) +
                                    ": " + r.reason,
                                "22000");
        for (size_t c = 0; c < count; c++) {
          if (changes[c].op == Op::Truncate && !cfg_.apply_truncate) continue;
          std::string_view source = source_of(changes[c], p.topic, cfg_.topic_sources);
          if (resolve_route(std::string(source)) != table) continue;
          shape_change(changes[c], tc, source);
          if (!rows.check(changes[c], error) || !rows.add(changes[c], error, ChangeMeta{p.topic, p.partition, p.offset}))
            throw host::HostError("parked message " + where(p.topic, p.partition, p.offset) + ": " + error, "22000");
        }
      }
      host::BatchProgress progress;
      host::TableProgress tp;
      tp.sync_table_id = tc.id;
      if (!rows.empty()) apply_table(table, rows, tp.counts);
      count_extras(rows, tp);
      progress.tables.push_back(tp);
      host::write_progress(progress);
      if (!parked.empty()) host::delete_parked(tc.id, parked.back().id);
      if (last_round) host::unpark(tc.id);
      host::commit_batch();
      replayed += parked.size();
      if (last_round) break;
    } catch (const host::HostError& e) {
      host::abort_batch();
      host::reset_apply_state();
      std::string what = "replaying the parked messages of \"" + tc.source + "\" failed: " + e.what();
      if (retry_transient(e, attempt++, what)) continue;
      host::log(host::LogLevel::Warning, what + "; the table stays parked");
      host::replay_failed(tc.id, e.what());
      tc.retry_requested = false;
      return false;
    }
  }
  tc.parked = false;
  tc.retry_requested = false;
  host::log(host::LogLevel::Log, "sync table \"" + tc.source + "\" is live again: " + std::to_string(replayed) +
                                     " parked messages replayed");
  return true;
}

}  // namespace cdc::worker
