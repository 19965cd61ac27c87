// decode_bench: decoder speed per format on one core, for a 23-column store_sales row.
//
// For each format it builds D distinct messages (keys ticket = i/64+1, item = i%64+1, the rows of
// `gen_events bench`) the way that format's producer writes them, then, on this thread only:
//   decode  - decode_all() of N messages, cycling through the D messages;
//   +batch  - the same plus TableBatch::add() of every change into a 23-column batch keyed by
//             (ss_item_sk, ss_ticket_number), with the column types (integer, numeric(7,2)) for the
//             Debezium formats as the pipeline gives them (src/worker/fetcher.cpp shape_of); every
//             B events the batch is cleared (B = 20,000, the pipeline's batch_max_rows);
//   +copy   - as +batch, plus groups() (the COPY text of the batch) before each clear.
// Each measurement runs R times; the median is printed (events/s), with the ratio to
// debezium (no schema), the format the 300,000 events/s aim is about.
//
// Formats (what each message looks like):
//   debezium         Debezium MySQL, JSON converter with schemas.enable=false (payload only),
//                    decimals as strings, Kafka key {"ss_item_sk":..,"ss_ticket_number":..}
//   debezium-schema  the same with the {"schema":..,"payload":..} envelope on key and value,
//                    decimals precise (base64 bytes, org.apache.kafka.connect.data.Decimal)
//   flink-debezium   Flink SQL's debezium-json: {"before":null,"after":{..},"op":"c"}, no key
//   dms              AWS DMS Kafka target record: {"data":{..},"metadata":{..}}, key "schema.table.pk"
//   canal            Canal flat message, one row, values as strings, mysqlType/sqlType/pkNames
//   maxwell          Maxwell row event, with Maxwell's default hash key
//   json             the row as one flat JSON object, no key
//
// Usage: decode_bench [--events N] [--repeat R] [--distinct D] [--batch-rows B] [--format NAME]
//                     [--mode decode|batch|copy|all] [--tsv] [--show]
// Output: a table, or with --tsv lines "format <TAB> bytes <TAB> decode/s <TAB> batch/s <TAB> copy/s".
#include "gen_common.hpp"
#include "gen_tables.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.hpp"
#include "core/change.hpp"
#include "core/column_type.hpp"

