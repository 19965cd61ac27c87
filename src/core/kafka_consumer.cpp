// librdkafka consumer wrapper: manual assignment, zero-copy batches, callbacks that only enqueue.
#include "core/kafka_consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

static_assert(cdc::kafka::kTimedOut == RD_KAFKA_RESP_ERR__TIMED_OUT);
static_assert(cdc::kafka::kTransport == RD_KAFKA_RESP_ERR__TRANSPORT);
static_assert(cdc::kafka::kAllBrokersDown == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
static_assert(cdc::kafka::kLeaderNotAvailable == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
static_assert(cdc::kafka::kNotLeader == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);

namespace cdc::kafka {

// Events queued by librdkafka's threads; bounded so an owner that never drains cannot exhaust memory.
struct Consumer::EventQueue {
  static constexpr size_t kMaxEvents = 10000;
  std::mutex mutex;
  std::deque<Event> events;
  size_t dropped = 0;

  // Appends an event, dropping the oldest one when full (counted, reported on the next drain).
  void push(Event event) {
    std::lock_guard<std::mutex> lock(mutex);
    if (events.size() >= kMaxEvents) {
      events.pop_front();
      ++dropped;
    }
    events.push_back(std::move(event));
  }

  // Appends an Error event.
  void push_error(int code, std::string text, bool fatal = false) {
    Event e;
    e.kind = Event::Kind::Error;
    e.code = code;
    e.fatal = fatal;
    e.text = std::move(text);
    push(std::move(e));
  }

  // Takes all queued events, prefixed by a note when some were dropped.
  std::vector<Event> take() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Event> out;
    out.reserve(events.size() + 1);
    if (dropped > 0) {
      Event note;
      note.kind = Event::Kind::Log;
      note.level = 4;
      note.text = std::to_string(dropped) + " librdkafka events were dropped because nobody drained them";
      out.push_back(std::move(note));
      dropped = 0;
    }
    for (auto& e : events) out.push_back(std::move(e));
    events.clear();
    return out;
  }
};

namespace {

// How long the destructor waits for an orderly consumer close before tearing the client down anyway.
constexpr int kCloseTimeoutMs = 3000;
// How long the destructor waits for rd_kafka_destroy(). librdkafka 2.0.x can hang there after broker
// outages (toppar refcount leak, librdkafka issue #4674); past this the client is abandoned to a
// detached thread rather than hanging the owner.
constexpr int kDestroyTimeoutMs = 10000;
// Used when the owner gives no group.id: librdkafka's assign()/consumer queue need a consumer group
// object, but nothing is ever committed under this name.
constexpr const char* kPlaceholderGroup = "cdc_sync-no-commit";

// Blocks every signal in the calling thread for its lifetime; threads created meanwhile inherit it.
class SignalBlocker {
 public:
  SignalBlocker() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~SignalBlocker() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalBlocker(const SignalBlocker&) = delete;
  SignalBlocker& operator=(const SignalBlocker&) = delete;

 private:
  sigset_t saved_;
};

// Owns a rd_kafka_conf_t until it is handed to rd_kafka_new.
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// Owns a partition list.
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// Sets one property, throwing KafkaError with librdkafka's own explanation on failure.
void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
}

// Reads a property back from a config (empty when unknown).
std::string get_property(const rd_kafka_conf_t* conf, const char* name) {
  char buf[512];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK) return "";
  return buf;
}

// "topic [partition]" for error messages.
std::string describe(const std::string& topic, int32_t partition) {
  return topic + " [" + std::to_string(partition) + "]";
}

// Throws a KafkaError for a librdkafka error code with some context.
[[noreturn]] void throw_error(rd_kafka_resp_err_t err, const std::string& context) {
  throw KafkaError(err, context + ": " + rd_kafka_err2str(err));
}

// Builds a librdkafka partition list from ours (offsets included).
ListPtr to_list(const std::vector<TopicPartition>& partitions) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = tp.offset;
  return list;
}

// log_cb: runs on librdkafka's threads, so it only enqueues.
void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  auto* events = static_cast<Consumer::EventQueue*>(rd_kafka_opaque(rk));
  if (events == nullptr) return;
  Event e;
  e.kind = Event::Kind::Log;
  e.level = level;
  e.text = std::string(facility) + ": " + buf;
  events->push(std::move(e));
}

