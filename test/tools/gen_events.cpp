// gen_events: deterministic Debezium (MySQL connector, JSON converter) change events for the demo,
// the crash-consistency test and the benchmark.
//
// Output is one Kafka message per line in PostgreSQL COPY text format, "partition \t key \t value",
// which kafka_produce reads. The partition is Kafka's default partitioner applied to the key, so all
// changes of one key stay in one partition and in order, as with a real Debezium connector.
// See kUsage for the subcommands; every byte depends only on the arguments (seed included).
#include "gen_common.hpp"
#include "gen_tables.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gen {
namespace {

const char* const kUsage = R"(usage:
  gen_events tpcds --table store_sales|store_returns --rows N --partitions P
             [--seed S] [--update-pct 20] [--delete-pct 5] [--db tpcds] [--ddl]
  gen_events random --keys K --events E --partitions P [--seed S] [--db shop]
             [--table items] [--model FILE] [--from-event I] [--count C] [--ddl]
  gen_events bench --rows N --partitions P --phase insert|update|delete [--seed S]
             [--db bench] [--table store_sales] [--csv FILE] [--ddl]
  gen_events --help

Common options:
  --with-schema          wrap key and value in Debezium's {"schema":...,"payload":...} envelope
  --decimals MODE        string (default, "12.34"), double (JSON number 12.34) or precise
                         (base64 unscaled bytes, Connect Decimal): Debezium's decimal.handling.mode
  --tombstones           follow each delete with a tombstone (key, NULL value), like Debezium
  --progress-every K     print "generated K events..." to stderr every K events
  --ddl                  print the PostgreSQL CREATE TABLE for the target table instead of events
  --ddl-schema NAME      schema used by --ddl (default public)

Output (stdout): one message per line, COPY text format: partition<TAB>key<TAB>value, NULL as \N.
Partition = Kafka murmur2(compact key JSON) % P. Seeds default to 1.

tpcds:  N inserts interleaved with updates (update-pct of N) and deletes (delete-pct of N) of
        live keys; prints "final rows: X" (live keys at the end) to stderr.
random: E events on keys 1..K: absent key -> insert, present -> update (70%) or delete (30%).
        Event i (0-based) has seq = i+1. --model FILE gets the final table of the whole stream as
        COPY text "id seq val amount note" sorted by id. --from-event/--count emit a slice only.
bench:  keys ticket = i/64+1, item = i%64+1 for i < N; phase insert emits N inserts, phase update
        N updates of those keys, phase delete N deletes of them. --csv FILE writes this phase's
        after-images as header-less CSV.
)";

enum class DecimalMode { String, Double, Precise };

// Everything that shapes an event, common to all subcommands.
struct Common {
  int partitions = 1;
  uint64_t seed = 1;
  std::string db;
  bool with_schema = false;
  bool tombstones = false;
  DecimalMode decimals = DecimalMode::String;
  int64_t progress_every = 0;
  bool ddl = false;
  std::string ddl_schema = "public";
};

// The options every subcommand accepts, besides its own.
const std::vector<std::string> kCommonOptions = {"partitions", "seed",           "db",  "with-schema", "tombstones",
                                                 "decimals",   "progress-every", "ddl", "ddl-schema",  "help"};
const std::vector<std::string> kFlags = {"with-schema", "tombstones", "ddl", "help"};

// Reads the common options; partitions is required unless only DDL is asked for.
Common parse_common(const Args& a, const std::string& default_db) {
  Common c;
  c.ddl = a.has("ddl");
  c.partitions = static_cast<int>(c.ddl ? a.get_int("partitions", 1, 1, 1 << 20) : a.need_int("partitions", 1, 1 << 20));
  c.seed = static_cast<uint64_t>(a.get_int("seed", 1, INT64_MIN, INT64_MAX));
  c.db = a.str("db", default_db);
  c.with_schema = a.has("with-schema");
  c.tombstones = a.has("tombstones");
  const std::string d = a.str("decimals", "string");
  if (d == "string") c.decimals = DecimalMode::String;
  else if (d == "double") c.decimals = DecimalMode::Double;
  else if (d == "precise") c.decimals = DecimalMode::Precise;
  else throw UsageError("--decimals must be string, double or precise, got '" + d + "'");
  c.progress_every = a.get_int("progress-every", 0, 0, INT64_MAX);
  c.ddl_schema = a.str("ddl-schema", "public");
  if (c.db.empty()) throw UsageError("--db must not be empty");
  return c;
}

