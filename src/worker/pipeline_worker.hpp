// One pipeline worker's life: assign partitions, let the fetch thread decode and batch, apply each
// batch with its offsets in one transaction, commit to Kafka afterwards.
#pragma once

#include "bridge/host.hpp"
#include "core/batch.hpp"
#include "core/change.hpp"
#include "core/kafka_consumer.hpp"
#include "worker/fetcher.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace cdc::worker {

// Thrown to end the worker: the pipeline was marked failed, or a stop was requested mid-batch.
struct EndWorker {};

// A data exception (22xxx) or integrity violation (23xxx): the message's fault (a bad message).
bool is_data_error(const std::string& sqlstate);
// An error that goes away by itself (serialization, deadlock, lock timeout, cancel, resources).
bool is_transient(const std::string& sqlstate);
constexpr int kTransientRetries = 10;
// Applies one sync table's part of a batch as the owner: its truncate first, then each group.
void apply_table(int table, const TableBatch& rows, host::ApplyCounts& counts);
// Adds what a table batch counted besides rows (truncates, unmatched fields) to `tp`.
void count_extras(const TableBatch& table, host::TableProgress& tp);

class PipelineWorker {
 public:
  PipelineWorker();
  // Runs until asked to stop, the pipeline stops or fails.
  void run();

 private:
  enum class End { Stop, Reload };
  // Thrown when a batch learned, once it held the pipeline's lock, that the configuration changed
  // in a way the session must restart for (the batch is fetched again from the stored offsets).
  struct Restart {
    End end;
  };

  End session();
  bool connect();
  std::vector<kafka::TopicPartition> all_partitions(int timeout_ms);
  bool partitions_changed();
  std::vector<kafka::TopicPartition> resolve_start(const std::vector<kafka::TopicPartition>& all, int64_t position);
  void assign(const std::vector<kafka::TopicPartition>& all);
  End consume();
  bool config_changed(End& end, bool force = false);
  void evolve_targets(Batch& batch);
  // Where message i (TableBatch::at_message()) of what a target is created from came from.
  struct MessageAt {
    std::string_view topic;
    int32_t partition = 0;
    int64_t offset = 0;
  };
  bool create_target(int t, Batch& batch);
  bool create_target(int t, const TableBatch& tb, size_t count, const std::function<MessageAt(size_t)>& message_at,
                     Batch* parking);
  bool create_parked_target(int table);
  // Per-table isolation (parking.cpp).
  void park_messages(Batch& batch);
  bool parks(const host::HostError& e, int attempt, int table);
  void park_table(Batch& batch, int table, const std::string& reason);
  void replay_parked();
  bool replay_table(int table);
  void start_batch(host::BatchLock lock = host::BatchLock::Shared, const Batch* batch = nullptr);
  int resolve_route(const std::string& source);
  // The fetch thread's route question: resolve_route(), and a template's new source gets its own
  // sync table (the session then reloads before applying anything).
  int answer_route(const std::string& source, const std::string& topic);
  void apply_batch(Batch& batch);
  bool retry_transient(const host::HostError& e, int attempt, const std::string& what);
  void apply_one_by_one(Batch& batch);
  void apply_each_message(Batch& batch);
  void apply_range(Batch& batch, size_t lo, size_t hi, std::vector<host::TableProgress>& counts);
  void publish_positions(const host::BatchProgress& progress);
  void finish_batch(Batch& batch);
  void drain_kafka_events();
  void update_status(bool force);
  [[noreturn]] void fail(const std::string& error);

  host::Identity id_;
  host::PipelineConfig cfg_;
  uint64_t generation_ = 0;
  uint64_t settings_pending_ = 0;  // a generation whose batch settings the fetch thread has yet to take
  std::unique_ptr<Decoder> decoder_;  // the main thread's own, for the message-by-message path
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<Fetcher> fetcher_;  // declared after consumer_: destroyed (joined) before it
  std::vector<kafka::TopicPartition> assigned_;
  std::map<PartitionKey, int64_t> position_;  // committed next offset per assigned partition
  bool reload_pending_ = false;  // a template's source got its own sync table this session
  std::unordered_map<std::string, int> routes_;
  int64_t next_partition_check_ms_ = 0;
  size_t subtransactions_ = 0;  // of the current slow-path pass
  int slow_applying_ = -1;      // the table whose statements the slow path runs (-1: none)

  std::string kafka_problem_;
  int64_t kafka_problem_ms_ = 0;
  int64_t status_ms_ = 0;
};

}  // namespace cdc::worker