// error_cb: client-level errors; a fatal one means the consumer must be recreated.
void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* events = static_cast<Consumer::EventQueue*>(opaque);
  if (events == nullptr) return;
  if (err != RD_KAFKA_RESP_ERR__FATAL) {
    events->push_error(err, reason);
    return;
  }
  char original[512];
  const int code = rd_kafka_fatal_error(rk, original, sizeof original);
  events->push_error(code, std::string("fatal: ") + original, true);
}

// throttle_cb: a broker slowed us down; worth a log line, nothing more.
void on_throttle(rd_kafka_t*, const char* broker_name, int32_t broker_id, int throttle_time_ms, void* opaque) {
  if (throttle_time_ms <= 0 || opaque == nullptr) return;
  Event e;
  e.kind = Event::Kind::Log;
  e.level = 5;
  e.text = std::string("throttled by broker ") + broker_name + " (id " + std::to_string(broker_id) + ") for " +
           std::to_string(throttle_time_ms) + " ms";
  static_cast<Consumer::EventQueue*>(opaque)->push(std::move(e));
}

// Our defaults first, then the owner's properties, which may override any of them.
ConfPtr build_conf(const Config& config, Consumer::EventQueue* events) {
  ConfPtr conf(rd_kafka_conf_new());
  const std::pair<const char*, std::string> defaults[] = {
      {"bootstrap.servers", config.brokers},
      {"group.id", config.group_id.empty() ? kPlaceholderGroup : config.group_id},
      {"client.id", "cdc_sync"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Reading below the low-water mark must surface as a partition error, never a silent skip.
      {"auto.offset.reset", "error"},
      // Reaching a partition's end is reported with the position there: the only way to learn that
      // trailing transaction markers were passed (see PartitionEnd).
      {"enable.partition.eof", "true"},
      {"allow.auto.create.topics", "false"},
      // Low latency: the broker answers a fetch after at most 100 ms even when nothing arrived.
      {"fetch.wait.max.ms", "100"},
      {"fetch.error.backoff.ms", "100"},
      // Broker outages are retried forever with exponential backoff up to 10 s.
      {"reconnect.backoff.ms", "100"},
      {"reconnect.backoff.max.ms", "10000"},
      {"socket.keepalive.enable", "true"},
      // Brokers close idle connections routinely; that is not worth a log line.
      {"log.connection.close", "false"},
  };
  for (const auto& [name, value] : defaults) set_property(conf.get(), name, value);
  for (const auto& [name, value] : config.properties) set_property(conf.get(), name, value);
  if (get_property(conf.get(), "enable.auto.commit") == "true")
    throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                     "enable.auto.commit=true is not supported: cdc_sync commits offsets itself");
  rd_kafka_conf_set_opaque(conf.get(), events);
  rd_kafka_conf_set_log_cb(conf.get(), on_log);
  rd_kafka_conf_set_error_cb(conf.get(), on_error);
  rd_kafka_conf_set_throttle_cb(conf.get(), on_throttle);
  return conf;
}

// Creates a non-blocking, close-on-exec pipe; throws on failure.
void make_pipe(int& read_fd, int& write_fd) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, std::string("pipe2: ") + std::strerror(errno));
  read_fd = fds[0];
  write_fd = fds[1];
}

// Copies a message-level error into a PartitionError.
PartitionError to_partition_error(const rd_kafka_message_t* m) {
  PartitionError pe;
  if (m->rkt != nullptr) pe.topic = rd_kafka_topic_name(m->rkt);
  pe.partition = m->partition;
  pe.offset = m->offset;
  pe.code = m->err;
  pe.message = rd_kafka_message_errstr(m);
  return pe;
}

// Builds the zero-copy view of a successfully consumed message.
Message to_message(const rd_kafka_message_t* m) {
  Message msg;
  msg.topic = rd_kafka_topic_name(m->rkt);
  msg.partition = m->partition;
  msg.offset = m->offset;
  rd_kafka_timestamp_type_t type;
  msg.timestamp_ms = rd_kafka_message_timestamp(m, &type);
  msg.key = static_cast<const char*>(m->key);
  msg.key_len = m->key_len;
  msg.value = static_cast<const char*>(m->payload);
  msg.value_len = m->len;
  return msg;
}

}  // namespace

