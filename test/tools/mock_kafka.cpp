// mock_kafka: a librdkafka mock cluster (real Kafka protocol on 127.0.0.1) for tests, plus its
// control client.
//
//   mock_kafka serve --state-dir DIR [--brokers 3] [--partitions 4]
//   mock_kafka ctl --state-dir DIR ping | create-topic NAME [PARTITIONS] | broker-down ID | broker-up ID
//
// serve writes DIR/bootstrap (bootstrap.servers), DIR/control (control endpoint) and DIR/pid, serves
// until SIGTERM/SIGINT, removes those files and exits 0. See mock_control.hpp for the protocol.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <charconv>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mock_control.hpp"

namespace cdc::kafka::mocktool {
namespace {

struct Options {
  std::string state_dir;
  int brokers = 3;
  int partitions = 4;             // for `create-topic NAME` without a count
  std::vector<std::string> rest;  // ctl: the command words
};

// Prints usage and returns the exit code for bad usage.
int usage() {
  std::cerr << "usage: mock_kafka serve --state-dir DIR [--brokers N] [--partitions N]\n"
               "       mock_kafka ctl --state-dir DIR ping | create-topic NAME [PARTITIONS] |"
               " broker-down ID | broker-up ID\n";
  return 2;
}

// Parses a whole string as a positive int; false on anything else.
bool parse_positive(const std::string& s, int& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && out > 0;
}

// Parses the options after the sub-command; false on unknown or malformed ones.
bool parse_options(int argc, char** argv, Options& opt) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--state-dir" && has_value) {
      opt.state_dir = argv[++i];
    } else if (arg == "--brokers" && has_value) {
      if (!parse_positive(argv[++i], opt.brokers)) return false;
    } else if (arg == "--partitions" && has_value) {
      if (!parse_positive(argv[++i], opt.partitions)) return false;
    } else if (arg.rfind("--", 0) == 0) {
      return false;
    } else {
      opt.rest.push_back(arg);
    }
  }
  return !opt.state_dir.empty();
}

// The mock cluster and the control listener.
class Server {
 public:
  explicit Server(const Options& opt) : opt_(opt) {}
  ~Server();
  // Starts the cluster and listener and publishes the state files; throws std::runtime_error.
  void start();
  // Serves control connections until SIGTERM/SIGINT.
  void run(int signal_fd);

 private:
  void start_cluster();
  void start_listener();
  void serve_connection(int fd);
  std::string execute(const std::string& line);
  std::string create_topic(const std::string& name, int partitions);
  int existing_partition_count(const std::string& name, std::string& error);
  std::string broker_updown(const std::string& id_text, bool up);

  Options opt_;
  rd_kafka_t* rk_ = nullptr;  // owns the mock cluster; never connects anywhere itself
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
  int listen_fd_ = -1;
};

Server::~Server() {
  if (listen_fd_ >= 0) close(listen_fd_);
  for (const char* name : {"bootstrap", "control", "pid"}) unlink((opt_.state_dir + "/" + name).c_str());
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void Server::start() {
  mkdir(opt_.state_dir.c_str(), 0755);  // fine if it exists
  start_cluster();
  start_listener();
  mockctl::write_state_file(opt_.state_dir, "pid", std::to_string(getpid()));
  // bootstrap before control: a client that can reach the control port can also read bootstrap.
  mockctl::write_state_file(opt_.state_dir, "bootstrap", bootstraps_);
  sockaddr_in addr;
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  mockctl::write_state_file(opt_.state_dir, "control", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
}

void Server::start_cluster() {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // This handle only hosts the cluster; hide its "no bootstrap.servers" notice.
  rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + errstr);
  }
  cluster_ = rd_kafka_mock_cluster_new(rk_, opt_.brokers);
  if (cluster_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

void Server::start_listener() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr;
  mockctl::parse_endpoint("127.0.0.1:1", addr);
  addr.sin_port = 0;  // any free port
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0)
    throw std::runtime_error(std::string("control listener: ") + std::strerror(errno));
}