namespace {

using gen::append_decimal;
using gen::append_decimal_base64;
using gen::append_int;
using gen::append_json_string;
using gen::Row;
using gen::Table;

constexpr int64_t kBaseTsMs = 1700000000000;

// One Kafka message: an absent key is has_key = false.
struct Message {
  bool has_key = false;
  std::string key;
  std::string value;
};

// How a format writes values.
enum class Decimals { String, Number, Base64 };
enum class Ints { Number, String };

// Appends column i of `row` as a JSON value.
void append_value(std::string& s, const Table& t, const Row& row, size_t i, Decimals dec, Ints ints) {
  const gen::Column& col = t.cols[i];
  const gen::Cell& cell = row[i];
  if (cell.null) {
    s += "null";
    return;
  }
  if (col.type == gen::ColType::Decimal) {
    if (dec == Decimals::Base64) {
      append_decimal_base64(s, cell.num);
    } else {
      if (dec == Decimals::String) s.push_back('"');
      append_decimal(s, cell.num, col.scale);
      if (dec == Decimals::String) s.push_back('"');
    }
  } else {
    if (ints == Ints::String) s.push_back('"');
    append_int(s, cell.num);
    if (ints == Ints::String) s.push_back('"');
  }
}

// {"c1":v1,...} for all columns (or only the key columns).
void append_object(std::string& s, const Table& t, const Row& row, Decimals dec, Ints ints, bool key_only = false,
                   const char* name_prefix = "") {
  s.push_back('{');
  bool first = true;
  for (size_t i = 0; i < t.cols.size(); ++i) {
    if (key_only && !t.cols[i].key) continue;
    if (!first) s.push_back(',');
    first = false;
    append_json_string(s, std::string(name_prefix) + t.cols[i].name);
    s.push_back(':');
    append_value(s, t, row, i, dec, ints);
  }
  s.push_back('}');
}

// The Connect schema of one column (precise decimals).
std::string column_schema(const gen::Column& col) {
  std::string s = "{\"type\":";
  if (col.type == gen::ColType::Int32) s += "\"int32\"";
  else if (col.type == gen::ColType::Int64) s += "\"int64\"";
  else if (col.type == gen::ColType::Text) s += "\"string\"";
  else
    s += "\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"" +
         std::to_string(col.scale) + "\",\"connect.decimal.precision\":\"" + std::to_string(col.precision) + "\"}";
  return s + ",\"optional\":" + (col.key ? "false" : "true") + ",\"field\":\"" + col.name + "\"}";
}

// Debezium's "source" block and the rest of the payload after the row images.
void append_debezium_tail(std::string& s, int64_t n) {
  const int64_t ts = kBaseTsMs + n;
  s += ",\"source\":{\"version\":\"2.5.0.Final\",\"connector\":\"mysql\",\"name\":\"dbserver1\",\"ts_ms\":";
  append_int(s, ts);
  s += ",\"snapshot\":\"false\",\"db\":\"bench\",\"table\":\"store_sales\",\"server_id\":1,"
       "\"file\":\"mysql-bin.000003\",\"pos\":";
  append_int(s, 157 + 1024 * n);
  s += ",\"row\":0},\"op\":\"c\",\"ts_ms\":";
  append_int(s, ts + 7);
  s.push_back('}');
}

// Builds the messages of one format.
class MessageMaker {
 public:
  explicit MessageMaker(const Table& t) : t_(t) {
    // Debezium's schema envelopes, as gen_events --with-schema --decimals precise writes them.
    const std::string prefix = "dbserver1.bench.store_sales";
    std::string cols, key_cols;
    for (const gen::Column& c : t.cols) {
      cols += (cols.empty() ? "" : ",") + column_schema(c);
      if (c.key) key_cols += (key_cols.empty() ? "" : ",") + column_schema(c);
    }
    key_prefix_ = "{\"schema\":{\"type\":\"struct\",\"fields\":[" + key_cols + "],\"optional\":false,\"name\":\"" +
                  prefix + ".Key\"},\"payload\":";
    const std::string row_struct = "{\"type\":\"struct\",\"fields\":[" + cols + "],\"optional\":true,\"name\":\"" +
                                   prefix + ".Value\",\"field\":";
    value_prefix_ = "{\"schema\":{\"type\":\"struct\",\"fields\":[" + row_struct + "\"before\"}," + row_struct +
                    "\"after\"}," + gen::debezium_mysql_source_schema() +
                    ",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
                    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
                    "\"optional\":false,\"name\":\"" +
                    prefix + ".Envelope\",\"version\":1},\"payload\":";
    // Canal's per-message type maps.
    mysql_types_ = "{";
    sql_types_ = "{";
    for (const gen::Column& c : t.cols) {
      if (mysql_types_.size() > 1) mysql_types_ += ',', sql_types_ += ',';
      bool dec = c.type == gen::ColType::Decimal;
      mysql_types_ += "\"" + c.name + "\":\"" +
                      (dec ? "decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")" : "int(11)") +
                      "\"";
      sql_types_ += "\"" + c.name + "\":" + (dec ? "3" : "4");
    }
    mysql_types_ += "}";
    sql_types_ += "}";
  }

  Message make(const std::string& format, const Row& row, int64_t n) const {
    Message m;
    std::string& v = m.value;
    if (format == "debezium" || format == "debezium-schema") {
      bool schema = format == "debezium-schema";
      Decimals dec = schema ? Decimals::Base64 : Decimals::String;
      m.has_key = true;
      if (schema) m.key = key_prefix_;
      append_object(m.key, t_, row, dec, Ints::Number, true);
      if (schema) m.key.push_back('}');
      if (schema) v = value_prefix_;
      v += "{\"before\":null,\"after\":";
      append_object(v, t_, row, dec, Ints::Number);
      append_debezium_tail(v, n);
      if (schema) v.push_back('}');
    } else if (format == "flink-debezium") {
      v = "{\"before\":null,\"after\":";
      append_object(v, t_, row, Decimals::Number, Ints::Number);
      v += ",\"op\":\"c\"}";
    } else if (format == "dms") {
      m.has_key = true;
      m.key = "bench.store_sales.";
      append_int(m.key, row[2].num);
      m.key.push_back('.');
      append_int(m.key, row[9].num);
      v = "{\"data\":";
      append_object(v, t_, row, Decimals::String, Ints::Number);
      v += ",\"metadata\":{\"timestamp\":\"2024-03-01T10:15:30.123456Z\",\"record-type\":\"data\","
           "\"operation\":\"insert\",\"partition-key-type\":\"schema-table\",\"schema-name\":\"bench\","
           "\"table-name\":\"store_sales\",\"transaction-id\":";
      append_int(v, 8796093023431 + n);
      v += "}}";
    } else if (format == "canal") {
      v = "{\"data\":[";
      append_object(v, t_, row, Decimals::String, Ints::String);
      v += "],\"database\":\"bench\",\"es\":";
      append_int(v, kBaseTsMs + n);
      v += ",\"id\":";
      append_int(v, n + 1);
      v += ",\"isDdl\":false,\"mysqlType\":" + mysql_types_ +
           ",\"old\":null,\"pkNames\":[\"ss_item_sk\",\"ss_ticket_number\"],\"sql\":\"\",\"sqlType\":" + sql_types_ +
           ",\"table\":\"store_sales\",\"ts\":";
      append_int(v, kBaseTsMs + n + 7);
      v += ",\"type\":\"INSERT\"}";
    } else if (format == "maxwell") {
      m.has_key = true;
      m.key = "{\"database\":\"bench\",\"table\":\"store_sales\",\"pk.ss_item_sk\":";
      append_int(m.key, row[2].num);
      m.key += ",\"pk.ss_ticket_number\":";
      append_int(m.key, row[9].num);
      m.key += "}";
      v = "{\"database\":\"bench\",\"table\":\"store_sales\",\"type\":\"insert\",\"ts\":";
      append_int(v, (kBaseTsMs + n) / 1000);
      v += ",\"xid\":";
      append_int(v, 7125 + n);
      v += ",\"commit\":true,\"data\":";
      append_object(v, t_, row, Decimals::Number, Ints::Number);
      v += "}";
    } else if (format == "json") {
      append_object(v, t_, row, Decimals::Number, Ints::Number);
    } else {
      throw gen::UsageError("unknown format '" + format + "'");
    }
    return m;
  }

