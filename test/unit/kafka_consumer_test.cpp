// Tests of the Kafka consumer wrapper against librdkafka's in-process mock cluster (real Kafka
// protocol over TCP on 127.0.0.1), which also proves which protocol features the mock supports.
#include "core/kafka_consumer.hpp"
#include "core/topic_selection.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cdc::kafka {
namespace {

constexpr int kTimeoutMs = 10000;
using Clock = std::chrono::steady_clock;

// A mock cluster of 3 brokers, owned by a producer handle that never connects anywhere.
class MockCluster {
 public:
  MockCluster() {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    mc_ = rd_kafka_mock_cluster_new(rk_, 3);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  void create_topic(const std::string& name, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mc_, name.c_str(), partitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_topic_error(const std::string& name, rd_kafka_resp_err_t err) {
    rd_kafka_mock_topic_set_error(mc_, name.c_str(), err);
  }
  // Makes the next `count` requests of an API (Kafka ApiKey) fail with err.
  void fail_requests(int16_t api_key, size_t count, rd_kafka_resp_err_t err) {
    std::vector<rd_kafka_resp_err_t> errors(count, err);
    rd_kafka_mock_push_request_errors_array(mc_, api_key, count, errors.data());
  }
  // Takes every broker down (or up again).
  void set_all_brokers(bool up) {
    for (int id = 1; id <= 3; ++id)
      up ? rd_kafka_mock_broker_set_up(mc_, id) : rd_kafka_mock_broker_set_down(mc_, id);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

// A message to produce; nullopt key/value mean NULL.
struct Record {
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp_ms = 0;  // 0: now
};

// Produces records synchronously (flush + every delivery report checked).
void produce(const std::string& brokers, const std::string& topic, const std::vector<Record>& records) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr), RD_KAFKA_CONF_OK);
  rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
  static int failures;
  failures = 0;
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) { failures += m->err != 0; });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ASSERT_NE(rk, nullptr) << errstr;
  static const char empty = 0;
  for (const auto& r : records) {
    const char* key = r.key ? (r.key->empty() ? &empty : r.key->data()) : nullptr;
    const char* value = r.value ? (r.value->empty() ? &empty : r.value->data()) : nullptr;
    const size_t key_len = r.key ? r.key->size() : 0, value_len = r.value ? r.value->size() : 0;
    rd_kafka_resp_err_t err;
    while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
                                    RD_KAFKA_V_KEY(key, key_len),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(value), value_len),
                                    RD_KAFKA_V_TIMESTAMP(r.timestamp_ms), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(rk, 100);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  EXPECT_EQ(rd_kafka_flush(rk, kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(failures, 0);
  rd_kafka_destroy(rk);
}

// `n` records for one partition with keys k<i> and values v<i>.
std::vector<Record> numbered(int32_t partition, int n, size_t value_size = 0) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    std::string value = "v" + std::to_string(i);
    if (value.size() < value_size) value.resize(value_size, '.');
    out.push_back({partition, "k" + std::to_string(i), value});
  }
  return out;
}

// An owned copy of a consumed message, so results outlive the batch.
struct Got {
  std::string topic;
  int32_t partition;
  int64_t offset;
  int64_t timestamp_ms;
  std::optional<std::string> key, value;
};

// What a bounded polling loop collected.
struct Collected {
  std::vector<Got> messages;
  std::vector<PartitionError> errors;
};

// Polls until `done` says so or the timeout passes.
Collected collect_until(Consumer& c, const std::function<bool(const Collected&)>& done, int timeout_ms = kTimeoutMs) {
  Collected out;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done(out) && Clock::now() < deadline) {
    MessageBatch batch;
    c.poll(batch, 1000, 100);
    for (const auto& m : batch.messages()) {
      auto opt = [](const char* p, size_t n) { return p ? std::optional<std::string>(std::string(p, n)) : std::nullopt; };
      out.messages.push_back({std::string(m.topic), m.partition, m.offset, m.timestamp_ms, opt(m.key, m.key_len),
                              opt(m.value, m.value_len)});
    }
    out.errors.insert(out.errors.end(), batch.errors().begin(), batch.errors().end());
  }
  return out;
}

