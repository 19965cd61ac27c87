// kafka_produce: produces PostgreSQL COPY text rows (partition, key, value) read from stdin to Kafka.
//
//   kafka_produce --brokers LIST --topic T [--acks all] [-X prop=value ...] [--verbose]
//                 [--create-partitions N --state-dir DIR] [--transaction commit|abort]
//
// Made for `COPY (SELECT partition, key, value FROM ...) TO PROGRAM 'kafka_produce ...'` and for
// generators piping into it. One message per line; `\N` is NULL (null key, or null value = tombstone);
// partition -1 or NULL lets the murmur2_random partitioner (the Java client's) choose by key.
// With --state-dir and no --brokers, the bootstrap servers of that mock_kafka server are used.
// With --transaction, every message goes in one transaction of a transactional producer, which
// is then committed or aborted: the broker ends it with a marker in each partition it touched
// (real brokers only; the mock keeps no markers).
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock_control.hpp"

namespace cdc::kafka::produce {
namespace {

struct Options {
  std::string brokers;
  std::string topic;
  std::string acks = "all";
  int create_partitions = 0;
  std::string state_dir;
  bool verbose = false;
  std::string transaction;  // "", "commit" or "abort"
  std::vector<std::pair<std::string, std::string>> properties;  // -X overrides
};

// One decoded COPY column.
struct Field {
  bool null = false;
  std::string value;
};

// Delivery accounting, updated by the delivery report callback (served on this thread by poll).
struct Deliveries {
  uint64_t ok = 0;
  uint64_t failed = 0;
  std::string first_error;
};

// Prints usage and returns the exit code for bad usage.
int usage() {
  std::cerr << "usage: kafka_produce --brokers LIST --topic T [--acks all|1|0] [-X prop=value]... [--verbose]\n"
               "                     [--create-partitions N --state-dir DIR] [--transaction commit|abort]\n"
               "stdin: PostgreSQL COPY text format, columns partition, key, value\n";
  return 2;
}

// Parses the command line; false on anything unexpected.
bool parse_options(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--verbose") {
      opt.verbose = true;
    } else if (!has_value) {
      return false;
    } else if (arg == "--brokers") {
      opt.brokers = argv[++i];
    } else if (arg == "--topic") {
      opt.topic = argv[++i];
    } else if (arg == "--acks") {
      opt.acks = argv[++i];
    } else if (arg == "--state-dir") {
      opt.state_dir = argv[++i];
    } else if (arg == "--transaction") {
      opt.transaction = argv[++i];
      if (opt.transaction != "commit" && opt.transaction != "abort") return false;
    } else if (arg == "--create-partitions") {
      opt.create_partitions = std::atoi(argv[++i]);
      if (opt.create_partitions <= 0) return false;
    } else if (arg == "-X") {
      const std::string kv = argv[++i];
      const auto eq = kv.find('=');
      if (eq == std::string::npos) return false;
      opt.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else {
      return false;
    }
  }
  if (opt.create_partitions > 0 && opt.state_dir.empty()) return false;
  return (!opt.brokers.empty() || !opt.state_dir.empty()) && !opt.topic.empty();
}

// Value of a hex digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escape at line[i] (just after a backslash) into out; returns the index after it.
size_t decode_escape(std::string_view line, size_t i, std::string& out) {
  const char c = line[i];
  if (c >= '0' && c <= '7') {  // up to three octal digits
    int v = 0;
    size_t n = 0;
    while (n < 3 && i < line.size() && line[i] >= '0' && line[i] <= '7') v = v * 8 + (line[i++] - '0'), ++n;
    out += static_cast<char>(v & 0xff);
    return i;
  }
  if (c == 'x' && i + 1 < line.size() && hex_value(line[i + 1]) >= 0) {  // up to two hex digits
    int v = hex_value(line[i + 1]);
    i += 2;
    if (i < line.size() && hex_value(line[i]) >= 0) v = v * 16 + hex_value(line[i++]);
    out += static_cast<char>(v);
    return i;
  }
  switch (c) {
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'v': out += '\v'; break;
    default: out += c;  // \\ and any other escaped character stand for themselves
  }
  return i + 1;
}

// Splits and de-escapes one COPY text line into fields, as PostgreSQL's COPY FROM does.
// Returns an error text, empty when OK. A raw tab always separates columns (data tabs are `\t`).
std::string decode_line(std::string_view line, std::vector<Field>& fields) {
  size_t used = 0;
  size_t i = 0;
  while (true) {
    if (used == fields.size()) fields.emplace_back();
    Field& f = fields[used++];
    f.value.clear();
    const size_t start = i;
    while (i < line.size() && line[i] != '\t') {
      if (line[i] != '\\') {
        f.value += line[i++];
        continue;
      }
      if (++i == line.size()) return "backslash at end of line";
      i = decode_escape(line, i, f.value);
    }
    // NULL is the raw text \N, checked before de-escaping (so `\\N` is the string "\N").
    f.null = line.substr(start, i - start) == "\\N";
    if (i == line.size()) break;
    ++i;  // the tab
  }
  fields.resize(used);
  return "";
}

// Parses the partition column: -1 or NULL mean "partitioner decides".
bool parse_partition(const Field& f, int32_t& partition) {
  if (f.null) {
    partition = RD_KAFKA_PARTITION_UA;
    return true;
  }
  const char* end = f.value.data() + f.value.size();
  auto [ptr, ec] = std::from_chars(f.value.data(), end, partition);
  if (ec != std::errc() || ptr != end || partition < -1) return false;
  return true;
}

// Delivery report callback: counts results; the line number travels in msg_opaque.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<Deliveries*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++d->ok;
    return;
  }
  if (d->failed++ == 0)
    d->first_error = "line " + std::to_string(reinterpret_cast<uintptr_t>(m->_private)) + ": delivery to partition " +
                     std::to_string(m->partition) + " failed: " + rd_kafka_err2str(m->err);
}

