// The fetch thread: polls Kafka, decodes and batches per key while the main thread applies the
// previous batch, so decoding overlaps with PostgreSQL work. It never calls PostgreSQL: the one
// thing it needs from it (matching a new source name against the sync tables' patterns) it asks
// of the main thread.
#pragma once

#include "bridge/host.hpp"
#include "core/batch.hpp"
#include "core/change.hpp"
#include "core/column_type.hpp"
#include "core/kafka_consumer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cdc::worker {

using PartitionKey = std::pair<std::string, int32_t>;
using Clock = std::chrono::steady_clock;

// One batch: filled by the fetch thread, applied by the main thread.
struct Batch {
  kafka::MessageBatch messages;
  std::vector<uint8_t> state;            // per message: kApply, kSkipped, kDeadLetter
  std::vector<TableBatch> tables;        // one per sync table
  std::vector<std::vector<uint32_t>> table_messages;  // per sync table: its messages' indexes, in order
  std::map<PartitionKey, int64_t> next;  // next offset per partition once this batch is applied
  host::BatchProgress progress;          // consumed, skipped, and dead letters found while decoding
  std::string failure;                   // set: the pipeline must fail (bad message under 'fail', partition error)
  Clock::time_point started;             // when the first message arrived
  size_t ends_taken = 0;                 // messages.ends() already looked at
  bool moved = false;                    // `next` passed offsets no message holds (transaction markers)
  size_t bytes = 0;                      // keys and values of the messages, as they came from Kafka

  static constexpr uint8_t kApply = 0, kSkipped = 1, kDeadLetter = 2;
  size_t size() const { return messages.messages().size(); }
  void clear();
  // Keeps message `m` (raw key and value) as a dead letter with `reason`.
  void add_dead_letter(const kafka::Message& m, const std::string& reason);
};

// How many source names a route cache remembers: source names come from messages (untrusted).
constexpr size_t kMaxCachedRoutes = 10000;

// "topic[partition]@offset", how messages are named in errors.
std::string where(std::string_view topic, int32_t partition, int64_t offset);
// Copies message `m` as it came (topic, partition, offset, raw key and value) into `out`.
void keep_raw(const kafka::Message& m, host::RawMessage& out);

// The batch's view of a sync table: its columns and their types, and which conversions by type the
// pipeline's format gets (SourceEncoding: Debezium's every rule, base64 or 0x-hex bytes, or only
// the unambiguous ones).
TableShape shape_of(const host::SyncTableConfig& table, const host::PipelineConfig& config);
// Sets the apply semantics of `table`'s options (delete_mode, ..., version_column) on `shape`.
void apply_semantics(TableShape& shape, const host::SyncTableConfig& table);
// The source name of a change; formats without one take it from the topic (topic_sources).
std::string_view source_of(const DecodedChange& change, std::string_view topic,
                           const std::map<std::string, std::string>& topic_sources);
// What a sync table does to a change before it is batched: its columns option (fields left out,
// fields renamed to their target columns) and its source_column. Names may point into `table`.
void shape_change(DecodedChange& change, const host::SyncTableConfig& table, std::string_view source);
// The decoder settings a pipeline asks for.
DecoderOptions decoder_options(const host::PipelineConfig& config);

class Fetcher {
 public:
  struct Settings {
    int64_t max_rows = 10000;
    int64_t max_ms = 500;
    bool dead_letter = false;
    int64_t max_bytes = 64 << 20;
  };

  // The batch settings of a pipeline's configuration.
  static Settings settings_of(const host::PipelineConfig& config) {
    return {config.batch_max_rows, config.batch_max_ms, config.dead_letter, config.batch_max_bytes};
  }

  Fetcher(kafka::Consumer& consumer, const host::PipelineConfig& config,
          const std::vector<kafka::TopicPartition>& assigned);
  ~Fetcher();  // stops and joins the thread; batches are released before the consumer goes
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  void start();
  // Readable when a batch is ready, a route is asked, or the thread failed.
  int wakeup_fd() const { return pipe_[0]; }
  void clear_wakeup();

  // The next full batch, or nullptr. Give it back with recycle() once applied.
  std::unique_ptr<Batch> take_ready();
  void recycle(std::unique_ptr<Batch> batch);
  // A source name the thread needs routed (true), answered with answer_route().
  bool route_question(std::string& source, std::string& topic);
  void answer_route(int table);
  // Offsets to commit to the consumer group (after PostgreSQL committed them).
  void commit_later(const std::vector<kafka::TopicPartition>& offsets);
  // New batch settings; in effect once settings_in_effect() says so (the thread takes them
  // between two polls and then wakes the main thread).
  void set_settings(const Settings& settings);
  bool settings_in_effect();
  // What killed the thread, if it died.
  std::string error();
  // True (once) when Kafka said a topic or partition it reads does not exist (a topic deleted):
  // the owner then asks the cluster for the pipeline's partitions at once.
  bool take_relist_request() { return relist_.exchange(false); }

 private:
  void run();
  void fill(Batch& batch, const Settings& settings);
  void take_ends(Batch& batch);
  void take_message(Batch& batch, const kafka::Message& m, size_t index, const Settings& settings);
  void check_declared_types(Batch& batch, int table);
  void bad_message(Batch& batch, const kafka::Message& m, const std::string& reason, const Settings& settings);
  int route(std::string_view source, std::string_view topic);
  bool at_end_of_log() const;
  bool hand_over(std::unique_ptr<Batch>& batch);
  std::unique_ptr<Batch> fresh_batch();
  void signal();

  kafka::Consumer& consumer_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<TableShape> shapes_;
  std::vector<std::vector<std::string>> target_types_;  // format_type() of each target column
  std::vector<uint64_t> declared_;                      // per table: the declared types last checked
  std::vector<bool> missing_;                           // per table: an auto_create target to create
  std::vector<std::map<std::string, std::string>> last_declared_;  // per table: column -> declared type
  std::map<std::string, std::string> topic_sources_;
  bool apply_truncate_ = true;
  std::vector<DecodedChange> changes_;
  std::vector<int> routed_;  // sync table per change of the current message
  std::map<PartitionKey, int64_t> fetched_;  // next offset after the last message taken
  std::vector<host::SyncTableConfig> table_configs_;  // copies: shape_change() names point into them
  std::unordered_map<std::string, int> routes_;
  std::string last_source_;
  int last_route_ = -1;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::unique_ptr<Batch> ready_;
  std::vector<std::unique_ptr<Batch>> spare_;
  std::string question_;
  std::string question_topic_;  // the topic of the message that asked (target templates' {topic})
  bool asked_ = false;
  bool answered_ = false;
  int answer_ = -1;
  std::vector<kafka::TopicPartition> commits_;
  Settings settings_;
  uint64_t settings_version_ = 0;  // bumped by set_settings()
  uint64_t settings_taken_ = 0;    // the version the thread fills batches with
  std::string error_;
  std::atomic<bool> relist_{false};
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace cdc::worker
