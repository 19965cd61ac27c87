// Which Kafka topics a pipeline reads: topic names, and patterns for topics that may not exist yet.
//
// An entry that starts with '^' is a pattern: a regular expression matched against the whole topic
// name by the host (PostgreSQL's regex engine, as for sync table sources); anything else is a topic
// name. Kafka topic names cannot contain '^', so the two never collide (librdkafka's subscribe()
// uses the same mark).
#pragma once
#include "core/pure_cpp.hpp"

#include "core/kafka_consumer.hpp"

#include <functional>
#include <string>
#include <vector>

namespace cdc::kafka {

// True when `entry` is a pattern rather than a topic name.
inline bool is_topic_pattern(const std::string& entry) { return !entry.empty() && entry[0] == '^'; }

// True when `pattern` matches the whole of `topic`; may throw (the host's regex engine).
using PatternMatcher = std::function<bool(const std::string& pattern, const std::string& topic)>;

// The partitions a pipeline reads in `cluster`, sorted by topic and partition: every partition of
// each named topic (KafkaError when one does not exist or has no metadata) and of every topic a
// pattern matches. Patterns never select Kafka's internal topics (names starting with "__"), and
// skip a matching topic whose metadata has an error (it is being created: the next listing has it).
std::vector<TopicPartition> select_partitions(const std::vector<std::string>& entries,
                                              const std::vector<ClusterTopic>& cluster, const PatternMatcher& matches);

}  // namespace cdc::kafka