void MessageBatch::clear() {
  for (auto* m : raw_) rd_kafka_message_destroy(m);
  raw_.clear();
  messages_.clear();
  errors_.clear();
  ends_.clear();
}

// Offset commits through a consumer group client (rd_kafka_commit_queue), never through the admin
// API: coordinator-targeted admin requests (AlterConsumerGroupOffsets) abort the whole process when
// the connection drops while one is being sent (librdkafka's rd_kafka_admin_coord_request frees its
// eonce twice: "Assertion `eonce->refcnt > 0' failed", confluentinc/librdkafka#5397, unfixed in
// 2.0.2 and later), which in a PostgreSQL worker restarts the whole server. The client is a second,
// small one of its own: a commit still pending when brokers are gone holds up rd_kafka_destroy()
// until its request times out, so the committer can be abandoned (its destroy finishes on a
// detached thread) without holding up the consumer. Its callbacks have no event queue (they may
// outlive this object). At most one commit is in flight; newer offsets wait in `pending`.
struct Consumer::Committer {
  rd_kafka_t* rk = nullptr;  // its group.id is the consumer's
  rd_kafka_queue_t* results = nullptr;
  bool in_flight = false;
  std::map<std::pair<std::string, int32_t>, int64_t> pending;  // latest offset per partition
  std::mutex mutex;  // poll() may run on one thread while commit_async()/drain_events() run on another
};

Consumer::Consumer(const Config& config) : events_(new EventQueue) {
  try {
    ConfPtr conf = build_conf(config, events_);
    char errstr[512];
    {
      // librdkafka's threads inherit this mask, so the host's signal handlers never run on them.
      SignalBlocker blocked;
      rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
    }
    if (rk_ == nullptr) throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
    conf.release();  // owned by rk_ now
    // One queue for messages, errors and callbacks, so one wakeup fd covers all of them.
    rd_kafka_resp_err_t err = rd_kafka_poll_set_consumer(rk_);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(err, "rd_kafka_poll_set_consumer");
    queue_ = rd_kafka_queue_get_consumer(rk_);
    if (queue_ == nullptr) throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, "no consumer queue");
    make_pipe(wakeup_read_fd_, wakeup_write_fd_);
    rd_kafka_queue_io_event_enable(queue_, wakeup_write_fd_, "1", 1);
    if (!config.group_id.empty()) {
      committer_ = new Committer;
      Config commit_config = config;
      if (!commit_config.properties.count("client.id")) commit_config.properties["client.id"] = "cdc_sync";
      commit_config.properties["client.id"] += "-commit";
      ConfPtr commit_conf = build_conf(commit_config, nullptr);
      {
        SignalBlocker blocked;
        committer_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, commit_conf.get(), errstr, sizeof errstr);
      }
      if (committer_->rk == nullptr) throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
      commit_conf.release();
      committer_->results = rd_kafka_queue_new(committer_->rk);
    }
  } catch (...) {
    shutdown();
    throw;
  }
}

Consumer::~Consumer() { shutdown(); }

namespace {

// Completion flag shared between the destructor and the thread running rd_kafka_destroy().
struct DestroyState {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};

// Destroys the client and then what its threads may still touch (event queue, wakeup pipe) on a
// helper thread, waiting at most kDestroyTimeoutMs; on timeout the thread is detached and finishes
// (or not) on its own, so a librdkafka hang never becomes the owner's hang.
void destroy_bounded(rd_kafka_t* rk, Consumer::EventQueue* events, int read_fd, int write_fd, int wait_ms) {
  auto state = std::make_shared<DestroyState>();
  auto work = [=] {
    // Never let rd_kafka_destroy() run a second, unbounded consumer close.
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    delete events;
    for (int fd : {read_fd, write_fd})
      if (fd >= 0) close(fd);
    std::lock_guard<std::mutex> lock(state->mutex);
    state->done = true;
    state->cv.notify_all();
  };
  std::thread helper;
  {
    SignalBlocker blocked;  // the helper must not take the host's signals either
    helper = std::thread(work);
  }
  std::unique_lock<std::mutex> lock(state->mutex);
  const bool done = state->cv.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return state->done; });
  lock.unlock();
  if (done) helper.join();
  else helper.detach();
}

}  // namespace

