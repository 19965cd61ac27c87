// libFuzzer target: every decoder (decode and decode_all) and the TableBatch behind them.
//
// Input layout (see test/fuzz/README.md; test/fuzz/run.sh builds seeds in this layout):
//   byte 0   selector: bits 0-2 pick the format (0 debezium, 1 flink-debezium, 2 dms, 3 canal,
//            4 maxwell, 5 json, 6 and 7 all six in turn); bit 3 turns the decoder option
//            zero_date_as_null off; bits 4-7 rotate the column types of the typed batch
//   byte 1   flags: bit 0 key absent (null pointer), bit 1 value absent (tombstone), bit 2 key the
//            batch by the Kafka key's fields (when it has some), bit 3 two key columns; batch
//            options: bit 4 unavailable_value (Debezium's placeholder), bit 5 append, bit 6
//            op_field (the shape's last column)
//   byte 2-3 key length, little endian, clamped to what follows
//   rest     the key bytes, then the value bytes
// Key and value are copied into buffers of exactly their size, so ASan sees any read past either.
//
// For each chosen format, a fresh decoder runs decode(), decode_all(), decode() of the value's
// first half and decode_all() again (reuse with a shorter and a longer message). Every byte of every
// view a result holds is read (ASan catches dangling views), the contract of change.hpp is checked
// (a violation aborts: a finding), and every change goes into two TableBatches, one without and one
// with column types, whose shape is made from the first change's field names. The decoder is
// destroyed before the batches' groups() are built, so a batch that kept a view into the decoder's
// buffers is a use-after-free.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/batch.hpp"
#include "core/change.hpp"
#include "core/column_type.hpp"

namespace {

using namespace cdc;

constexpr const char* kFormats[] = {"debezium", "flink-debezium", "dms", "canal", "maxwell", "json"};
constexpr int kFormatCount = 6;

// Type names as format_type() prints them, cycled over the typed batch's columns.
constexpr const char* kTypeNames[] = {
    "text",          "date",          "time(3) without time zone", "time with time zone",
    "timestamp",     "timestamp(6) with time zone", "interval",    "bytea",
    "bit(3)",        "bit varying",   "bit varying(12)",           "numeric(8,4)",
    "numeric",       "numeric(10)",   "bigint",                    "uuid",
    "integer[]",     "date[]",        "text[]",                    "bit(4)[]",
};
constexpr size_t kTypeCount = sizeof(kTypeNames) / sizeof(kTypeNames[0]);
constexpr size_t kMaxColumns = 64;

// Stops the run with a message: libFuzzer reports the abort as a crash with this input.
[[noreturn]] void fail(const char* what, const char* format) {
  std::fprintf(stderr, "decoder_fuzz: contract violated (%s): %s\n", format, what);
  std::abort();
}

// Reads every byte of `s` so ASan checks that the view points into live memory.
volatile unsigned g_sink = 0;
void touch(std::string_view s) {
  unsigned h = 0;
  for (char c : s) h = h * 31 + static_cast<unsigned char>(c);
  g_sink = g_sink + h;
}

void touch_image(const std::vector<FieldValue>& image) {
  for (const FieldValue& f : image) {
    touch(f.name);
    if (static_cast<uint8_t>(f.kind) > static_cast<uint8_t>(ValueKind::Text)) fail("bad ValueKind", "");
    touch(f.text);
  }
}

void touch_change(const DecodedChange& c) {
  if (static_cast<uint8_t>(c.op) > static_cast<uint8_t>(Op::Truncate)) fail("bad Op", "");
  touch(c.source);
  touch_image(c.before);
  touch_image(c.after);
  touch_image(c.key);
}

// A group's COPY text: one line per row, "u", "d" or "s" ("v" in a validate-only group, "a" in an
// archive group, and only there), the metadata fields when the group has them, then one
// tab-separated value per column, with no raw tab, newline or carriage return inside a value
// (they must be escaped).
void check_copy_text(const StageGroup& g) {
  size_t lines = 0, tabs = 0;
  bool line_start = true;
  const size_t fields = g.columns.size() + (g.meta ? kMetaFields : 0);
  for (char c : g.copy_text) {
    if (line_start && (g.validate_only ? c != 'v' : g.archive ? c != 'a' : c != 'u' && c != 'd' && c != 's'))
      fail(g.validate_only ? "validate-only COPY line does not start with v"
                           : "COPY line does not start with u, d or s (a in an archive group)",
           "batch");
    line_start = false;
    if (c == '\r') fail("raw carriage return in COPY text", "batch");
    if (c == '\t') ++tabs;
    if (c == '\n') {
      if (tabs != fields) fail("COPY line has the wrong number of values", "batch");
      tabs = 0;
      ++lines;
      line_start = true;
    }
  }
  if (!line_start) fail("COPY text does not end with a newline", "batch");
  if (lines != g.upserts + g.deletes) fail("COPY text line count differs from upserts + deletes", "batch");
}

// The two batches of one decoder run, made on the first change seen.
struct Batches {
  std::optional<TableBatch> plain;
  std::optional<TableBatch> typed;
  std::optional<TableBatch> semantic;  // typed, with apply options (delete_mode, versions, ...)
  std::string error;
  int64_t offset = 0;

