// Client side of mock_kafka's control protocol, shared by the test tools.
//
// A running `mock_kafka serve --state-dir DIR` publishes two files in DIR:
//   bootstrap  the mock cluster's bootstrap.servers string
//   control    "127.0.0.1:PORT", a TCP endpoint that takes one command line and answers one line
//              ("ok" or "error: ...") per connection.
// Both are written to a temporary file and renamed, so a reader never sees a partial file.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace cdc::kafka::mockctl {

// Reads DIR/NAME with surrounding whitespace trimmed; empty when the file does not exist (yet).
inline std::string read_state_file(const std::string& dir, const std::string& name) {
  std::ifstream in(dir + "/" + name);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Reads DIR/NAME, waiting up to timeout_ms for a server that is still starting to write it.
// Empty when it did not appear in time.
inline std::string wait_state_file(const std::string& dir, const std::string& name, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string content = read_state_file(dir, name);
  while (content.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // bounded poll for the file
    content = read_state_file(dir, name);
  }
  return content;
}

// Writes DIR/NAME atomically (temp file + rename). Throws std::runtime_error on failure.
inline void write_state_file(const std::string& dir, const std::string& name, const std::string& content) {
  const std::string tmp = dir + "/." + name + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(errno));
}

// Splits "HOST:PORT" (IPv4 only, which is all the mock server listens on).
inline bool parse_endpoint(const std::string& endpoint, sockaddr_in& addr) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &addr.sin_addr) != 1) return false;
  const int port = std::atoi(endpoint.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return true;
}

// Connects to an endpoint with send/receive timeouts; -1 when the connection fails.
inline int connect_endpoint(const sockaddr_in& addr, int timeout_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends one line and reads the one-line answer. Throws std::runtime_error on I/O failure.
inline std::string exchange_line(int fd, const std::string& line) {
  const std::string out = line + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("control send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char c;
  while (reply.size() < 65536) {
    const ssize_t n = recv(fd, &c, 1, 0);
    if (n == 0) break;
    if (n < 0) throw std::runtime_error(std::string("control receive: ") + std::strerror(errno));
    if (c == '\n') return reply;
    reply += c;
  }
  if (reply.empty()) throw std::runtime_error("control: connection closed without an answer");
  return reply;
}

// Sends a command to the mock server in state_dir, waiting up to timeout_ms for it to come up.
// Returns the server's answer line ("ok" or "error: ..."). Throws std::runtime_error when unreachable.
inline std::string request(const std::string& state_dir, const std::string& line, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string endpoint;
  while (true) {
    endpoint = read_state_file(state_dir, "control");
    sockaddr_in addr;
    if (!endpoint.empty() && parse_endpoint(endpoint, addr)) {
      const int fd = connect_endpoint(addr, timeout_ms);
      if (fd >= 0) {
        try {
          std::string reply = exchange_line(fd, line);
          close(fd);
          return reply;
        } catch (...) {
          close(fd);
          throw;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    // The server may still be starting: poll for its state file, bounded by the deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("no mock_kafka server reachable via " + state_dir + "/control" +
                           (endpoint.empty() ? " (file missing)" : " (" + endpoint + ")"));
}

}  // namespace cdc::kafka::mockctl
