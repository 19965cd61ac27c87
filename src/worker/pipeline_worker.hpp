// One pipeline worker's life: consume its partitions, decode, batch per key, apply, commit.
#pragma once

#include "bridge/host.hpp"
#include "core/batch.hpp"
#include "core/change.hpp"
#include "core/kafka_consumer.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cdc::worker {

// Thrown to end the worker: the pipeline was marked failed, or a stop was requested mid-batch.
struct EndWorker {};

class PipelineWorker {
 public:
  PipelineWorker();
  // Runs until asked to stop, the pipeline stops or fails.
  void run();

 private:
  enum class End { Stop, Reload };
  using PartitionKey = std::pair<std::string, int32_t>;

  End session();
  bool connect();
  std::vector<kafka::TopicPartition> all_partitions();
  std::vector<kafka::TopicPartition> resolve_start(const std::vector<kafka::TopicPartition>& all, int64_t position);
  void assign(const std::vector<kafka::TopicPartition>& all);
  End consume();
  bool config_changed(End& end);
  bool at_end_of_log();
  void take_messages(size_t from);
  void take_message(const kafka::Message& m, size_t index);
  int route(std::string_view source);
  void bad_message(const kafka::Message& m, const std::string& reason);
  void apply_batch();
  void apply_one_by_one();
  void finish_batch();
  void discard_batch();
  void drain_kafka_events();
  void update_status(bool force);
  [[noreturn]] void fail(const std::string& error);
  host::StageRows stage_rows(const StageGroup& g) const;

  host::Identity id_;
  host::PipelineConfig cfg_;
  uint64_t generation_ = 0;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::vector<kafka::TopicPartition> assigned_;
  std::map<PartitionKey, int64_t> position_;  // committed next offset per assigned partition

  // The batch being built.
  kafka::MessageBatch messages_;
  std::vector<TableBatch> tables_;
  std::vector<uint8_t> message_state_;  // per message: 0 apply, 1 skipped, 2 dead letter
  std::map<PartitionKey, int64_t> batch_next_;
  host::BatchProgress progress_;
  int64_t batch_started_ms_ = -1;
  DecodedChange change_;

  std::unordered_map<std::string, int> routes_;
  std::string last_source_;
  int last_route_ = -1;

  std::string kafka_problem_;
  int64_t kafka_problem_ms_ = 0;
  int64_t status_ms_ = 0;
};

}  // namespace cdc::worker