void Consumer::shutdown() {
  if (queue_ != nullptr) {
    rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    rd_kafka_queue_destroy(queue_);
    queue_ = nullptr;
  }
  if (committer_ != nullptr) {
    if (committer_->results != nullptr) rd_kafka_queue_destroy(committer_->results);
    // A commit in flight can hold the destroy up until its request times out: do not wait for it.
    if (committer_->rk != nullptr)
      destroy_bounded(committer_->rk, nullptr, -1, -1, committer_->in_flight ? 0 : kDestroyTimeoutMs);
    delete committer_;
    committer_ = nullptr;
  }
  if (rk_ != nullptr) {
    close_bounded();
    destroy_bounded(rk_, events_, wakeup_read_fd_, wakeup_write_fd_, kDestroyTimeoutMs);
  } else {
    for (int fd : {wakeup_read_fd_, wakeup_write_fd_})
      if (fd >= 0) close(fd);
    delete events_;
  }
  rk_ = nullptr;
  events_ = nullptr;
  wakeup_read_fd_ = wakeup_write_fd_ = -1;
}

void Consumer::close_bounded() {
  rd_kafka_queue_t* closeq = rd_kafka_queue_new(rk_);
  rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, closeq);
  if (error != nullptr) {
    rd_kafka_error_destroy(error);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseTimeoutMs);
    // A close waits for outstanding commits, which can take a request timeout when brokers are gone.
    while (!rd_kafka_consumer_closed(rk_) && std::chrono::steady_clock::now() < deadline) {
      if (rd_kafka_event_t* ev = rd_kafka_queue_poll(closeq, 50)) rd_kafka_event_destroy(ev);
    }
  }
  rd_kafka_queue_destroy(closeq);
}

std::vector<ClusterTopic> Consumer::list_topics(int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 1, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(err, "listing the cluster's topics");
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> owned(md, rd_kafka_metadata_destroy);
  std::vector<ClusterTopic> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    ClusterTopic t;
    t.name = md->topics[i].topic;
    t.error = md->topics[i].err;
    for (int j = 0; j < md->topics[i].partition_cnt; ++j) t.partitions.push_back(md->topics[i].partitions[j].id);
    topics.push_back(std::move(t));
  }
  return topics;
}

Watermarks Consumer::query_watermarks(const std::string& topic, int32_t partition, int timeout_ms) {
  Watermarks w;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &w.low, &w.high, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(err, "watermarks of " + describe(topic, partition));
  return w;
}

bool Consumer::cached_watermarks(const std::string& topic, int32_t partition, Watermarks& out) {
  int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
  if (rd_kafka_get_watermark_offsets(rk_, topic.c_str(), partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return false;
  if (low == RD_KAFKA_OFFSET_INVALID || high == RD_KAFKA_OFFSET_INVALID) return false;
  out.low = low;
  out.high = high;
  return true;
}

std::vector<TopicPartition> Consumer::offsets_for_time(const std::vector<TopicPartition>& partitions, int64_t ts_ms,
                                                       int timeout_ms) {
  // Negative "timestamps" are librdkafka's logical offsets (-1 end, -2 beginning): not what we mean.
  if (ts_ms < 0) throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, "offsets_for_time: negative timestamp");
  if (partitions.empty()) return {};
  std::vector<TopicPartition> query = partitions;
  for (auto& tp : query) tp.offset = ts_ms;
  ListPtr list = to_list(query);
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk_, list.get(), timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(err, "offsets_for_times");
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(e.err, "offsets_for_times " + describe(e.topic, e.partition));
    TopicPartition tp{e.topic, e.partition, e.offset};
    // -1: no message at or after ts_ms, so reading starts with the next one produced.
    if (tp.offset < 0) tp.offset = query_watermarks(tp.topic, tp.partition, timeout_ms).high;
    out.push_back(std::move(tp));
  }
  return out;
}

void Consumer::assign(const std::vector<TopicPartition>& partitions) {
  ListPtr list = to_list(partitions);
  // An empty list (not NULL) keeps the assignment API uniform; both mean "read nothing".
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw_error(err, "assign");
}

