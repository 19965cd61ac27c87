// Small runtime services for the SQL side: format names, Kafka property checks, watermarks.
#include "bridge/runtime.hpp"

#include "core/change.hpp"
#include "core/kafka_consumer.hpp"
#include "core/topic_selection.hpp"

namespace cdc::runtime {

bool is_known_format(const std::string& format) { return cdc::is_known_format(format); }

std::string check_kafka_property(const std::string& name, const std::string& value) {
  return kafka::check_property(name, value);
}

std::vector<PartitionMark> query_watermarks(const std::string& brokers,
                                            const std::map<std::string, std::string>& properties,
                                            const std::vector<std::string>& topics, const TopicMatcher& matches,
                                            int timeout_ms) {
  kafka::Config config;
  config.brokers = brokers;
  config.properties = properties;
  kafka::Consumer consumer(config);
  std::vector<PartitionMark> marks;
  for (const kafka::TopicPartition& tp : kafka::select_partitions(topics, consumer.list_topics(timeout_ms), matches)) {
    kafka::Watermarks w = consumer.query_watermarks(tp.topic, tp.partition, timeout_ms);
    marks.push_back({tp.topic, tp.partition, w.low, w.high});
  }
  return marks;
}

}  // namespace cdc::runtime
