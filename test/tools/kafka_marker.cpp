// kafka_marker: appends a transaction marker (a control record: COMMIT or ABORT) to a partition.
//
//   kafka_marker --brokers LIST --topic T [--partition P] [--abort]
//
// Transactional producers (Kafka Connect's exactly-once source, Flink's exactly-once sink) end each
// transaction with such a marker: it takes an offset in the log but is never delivered to
// consumers. librdkafka's mock cluster writes none (its transactions are bookkeeping only), so this
// tool writes one the way a broker does: a ProduceRequest (v3) carrying a RecordBatch whose
// attributes say transactional + control, holding one control record. The mock stores record
// batches as they come, so consumers then meet a real marker. Tries each broker until the
// partition's leader accepts it. Exits 0 when it was written.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

// CRC-32C (Castagnoli), as RecordBatch v2 carries it.
uint32_t crc32c(const uint8_t* p, size_t n) {
  static uint32_t table[256];
  if (table[1] == 0) {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      table[i] = c;
    }
  }
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Big-endian writers and the zig-zag varint of Kafka's record format.
struct Out {
  std::vector<uint8_t> b;
  void i8(int8_t v) { b.push_back(uint8_t(v)); }
  void i16(int16_t v) { for (int s = 8; s >= 0; s -= 8) b.push_back(uint8_t(uint16_t(v) >> s)); }
  void i32(int32_t v) { for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(uint32_t(v) >> s)); }
  void i64(int64_t v) { for (int s = 56; s >= 0; s -= 8) b.push_back(uint8_t(uint64_t(v) >> s)); }
  void str(const std::string& s) { i16(int16_t(s.size())); b.insert(b.end(), s.begin(), s.end()); }
  void varint(int64_t v) {
    uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
    while (z >= 0x80) { b.push_back(uint8_t(z | 0x80)); z >>= 7; }
    b.push_back(uint8_t(z));
  }
  void bytes(const std::vector<uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); }
  void put_i32_at(size_t at, uint32_t v) { for (int k = 0; k < 4; ++k) b[at + k] = uint8_t(v >> (24 - 8 * k)); }
};

// A RecordBatch v2 with one control record: key (version 0, type 1 commit / 0 abort), value
// (version 0, coordinator epoch 0). Attributes 0x30: transactional (0x10) | control (0x20).
std::vector<uint8_t> marker_batch(bool commit) {
  Out key, value, rec, batch;
  key.i16(0);
  key.i16(commit ? 1 : 0);
  value.i16(0);
  value.i32(0);
  Out body;  // one record, without its length prefix
  body.i8(0);       // attributes
  body.varint(0);   // timestamp delta
  body.varint(0);   // offset delta
  body.varint(int64_t(key.b.size()));
  body.bytes(key.b);
  body.varint(int64_t(value.b.size()));
  body.bytes(value.b);
  body.varint(0);   // headers
  rec.varint(int64_t(body.b.size()));
  rec.bytes(body.b);

  batch.i64(0);   // base offset (the broker assigns it)
  batch.i32(0);   // batch length, set below
  batch.i32(-1);  // partition leader epoch
  batch.i8(2);    // magic
  size_t crc_at = batch.b.size();
  batch.i32(0);   // crc, set below
  size_t crc_from = batch.b.size();
  batch.i16(0x30);
  batch.i32(0);   // last offset delta
  int64_t now_ms = int64_t(time(nullptr)) * 1000;
  batch.i64(now_ms);
  batch.i64(now_ms);
  batch.i64(4242);  // producer id
  batch.i16(0);     // producer epoch
  batch.i32(-1);    // base sequence
  batch.i32(1);     // record count
  batch.bytes(rec.b);
  batch.put_i32_at(8, uint32_t(batch.b.size() - 12));
  batch.put_i32_at(crc_at, crc32c(batch.b.data() + crc_from, batch.b.size() - crc_from));
  return batch.b;
}

// A ProduceRequest v3 (acks 1) of `records` to topic/partition, framed with its size.
std::vector<uint8_t> produce_request(const std::string& topic, int32_t partition, const std::vector<uint8_t>& records) {
  Out r;
  r.i32(0);  // size, set below
  r.i16(0);  // api key: Produce
  r.i16(3);  // api version
  r.i32(1);  // correlation id
  r.str("kafka_marker");
  r.i16(-1);  // transactional id: null
  r.i16(1);   // acks
  r.i32(10000);
  r.i32(1);   // topics
  r.str(topic);
  r.i32(1);   // partitions
  r.i32(partition);
  r.i32(int32_t(records.size()));
  r.bytes(records);
  r.put_i32_at(0, uint32_t(r.b.size() - 4));
  return r.b;
}

// Sends `request` to host:port and returns the partition's error code from the response (-1 when
// the broker could not be reached or answered something unreadable).
int send_produce(const std::string& host, const std::string& port, const std::vector<uint8_t>& request) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  bool ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  freeaddrinfo(res);
  if (!ok) {
    if (fd >= 0) close(fd);
    return -1;
  }
  ok = write(fd, request.data(), request.size()) == ssize_t(request.size());
  std::vector<uint8_t> in;
  uint8_t buf[4096];
  while (ok) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.insert(in.end(), buf, buf + n);
    if (in.size() >= 4 && in.size() >= 4 + ((size_t(in[0]) << 24) | (size_t(in[1]) << 16) | (size_t(in[2]) << 8) | in[3]))
      break;
  }
  close(fd);
  // size, correlation id, topics count, topic name, partitions count, partition, error code
  if (in.size() < 14) return -1;
  size_t at = 12;
  size_t name_len = (size_t(in[at]) << 8) | in[at + 1];
  at += 2 + name_len + 4 + 4;
  if (in.size() < at + 2) return -1;
  return int16_t((in[at] << 8) | in[at + 1]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic;
  int32_t partition = 0;
  bool commit = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--brokers" && i + 1 < argc) brokers = argv[++i];
    else if (a == "--topic" && i + 1 < argc) topic = argv[++i];
    else if (a == "--partition" && i + 1 < argc) partition = std::atoi(argv[++i]);
    else if (a == "--abort") commit = false;
    else {
      std::cerr << "usage: kafka_marker --brokers LIST --topic T [--partition P] [--abort]\n";
      return 2;
    }
  }
  if (brokers.empty() || topic.empty()) {
    std::cerr << "usage: kafka_marker --brokers LIST --topic T [--partition P] [--abort]\n";
    return 2;
  }
  const std::vector<uint8_t> request = produce_request(topic, partition, marker_batch(commit));
  int last = -1;
  size_t start = 0;
  while (start <= brokers.size()) {
    size_t comma = brokers.find(',', start);
    std::string broker = brokers.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? brokers.size() + 1 : comma + 1;
    size_t colon = broker.rfind(':');
    if (colon == std::string::npos) continue;
    last = send_produce(broker.substr(0, colon), broker.substr(colon + 1), request);
    if (last == 0) return 0;  // written by the leader
  }
  std::cerr << "kafka_marker: no broker accepted the marker (last error code " << last << ")\n";
  return 1;
}
