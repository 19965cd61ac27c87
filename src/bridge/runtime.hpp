// What the C++ runtime (core + worker) offers the PostgreSQL side.
//
// Neutral header: standard C++ only. Every function may throw std::exception; PostgreSQL-side
// callers invoke them inside the catch-all wrapper that turns exceptions into ereport(ERROR).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cdc::runtime {

// The worker's whole life: consume, decode, batch, apply; returns when asked to stop.
void run_worker();

// A full load's worker (cdc_sync.full_loads `load_id`, worker `index`): plans the chunks (worker 0),
// loads chunks until none is left, ends the load; returns when it is done or the worker must stop.
void run_load(int load_id, int index);

// Runs `sql` at the MySQL server a connection (its options, JSON) reaches; its rows as a JSON
// array of arrays of strings and nulls.
std::string mysql_query_json(const std::string& options_json, const std::string& sql);

// True when `format` names a supported message format.
bool is_known_format(const std::string& format);

// "" when librdkafka accepts the property, else its complaint.
std::string check_kafka_property(const std::string& name, const std::string& value);

struct PartitionMark {
  std::string topic;
  int32_t partition = 0;
  int64_t low = 0;
  int64_t high = 0;
};

// True when `pattern` matches the whole of `topic` (the host's regex engine); may throw.
using TopicMatcher = std::function<bool(const std::string& pattern, const std::string& topic)>;

// Low and high watermarks of every partition of a pipeline's `topics` (names, and patterns that
// start with '^', matched by `matches`), asked of the brokers now. The brokers are asked in short
// slices of the timeout with `check_interrupts` called between them (it throws to give up), so a
// cancel is honoured within a fraction of a second even when a broker does not answer.
std::vector<PartitionMark> query_watermarks(const std::string& brokers,
                                            const std::map<std::string, std::string>& kafka,
                                            const std::vector<std::string>& topics, const TopicMatcher& matches,
                                            int timeout_ms, const std::function<void()>& check_interrupts);

}  // namespace cdc::runtime