// ---------------------------------------------------------------------------------------------
// Debezium envelope.

constexpr const char* kServerName = "dbserver1";
constexpr int64_t kBaseTsMs = 1700000000000;  // fixed clock: output must not depend on wall time

// Writes Debezium key/value messages for one table into a Sink.
//
// Values are built straight into the output buffer already COPY-escaped (JSON strings written with
// doubled backslashes, constant fragments escaped once up front): no per-event copy or re-scan.
class DebeziumWriter {
 public:
  DebeziumWriter(const Table& t, const Common& c, Sink& out) : t_(t), c_(c), out_(out) {
    for (size_t i = 0; i < t.cols.size(); ++i) {
      if (t.cols[i].key) key_cols_.push_back(i);
      std::string name;
      append_json_string(name, t.cols[i].name);
      field_names_.push_back(copy_escaped(name + ":"));
    }
    std::string mid = ",\"snapshot\":\"false\",\"db\":";
    append_json_string(mid, c.db);
    mid += ",\"table\":";
    append_json_string(mid, t.name);
    source_mid_ = copy_escaped(mid + ",\"server_id\":1,\"file\":\"mysql-bin.000003\",\"pos\":");
    if (c.with_schema) build_schemas();
  }

  // Emits one change: op 'c' (after only), 'u' (both) or 'd' (before only). event_no drives the
  // clock and binlog position so they increase along the stream.
  void write(char op, const Row* before, const Row* after, uint64_t event_no) {
    key_.clear();
    append_key_payload(key_, after ? *after : *before);
    const int partition = partition_for(key_, c_.partitions);
    std::string& b = out_.buf;
    append_line_start(b, partition);
    if (c_.with_schema) b += value_schema_prefix_;
    append_payload(b, op, before, after, event_no);
    if (c_.with_schema) b.push_back('}');
    b.push_back('\n');
    if (op == 'd' && c_.tombstones) {  // Debezium's tombstone: same key, NULL value
      append_line_start(b, partition);
      b += "\\N\n";
    }
    out_.maybe_flush();
  }

 private:
  // COPY-escapes a constant fragment once, at construction.
  static std::string copy_escaped(const std::string& s) {
    std::string out;
    append_copy_escaped(out, s);
    return out;
  }

  // Appends "partition \t key \t" for the key in key_.
  void append_line_start(std::string& b, int partition) const {
    append_int(b, partition);
    b.push_back('\t');
    if (c_.with_schema) b += key_schema_prefix_;
    append_copy_escaped(b, key_);
    if (c_.with_schema) b.push_back('}');
    b.push_back('\t');
  }

  // The compact key JSON ({"pk1":v1,...}), unescaped; also the bytes the partition is hashed
  // from, so placement does not change with --with-schema.
  void append_key_payload(std::string& s, const Row& row) const {
    s.push_back('{');
    for (size_t n = 0; n < key_cols_.size(); ++n) {
      if (n) s.push_back(',');
      append_json_string(s, t_.cols[key_cols_[n]].name);
      s.push_back(':');
      append_value(s, key_cols_[n], row[key_cols_[n]], false);
    }
    s.push_back('}');
  }

