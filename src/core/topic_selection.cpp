// Topic names and patterns of a pipeline, resolved against a cluster listing (topic_selection.hpp).
#include "core/topic_selection.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>

namespace cdc::kafka {

std::vector<TopicPartition> select_partitions(const std::vector<std::string>& entries,
                                              const std::vector<ClusterTopic>& cluster, const PatternMatcher& matches) {
  std::map<std::string, const ClusterTopic*> by_name;
  for (const ClusterTopic& t : cluster) by_name[t.name] = &t;
  std::map<std::string, const ClusterTopic*> chosen;
  std::vector<std::string> patterns;
  for (const std::string& e : entries) {
    if (is_topic_pattern(e)) {
      patterns.push_back(e);
      continue;
    }
    auto it = by_name.find(e);
    if (it == by_name.end() || it->second->error == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "topic '" + e + "' does not exist");
    if (it->second->error != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw KafkaError(it->second->error, "metadata for topic '" + e + "': " +
                                              rd_kafka_err2str((rd_kafka_resp_err_t)it->second->error));
    chosen[e] = it->second;
  }
  if (!patterns.empty()) {
    for (const ClusterTopic& t : cluster) {
      if (chosen.count(t.name) || t.name.compare(0, 2, "__") == 0 || t.error != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      for (const std::string& p : patterns)
        if (matches(p, t.name)) {
          chosen[t.name] = &t;
          break;
        }
    }
  }
  std::vector<TopicPartition> out;
  for (const auto& [name, t] : chosen) {
    std::vector<int32_t> ids = t->partitions;
    std::sort(ids.begin(), ids.end());
    for (int32_t p : ids) out.push_back({name, p, 0});
  }
  return out;
}

}  // namespace cdc::kafka