// Polls until n messages arrived (or the timeout passed).
Collected collect(Consumer& c, size_t n, int timeout_ms = kTimeoutMs) {
  return collect_until(c, [n](const Collected& got) { return got.messages.size() >= n; }, timeout_ms);
}

// Polls until a partition error arrived.
Collected collect_error(Consumer& c) {
  return collect_until(c, [](const Collected& got) { return !got.errors.empty(); });
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.create_topic("t", 4); }
  Config config(const std::string& group = "") { return Config{cluster_.bootstraps(), group, {}}; }

  MockCluster cluster_;
};

TEST(CheckProperty, AcceptsValidAndExplainsInvalid) {
  EXPECT_EQ(check_property("fetch.wait.max.ms", "50"), "");
  EXPECT_EQ(check_property("security.protocol", "ssl"), "");
  EXPECT_NE(check_property("no.such.property", "1"), "");
  EXPECT_NE(check_property("fetch.wait.max.ms", "not-a-number"), "");
}

TEST(ConsumerConfig, BadPropertyThrowsLibrdkafkaMessage) {
  Config cfg{"127.0.0.1:1", "", {{"no.such.property", "1"}}};
  try {
    Consumer c(cfg);
    FAIL() << "expected KafkaError";
  } catch (const KafkaError& e) {
    EXPECT_NE(std::string(e.what()).find("no.such.property"), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
}

TEST(ConsumerConfig, RejectsAutoCommitButAcceptsOtherOverrides) {
  for (const char* on : {"true", "1"}) {
    if (!check_property("enable.auto.commit", on).empty()) continue;  // spelling not accepted at all
    EXPECT_THROW(Consumer(Config{"127.0.0.1:1", "", {{"enable.auto.commit", on}}}), KafkaError) << on;
  }
  EXPECT_NO_THROW(Consumer(Config{"127.0.0.1:1", "", {{"enable.auto.commit", "false"}, {"fetch.wait.max.ms", "10"}}}));
}

// Thread ids of this process.
std::set<std::string> thread_ids() {
  std::set<std::string> ids;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') ids.insert(e->d_name);
  closedir(dir);
  return ids;
}

// The SigBlk mask of a thread, from /proc.
unsigned long long blocked_mask(const std::string& tid) {
  std::ifstream in("/proc/self/task/" + tid + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

TEST(ConsumerSignals, LibrdkafkaThreadsBlockAllSignalsAndCallerMaskIsRestored) {
  sigset_t mine, before, after;
  sigemptyset(&mine);
  sigaddset(&mine, SIGUSR2);
  pthread_sigmask(SIG_SETMASK, &mine, &before);
  const auto old_threads = thread_ids();
  {
    Consumer c(Config{"127.0.0.1:1", "", {}});
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    EXPECT_EQ(sigismember(&after, SIGUSR2), 1);
    EXPECT_EQ(sigismember(&after, SIGTERM), 0);
    EXPECT_EQ(sigismember(&after, SIGINT), 0);
    int checked = 0;
    for (const auto& tid : thread_ids()) {
      if (old_threads.count(tid)) continue;
      const unsigned long long mask = blocked_mask(tid);
      for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGCHLD, SIGQUIT})
        EXPECT_TRUE(mask & (1ULL << (sig - 1))) << "thread " << tid << " signal " << sig;
      ++checked;
    }
    EXPECT_GE(checked, 1);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

TEST_F(ConsumerTest, ListTopicsSeesEveryTopicWithItsPartitions) {
  cluster_.create_topic("other.topic", 2);
  Consumer c(config());
  std::map<std::string, std::vector<int32_t>> seen;
  for (const ClusterTopic& t : c.list_topics(kTimeoutMs)) {
    EXPECT_EQ(t.error, 0) << t.name;
    std::vector<int32_t> ids = t.partitions;
    std::sort(ids.begin(), ids.end());
    seen[t.name] = ids;
  }
  EXPECT_EQ(seen["t"], (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(seen["other.topic"], (std::vector<int32_t>{0, 1}));
}

TEST_F(ConsumerTest, ListTopicsThrowsWhenNoBrokerAnswers) {
  Consumer c(config());
  cluster_.set_all_brokers(false);
  EXPECT_THROW(c.list_topics(1500), KafkaError);
  cluster_.set_all_brokers(true);
}

// The worker's path: the cluster's listing, then the pipeline's names and patterns resolved in it.
TEST_F(ConsumerTest, UnknownTopicThrows) {
  cluster_.set_topic_error("nope", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  Consumer c(config());
  auto no_patterns = [](const std::string&, const std::string&) { return false; };
  try {
    select_partitions({"t", "nope"}, c.list_topics(kTimeoutMs), no_patterns);
    FAIL() << "expected KafkaError";
  } catch (const KafkaError& e) {
    EXPECT_EQ(std::string(e.what()), "topic 'nope' does not exist");
    EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  }
}

TEST_F(ConsumerTest, QueryWatermarksEarliestAndLatest) {
  Consumer c(config());
  Watermarks w = c.query_watermarks("t", 1, kTimeoutMs);
  EXPECT_EQ(w.low, 0);
  EXPECT_EQ(w.high, 0);
  produce(cluster_.bootstraps(), "t", numbered(1, 10));
  w = c.query_watermarks("t", 1, kTimeoutMs);
  EXPECT_EQ(w.low, 0);
  EXPECT_EQ(w.high, 10);
  EXPECT_THROW(c.query_watermarks("t", 99, 2000), KafkaError);
}

TEST_F(ConsumerTest, ConsumesKeysValuesNullsAndTombstonesInOrder) {
  std::vector<Record> records = numbered(0, 20);
  records.push_back({0, std::nullopt, std::string("null key")});
  records.push_back({0, std::string("tomb"), std::nullopt});
  records.push_back({0, std::string(""), std::string("")});
  records.push_back({2, std::string("other"), std::string("partition"), 1234567});
  produce(cluster_.bootstraps(), "t", records);

  Consumer c(config());
  c.assign({{"t", 0, 0}, {"t", 1, 0}, {"t", 2, 0}, {"t", 3, 0}});
  Collected got = collect(c, records.size());
  ASSERT_EQ(got.messages.size(), records.size());
  EXPECT_TRUE(got.errors.empty());
  std::vector<Got> p0;
  for (const auto& m : got.messages) {
    EXPECT_EQ(m.topic, "t");
    if (m.partition == 0) p0.push_back(m);
    if (m.partition == 2) {
      EXPECT_EQ(m.key, "other");
      EXPECT_EQ(m.timestamp_ms, 1234567);
    }
  }
  ASSERT_EQ(p0.size(), 23u);
  for (size_t i = 0; i < p0.size(); ++i) EXPECT_EQ(p0[i].offset, static_cast<int64_t>(i));
  EXPECT_EQ(p0[5].key, "k5");
  EXPECT_EQ(p0[5].value, "v5");
  EXPECT_GT(p0[5].timestamp_ms, 0);
  EXPECT_EQ(p0[20].key, std::nullopt);
  EXPECT_EQ(p0[20].value, "null key");
  EXPECT_EQ(p0[21].key, "tomb");
  EXPECT_EQ(p0[21].value, std::nullopt);
  EXPECT_EQ(p0[22].key, "");
  EXPECT_EQ(p0[22].value, "");
}

TEST_F(ConsumerTest, AssignStartsAtGivenOffsetAndReplacesAssignment) {
  produce(cluster_.bootstraps(), "t", numbered(0, 10));
  produce(cluster_.bootstraps(), "t", numbered(1, 3));
  Consumer c(config());
  c.assign({{"t", 0, 0}});
  c.assign({{"t", 0, 5}, {"t", 1, 2}});
  // Wait a little past the expected 6 messages so stale ones from the first assignment would show.
  Collected got = collect_until(c, [](const Collected&) { return false; }, 1500);
  ASSERT_EQ(got.messages.size(), 6u);
  std::vector<int64_t> p0;
  for (const auto& m : got.messages) {
    if (m.partition == 0) p0.push_back(m.offset);
    else EXPECT_EQ(m.offset, 2);
  }
  EXPECT_EQ(p0, (std::vector<int64_t>{5, 6, 7, 8, 9}));
}

TEST_F(ConsumerTest, PollHonoursMaxAndBatchViewsStayValidWhileAppending) {
  produce(cluster_.bootstraps(), "t", numbered(3, 50, 100));
  Consumer c(config());
  c.assign({{"t", 3, 0}});
  MessageBatch batch;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (batch.messages().size() < 50 && Clock::now() < deadline) {
    const size_t before = batch.messages().size();
    const size_t n = c.poll(batch, 7, 100);
    EXPECT_LE(n, 7u);
    EXPECT_EQ(batch.messages().size(), before + n);
  }
  ASSERT_EQ(batch.messages().size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    const Message& m = batch.messages()[i];
    EXPECT_EQ(m.offset, static_cast<int64_t>(i));
    EXPECT_EQ(std::string(m.key, m.key_len), "k" + std::to_string(i));
    EXPECT_EQ(m.value_len, 100u);
  }
  batch.clear();
  EXPECT_TRUE(batch.messages().empty());
  EXPECT_EQ(c.queued(), 0u);
}

TEST_F(ConsumerTest, PartitionEndReportsTheNextOffsetAndIsNoError) {
  produce(cluster_.bootstraps(), "t", numbered(2, 4));
  Consumer c(config());
  c.assign({{"t", 2, 0}});
  size_t messages = 0, errors = 0;
  int64_t end = -1;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (end < 0 && Clock::now() < deadline) {
    MessageBatch batch;
    messages += c.poll(batch, 10, 100);
    errors += batch.errors().size();
    for (const PartitionEnd& e : batch.ends()) {
      EXPECT_EQ(std::string(e.topic), "t");
      EXPECT_EQ(e.partition, 2);
      end = e.offset;
    }
  }
  EXPECT_EQ(messages, 4u);  // every message came before the end
  EXPECT_EQ(end, 4);        // where the next message will be (past any transaction marker)
  EXPECT_EQ(errors, 0u);
}

TEST_F(ConsumerTest, CachedWatermarksComeFromFetchResponses) {
  produce(cluster_.bootstraps(), "t", numbered(2, 4));
  Consumer c(config());
  Watermarks w;
  EXPECT_FALSE(c.cached_watermarks("t", 2, w));
  c.assign({{"t", 2, 0}});
  ASSERT_EQ(collect(c, 4).messages.size(), 4u);
  ASSERT_TRUE(c.cached_watermarks("t", 2, w));
  EXPECT_EQ(w.low, 0);
  EXPECT_EQ(w.high, 4);
}

// The mock's ListOffsets ignores timestamps ("FIXME: by timestamp" in librdkafka 2.0.2): it answers
// offset -1 for every timestamp, which the wrapper maps to the high watermark. A real broker answers
// the first offset at/after the timestamp.
TEST_F(ConsumerTest, OffsetsForTimeMapsNoMessageToHighWatermark) {
  std::vector<Record> records = numbered(0, 5);
  for (size_t i = 0; i < records.size(); ++i) records[i].timestamp_ms = 1000 * static_cast<int64_t>(i + 1);
  produce(cluster_.bootstraps(), "t", records);
  Consumer c(config());
  const int64_t far_future = 4102444800000;  // 2100-01-01
  auto out = c.offsets_for_time({{"t", 0, 0}, {"t", 1, 0}}, far_future, kTimeoutMs);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "t");
  EXPECT_EQ(out[0].partition, 0);
  EXPECT_EQ(out[0].offset, 5);
  EXPECT_EQ(out[1].partition, 1);
  EXPECT_EQ(out[1].offset, 0);
  EXPECT_THROW(c.offsets_for_time({{"t", 0, 0}}, -1, kTimeoutMs), KafkaError);
  // Documents the mock limitation: a real broker would answer offset 2 here.
  EXPECT_EQ(c.offsets_for_time({{"t", 0, 0}}, 3000, kTimeoutMs)[0].offset, 5);
}

// Reads a group's committed offset with a plain librdkafka consumer (OffsetFetch).
int64_t committed_offset(const std::string& brokers, const std::string& group, const std::string& topic, int32_t p) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  int64_t offset = -1000;
  if (rd_kafka_committed(rk, list, kTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR && list->elems[0].err == 0)
    offset = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return offset;
}

// Polls (which serves commit results) until the group's committed offset is `want`.
int64_t wait_committed(Consumer& c, const std::string& brokers, const std::string& group, int32_t p, int64_t want) {
  int64_t seen = -1000;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (seen != want && Clock::now() < deadline) {
    MessageBatch batch;
    c.poll(batch, 10, 100);
    seen = committed_offset(brokers, group, "t", p);
  }
  return seen;
}

TEST_F(ConsumerTest, CommitAsyncWithoutJoiningTheGroup) {
  Consumer c(config("lag-group"));
  c.assign({{"t", 0, 0}});
  c.commit_async({{"t", 0, 7}, {"t", 1, 3}});
  EXPECT_EQ(wait_committed(c, cluster_.bootstraps(), "lag-group", 0, 7), 7);
  EXPECT_EQ(committed_offset(cluster_.bootstraps(), "lag-group", "t", 1), 3);
  for (const auto& e : c.drain_events()) EXPECT_NE(e.kind, Event::Kind::Error) << e.text;
}

TEST_F(ConsumerTest, CommitsMadeWhileOneIsInFlightAreMergedAndSentLater) {
  Consumer c(config("lag-group"));
  c.commit_async({{"t", 0, 1}});
  c.commit_async({{"t", 0, 2}, {"t", 2, 5}});  // the first is still in flight
  c.commit_async({{"t", 0, 3}});
  EXPECT_EQ(wait_committed(c, cluster_.bootstraps(), "lag-group", 0, 3), 3);
  EXPECT_EQ(committed_offset(cluster_.bootstraps(), "lag-group", "t", 2), 5);
}

TEST_F(ConsumerTest, CommitFailureBecomesAnErrorEvent) {
  Consumer c(config("lag-group"));
  constexpr int16_t kOffsetCommitApi = 8;
  cluster_.fail_requests(kOffsetCommitApi, 1, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  c.commit_async({{"t", 0, 9}});
  std::optional<Event> error;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!error && Clock::now() < deadline) {
    MessageBatch batch;
    c.poll(batch, 10, 100);
    for (auto& e : c.drain_events())
      if (e.kind == Event::Kind::Error) error = e;
  }
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  EXPECT_NE(error->text.find("offset commit failed"), std::string::npos) << error->text;
  EXPECT_FALSE(error->fatal);
}

TEST_F(ConsumerTest, CommitAsyncWithoutGroupIsANoOp) {
  Consumer c(config());
  c.commit_async({{"t", 0, 7}});
  MessageBatch batch;
  c.poll(batch, 10, 200);
  for (const auto& e : c.drain_events()) EXPECT_NE(e.kind, Event::Kind::Error) << e.text;
  EXPECT_EQ(committed_offset(cluster_.bootstraps(), "cdc_sync-no-commit", "t", 0), RD_KAFKA_OFFSET_INVALID);
}

// Waits for fd to become readable.
bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

TEST_F(ConsumerTest, WakeupFdFiresWhenMessagesArrive) {
  Consumer c(config());
  ASSERT_GE(c.wakeup_fd(), 0);
  c.assign({{"t", 1, 0}});
  // Let the idle fetch loop settle, then start from a drained queue and a quiet fd.
  collect_until(c, [](const Collected&) { return false; }, 300);
  c.clear_wakeup();
  EXPECT_FALSE(readable(c.wakeup_fd(), 0));
  produce(cluster_.bootstraps(), "t", numbered(1, 1));
  ASSERT_TRUE(readable(c.wakeup_fd(), kTimeoutMs));
  c.clear_wakeup();
  EXPECT_FALSE(readable(c.wakeup_fd(), 0));
  MessageBatch batch;
  EXPECT_EQ(c.poll(batch, 10, kTimeoutMs), 1u);
}

TEST_F(ConsumerTest, OffsetAboveHighWatermarkIsAPartitionError) {
  produce(cluster_.bootstraps(), "t", numbered(0, 3));
  Consumer c(config());
  c.assign({{"t", 0, 100}});
  Collected got = collect_error(c);
  ASSERT_FALSE(got.errors.empty());
  EXPECT_TRUE(got.messages.empty());
  EXPECT_EQ(got.errors[0].topic, "t");
  EXPECT_EQ(got.errors[0].partition, 0);
  EXPECT_NE(got.errors[0].code, 0);
  EXPECT_FALSE(got.errors[0].message.empty());
}

TEST_F(ConsumerTest, OffsetBelowLowWatermarkIsAPartitionErrorNotASkip) {
  // The mock keeps about 5 MB per partition: 8 MB of 10 KB messages pushes the low watermark up.
  produce(cluster_.bootstraps(), "t", numbered(0, 800, 10000));
  Consumer c(config());
  const Watermarks w = c.query_watermarks("t", 0, kTimeoutMs);
  ASSERT_GT(w.low, 0);
  EXPECT_EQ(w.high, 800);
  c.assign({{"t", 0, 0}});
  Collected got = collect_error(c);
  ASSERT_FALSE(got.errors.empty());
  EXPECT_TRUE(got.messages.empty()) << "first offset " << got.messages[0].offset;
  EXPECT_EQ(got.errors[0].partition, 0);
  // Reading from the low watermark itself works.
  c.assign({{"t", 0, w.low}});
  got = collect(c, 1);
  ASSERT_FALSE(got.messages.empty());
  EXPECT_EQ(got.messages[0].offset, w.low);
}

// Whether any drained event is an Error.
bool has_error_event(Consumer& c) {
  for (const auto& e : c.drain_events())
    if (e.kind == Event::Kind::Error) return true;
  return false;
}

TEST_F(ConsumerTest, BrokerOutageIsReportedAndConsumptionResumes) {
  produce(cluster_.bootstraps(), "t", numbered(0, 1));
  Consumer c(config());
  c.assign({{"t", 0, 0}});
  ASSERT_EQ(collect(c, 1).messages.size(), 1u);
  cluster_.set_all_brokers(false);
  bool error_seen = false;
  collect_until(c, [&](const Collected&) { return error_seen = error_seen || has_error_event(c); });
  EXPECT_TRUE(error_seen);
  cluster_.set_all_brokers(true);
  produce(cluster_.bootstraps(), "t", numbered(0, 2));
  Collected got = collect(c, 2, 30000);
  ASSERT_EQ(got.messages.size(), 2u);
  EXPECT_EQ(got.messages[0].offset, 1);
  EXPECT_TRUE(got.errors.empty());
}

TEST_F(ConsumerTest, DestructorDoesNotHangWhenBrokersAreGone) {
  auto c = std::make_unique<Consumer>(config("g"));
  c->assign({{"t", 0, 0}});
  collect_until(*c, [](const Collected&) { return false; }, 300);
  cluster_.set_all_brokers(false);
  c->commit_async({{"t", 0, 1}});  // left outstanding
  const auto start = Clock::now();
  c.reset();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(6));
}

TEST_F(ConsumerTest, LogLinesAreQueuedAsEvents) {
  Config cfg = config();
  cfg.properties["debug"] = "consumer";
  Consumer c(cfg);
  c.assign({{"t", 0, 0}});
  std::optional<Event> debug_line;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!debug_line && Clock::now() < deadline) {
    MessageBatch batch;
    c.poll(batch, 10, 100);
    // Other lines (e.g. the mock's level-4 AUTOCREATE warning) may come first.
    for (auto& e : c.drain_events())
      if (e.kind == Event::Kind::Log && e.level == 7) debug_line = e;
  }
  ASSERT_TRUE(debug_line.has_value());
  EXPECT_FALSE(debug_line->text.empty());
}

TEST_F(ConsumerTest, FatalErrorBecomesFatalEvent) {
  Consumer c(config());
  ASSERT_EQ(rd_kafka_test_fatal_error(c.handle(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, "test"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  std::optional<Event> fatal;
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!fatal && Clock::now() < deadline) {
    MessageBatch batch;
    c.poll(batch, 10, 100);
    for (auto& e : c.drain_events())
      if (e.fatal) fatal = e;
  }
  ASSERT_TRUE(fatal.has_value());
  EXPECT_EQ(fatal->kind, Event::Kind::Error);
  EXPECT_EQ(fatal->code, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
  EXPECT_NE(fatal->text.find("test"), std::string::npos) << fatal->text;
}

}  // namespace
}  // namespace cdc::kafka