  // Appends the JSON value of column i; for_copy writes it COPY-escaped.
  void append_value(std::string& s, size_t i, const Cell& cell, bool for_copy) const {
    const Column& col = t_.cols[i];
    if (cell.null) {
      s += "null";
      return;
    }
    switch (col.type) {
      case ColType::Int32:
      case ColType::Int64: append_int(s, cell.num); break;
      case ColType::Text: append_json_string(s, cell.text, for_copy); break;
      case ColType::Decimal:
        if (c_.decimals == DecimalMode::Precise) {
          append_decimal_base64(s, cell.num);
        } else {
          if (c_.decimals == DecimalMode::String) s.push_back('"');
          append_decimal(s, cell.num, col.scale);
          if (c_.decimals == DecimalMode::String) s.push_back('"');
        }
        break;
    }
  }

  // Appends a row image object (COPY-escaped), or null.
  void append_row(std::string& s, const Row* row) const {
    if (!row) {
      s += "null";
      return;
    }
    s.push_back('{');
    for (size_t i = 0; i < row->size(); ++i) {
      if (i) s.push_back(',');
      s += field_names_[i];
      append_value(s, i, (*row)[i], true);
    }
    s.push_back('}');
  }

  // Appends the envelope payload {"before":..,"after":..,"source":{..},"op":..,"ts_ms":..}.
  void append_payload(std::string& s, char op, const Row* before, const Row* after, uint64_t event_no) const {
    const int64_t ts = kBaseTsMs + static_cast<int64_t>(event_no);
    s += "{\"before\":";
    append_row(s, before);
    s += ",\"after\":";
    append_row(s, after);
    s += ",\"source\":{\"version\":\"2.5.0.Final\",\"connector\":\"mysql\",\"name\":\"";
    s += kServerName;
    s += "\",\"ts_ms\":";
    append_int(s, ts);
    s += source_mid_;
    append_int(s, 157 + 1024 * static_cast<int64_t>(event_no));
    s += ",\"row\":0},\"op\":\"";
    s.push_back(op);
    s += "\",\"ts_ms\":";
    append_int(s, ts + 7);  // the connector sees the change a little after the binlog wrote it
    s.push_back('}');
  }

  // The Connect schema of one column, as the JSON converter prints it.
  std::string column_schema(const Column& col) const {
    std::string s = "{\"type\":";
    if (col.type == ColType::Int32) s += "\"int32\"";
    else if (col.type == ColType::Int64) s += "\"int64\"";
    else if (col.type == ColType::Text) s += "\"string\"";
    else if (c_.decimals == DecimalMode::String) s += "\"string\"";
    else if (c_.decimals == DecimalMode::Double) s += "\"double\"";
    else
      s += "\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"" +
           std::to_string(col.scale) + "\",\"connect.decimal.precision\":\"" + std::to_string(col.precision) + "\"}";
    return s + ",\"optional\":" + (col.key ? "false" : "true") + ",\"field\":\"" + col.name + "\"}";
  }

  // Precomputes the constant "{"schema":{...},"payload":" prefixes of keys and values.
  void build_schemas() {
    const std::string prefix = std::string(kServerName) + "." + c_.db + "." + t_.name;
    std::string cols, key_cols;
    for (size_t i = 0; i < t_.cols.size(); ++i) {
      cols += (i ? "," : "") + column_schema(t_.cols[i]);
      if (t_.cols[i].key) key_cols += (key_cols.empty() ? "" : ",") + column_schema(t_.cols[i]);
    }
    key_schema_prefix_ = "{\"schema\":{\"type\":\"struct\",\"fields\":[" + key_cols +
                         "],\"optional\":false,\"name\":\"" + prefix + ".Key\"},\"payload\":";
    const std::string row_struct = "{\"type\":\"struct\",\"fields\":[" + cols + "],\"optional\":true,\"name\":\"" +
                                   prefix + ".Value\",\"field\":";
    value_schema_prefix_ = "{\"schema\":{\"type\":\"struct\",\"fields\":[" + row_struct + "\"before\"}," +
                           row_struct + "\"after\"}," + debezium_mysql_source_schema() +
                           ",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
                           "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
                           "\"optional\":false,\"name\":\"" +
                           prefix + ".Envelope\",\"version\":1},\"payload\":";
    key_schema_prefix_ = copy_escaped(key_schema_prefix_);
    value_schema_prefix_ = copy_escaped(value_schema_prefix_);
  }