  // Builds the shape from the change's field names (after, before, then key), at most kMaxColumns.
  void init(const DecodedChange& c, uint8_t selector, uint8_t flags) {
    std::vector<std::string> columns;
    std::unordered_set<std::string> seen;
    for (const auto* image : {&c.after, &c.before, &c.key})
      for (const FieldValue& f : *image)
        if (columns.size() < kMaxColumns && seen.insert(std::string(f.name)).second)
          columns.emplace_back(f.name);
    if (columns.empty()) columns.emplace_back("id");
    std::vector<int> key;
    if ((flags & 4) != 0) {
      for (const FieldValue& f : c.key)
        for (size_t i = 0; i < columns.size(); ++i)
          if (columns[i] == f.name) {
            bool dup = false;
            for (int k : key) dup = dup || k == static_cast<int>(i);
            if (!dup) key.push_back(static_cast<int>(i));
          }
    }
    if (key.empty()) {
      key.push_back(0);
      if ((flags & 8) != 0 && columns.size() > 1) key.push_back(1);
    }
    std::vector<ColumnType> types;
    for (size_t i = 0; i < columns.size(); ++i)
      types.push_back(column_type_from_name(kTypeNames[(i + (selector >> 4)) % kTypeCount]));
    TableShape shape(columns, key);
    if ((flags & 16) != 0) shape.unavailable_value = "__debezium_unavailable_value";
    shape.append = (flags & 32) != 0;
    if ((flags & 64) != 0) shape.op_field = columns.back();
    plain.emplace(shape);
    shape.types = std::move(types);
    // Each format's conversion rules (Debezium, base64 bytes, 0x hex bytes, plain).
    shape.encoding = static_cast<SourceEncoding>((selector >> 2) % 4);
    typed.emplace(shape);
    // The apply options, from the same bytes.
    shape.delete_mode = static_cast<DeleteMode>(selector % 5);
    shape.truncate_mode = static_cast<TruncateMode>((selector >> 3) % 3);
    shape.version_from = shape.append ? VersionFrom::None : static_cast<VersionFrom>((flags >> 1) % 4);
    shape.version_column = static_cast<int>(columns.size()) - 1;
    shape.version_order = static_cast<VersionOrder>(selector % 3);
    shape.changelog = shape.append;
    shape.stage_meta = true;
    semantic.emplace(std::move(shape));
  }

  void add(const DecodedChange& c, uint8_t selector, uint8_t flags) {
    if (!plain) init(c, selector, flags);
    for (TableBatch* b : {&*plain, &*typed}) {
      error.clear();
      bool ok = b->check(c, error);
      touch(error);
      error.clear();
      if (b->add(c, error) != ok) fail("check() and add() disagree", "batch");
      touch(error);
      if (c.op == Op::Truncate && !b->truncate_first()) fail("truncate not recorded", "batch");
    }
    error.clear();
    bool ok = semantic->check(c, error);
    touch(error);
    error.clear();
    if (semantic->add(c, error, ChangeMeta{"topic", static_cast<int32_t>(offset % 3), offset}) != ok)
      fail("check() and add() disagree (apply options)", "batch");
    offset++;
    touch(error);
  }

