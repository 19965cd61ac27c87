// Tests of resolving a pipeline's topic names and patterns against a cluster's topic listing.
#include "core/topic_selection.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <regex>
#include <string>
#include <vector>

namespace cdc::kafka {
namespace {

// The host matches with PostgreSQL's engine; std::regex stands in for it here.
bool whole_match(const std::string& pattern, const std::string& topic) {
  return std::regex_match(topic, std::regex(pattern));
}

std::vector<ClusterTopic> cluster() {
  return {{"mdb.shop.orders", 0, {1, 0}},
          {"mdb.shop.items", 0, {0}},
          {"mdb.hr.people", 0, {0, 1, 2}},
          {"__consumer_offsets", 0, {0}},
          {"mdb.shop.new", RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, {}},
          {"plain", 0, {0, 1}}};
}

std::vector<std::string> names(const std::vector<TopicPartition>& tps) {
  std::vector<std::string> out;
  for (const TopicPartition& tp : tps) out.push_back(tp.topic + "[" + std::to_string(tp.partition) + "]");
  return out;
}

TEST(TopicSelection, PatternsStartWithACaret) {
  EXPECT_TRUE(is_topic_pattern("^mdb\\..*"));
  EXPECT_FALSE(is_topic_pattern("mdb.shop.orders"));
  EXPECT_FALSE(is_topic_pattern(""));
}

TEST(TopicSelection, NamesOnlySelectThoseTopicsSorted) {
  EXPECT_EQ(names(select_partitions({"plain", "mdb.shop.orders"}, cluster(), whole_match)),
            (std::vector<std::string>{"mdb.shop.orders[0]", "mdb.shop.orders[1]", "plain[0]", "plain[1]"}));
}

TEST(TopicSelection, APatternMatchesWholeNamesAndSkipsInternalAndUnreadyTopics) {
  EXPECT_EQ(names(select_partitions({"^mdb\\.shop\\..*"}, cluster(), whole_match)),
            (std::vector<std::string>{"mdb.shop.items[0]", "mdb.shop.orders[0]", "mdb.shop.orders[1]"}));
  // Whole names: "^mdb" alone matches nothing ("mdb.shop.orders" is longer).
  EXPECT_TRUE(select_partitions({"^mdb"}, cluster(), whole_match).empty());
  EXPECT_TRUE(select_partitions({"^.*offsets"}, cluster(), whole_match).empty());
}

TEST(TopicSelection, NamesAndPatternsTogetherSelectEachTopicOnce) {
  EXPECT_EQ(names(select_partitions({"mdb.shop.items", "^mdb\\.(shop|hr)\\.i.*"}, cluster(), whole_match)),
            (std::vector<std::string>{"mdb.shop.items[0]"}));
}

TEST(TopicSelection, APatternThatMatchesNothingIsNoError) {
  EXPECT_TRUE(select_partitions({"^nothing\\..*"}, cluster(), whole_match).empty());
}

TEST(TopicSelection, AMissingNamedTopicThrows) {
  try {
    select_partitions({"plain", "missing"}, cluster(), whole_match);
    FAIL() << "expected KafkaError";
  } catch (const KafkaError& e) {
    EXPECT_EQ(std::string(e.what()), "topic 'missing' does not exist");
    EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  }
}

TEST(TopicSelection, ANamedTopicWithAMetadataErrorThrowsWithIt) {
  try {
    select_partitions({"mdb.shop.new"}, cluster(), whole_match);
    FAIL() << "expected KafkaError";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    EXPECT_NE(std::string(e.what()).find("metadata for topic 'mdb.shop.new'"), std::string::npos);
  }
}

TEST(TopicSelection, MatcherErrorsPropagate) {
  auto throwing = [](const std::string&, const std::string&) -> bool { throw std::runtime_error("bad regex"); };
  EXPECT_THROW(select_partitions({"^x"}, cluster(), throwing), std::runtime_error);
}

}  // namespace
}  // namespace cdc::kafka
