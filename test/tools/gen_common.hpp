// Shared helpers of gen_events: deterministic randomness, Kafka's partition hash, text encoders
// (JSON, COPY text, CSV, base64 decimals), a buffered stdout sink and a small option parser.
// Standard library only, so the generator builds even when the core library does not.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gen {

// A command-line mistake: main prints it with the usage hint and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Randomness. Everything derives from splitmix64 so a seed fully determines every byte emitted,
// on every platform (no std::uniform_*_distribution, whose output is implementation-defined).

// One splitmix64 finalisation step: a strong 64-bit mix used both as a stream and as a hash.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Hashes a tuple of integers into a seed, so a row can be a pure function of (seed, key, version).
inline uint64_t hash_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (uint64_t p : parts) h = mix64(h ^ mix64(p));
  return h;
}

// A small deterministic generator (splitmix64 stream).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // Next raw 64-bit value.
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by multiply-shift (n > 0); the tiny bias is irrelevant for test data.
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  // Uniform in [lo, hi] inclusive.
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1)); }
  // True with probability num/den.
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
// Partitioning: Kafka's default partitioner (murmur2 of the key bytes, made positive, modulo the
// partition count), so our placement is exactly what a real producer would choose for that key.

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), bit for bit.
inline uint32_t kafka_murmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995, r = 24;
  const size_t len = data.size();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  uint32_t h = 0x9747b28cU ^ static_cast<uint32_t>(len);
  for (size_t i = 0; i + 4 <= len; i += 4) {
    uint32_t k = p[i] | (p[i + 1] << 8) | (p[i + 2] << 16) | (static_cast<uint32_t>(p[i + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = len & ~size_t{3};
  switch (len % 4) {
    case 3: h ^= static_cast<uint32_t>(p[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(p[tail + 1]) << 8; [[fallthrough]];
    case 1: h ^= p[tail]; h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// The partition Kafka's default partitioner picks for these key bytes.
inline int partition_for(std::string_view key, int partitions) {
  return static_cast<int>((kafka_murmur2(key) & 0x7fffffffU) % static_cast<uint32_t>(partitions));
}

// ---------------------------------------------------------------------------------------------
// Text encoders, all appending to a std::string that is reused between events (no allocation
// once warm), which is what keeps 200k events well under a second.

// The schema of Debezium MySQL's `source` block, as it stands in a value's schema envelope.
inline const char* debezium_mysql_source_schema() {
  return
      "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
      "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
      "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
      "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
      "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
      "\"parameters\":{\"allowed\":\"true,last,false,incremental\"},\"default\":\"false\",\"field\":\"snapshot\"},"
      "{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
      "{\"type\":\"string\",\"optional\":true,\"field\":\"table\"},"
      "{\"type\":\"int64\",\"optional\":false,\"field\":\"server_id\"},"
      "{\"type\":\"string\",\"optional\":false,\"field\":\"file\"},"
      "{\"type\":\"int64\",\"optional\":false,\"field\":\"pos\"},"
      "{\"type\":\"int32\",\"optional\":false,\"field\":\"row\"}],"
      "\"optional\":false,\"name\":\"io.debezium.connector.mysql.Source\",\"field\":\"source\"}";
}

// Appends a signed integer in decimal.
inline void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// Appends an unscaled decimal (e.g. 1234 with scale 2) as its exact text "12.34" / "-0.05".
inline void append_decimal(std::string& out, int64_t unscaled, int scale) {
  uint64_t mag = unscaled < 0 ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  if (unscaled < 0) out.push_back('-');
  char frac[20];
  for (int i = scale - 1; i >= 0; --i, mag /= 10) frac[i] = static_cast<char>('0' + mag % 10);
  append_int(out, static_cast<int64_t>(mag));
  if (scale == 0) return;
  out.push_back('.');
  out.append(frac, static_cast<size_t>(scale));
}

// Appends a JSON string literal. Non-ASCII UTF-8 passes through raw, as Jackson (Debezium) does.
// for_copy doubles every backslash it writes, producing JSON already in COPY text escaping: that
// lets the writer build values straight into the output buffer (JSON has no raw tabs/newlines,
// so backslashes are the only thing COPY escaping would change).
inline void append_json_string(std::string& out, std::string_view s, bool for_copy = false) {
  static const char hex[] = "0123456789abcdef";
  const char* bs = for_copy ? "\\\\" : "\\";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out += bs;
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out += bs; break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      default:
        out += "u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Appends s with PostgreSQL COPY text escaping (backslash, tab, newline, CR).
inline void append_copy_escaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(s.data() + start, i - start);
    out.push_back('\\');
    out.push_back(c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

// Appends s as one CSV field (PostgreSQL CSV defaults): quoted only when it must be, and an empty
// string is quoted so it stays distinct from NULL (an unquoted empty field).
inline void append_csv_text(std::string& out, std::string_view s) {
  if (!s.empty() && s.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// Appends an unscaled decimal as Debezium's "precise" encoding: base64 of the minimal big-endian
// two's-complement bytes (java.math.BigInteger.toByteArray), as a JSON string.
inline void append_decimal_base64(std::string& out, int64_t unscaled) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(unscaled) >> (56 - 8 * i));
  int first = 0;  // drop leading bytes that only repeat the sign
  while (first < 7 && ((bytes[first] == 0x00 && !(bytes[first + 1] & 0x80)) ||
                       (bytes[first] == 0xff && (bytes[first + 1] & 0x80))))
    ++first;
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.push_back('"');
  for (int i = first; i < 8; i += 3) {
    const int n = 8 - i < 3 ? 8 - i : 3;
    uint32_t v = bytes[i] << 16 | (n > 1 ? bytes[i + 1] << 8 : 0) | (n > 2 ? bytes[i + 2] : 0);
    out.push_back(b64[v >> 18]);
    out.push_back(b64[(v >> 12) & 63]);
    out.push_back(n > 1 ? b64[(v >> 6) & 63] : '=');
    out.push_back(n > 2 ? b64[v & 63] : '=');
  }
  out.push_back('"');
}

// ---------------------------------------------------------------------------------------------
// Output: a buffered writer flushed in large fwrite chunks.

class Sink {
 public:
  explicit Sink(FILE* f, std::string what) : f_(f), what_(std::move(what)) { buf.reserve(kChunk + (1 << 16)); }
  // The buffer callers append to directly; call maybe_flush() after each record.
  std::string buf;
  // Writes the buffer out once it holds a large chunk.
  void maybe_flush() {
    if (buf.size() >= kChunk) flush();
  }
  // Writes everything buffered; throws on a write error (e.g. disk full, closed pipe).
  void flush() {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f_) != buf.size())
      throw std::runtime_error("write to " + what_ + " failed: " + std::strerror(errno));
    buf.clear();
  }
  // Final flush, then fflush so errors on the last block are reported too.
  void finish() {
    flush();
    if (std::fflush(f_) != 0) throw std::runtime_error("write to " + what_ + " failed: " + std::strerror(errno));
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  FILE* f_;
  std::string what_;
};

// ---------------------------------------------------------------------------------------------
// Command-line options: "--name value", "--name=value" or a bare "--flag".

class Args {
 public:
  // Parses argv[first..]; flag_names lists the options that take no value.
  Args(int argc, char** argv, int first, const std::vector<std::string>& flag_names) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0 || a.size() < 3) throw UsageError("unexpected argument '" + a + "'");
      std::string name = a.substr(2), value;
      const size_t eq = name.find('=');
      bool is_flag = false;
      for (const auto& f : flag_names) is_flag |= (f == name);
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      } else if (!is_flag) {
        if (i + 1 >= argc) throw UsageError("option --" + name + " needs a value");
        value = argv[++i];
      }
      if (values_.count(name)) throw UsageError("option --" + name + " given twice");
      values_[name] = value;
    }
  }
  // True when the option was given.
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  // The option's text, or the default when absent.
  std::string str(const std::string& name, const std::string& def) const {
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  // A mandatory integer option within [lo, hi].
  int64_t need_int(const std::string& name, int64_t lo, int64_t hi) const {
    if (!has(name)) throw UsageError("missing required option --" + name);
    return get_int(name, 0, lo, hi);
  }
  // An optional integer option within [lo, hi].
  int64_t get_int(const std::string& name, int64_t def, int64_t lo, int64_t hi) const {
    auto it = values_.find(name);
    if (it == values_.end()) return def;
    const std::string& s = it->second;
    int64_t v = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size())
      throw UsageError("option --" + name + " wants an integer, got '" + s + "'");
    if (v < lo || v > hi)
      throw UsageError("option --" + name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                       ", got " + s);
    return v;
  }
  // Rejects any option not in `known`, so typos fail loudly instead of being ignored.
  void only(const std::vector<std::string>& known) const {
    for (const auto& kv : values_) {
      bool ok = false;
      for (const auto& k : known) ok |= (k == kv.first);
      if (!ok) throw UsageError("unknown option --" + kv.first);
    }
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace gen