 private:
  const Table& t_;
  std::string key_prefix_, value_prefix_, mysql_types_, sql_types_;
};

// The decoder format name behind a benchmark format.
std::string decoder_format(const std::string& format) {
  return format == "debezium-schema" ? "debezium" : format;
}

enum class Mode { Decode, Batch, Copy };

struct Settings {
  int64_t events = 200000;
  int repeat = 3;
  int64_t distinct = 20000;
  int64_t batch_rows = 20000;
};

// One timed pass: events/s.
double run_once(const std::string& format, const std::vector<Message>& msgs, const cdc::TableShape& shape,
                Mode mode, const Settings& st) {
  auto decoder = cdc::make_decoder(decoder_format(format));
  cdc::TableBatch batch(shape);
  std::vector<cdc::DecodedChange> changes;
  size_t count = 0;
  std::string error;
  int64_t in_batch = 0;
  size_t columns = 0, bytes = 0;
  // Warm-up: one round over the messages (allocations, schema cache), not timed.
  for (const Message& m : msgs) {
    decoder->decode_all(m.has_key ? m.key.data() : nullptr, m.key.size(), m.value.data(), m.value.size(), changes,
                        count);
  }
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < st.events; ++i) {
    const Message& m = msgs[static_cast<size_t>(i % static_cast<int64_t>(msgs.size()))];
    cdc::DecodeResult r = decoder->decode_all(m.has_key ? m.key.data() : nullptr, m.key.size(), m.value.data(),
                                              m.value.size(), changes, count);
    if (r.status != cdc::DecodeStatus::Change || count != 1) {
      std::fprintf(stderr, "decode_bench: %s message %lld did not decode: %s\n", format.c_str(),
                   static_cast<long long>(i), r.reason.c_str());
      std::exit(1);
    }
    columns += changes[0].after.size();
    if (mode == Mode::Decode) continue;
    if (!batch.add(changes[0], error)) {
      std::fprintf(stderr, "decode_bench: %s: batch refused a change: %s\n", format.c_str(), error.c_str());
      std::exit(1);
    }
    if (++in_batch == st.batch_rows) {
      if (mode == Mode::Copy)
        for (const cdc::StageGroup& g : batch.groups()) bytes += g.copy_text.size();
      batch.clear();
      in_batch = 0;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (columns != static_cast<size_t>(st.events) * 23) {
    std::fprintf(stderr, "decode_bench: %s: expected 23 columns per change, got %zu in all\n", format.c_str(), columns);
    std::exit(1);
  }
  if (mode == Mode::Copy && st.events >= st.batch_rows && bytes == 0) {
    std::fprintf(stderr, "decode_bench: %s: no COPY text produced\n", format.c_str());
    std::exit(1);
  }
  return static_cast<double>(st.events) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char* const kUsage = R"(usage: decode_bench [--events N] [--repeat R] [--distinct D] [--batch-rows B]
                    [--format NAME] [--mode decode|batch|copy|all] [--tsv] [--show]
  --events N      events decoded per measurement (default 200000)
  --repeat R      measurements per figure; the median is printed (default 3)
  --distinct D    distinct messages (keys) cycled through (default 20000)
  --batch-rows B  the batch is cleared every B events (default 20000)
  --format NAME   only this format: debezium, debezium-schema, flink-debezium, dms, canal, maxwell, json
  --mode M        decode, batch (decode + TableBatch::add), copy (batch + groups()), all (default)
  --tsv           machine-readable: format, message bytes, decode/s, batch/s, copy/s (0: not run)
  --show          print each format's first message (key and value) instead of measuring
)";

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    gen::Args a(argc, argv, 1, {"tsv", "show"});
    a.only({"events", "repeat", "distinct", "batch-rows", "format", "mode", "tsv", "show"});
    Settings st;
    st.events = a.get_int("events", st.events, 1, INT64_MAX / 2);
    st.repeat = static_cast<int>(a.get_int("repeat", st.repeat, 1, 1000));
    st.distinct = a.get_int("distinct", st.distinct, 1, 10000000);
    st.batch_rows = a.get_int("batch-rows", st.batch_rows, 1, INT64_MAX / 2);
    const std::string mode = a.str("mode", "all");
    if (mode != "decode" && mode != "batch" && mode != "copy" && mode != "all")
      throw gen::UsageError("--mode must be decode, batch, copy or all");
    const bool tsv = a.has("tsv");
    std::vector<std::string> formats = {"debezium", "debezium-schema", "flink-debezium", "dms",
                                        "canal",    "maxwell",         "json"};
    if (a.has("format")) {
      std::string f = a.str("format", "");
      if (std::find(formats.begin(), formats.end(), f) == formats.end())
        throw gen::UsageError("unknown format '" + f + "'");
      formats = {f};
    }

    const Table table = gen::store_sales_table("store_sales");
    std::vector<std::string> names;
    std::vector<int> key;
    std::vector<cdc::ColumnType> types;
    for (size_t i = 0; i < table.cols.size(); ++i) {
      names.push_back(table.cols[i].name);
      if (table.cols[i].key) key.push_back(static_cast<int>(i));
      types.push_back(cdc::column_type_from_name(gen::pg_type(table.cols[i])));
    }
    const cdc::TableShape typed_shape(names, key, types), plain_shape(names, key);
    const MessageMaker maker(table);

    if (a.has("show")) {
      Row first;
      gen::make_store_sales_row(table, 1, 1, 1, 0, first);
      for (const std::string& format : formats) {
        Message m = maker.make(format, first, 0);
        std::printf("%s\n  key:   %s\n  value: %s\n", format.c_str(), m.has_key ? m.key.c_str() : "(none)",
                    m.value.c_str());
      }
      return 0;
    }
    if (!tsv) {
      std::printf("decode_bench: 23-column store_sales rows, %lld events per figure, median of %d, %lld distinct "
                  "messages, batch cleared every %lld\n",
                  static_cast<long long>(st.events), st.repeat, static_cast<long long>(st.distinct),
                  static_cast<long long>(st.batch_rows));
      std::printf("%-16s %7s %12s %12s %12s\n", "format", "bytes", "decode/s", "+batch/s", "+copy/s");
    }
    std::fflush(stdout);
    Row row;
    for (const std::string& format : formats) {
      const std::string dec = decoder_format(format);
      const cdc::TableShape& shape = dec == "debezium" || dec == "flink-debezium" ? typed_shape : plain_shape;
      std::vector<Message> msgs;
      msgs.reserve(static_cast<size_t>(st.distinct));
      size_t total_bytes = 0;
      for (int64_t i = 0; i < st.distinct; ++i) {
        const int64_t ticket = i / 64 + 1, item = i % 64 + 1;
        gen::make_store_sales_row(table, 1, item, ticket, 0, row);
        msgs.push_back(maker.make(format, row, i));
        total_bytes += msgs.back().value.size() + msgs.back().key.size();
      }
      double rates[3] = {0, 0, 0};
      const Mode modes[3] = {Mode::Decode, Mode::Batch, Mode::Copy};
      const char* mode_names[3] = {"decode", "batch", "copy"};
      for (int k = 0; k < 3; ++k) {
        if (mode != "all" && mode != mode_names[k]) continue;
        std::vector<double> runs;
        for (int r = 0; r < st.repeat; ++r) runs.push_back(run_once(format, msgs, shape, modes[k], st));
        rates[k] = median(runs);
      }
      const size_t avg_bytes = total_bytes / msgs.size();
      if (tsv)
        std::printf("%s\t%zu\t%.0f\t%.0f\t%.0f\n", format.c_str(), avg_bytes, rates[0], rates[1], rates[2]);
      else
        std::printf("%-16s %7zu %12.0f %12.0f %12.0f\n", format.c_str(), avg_bytes, rates[0], rates[1], rates[2]);
      std::fflush(stdout);
    }
    return 0;
  } catch (const gen::UsageError& e) {
    std::fprintf(stderr, "decode_bench: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "decode_bench: %s\n", e.what());
    return 1;
  }
}
