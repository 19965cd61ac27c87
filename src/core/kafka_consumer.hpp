// A small C++ wrapper around librdkafka's consumer for one pipeline worker.
//
// Threading contract: librdkafka runs its own threads. They never call back into the owner's code
// except through callbacks that only enqueue (see drain_events()), and they are created with every
// signal blocked so that the host process's signal handlers only ever run on its main thread.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_queue_s;

namespace cdc::kafka {

// A Kafka error: message text plus librdkafka's error code (rd_kafka_resp_err_t as int).
// librdkafka's RD_KAFKA_RESP_ERR__TIMED_OUT (a blocking call ran out of time) and __TRANSPORT (no
// broker connection yet, or it broke): a call cut short by either may succeed when asked again.
constexpr int kTimedOut = -185;
constexpr int kTransport = -195;
constexpr int kAllBrokersDown = -187;
constexpr int kLeaderNotAvailable = 5;  // a partition between leaders (a broker just restarted)
constexpr int kNotLeader = 6;

class KafkaError : public std::runtime_error {
 public:
  KafkaError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct Config {
  std::string brokers;                             // bootstrap.servers
  std::string group_id;                            // used only to commit offsets for lag tools
  std::map<std::string, std::string> properties;   // passed through to librdkafka (security.protocol, sasl.*, ...)
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // next offset to read / commit
};

// A topic as the cluster's metadata lists it.
struct ClusterTopic {
  std::string name;
  int error = 0;  // rd_kafka_resp_err_t of the topic's metadata (0: none)
  std::vector<int32_t> partitions;
};

struct Watermarks {
  int64_t low = 0;   // first offset still stored
  int64_t high = 0;  // offset the next produced message will get
};

// A consumed message; views are valid until the owning MessageBatch is cleared or destroyed.
struct Message {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;
  const char* key = nullptr;  // nullptr when absent
  size_t key_len = 0;
  const char* value = nullptr;  // nullptr for a tombstone
  size_t value_len = 0;
};

// A partition-level error delivered in the message stream (e.g. offset out of range).
struct PartitionError {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int code = 0;
  std::string message;
};

// The consumer reached the end of a partition: `offset` is where the next message will be, past any
// transaction markers (control records take offsets but are never delivered as messages).
struct PartitionEnd {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// Owns the librdkafka messages of one poll() round so their payloads can be read without copying.
class MessageBatch {
 public:
  MessageBatch() = default;
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;
  ~MessageBatch() { clear(); }
  void clear();
  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<PartitionError>& errors() const { return errors_; }
  const std::vector<PartitionEnd>& ends() const { return ends_; }

 private:
  friend class Consumer;
  std::vector<rd_kafka_message_s*> raw_;
  std::vector<Message> messages_;
  std::vector<PartitionError> errors_;
  std::vector<PartitionEnd> ends_;
};

// Something librdkafka reported from its threads (log line, client error), queued for the main thread.
struct Event {
  enum class Kind { Log, Error } kind = Kind::Log;
  int level = 6;       // syslog level for Log
  int code = 0;        // rd_kafka_resp_err_t for Error
  bool fatal = false;  // a fatal client error: the consumer must be recreated
  std::string text;
};

class Consumer {
 public:
  // Creates the client (all signals blocked while its threads start). Throws KafkaError on bad config.
  explicit Consumer(const Config& config);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Every topic the cluster lets this client see, from one metadata request. Throws KafkaError.
  std::vector<ClusterTopic> list_topics(int timeout_ms);
  // Low and high watermarks asked of the broker. Throws KafkaError.
  Watermarks query_watermarks(const std::string& topic, int32_t partition, int timeout_ms);
  // Last watermarks seen in fetch responses (no network); false when none known yet.
  bool cached_watermarks(const std::string& topic, int32_t partition, Watermarks& out);
  // First offset whose timestamp is >= ts_ms, for each partition (the high watermark when none). Throws KafkaError.
  std::vector<TopicPartition> offsets_for_time(const std::vector<TopicPartition>& partitions, int64_t ts_ms,
                                               int timeout_ms);
  // Replaces the assignment: consume exactly these partitions from these offsets.
  void assign(const std::vector<TopicPartition>& partitions);
  // Appends up to `max` messages that are ready to `batch`, waiting up to timeout_ms for the first one.
  // Returns the number of messages appended. Partition errors go to batch.errors().
  size_t poll(MessageBatch& batch, size_t max, int timeout_ms);
  // A file descriptor that becomes readable when messages or events are waiting, so the owner can
  // sleep in its own event loop (e.g. WaitLatchOrSocket). Call clear_wakeup() after it fired, before
  // polling, so that nothing arriving during the poll is missed.
  int wakeup_fd() const { return wakeup_read_fd_; }
  void clear_wakeup();
  // Messages and events already waiting in the consumer queue. The wakeup fd only fires when this
  // queue goes from empty to non-empty, so sleep on it only when queued() == 0.
  size_t queued() const;
  // Commits offsets to the consumer group without waiting (a courtesy for lag tools; errors only logged).
  // At most one commit is in flight; offsets given meanwhile are merged and sent when it completes
  // (its result is picked up by poll() or drain_events()). A no-op when Config::group_id is empty.
  void commit_async(const std::vector<TopicPartition>& offsets);
  // Log lines and errors queued by librdkafka's threads since the last call.
  std::vector<Event> drain_events();
  // The underlying librdkafka handle, for tests and diagnostics only.
  rd_kafka_s* handle() const { return rk_; }

  // Opaque; public only so that librdkafka's callbacks (free functions) can enqueue into it.
  struct EventQueue;

 private:
  struct Committer;
  void shutdown();
  void close_bounded();
  size_t take_messages(MessageBatch& batch, size_t base, size_t got);
  void report_consumer_error(const rd_kafka_message_s* m, MessageBatch& batch);
  void serve_commits();

  rd_kafka_s* rk_ = nullptr;
  rd_kafka_queue_s* queue_ = nullptr;
  int wakeup_read_fd_ = -1;
  int wakeup_write_fd_ = -1;
  EventQueue* events_ = nullptr;
  Committer* committer_ = nullptr;  // null when there is no group to commit to
};

// Validates a librdkafka property name/value pair against a throwaway config; empty string when OK.
std::string check_property(const std::string& name, const std::string& value);

}  // namespace cdc::kafka