// Sets a property or exits with librdkafka's message.
void set_or_die(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    std::cerr << "kafka_produce: " << errstr << "\n";
    std::exit(1);
  }
}

// A producer tuned for throughput with tiny latency: 5 ms linger, big batches, deep queue.
rd_kafka_t* make_producer(const Options& opt, Deliveries& deliveries) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const bool acks_all = opt.acks == "all" || opt.acks == "-1";
  const std::pair<const char*, std::string> defaults[] = {
      {"bootstrap.servers", opt.brokers},
      {"acks", opt.acks},
      // Retries must not reorder a partition's messages; idempotence guarantees that (needs acks=all).
      {"enable.idempotence", acks_all ? "true" : "false"},
      {"linger.ms", "5"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "100000"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"partitioner", "murmur2_random"},
      {"message.timeout.ms", "60000"},
  };
  for (const auto& [name, value] : defaults) set_or_die(conf, name, value);
  if (!opt.transaction.empty())
    set_or_die(conf, "transactional.id", "kafka_produce-" + std::to_string(getpid()) + "-" +
                                             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (const auto& [name, value] : opt.properties) set_or_die(conf, name, value);
  rd_kafka_conf_set_opaque(conf, &deliveries);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    std::cerr << "kafka_produce: " << errstr << "\n";
    std::exit(1);
  }
  return rk;
}

// Enqueues one message, waiting for queue space when the local queue is full. Returns an error text.
std::string produce_one(rd_kafka_t* rk, rd_kafka_topic_t* rkt, int32_t partition, const Field& key,
                        const Field& value, uint64_t line_no) {
  static const char empty = 0;  // non-null pointer: an empty value is not a tombstone
  void* payload = value.null ? nullptr : const_cast<char*>(value.value.empty() ? &empty : value.value.data());
  const void* key_ptr = key.null ? nullptr : (key.value.empty() ? &empty : key.value.data());
  while (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, payload, value.value.size(), key_ptr,
                          key.value.size(), reinterpret_cast<void*>(static_cast<uintptr_t>(line_no))) != 0) {
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return rd_kafka_err2str(err);
    rd_kafka_poll(rk, 100);  // serve delivery reports, which frees queue space
  }
  return "";
}

