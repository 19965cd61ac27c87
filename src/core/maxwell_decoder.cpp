// Decodes Maxwell row events into DecodedChange (see maxwell_decoder.hpp).
//
// One pass of simdjson On-Demand over a padded copy of the message; "data" and "old" are read into
// reusable buffers because "type" may follow them. Finding a key change needs the primary key's
// columns: "primary_key_columns" when Maxwell was told to write it, otherwise the Kafka key, whose
// default (hash) form is {"database":..,"table":..,"pk.<column>":..}. The key gets its own parser
// and buffer so the value's strings survive parsing it.
#include "core/maxwell_decoder.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_util.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;
using simdjson::error_code;

// What a row member ("data"/"old") held.
enum class Member : uint8_t { Absent, Null, Object, Other };

// What the scan found besides the row images (views into the parser's buffers).
struct RowEvent {
  std::string_view type, database, table;
  bool has_type = false;
  bool has_key_columns = false;  // "primary_key_columns" was present
  int64_t ts = DecodedChange::kNoSourceTime;  // "ts": the binlog event's time (epoch seconds)
  Member data = Member::Absent;
  Member old = Member::Absent;
};

// Maps the Maxwell types that carry a row; false for all others.
bool row_op(std::string_view type, Op& op) {
  if (type == "insert" || type == "bootstrap-insert") {
    op = Op::Insert;
  } else if (type == "update") {
    op = Op::Update;
  } else if (type == "delete") {
    op = Op::Delete;
  } else {
    return false;
  }
  return true;
}

// Why a Maxwell type that changes no rows is skipped; null for unknown types.
const char* non_data_reason(std::string_view type) {
  if (type == "bootstrap-start" || type == "bootstrap-complete") return "bootstrap marker";
  // --output_ddl: database-create/alter/drop, table-create/alter/drop.
  if (type.substr(0, 6) == "table-" || type.substr(0, 9) == "database-") return "schema change";
  if (type == "heartbeat") return "heartbeat";
  return nullptr;
}

// What a row member of the wrong kind means, for the error reason.
const char* bad_data_reason(Member data) {
  if (data == Member::Other) return "'data' is not an object (encrypted output is not supported)";
  return "no 'data' object";
}

class MaxwellDecoder final : public Decoder {
 public:
  explicit MaxwellDecoder(const MaxwellOptions& options) : options_(options) {}

  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;
  DecodeResult decode_all(const char* key, size_t key_len, const char* value, size_t value_len,
                          std::vector<DecodedChange>& out, size_t& count) override;

 private:
  DecodeResult run(const char* key, size_t key_len, const char* value, size_t len, bool split,
                   std::vector<DecodedChange>& out, size_t& count);
  error_code scan(RowEvent& ev);
  error_code scan_member(std::string_view key, ondemand::value value, RowEvent& ev);
  error_code read_row(ondemand::value value, std::vector<FieldValue>& dst, Member& state);
  error_code fail(const char* problem);
  DecodeResult finish(const RowEvent& ev, const char* key, size_t key_len, bool split,
                      std::vector<DecodedChange>& out, size_t& count);
  const std::vector<std::string_view>* key_names(const RowEvent& ev, const char* key, size_t len);
  error_code read_key_names(const char* key, size_t len);
  error_code read_array_key_names(ondemand::array arr);
  void null_zero_dates(std::vector<FieldValue>& row) const;

  MaxwellOptions options_;
  json::PaddedBuffer value_buf_;
  json::PaddedBuffer key_buf_;
  ondemand::parser value_parser_;
  ondemand::parser key_parser_;
  ondemand::document value_doc_;
  ondemand::document key_doc_;
  std::vector<FieldValue> data_;             // "data"
  std::vector<FieldValue> old_;              // "old"
  std::vector<std::string_view> pk_names_;   // "primary_key_columns"
  std::vector<std::string_view> key_names_;  // primary key columns named by the Kafka key
  std::vector<DecodedChange> first_;         // decode()'s scratch
  std::string source_;                       // DecodedChange::source points here
  const char* problem_ = nullptr;            // why a well-formed message is invalid
};

DecodeResult MaxwellDecoder::decode(const char* key, size_t key_len, const char* value,
                                    size_t value_len, DecodedChange& out) {
  size_t count = 0;
  // Unsplit: a lone change must carry the whole row change, so a key change stays one Update.
  return json::take_first_change(run(key, key_len, value, value_len, false, first_, count), first_,
                                 out);
}