void Server::run(int signal_fd) {
  std::cerr << "mock_kafka: " << opt_.brokers << " brokers at " << bootstraps_ << "\n";
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents & POLLIN) return;
    if (fds[1].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) serve_connection(fd);
    }
  }
}

void Server::serve_connection(int fd) {
  // One command per connection, served inline: a stuck client may delay others by 5 s at most.
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string line;
  char c;
  while (line.size() < 4096 && recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::string reply = execute(line) + "\n";
  send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  close(fd);
}

std::string Server::execute(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& cmd = words[0];
  if (cmd == "ping" && words.size() == 1) return "ok";
  if (cmd == "create-topic" && (words.size() == 2 || words.size() == 3)) {
    int partitions = opt_.partitions;
    if (words.size() == 3 && !parse_positive(words[2], partitions)) return "error: bad partition count";
    return create_topic(words[1], partitions);
  }
  if ((cmd == "broker-down" || cmd == "broker-up") && words.size() == 2)
    return broker_updown(words[1], cmd == "broker-up");
  return "error: unknown command '" + line + "'";
}

std::string Server::create_topic(const std::string& name, int partitions) {
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return "ok";
  if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return std::string("error: ") + rd_kafka_err2str(err);
  // Idempotent create: fine when the existing topic has the requested shape.
  std::string error;
  const int existing = existing_partition_count(name, error);
  if (existing < 0) return "error: topic exists, cannot read its partition count: " + error;
  if (existing != partitions)
    return "error: topic '" + name + "' already exists with " + std::to_string(existing) + " partitions";
  return "ok";
}

int Server::existing_partition_count(const std::string& name, std::string& error) {
  // The mock API cannot describe topics, so ask the cluster over the wire like any client would.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (client == nullptr) {
    rd_kafka_conf_destroy(conf);
    error = errstr;
    return -1;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(client, name.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int count = -1;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client, 0, rkt, &md, 5000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) error = rd_kafka_err2str(err);
  else if (md->topic_cnt != 1 || md->topics[0].err) error = "no metadata for topic";
  else count = md->topics[0].partition_cnt;
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(client);
  return count;
}

std::string Server::broker_updown(const std::string& id_text, bool up) {
  int id = 0;
  if (!parse_positive(id_text, id)) return "error: bad broker id '" + id_text + "'";
  rd_kafka_resp_err_t err =
      up ? rd_kafka_mock_broker_set_up(cluster_, id) : rd_kafka_mock_broker_set_down(cluster_, id);
  return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
}

// `serve`: runs until SIGTERM/SIGINT.
int serve(const Options& opt) {
  // Block the stop signals everywhere (librdkafka's threads inherit this) and take them via signalfd.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "mock_kafka: signalfd: " << std::strerror(errno) << "\n";
    return 1;
  }
  try {
    Server server(opt);
    server.start();
    server.run(signal_fd);
  } catch (const std::exception& e) {
    std::cerr << "mock_kafka: " << e.what() << "\n";
    return 1;
  }
  close(signal_fd);
  return 0;
}

// `ctl`: one command, one answer line on stdout; exit 0 only for "ok".
int ctl(const Options& opt) {
  if (opt.rest.empty()) return usage();
  std::string line;
  for (const auto& w : opt.rest) line += (line.empty() ? "" : " ") + w;
  try {
    const std::string reply = mockctl::request(opt.state_dir, line);
    std::cout << reply << "\n";
    return reply == "ok" ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mock_kafka ctl: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace
}  // namespace cdc::kafka::mocktool

int main(int argc, char** argv) {
  using namespace cdc::kafka::mocktool;
  Options opt;
  if (argc < 2 || !parse_options(argc, argv, opt)) return usage();
  const std::string mode = argv[1];
  if (mode == "serve" && opt.rest.empty()) return serve(opt);
  if (mode == "ctl") return ctl(opt);
  return usage();
}