size_t Consumer::poll(MessageBatch& batch, size_t max, int timeout_ms) {
  serve_commits();
  if (max == 0) return 0;
  const size_t base = batch.raw_.size();
  batch.raw_.resize(base + max);
  rd_kafka_message_t** slots = batch.raw_.data() + base;
  // consume_batch_queue waits until the batch is full, so wait only for the first message and then
  // take whatever else is ready.
  ssize_t got = rd_kafka_consume_batch_queue(queue_, timeout_ms, slots, 1);
  if (got == 1 && max > 1) {
    ssize_t more = rd_kafka_consume_batch_queue(queue_, 0, slots + 1, max - 1);
    if (more > 0) got += more;
  }
  if (got < 0) {
    batch.raw_.resize(base);
    throw_error(rd_kafka_last_error(), "consume");
  }
  return take_messages(batch, base, static_cast<size_t>(got));
}

void Consumer::report_consumer_error(const rd_kafka_message_s* m, MessageBatch& batch) {
  // librdkafka delivers a consumer's fatal error in the message stream, not through error_cb.
  if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
    char original[512];
    const int code = rd_kafka_fatal_error(rk_, original, sizeof original);
    events_->push_error(code, std::string("fatal: ") + original, true);
  } else if (m->rkt == nullptr) {
    events_->push_error(m->err, rd_kafka_message_errstr(m));  // client-level, not about a partition
  } else {
    batch.errors_.push_back(to_partition_error(m));
  }
}

size_t Consumer::take_messages(MessageBatch& batch, size_t base, size_t got) {
  size_t kept = base;
  size_t taken = 0;
  for (size_t i = base; i < base + got; ++i) {
    rd_kafka_message_t* m = batch.raw_[i];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->rkt != nullptr) {
      batch.ends_.push_back({rd_kafka_topic_name(m->rkt), m->partition, m->offset});
      batch.raw_[kept++] = m;  // kept until clear(): the topic name view points into it
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      report_consumer_error(m, batch);
      rd_kafka_message_destroy(m);
      continue;
    }
    batch.messages_.push_back(to_message(m));
    batch.raw_[kept++] = m;
    ++taken;
  }
  batch.raw_.resize(kept);
  return taken;
}

size_t Consumer::queued() const { return rd_kafka_queue_length(queue_); }

void Consumer::clear_wakeup() {
  char buf[256];
  while (read(wakeup_read_fd_, buf, sizeof buf) > 0) {
  }
}

void Consumer::commit_async(const std::vector<TopicPartition>& offsets) {
  // Without a real group there is nobody to commit for.
  if (committer_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(committer_->mutex);
    for (const auto& tp : offsets) committer_->pending[{tp.topic, tp.partition}] = tp.offset;
  }
  serve_commits();
}

namespace {

// Queues an Error event for each failure in an offset commit result.
void report_commit_result(rd_kafka_event_t* ev, Consumer::EventQueue* events) {
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    events->push_error(rd_kafka_event_error(ev), std::string("offset commit failed: ") + rd_kafka_event_error_string(ev));
    return;
  }
  const rd_kafka_topic_partition_list_t* parts = rd_kafka_event_topic_partition_list(ev);
  for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
    const auto& tp = parts->elems[p];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      events->push_error(tp.err, "offset commit failed for " + describe(tp.topic, tp.partition) + ": " +
                                     rd_kafka_err2str(tp.err));
  }
}

}  // namespace

void Consumer::serve_commits() {
  if (committer_ == nullptr) return;
  std::lock_guard<std::mutex> lock(committer_->mutex);
  rd_kafka_poll(committer_->rk, 0);  // its own callbacks (e.g. an OAUTHBEARER token refresh)
  while (rd_kafka_event_t* ev = rd_kafka_queue_poll(committer_->results, 0)) {
    report_commit_result(ev, events_);
    rd_kafka_event_destroy(ev);
    committer_->in_flight = false;
  }
  if (committer_->in_flight || committer_->pending.empty()) return;
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(committer_->pending.size())));
  for (const auto& [tp, offset] : committer_->pending)
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
  committer_->pending.clear();
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(committer_->rk, list.get(), committer_->results, nullptr, nullptr);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    events_->push_error(err, std::string("offset commit failed: ") + rd_kafka_err2str(err));
    return;
  }
  committer_->in_flight = true;
}

std::vector<Event> Consumer::drain_events() {
  serve_commits();  // so commit failures show up here even when poll() is not called
  return events_->take();
}

std::string check_property(const std::string& name, const std::string& value) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    return errstr;
  return "";
}

}  // namespace cdc::kafka