DecodeResult MaxwellDecoder::decode_all(const char* key, size_t key_len, const char* value,
                                        size_t value_len, std::vector<DecodedChange>& out,
                                        size_t& count) {
  count = 0;
  DecodeResult r = run(key, key_len, value, value_len, true, out, count);
  if (r.status != DecodeStatus::Change) count = 0;
  return r;
}

// Parses and scans one message, then turns it into changes at out[0 .. count).
DecodeResult MaxwellDecoder::run(const char* key, size_t key_len, const char* value, size_t len,
                                 bool split, std::vector<DecodedChange>& out, size_t& count) {
  std::string_view json;
  DecodeResult started =
      json::start_document(value, len, value_buf_, value_parser_, value_doc_, json);
  if (started.status != DecodeStatus::Change) return started;
  problem_ = nullptr;
  RowEvent ev;
  error_code err = scan(ev);
  if (problem_ != nullptr) return error(problem_);
  if (err) return error(json::describe_error("malformed JSON in value", err, json, &value_doc_));
  return finish(ev, key, key_len, split, out, count);
}

// Records a problem of a well-formed message and stops the scan.
error_code MaxwellDecoder::fail(const char* problem) {
  problem_ = problem;
  return simdjson::INCORRECT_TYPE;
}

// Scans the top-level object, then checks that nothing follows it.
error_code MaxwellDecoder::scan(RowEvent& ev) {
  data_.clear();
  old_.clear();
  pk_names_.clear();
  return json::scan_root_members(value_doc_, problem_,
                                 [&](std::string_view key, ondemand::value value) {
                                   return scan_member(key, value, ev);
                                 });
}

// Handles one top-level member; the informational ones (ts, xid, position, ...) are skipped.
error_code MaxwellDecoder::scan_member(std::string_view key, ondemand::value value, RowEvent& ev) {
  if (key == "data") return read_row(value, data_, ev.data);
  if (key == "old") return read_row(value, old_, ev.old);  // a DDL event's old table definition too
  if (key == "type") {
    SIMDJSON_TRY(json::read_string_member(value, ev.type, false, "'type' is not a string",
                                          problem_));
    ev.has_type = true;
    return simdjson::SUCCESS;
  }
  // The names may be null (left empty then).
  if (key == "database") {
    return json::read_string_member(value, ev.database, true, "'database' is not a string",
                                    problem_);
  }
  if (key == "table") {
    return json::read_string_member(value, ev.table, true, "'table' is not a string", problem_);
  }
  if (key == "ts") {
    ondemand::json_type type;
    SIMDJSON_TRY(value.type().get(type));
    if (type != ondemand::json_type::number) return simdjson::SUCCESS;  // informational: skipped
    int64_t seconds = 0;
    if (value.get_int64().get(seconds) == simdjson::SUCCESS && seconds >= 0 &&
        seconds < DecodedChange::kMaxSourceTime / 1000)
      ev.ts = seconds * 1000;
    return simdjson::SUCCESS;
  }
  if (key == "primary_key_columns") {
    error_code err = json::read_string_array(value, pk_names_);
    if (err == simdjson::INCORRECT_TYPE)
      return fail("'primary_key_columns' is not an array of strings");
    ev.has_key_columns = err == simdjson::SUCCESS;
    return err;
  }
  return simdjson::SUCCESS;
}

// Reads a row member: an object of columns (values keep their JSON kinds), null, or anything
// else (remembered as Other: an encrypted row is a string). A repeated member replaces the first.
error_code MaxwellDecoder::read_row(ondemand::value value, std::vector<FieldValue>& dst,
                                    Member& state) {
  dst.clear();
  ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::object) {
    state = Member::Object;
    return json::read_fields(value, dst);
  }
  state = type == ondemand::json_type::null ? Member::Null : Member::Other;
  FieldValue ignored;
  return json::read_value(value, ignored);  // validates it all the same
}