// Reads stdin line by line and produces each row. Returns an error text, empty when all were enqueued.
std::string produce_input(rd_kafka_t* rk, rd_kafka_topic_t* rkt, const Deliveries& deliveries, uint64_t& count) {
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t len;
  uint64_t line_no = 0;
  std::vector<Field> fields;
  std::string error;
  while (error.empty() && deliveries.failed == 0 && (len = getline(&buf, &cap, stdin)) >= 0) {
    ++line_no;
    std::string_view line(buf, static_cast<size_t>(len));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF input; data CRs are escaped
    if (line == "\\.") break;                                         // COPY's end-of-data marker
    std::string what = decode_line(line, fields);
    int32_t partition = 0;
    if (what.empty() && fields.size() != 3)
      what = "expected 3 tab-separated columns (partition, key, value), got " + std::to_string(fields.size());
    if (what.empty() && !parse_partition(fields[0], partition)) what = "bad partition '" + fields[0].value + "'";
    if (what.empty()) what = produce_one(rk, rkt, partition, fields[1], fields[2], line_no);
    if (!what.empty()) error = "line " + std::to_string(line_no) + ": " + what;
    if (error.empty()) ++count;
    if ((line_no & 1023) == 0) rd_kafka_poll(rk, 0);  // keep delivery reports flowing
  }
  free(buf);
  return error;
}

// "" when a transaction call succeeded, else what failed.
std::string transaction_step(rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return "";
  std::string text = std::string(what) + " transaction: " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return text;
}

// Asks the mock server to create the topic; exits on failure.
void create_topic_or_die(const Options& opt) {
  try {
    const std::string reply =
        mockctl::request(opt.state_dir, "create-topic " + opt.topic + " " + std::to_string(opt.create_partitions));
    if (reply == "ok") return;
    std::cerr << "kafka_produce: create-topic: " << reply << "\n";
  } catch (const std::exception& e) {
    std::cerr << "kafka_produce: " << e.what() << "\n";
  }
  std::exit(1);
}

// Produces stdin, waits for every delivery report, and reports. Returns the exit code.
int run(Options opt) {
  if (opt.create_partitions > 0) create_topic_or_die(opt);
  if (opt.brokers.empty()) opt.brokers = mockctl::wait_state_file(opt.state_dir, "bootstrap");
  if (opt.brokers.empty()) {
    std::cerr << "kafka_produce: no " << opt.state_dir << "/bootstrap: is mock_kafka serve running?\n";
    return 1;
  }
  const auto started = std::chrono::steady_clock::now();
  Deliveries deliveries;
  rd_kafka_t* rk = make_producer(opt, deliveries);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, opt.topic.c_str(), nullptr);
  uint64_t count = 0;
  std::string error;
  if (!opt.transaction.empty()) error = transaction_step(rd_kafka_init_transactions(rk, 60000), "init");
  if (error.empty() && !opt.transaction.empty()) error = transaction_step(rd_kafka_begin_transaction(rk), "begin");
  if (error.empty()) error = produce_input(rk, rkt, deliveries, count);
  if (error.empty() && opt.transaction == "commit")
    error = transaction_step(rd_kafka_commit_transaction(rk, 120000), "commit");
  if (error.empty() && opt.transaction == "abort") {
    rd_kafka_flush(rk, 120000);  // the messages are in the log, then the abort marker hides them
    error = transaction_step(rd_kafka_abort_transaction(rk, 120000), "abort");
  }
  rd_kafka_flush(rk, 120000);
  const int unflushed = rd_kafka_outq_len(rk);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  if (error.empty() && deliveries.failed > 0)
    error = deliveries.first_error + " (" + std::to_string(deliveries.failed) + " failed in total)";
  if (error.empty() && unflushed > 0) error = "timed out waiting for " + std::to_string(unflushed) + " deliveries";
  if (error.empty() && deliveries.ok != count)
    error = "only " + std::to_string(deliveries.ok) + " of " + std::to_string(count) + " messages confirmed";
  if (!error.empty()) {
    std::cerr << "kafka_produce: " << error << "\n";
    return 1;
  }
  std::cerr << "produced " << count << " messages\n";
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (opt.verbose) std::cerr << "kafka_produce: " << secs << " s, " << static_cast<uint64_t>(count / secs) << " msg/s\n";
  return 0;
}

}  // namespace
}  // namespace cdc::kafka::produce

int main(int argc, char** argv) {
  using namespace cdc::kafka::produce;
  Options opt;
  if (!parse_options(argc, argv, opt)) return usage();
  static char stdin_buf[1 << 20];
  setvbuf(stdin, stdin_buf, _IOFBF, sizeof stdin_buf);
  return run(opt);
}