  const Table& t_;
  const Common& c_;
  Sink& out_;
  std::vector<size_t> key_cols_;
  std::vector<std::string> field_names_;  // '"name":' per column, COPY-escaped
  std::string source_mid_;                 // constant middle of "source", COPY-escaped
  std::string key_;                        // reused per event
  std::string key_schema_prefix_, value_schema_prefix_;  // COPY-escaped
};

// Prints "generated K events..." every K events when asked to.
void progress(const Common& c, uint64_t emitted) {
  if (c.progress_every > 0 && emitted % static_cast<uint64_t>(c.progress_every) == 0)
    std::fprintf(stderr, "generated %llu events...\n", static_cast<unsigned long long>(emitted));
}

// Prints the end-of-run summary; "final rows: X" stays the last line, the demo greps it.
void summary(uint64_t ins, uint64_t upd, uint64_t del, uint64_t alive) {
  std::fprintf(stderr, "events: %llu (inserts %llu, updates %llu, deletes %llu)\nfinal rows: %llu\n",
               static_cast<unsigned long long>(ins + upd + del), static_cast<unsigned long long>(ins),
               static_cast<unsigned long long>(upd), static_cast<unsigned long long>(del),
               static_cast<unsigned long long>(alive));
}

// Opens a file for writing or fails with a clear message.
std::unique_ptr<FILE, int (*)(FILE*)> open_out(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
  return {f, &std::fclose};
}

// ---------------------------------------------------------------------------------------------
// tpcds

// A live row of the tpcds stream: its key and how many times it has been updated.
struct LiveKey {
  int64_t item, ticket;
  uint32_t version;
};

// Key of the i-th insert: tickets of 12 lines with distinct items spread over 1..18000.
LiveKey tpcds_key(uint64_t i) {
  const int64_t ticket = static_cast<int64_t>(i / 12) + 1;
  const int64_t item = static_cast<int64_t>(((i % 12) * 1499 + static_cast<uint64_t>(ticket) * 7919) % 18000) + 1;
  return {item, ticket, 0};
}

// Picks the next op so that inserts, updates and deletes are spread over the stream in proportion
// to what is left of each, never touching a key that is not live and never stranding updates by
// deleting the last live key while inserts are exhausted.
char next_tpcds_op(Rng& rng, uint64_t ins_left, uint64_t upd_left, uint64_t del_left, size_t alive) {
  const uint64_t r = rng.below(ins_left + upd_left + del_left);
  char op = r < ins_left ? 'c' : r < ins_left + upd_left ? 'u' : 'd';
  if (op != 'c' && alive == 0) op = 'c';  // D <= N guarantees inserts remain when nothing is live
  if (op == 'd' && ins_left == 0 && upd_left > 0 && alive == 1) op = 'u';
  return op;
}