// Turns the scanned event into changes, or says why it is skipped or rejected.
DecodeResult MaxwellDecoder::finish(const RowEvent& ev, const char* key, size_t key_len, bool split,
                                    std::vector<DecodedChange>& out, size_t& count) {
  if (!ev.has_type) return error("no 'type' field: not a Maxwell event");
  Op op;
  if (!row_op(ev.type, op)) {
    if (const char* why = non_data_reason(ev.type)) {
      return skip(std::string("Maxwell ") + why + " ('" + json::printable(ev.type) + "')");
    }
    return error("unknown Maxwell type '" + json::printable(ev.type) + "'");
  }
  if (ev.data != Member::Object) {
    return error("'" + std::string(ev.type) + "' event: " + bad_data_reason(ev.data));
  }
  if (ev.old == Member::Other) return error("'old' is not an object");
  // Flink's maxwell-json writer leaves both names out: an empty source, the topic names the table.
  source_.clear();
  if (!ev.database.empty() && !ev.table.empty()) {
    source_.assign(ev.database);
    source_ += '.';
    source_ += ev.table;
  }
  if (options_.zero_date_as_null) {
    null_zero_dates(data_);
    null_zero_dates(old_);
  }
  json::RowChangeInput in;
  in.op = op;
  in.source = source_;
  in.source_ts_ms = ev.ts;
  in.row = &data_;
  in.old = (op == Op::Update && ev.old == Member::Object) ? &old_ : nullptr;
  in.split_key_change = split;
  in.key_names = in.old != nullptr && split ? key_names(ev, key, key_len) : nullptr;
  json::append_row_changes(in, out, count);
  return {};
}

// The primary key's columns: "primary_key_columns", else those the Kafka key names, else null
// (then no key change can be seen: the update stays an Update with its full before image).
const std::vector<std::string_view>* MaxwellDecoder::key_names(const RowEvent& ev, const char* key,
                                                               size_t len) {
  if (ev.has_key_columns) return &pk_names_;
  if (key == nullptr || len == 0) return nullptr;
  if (read_key_names(key, len) != simdjson::SUCCESS) return nullptr;
  return key_names_.empty() ? nullptr : &key_names_;
}

// Reads the column names of a Maxwell Kafka key into key_names_: {"pk.id":1, ...} (hash form,
// the default) or ["db","table",[{"id":1}, ...]] (array form). Names come lowercased; columns
// are matched without regard to case.
error_code MaxwellDecoder::read_key_names(const char* key, size_t len) {
  key_names_.clear();
  std::string_view json = key_buf_.assign(key, len);
  SIMDJSON_TRY(key_parser_.iterate(json.data(), json.size(), key_buf_.capacity()).get(key_doc_));
  ondemand::json_type type;
  SIMDJSON_TRY(key_doc_.type().get(type));
  if (type == ondemand::json_type::array) {
    ondemand::array arr;
    SIMDJSON_TRY(key_doc_.get_array().get(arr));
    return read_array_key_names(arr);
  }
  ondemand::object obj;
  SIMDJSON_TRY(key_doc_.get_object().get(obj));
  for (auto field : obj) {
    std::string_view name;
    SIMDJSON_TRY(field.unescaped_key().get(name));
    if (name.substr(0, 3) == "pk.") key_names_.push_back(name.substr(3));
  }
  return simdjson::SUCCESS;
}

// The array form's third element: a list of one-member objects {"column": value}.
error_code MaxwellDecoder::read_array_key_names(ondemand::array arr) {
  size_t index = 0;
  for (auto element : arr) {
    if (index++ != 2) continue;  // database and table
    ondemand::array columns;
    SIMDJSON_TRY(element.get_array().get(columns));
    for (auto column : columns) {
      ondemand::object obj;
      SIMDJSON_TRY(column.get_object().get(obj));
      for (auto field : obj) {
        std::string_view name;
        SIMDJSON_TRY(field.unescaped_key().get(name));
        key_names_.push_back(name);
      }
    }
  }
  return simdjson::SUCCESS;
}

// Makes zero-date strings NULL (Maxwell gives no column types to check them against).
void MaxwellDecoder::null_zero_dates(std::vector<FieldValue>& row) const {
  for (FieldValue& f : row) {
    if (f.kind == ValueKind::String && json::is_mysql_zero_date(f.text)) {
      f.kind = ValueKind::Null;
      f.text = {};
    }
  }
}

}  // namespace

std::unique_ptr<Decoder> make_maxwell_decoder() { return make_maxwell_decoder(MaxwellOptions{}); }

std::unique_ptr<Decoder> make_maxwell_decoder(const MaxwellOptions& options) {
  return std::make_unique<MaxwellDecoder>(options);
}

}  // namespace cdc
