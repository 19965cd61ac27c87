// Helpers shared by the decoder unit tests (test/unit/*_decoder_test.cpp): reading the shared
// samples, decoding std::strings, reading row images, Flink's changelog notation, replaying
// changes into a table, random byte mutations and throughput timing.
//
// Header-only: each test file is its own executable of one translation unit. The allocation
// counting operator new/delete replacements are in allocation_counter.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/change.hpp"

namespace cdc::testing {

// ---------------------------------------------------------------- samples

// The contents of a file under the samples folder (CDC_SAMPLES_DIR, set by CMakeLists.txt).
inline std::string sample(const std::string& rel) {
  std::ifstream in(std::string(CDC_SAMPLES_DIR) + "/" + rel, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open sample " + rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The non-empty lines of a sample file, each without its line end (several files have no
// trailing newline).
inline std::vector<std::string> sample_lines(const std::string& rel) {
  std::istringstream in(sample(rel));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The JSON lines of a sample file: licence headers and blank lines left out.
inline std::vector<std::string> json_lines(const std::string& rel) {
  std::vector<std::string> lines;
  for (std::string& line : sample_lines(rel)) {
    if (line[0] == '{') lines.push_back(std::move(line));
  }
  return lines;
}

// ---------------------------------------------------------------- decoding std::strings

// One decode with an optional key (a null std::string* means "no key").
inline DecodeResult decode(Decoder& d, const std::string& value, DecodedChange& out,
                           const std::string* key = nullptr) {
  return d.decode(key ? key->data() : nullptr, key ? key->size() : 0, value.data(), value.size(),
                  out);
}

// Decodes all changes of one message, with an optional Kafka key.
inline DecodeResult decode_all(Decoder& d, const std::string& value,
                               std::vector<DecodedChange>& out, size_t& count,
                               const std::string* key = nullptr) {
  return d.decode_all(key ? key->data() : nullptr, key ? key->size() : 0, value.data(),
                      value.size(), out, count);
}

// ---------------------------------------------------------------- row images

// A field copied out of the decoder (views die at the next decode()).
struct Field {
  ValueKind kind;
  std::string text;
  bool operator==(const Field& o) const { return kind == o.kind && text == o.text; }
};
using Row = std::map<std::string, Field>;

// Copies a row image into owned storage.
inline Row to_row(const std::vector<FieldValue>& fields) {
  Row row;
  for (const FieldValue& f : fields) row[std::string(f.name)] = Field{f.kind, std::string(f.text)};
  return row;
}

// The field `name` of an image, or null.
inline const FieldValue* field(const std::vector<FieldValue>& row, std::string_view name) {
  for (const FieldValue& f : row) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The text of field `name`: "null" for a null, "<missing>" when absent.
inline std::string text_of(const std::vector<FieldValue>& row, std::string_view name) {
  const FieldValue* f = field(row, name);
  if (f == nullptr) return "<missing>";
  return f->kind == ValueKind::Null ? "null" : std::string(f->text);
}

// Asserts that each message decodes to exactly one insert with an empty source (it names no
// table: the topic decides) whose after image has `field` = `text`.
template <typename Messages>
inline void expect_unnamed_inserts(Decoder& d, const Messages& messages, std::string_view field, const char* text) {
  std::vector<DecodedChange> out;
  size_t count = 0;
  for (const auto& m : messages) {
    DecodeResult r = decode_all(d, m, out, count);
    ASSERT_EQ(r.status, DecodeStatus::Change) << m << ": " << r.reason;
    ASSERT_EQ(count, 1u) << m;
    EXPECT_EQ(out[0].source, "") << m;
    EXPECT_EQ(out[0].op, Op::Insert) << m;
    EXPECT_EQ(text_of(out[0].after, field), text) << m;
  }
}

// ---------------------------------------------------------------- Flink changelogs, replays

// Turns a column's text into the text Flink prints for it.
using TextFormat = std::string (*)(const std::string&);

// A row image in Flink's changelog notation: +I(101,scooter,...,3.14). `weight` formats the
// weight column (a null `weight`: the text as written).
inline std::string flink_changelog_row(const char* tag, const std::vector<FieldValue>& row,
                                       TextFormat weight) {
  std::string weight_text = text_of(row, "weight");
  return std::string(tag) + "(" + text_of(row, "id") + "," + text_of(row, "name") + "," +
         text_of(row, "description") + "," + (weight ? weight(weight_text) : weight_text) + ")";
}

// The changelog lines a change stands for, as Flink writes them.
inline void append_changelog(const DecodedChange& c, std::vector<std::string>& log,
                             TextFormat weight = nullptr) {
  switch (c.op) {
    case Op::Insert:
      log.push_back(flink_changelog_row("+I", c.after, weight));
      break;
    case Op::Update:
      log.push_back(flink_changelog_row("-U", c.before, weight));
      log.push_back(flink_changelog_row("+U", c.after, weight));
      break;
    case Op::Delete:
      log.push_back(flink_changelog_row("-D", c.before, weight));
      break;
    case Op::Truncate:
      log.push_back("truncate");
      break;
  }
}

// A table as text: primary key -> column -> value text ("null" for nulls).
using Table = std::map<std::string, std::map<std::string, std::string>>;

// Applies a change the way the batch layer does: upsert by the after image's key, delete by the
// before image's key (an update's before image is not looked at); a truncate empties the table.
inline void apply(const DecodedChange& c, const std::string& key_column, Table& table) {
  if (c.op == Op::Truncate) {
    table.clear();
    return;
  }
  const std::vector<FieldValue>& image = c.op == Op::Delete ? c.before : c.after;
  std::string key = text_of(image, key_column);
  if (c.op == Op::Delete) {
    table.erase(key);
    return;
  }
  for (const FieldValue& f : c.after) table[key][std::string(f.name)] = text_of(c.after, f.name);
}

// ---------------------------------------------------------------- mutations and speed

// What random mutations write: JSON's structural characters, the letters of its literals, number
// characters, and two bytes that are never valid UTF-8 where they land.
inline constexpr char kMutationBytes[] = "{}[]\":,\\ nulltrue0123456789.eE-+\x80\xff";

// A random byte of kMutationBytes.
inline char random_mutation_byte(std::mt19937& rng) {
  return kMutationBytes[rng() % (sizeof kMutationBytes - 1)];
}

// Overwrites one to four random bytes of `m` (a cheap stand-in for a fuzzer's mutations).
inline void mutate(std::string& m, std::mt19937& rng) {
  for (int k = rng() % 4; k >= 0; --k) m[rng() % m.size()] = random_mutation_byte(rng);
}

// Decodes `n` messages round-robin without a key, with decode(), or with decode_all() when `all`
// is set, and returns messages per second; `columns` counts the columns of the (first) change's
// after image.
inline double decode_rate(Decoder& decoder, const std::vector<std::string>& messages, int n,
                          size_t& columns, bool all = false) {
  DecodedChange one;
  std::vector<DecodedChange> changes;
  size_t count = 0;
  columns = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string& m = messages[size_t(i) % messages.size()];
    if (all) {
      decoder.decode_all(nullptr, 0, m.data(), m.size(), changes, count);
      columns += changes[0].after.size();
    } else {
      decoder.decode(nullptr, 0, m.data(), m.size(), one);
      columns += one.after.size();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return n / secs;
}

}  // namespace cdc::testing