// The tpcds subcommand.
int run_tpcds(const Args& a) {
  a.only([] {
    auto v = kCommonOptions;
    v.insert(v.end(), {"table", "rows", "update-pct", "delete-pct"});
    return v;
  }());
  const std::string table_name = a.str("table", "");
  if (table_name != "store_sales" && table_name != "store_returns")
    throw UsageError("--table must be store_sales or store_returns");
  const Common c = parse_common(a, "tpcds");
  const Table t = table_name == "store_sales" ? store_sales_table(table_name) : store_returns_table(table_name);
  if (c.ddl) return std::printf("%s\n", ddl(t, c.ddl_schema).c_str()) < 0;
  const uint64_t n = static_cast<uint64_t>(a.need_int("rows", 0, int64_t{12} * INT32_MAX));
  const uint64_t upd_total = n * static_cast<uint64_t>(a.get_int("update-pct", 20, 0, 1000)) / 100;
  const uint64_t del_total = n * static_cast<uint64_t>(a.get_int("delete-pct", 5, 0, 100)) / 100;
  auto make_row = table_name == "store_sales" ? make_store_sales_row : make_store_returns_row;

  Sink out(stdout, "stdout");
  DebeziumWriter w(t, c, out);
  Rng rng(hash_seed({c.seed, 100}));
  std::vector<LiveKey> alive;
  alive.reserve(n);
  Row before, after;
  uint64_t ins = 0, upd = 0, del = 0;
  for (uint64_t ev = 0; ev < n + upd_total + del_total; ++ev) {
    const char op = next_tpcds_op(rng, n - ins, upd_total - upd, del_total - del, alive.size());
    if (op == 'c') {
      alive.push_back(tpcds_key(ins++));
      const LiveKey& k = alive.back();
      make_row(t, c.seed, k.item, k.ticket, 0, after);
      w.write('c', nullptr, &after, ev);
    } else {
      const size_t idx = rng.below(alive.size());
      LiveKey& k = alive[idx];
      make_row(t, c.seed, k.item, k.ticket, k.version, before);
      if (op == 'u') {
        ++upd;
        make_row(t, c.seed, k.item, k.ticket, ++k.version, after);
        w.write('u', &before, &after, ev);
      } else {
        ++del;
        w.write('d', &before, nullptr, ev);
        alive[idx] = alive.back();  // order of `alive` is irrelevant; O(1) removal
        alive.pop_back();
      }
    }
    progress(c, ev + 1);
  }
  out.finish();
  summary(ins, upd, del, alive.size());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// random

// Current state of one key of the random stream.
struct ItemState {
  bool alive = false;
  bool has_note = false;
  int64_t seq = 0;
  int64_t amount = 0;  // cents
  std::string val, note;
};

// Awkward fragments mixed into val/note: every character class that breaks naive escaping.
const char* const kAwkward[] = {"\"", "\\", "\t", "\n", "\r", "'", "é", "😀", "\\N", "NULL", ",", "{\"a\":1}", " "};

// A random text value: usually a plain word, sometimes empty, sometimes full of awkward characters.
std::string random_text(Rng& rng) {
  const uint64_t r = rng.below(100);
  std::string s;
  if (r < 5) return s;  // empty string, which must stay distinct from NULL
  const size_t pieces = static_cast<size_t>(rng.range(1, r < 30 ? 6 : 3));
  for (size_t i = 0; i < pieces; ++i) {
    if (r < 30 && rng.chance(1, 2)) {
      s += kAwkward[rng.below(sizeof kAwkward / sizeof kAwkward[0])];
    } else {
      const size_t len = static_cast<size_t>(rng.range(1, 12));
      for (size_t j = 0; j < len; ++j) s.push_back(static_cast<char>('a' + rng.below(26)));
    }
  }
  return s;
}

// Draws new non-key values for a key at event ev (seq = ev + 1, strictly increasing).
void fill_item(Rng& rng, ItemState& st, uint64_t ev) {
  st.alive = true;
  st.seq = static_cast<int64_t>(ev) + 1;
  st.val = random_text(rng);
  // Magnitudes from cents to the numeric(12,2) maximum, a few negative, some exactly zero.
  int64_t mag = 1;
  for (int64_t d = rng.range(1, 12); d > 0; --d) mag *= 10;
  st.amount = rng.chance(1, 20) ? 0 : rng.range(rng.chance(1, 10) ? -mag + 1 : 0, mag - 1);
  st.has_note = !rng.chance(1, 4);
  st.note = st.has_note ? random_text(rng) : std::string();
}

// Points a row image at a key's state (views stay valid while the state is unchanged).
void item_row(int64_t id, const ItemState& st, Row& row) {
  row.assign(5, Cell{});
  row[0].num = id;
  row[1].num = st.seq;
  row[2].text = st.val;
  row[3].num = st.amount;
  row[4].null = !st.has_note;
  row[4].text = st.note;
}

// Writes the final model as COPY text lines "id seq val amount note", sorted by id, into the
// already-open temp file, then renames it over path, so a reader never sees a half-written model.
void write_model(std::unique_ptr<FILE, int (*)(FILE*)> f, const std::string& tmp, const std::string& path,
                 const std::vector<ItemState>& items) {
  {
    Sink s(f.get(), tmp);
    for (size_t id = 1; id < items.size(); ++id) {
      const ItemState& st = items[id];
      if (!st.alive) continue;
      append_int(s.buf, static_cast<int64_t>(id));
      s.buf.push_back('\t');
      append_int(s.buf, st.seq);
      s.buf.push_back('\t');
      append_copy_escaped(s.buf, st.val);
      s.buf.push_back('\t');
      append_decimal(s.buf, st.amount, 2);
      s.buf.push_back('\t');
      if (st.has_note) append_copy_escaped(s.buf, st.note);
      else s.buf += "\\N";
      s.buf.push_back('\n');
      s.maybe_flush();
    }
    s.finish();
    if (std::fclose(f.release()) != 0) throw std::runtime_error("write to " + tmp + " failed: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

// The random subcommand: simulates the whole stream (the model needs it) but prints only the slice.
int run_random(const Args& a) {
  a.only([] {
    auto v = kCommonOptions;
    v.insert(v.end(), {"keys", "events", "table", "model", "from-event", "count"});
    return v;
  }());
  const Common c = parse_common(a, "shop");
  const Table t = items_table(a.str("table", "items"));
  if (t.name.empty()) throw UsageError("--table must not be empty");
  if (c.ddl) return std::printf("%s\n", ddl(t, c.ddl_schema).c_str()) < 0;
  const int64_t keys = a.need_int("keys", 1, 10000000);  // the model holds every key in memory
  const uint64_t events = static_cast<uint64_t>(a.need_int("events", 0, INT64_MAX / 2));
  const uint64_t from = static_cast<uint64_t>(a.get_int("from-event", 0, 0, static_cast<int64_t>(events)));
  // A --count running past the end is clamped, so chunked producers need not special-case the last chunk.
  const uint64_t count = static_cast<uint64_t>(a.get_int("count", static_cast<int64_t>(events - from), 0, INT64_MAX));
  const uint64_t to = from + std::min(count, events - from);

  // The model file is opened before streaming so a bad path fails before any event is produced.
  const std::string model_path = a.str("model", ""), model_tmp = model_path + ".tmp";
  std::unique_ptr<FILE, int (*)(FILE*)> model_file(nullptr, &std::fclose);
  if (a.has("model")) {
    if (model_path.empty()) throw UsageError("--model needs a file name");
    model_file = open_out(model_tmp);
  }
  Sink out(stdout, "stdout");
  DebeziumWriter w(t, c, out);
  Rng rng(hash_seed({c.seed, 200}));
  std::vector<ItemState> items(static_cast<size_t>(keys) + 1);  // index 0 unused
  ItemState old;
  Row before, after;
  uint64_t ins = 0, upd = 0, del = 0, alive = 0;
  for (uint64_t ev = 0; ev < events; ++ev) {
    const int64_t id = rng.range(1, keys);
    ItemState& st = items[static_cast<size_t>(id)];
    const bool emit = ev >= from && ev < to;
    if (!st.alive) {
      fill_item(rng, st, ev);
      ++ins, ++alive;
      if (emit) {
        item_row(id, st, after);
        w.write('c', nullptr, &after, ev);
      }
    } else if (rng.chance(70, 100)) {
      std::swap(old, st);  // keep the before image while drawing the new values
      fill_item(rng, st, ev);
      ++upd;
      if (emit) {
        item_row(id, old, before);
        item_row(id, st, after);
        w.write('u', &before, &after, ev);
      }
    } else {
      st.alive = false;
      ++del, --alive;
      if (emit) {
        item_row(id, st, before);  // the deleted values are still in st
        w.write('d', &before, nullptr, ev);
      }
    }
    if (emit) progress(c, ev - from + 1);
  }
  out.finish();
  if (model_file) write_model(std::move(model_file), model_tmp, model_path, items);
  std::fprintf(stderr, "emitted %llu events starting at event %llu, of %llu\n", static_cast<unsigned long long>(to - from),
               static_cast<unsigned long long>(from), static_cast<unsigned long long>(events));
  summary(ins, upd, del, alive);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// bench

// Appends one row as a header-less CSV line in column order, NULL as an empty field.
void append_csv_row(std::string& s, const Table& t, const Row& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) s.push_back(',');
    if (row[i].null) continue;
    if (t.cols[i].type == ColType::Decimal) append_decimal(s, row[i].num, t.cols[i].scale);
    else if (t.cols[i].type == ColType::Text) append_csv_text(s, row[i].text);
    else append_int(s, row[i].num);
  }
  s.push_back('\n');
}

// The bench subcommand: N inserts, or N updates of the same keys, plus the same rows as CSV.
int run_bench(const Args& a) {
  a.only([] {
    auto v = kCommonOptions;
    v.insert(v.end(), {"rows", "phase", "table", "csv"});
    return v;
  }());
  const Common c = parse_common(a, "bench");
  const Table t = store_sales_table(a.str("table", "store_sales"));
  if (t.name.empty()) throw UsageError("--table must not be empty");
  if (c.ddl) return std::printf("%s\n", ddl(t, c.ddl_schema).c_str()) < 0;
  const std::string phase = a.str("phase", "");
  if (phase != "insert" && phase != "update" && phase != "delete")
    throw UsageError("--phase must be insert, update or delete");
  const uint64_t n = static_cast<uint64_t>(a.need_int("rows", 0, int64_t{64} * INT32_MAX));

  Sink out(stdout, "stdout");
  std::unique_ptr<FILE, int (*)(FILE*)> csv_file(nullptr, &std::fclose);
  std::unique_ptr<Sink> csv;
  if (a.has("csv")) {
    csv_file = open_out(a.str("csv", ""));
    csv = std::make_unique<Sink>(csv_file.get(), a.str("csv", ""));
  }
  DebeziumWriter w(t, c, out);
  Row before, after;
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t ticket = static_cast<int64_t>(i / 64) + 1, item = static_cast<int64_t>(i % 64) + 1;
    make_store_sales_row(t, c.seed, item, ticket, phase == "insert" ? 0 : 1, after);
    if (phase == "insert") {
      w.write('c', nullptr, &after, i);
    } else if (phase == "delete") {
      w.write('d', &after, nullptr, i);  // the update phase's row goes
    } else {
      make_store_sales_row(t, c.seed, item, ticket, 0, before);
      w.write('u', &before, &after, i);
    }
    if (csv && phase != "delete") {
      append_csv_row(csv->buf, t, after);
      csv->maybe_flush();
    }
    progress(c, i + 1);
  }
  out.finish();
  if (csv) csv->finish();
  if (phase == "insert") summary(n, 0, 0, n);
  else if (phase == "delete") summary(0, 0, n, 0);
  else summary(0, n, 0, n);
  return 0;
}

}  // namespace
}  // namespace gen

// Dispatches the subcommand; usage errors exit 2, runtime errors 1.
int main(int argc, char** argv) {
  using namespace gen;
  const std::string sub = argc > 1 ? argv[1] : "";
  try {
    if (sub == "--help" || sub == "-h" || sub == "help") return std::fputs(kUsage, stdout) < 0;
    if (sub.empty()) throw UsageError("missing subcommand");
    const Args a(argc, argv, 2, kFlags);
    if (a.has("help")) return std::fputs(kUsage, stdout) < 0;
    if (sub == "tpcds") return run_tpcds(a);
    if (sub == "random") return run_random(a);
    if (sub == "bench") return run_bench(a);
    throw UsageError("unknown subcommand '" + sub + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gen_events: %s\n(run 'gen_events --help' for usage)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gen_events: %s\n", e.what());
    return 1;
  }
}