  // Builds the COPY groups and reads them back.
  void flush() {
    if (!plain) return;
    for (TableBatch* b : {&*plain, &*typed, &*semantic}) {
      size_t rows = 0;
      for (const StageGroup& g : b->groups()) {
        touch(g.copy_text);
        for (int c : g.columns)
          if (c < 0 || static_cast<size_t>(c) >= b->shape().columns.size()) fail("group column out of range", "batch");
        if (!g.validate_only && !g.archive) rows += g.upserts + g.deletes;
        check_copy_text(g);
      }
      if (rows != b->rows()) fail("groups() lost or invented rows", "batch");
      b->clear();
      if (!b->empty() || !b->groups().empty()) fail("clear() left rows", "batch");
    }
  }
};

void check_result(const DecodeResult& r, const char* format) {
  if (static_cast<uint8_t>(r.status) > static_cast<uint8_t>(DecodeStatus::Error)) fail("bad status", format);
  touch(r.reason);
  if (r.status != DecodeStatus::Change && r.reason.empty()) fail("Skip/Error without a reason", format);
}

std::unique_ptr<Decoder> make(int format, bool zero_dates_kept) {
  DecoderOptions options;
  options.zero_date_as_null = !zero_dates_kept;
  return make_decoder(kFormats[format], options);
}

// One decoder through its paces on one key/value pair.
void run_format(int format, const char* key, size_t key_len, const char* value, size_t value_len,
                uint8_t selector, uint8_t flags) {
  const char* name = kFormats[format];
  auto decoder = make(format, (selector & 8) != 0);
  Batches batches;

  DecodedChange one;
  std::vector<DecodedChange> all;
  size_t count = 0;

  auto single = [&](size_t len) {
    one.clear();
    DecodeResult r = decoder->decode(key, key_len, value, len, one);
    check_result(r, name);
    if (r.status == DecodeStatus::Change) {
      touch_change(one);
      batches.add(one, selector, flags);
    }
    return r.status;
  };
  auto multi = [&](size_t len) {
    count = 12345;
    DecodeResult r = decoder->decode_all(key, key_len, value, len, all, count);
    check_result(r, name);
    if (r.status == DecodeStatus::Change) {
      if (count == 0) fail("decode_all: Change with count 0", name);
      if (count > all.size()) fail("decode_all: count beyond out.size()", name);
      for (size_t i = 0; i < count; ++i) touch_change(all[i]);
      for (size_t i = 0; i < count; ++i) batches.add(all[i], selector, flags);
    }
    return r.status;
  };

  DecodeStatus s1 = single(value_len);
  DecodeStatus s2 = multi(value_len);
  // decode() returns the first change of what decode_all() returns: same verdict on one message.
  if ((s1 == DecodeStatus::Change) != (s2 == DecodeStatus::Change)) fail("decode and decode_all disagree", name);
  if (value != nullptr) {
    single(value_len / 2);
    multi(value_len / 2);
  }
  if (multi(value_len) != s2) fail("decode_all not repeatable", name);
  if (single(value_len) != s1) fail("decode not repeatable", name);

  decoder.reset();  // the batches must own what they keep
  batches.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t selector = data[0];
  const uint8_t flags = data[1];
  size_t key_len = static_cast<size_t>(data[2]) | (static_cast<size_t>(data[3]) << 8);
  data += 4;
  size -= 4;
  if (key_len > size) key_len = size;
  const size_t value_len = size - key_len;

  // Exact-size heap copies: a read past the end of either is an ASan report.
  std::unique_ptr<char[]> key(new char[key_len]);
  std::unique_ptr<char[]> value(new char[value_len]);
  if (key_len) std::memcpy(key.get(), data, key_len);
  if (value_len) std::memcpy(value.get(), data + key_len, value_len);
  const char* k = (flags & 1) ? nullptr : key.get();
  const char* v = (flags & 2) ? nullptr : value.get();
  const size_t kl = k ? key_len : 0;
  const size_t vl = v ? value_len : 0;

  const int pick = selector & 7;
  if (pick < kFormatCount) {
    run_format(pick, k, kl, v, vl, selector, flags);
  } else {
    for (int f = 0; f < kFormatCount; ++f) run_format(f, k, kl, v, vl, selector, flags);
  }
  return 0;
}
