// Small runtime services for the SQL side: format names, Kafka property checks, watermarks.
#include "bridge/runtime.hpp"

#include "core/change.hpp"
#include "core/kafka_consumer.hpp"
#include "core/topic_selection.hpp"

#include <algorithm>
#include <chrono>

namespace cdc::runtime {

bool is_known_format(const std::string& format) { return cdc::is_known_format(format); }

std::string check_kafka_property(const std::string& name, const std::string& value) {
  return kafka::check_property(name, value);
}

namespace {
constexpr int kSliceMs = 200;

// Runs `call(slice_ms)` until it succeeds, in slices of at most kSliceMs until `deadline`, calling
// `check` before each: librdkafka's blocking calls cannot be interrupted, slices can. A broker not
// reachable yet, or a partition between leaders (a broker just restarted), is asked again until
// the deadline, as one long call would have waited for it.
template <typename F>
auto in_slices(F call, std::chrono::steady_clock::time_point deadline, const std::function<void()>& check) {
  for (;;) {
    check();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    int slice = (int)std::max<long long>(1, std::min<long long>(kSliceMs, left.count()));
    try {
      return call(slice);
    } catch (const kafka::KafkaError& e) {
      bool again = e.code() == kafka::kTimedOut || e.code() == kafka::kTransport || e.code() == kafka::kAllBrokersDown ||
                   e.code() == kafka::kLeaderNotAvailable || e.code() == kafka::kNotLeader;
      if (!again || std::chrono::steady_clock::now() >= deadline) throw;
    }
  }
}
}  // namespace

std::vector<PartitionMark> query_watermarks(const std::string& brokers,
                                            const std::map<std::string, std::string>& properties,
                                            const std::vector<std::string>& topics, const TopicMatcher& matches,
                                            int timeout_ms, const std::function<void()>& check_interrupts) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  kafka::Config config;
  config.brokers = brokers;
  config.properties = properties;
  kafka::Consumer consumer(config);
  std::vector<kafka::ClusterTopic> cluster =
      in_slices([&](int ms) { return consumer.list_topics(ms); }, deadline, check_interrupts);
  std::vector<PartitionMark> marks;
  for (const kafka::TopicPartition& tp : kafka::select_partitions(topics, cluster, matches)) {
    kafka::Watermarks w = in_slices([&](int ms) { return consumer.query_watermarks(tp.topic, tp.partition, ms); },
                                    deadline, check_interrupts);
    marks.push_back({tp.topic, tp.partition, w.low, w.high});
  }
  return marks;
}

}  // namespace cdc::runtime
