// kafka_admin: the few topic operations the tests need, through librdkafka's Admin API (a JVM
// start per call would cost seconds).
//
//   kafka_admin --brokers LIST create-topic NAME PARTITIONS [NAME=VALUE ...]   topic configs, e.g.
//                                                                  retention.bytes=1048576
//   kafka_admin --brokers LIST add-partitions NAME TOTAL
//   kafka_admin --brokers LIST delete-topic NAME
//   kafka_admin --brokers LIST watermarks NAME      prints "partition<TAB>low<TAB>high" lines
//
// Waits for the broker's answer (and, for create-topic and add-partitions, until the metadata
// shows the partitions); exits 0 on success, else prints the broker's error and exits 1.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kTimeoutMs = 30000;

[[noreturn]] void die(const std::string& what) {
  std::cerr << "kafka_admin: " << what << "\n";
  std::exit(1);
}

int usage() {
  std::cerr << "usage: kafka_admin --brokers LIST create-topic NAME PARTITIONS [CONFIG=VALUE ...]\n"
               "       kafka_admin --brokers LIST add-partitions NAME TOTAL\n"
               "       kafka_admin --brokers LIST delete-topic NAME\n"
               "       kafka_admin --brokers LIST watermarks NAME\n";
  return 2;
}

rd_kafka_t* make_client(const std::string& brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    die(errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) die(errstr);
  return rk;
}

// Waits for the admin result event on `queue`; dies on a request-level error. Caller destroys it.
rd_kafka_event_t* wait_result(rd_kafka_queue_t* queue) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, kTimeoutMs + 5000);
  if (ev == nullptr) die("no answer from the brokers");
  if (rd_kafka_event_error(ev)) die(rd_kafka_event_error_string(ev));
  return ev;
}

// Dies on the first topic-level error of a result.
void check_topics(const rd_kafka_topic_result_t** results, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (rd_kafka_topic_result_error(results[i]))
      die(std::string(rd_kafka_topic_result_name(results[i])) + ": " + rd_kafka_topic_result_error_string(results[i]));
}

// Partitions of `topic` in the metadata (-1 when it is not there yet).
int partition_count(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  int n = -1;
  for (int i = 0; i < md->topic_cnt; i++)
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool leaders = true;
      for (int j = 0; j < md->topics[i].partition_cnt; j++) leaders &= md->topics[i].partitions[j].leader >= 0;
      if (leaders) n = md->topics[i].partition_cnt;
    }
  rd_kafka_metadata_destroy(md);
  return n;
}

// Polls the metadata until `topic` has `partitions` partitions with leaders.
void wait_partitions(rd_kafka_t* rk, const std::string& topic, int partitions) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (partition_count(rk, topic) != partitions) {
    if (std::chrono::steady_clock::now() > deadline)
      die("topic " + topic + " does not show " + std::to_string(partitions) + " partitions");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::string(argv[1]) != "--brokers") return usage();
  const std::string brokers = argv[2], cmd = argv[3], topic = argv[4];
  std::vector<std::string> rest(argv + 5, argv + argc);
  rd_kafka_t* rk = make_client(brokers);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  char errstr[512];
  if (cmd == "create-topic" && !rest.empty()) {
    const int partitions = std::atoi(rest[0].c_str());
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr);
    if (nt == nullptr) die(errstr);
    for (size_t i = 1; i < rest.size(); i++) {
      size_t eq = rest[i].find('=');
      if (eq == std::string::npos) return usage();
      if (rd_kafka_NewTopic_set_config(nt, rest[i].substr(0, eq).c_str(), rest[i].substr(eq + 1).c_str()))
        die("bad config " + rest[i]);
    }
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, queue);
    rd_kafka_event_t* ev = wait_result(queue);
    size_t n = 0;
    const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    check_topics(res, n);
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    wait_partitions(rk, topic, partitions);
  } else if (cmd == "add-partitions" && rest.size() == 1) {
    const int total = std::atoi(rest[0].c_str());
    rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), total, errstr, sizeof errstr);
    if (np == nullptr) die(errstr);
    rd_kafka_CreatePartitions(rk, &np, 1, nullptr, queue);
    rd_kafka_event_t* ev = wait_result(queue);
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
    check_topics(res, n);
    rd_kafka_event_destroy(ev);
    rd_kafka_NewPartitions_destroy(np);
    wait_partitions(rk, topic, total);
  } else if (cmd == "delete-topic" && rest.empty()) {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, queue);
    rd_kafka_event_t* ev = wait_result(queue);
    size_t n = 0;
    const rd_kafka_topic_result_t** res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    check_topics(res, n);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy(dt);
  } else if (cmd == "watermarks" && rest.empty()) {
    int partitions = partition_count(rk, topic);
    if (partitions < 0) die("topic " + topic + " not found");
    for (int p = 0; p < partitions; p++) {
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, kTimeoutMs);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) die(topic + "[" + std::to_string(p) + "]: " + rd_kafka_err2str(err));
      std::cout << p << "\t" << low << "\t" << high << "\n";
    }
  } else {
    return usage();
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return 0;
}
