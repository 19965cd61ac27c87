// Decodes AWS DMS records (Kafka target endpoint, JSON) into DecodedChange.
//
// The record, per the AWS DMS User Guide ("Using Apache Kafka as a target", message format;
// "Before image task settings"):
//   {"data": {column: value, ...},
//    "metadata": {"timestamp", "record-type": "data"|"control",
//                 "operation": "load"|"insert"|"update"|"delete" (data records) or
//                              "create-table"|"drop-table"|"truncate-table"|"add-column"|...
//                              (control records),
//                 "partition-key-type", "schema-name", "table-name", "transaction-id", ...},
//    "before-image": {column: value, ...}}      <- updates only, when BeforeImageSettings is on
//
// Data records: load/insert -> Insert (after = data); update -> Update (after = data, before =
// before-image when it holds anything); delete -> Delete (before = data: the deleted row's
// values, or only its key columns). Control records: truncate-table -> Truncate; all others
// (table and column DDL, task events) are skipped: schema changes are not data and are never
// applied as data. The source is "schema-name.table-name" (empty when either is missing: the
// topic then names the table). Values keep their JSON kinds.
//
// Before images may also come inside "data": the add-before-image-columns transformation rule
// adds a column <prefix>X (prefix "BI_" by default, DmsOptions) holding X's old value. Such a
// member is a before-image value only when X is a member of "data" too (a source column that just
// starts with the prefix stays a column). They are taken out of the row; for an update they make
// the before image, where the "before-image" object wins for the columns it has. A before image
// whose values are all null (an insert's, a load's) is no before image.
//
// One On-Demand pass in whatever member order DMS used: "data" is read into out.after and moved
// to out.before once the operation turns out to be a delete.
#include "core/dms_decoder.hpp"

#include <map>
#include "core/source_types.hpp"

#include <string>
#include <unordered_set>
#include <string_view>
#include <utility>
#include <vector>

#include "core/change_meta.hpp"
#include "core/json_util.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;
using json::ImageState;
using json::ReadStatus;

// What a record held besides its row images (those go straight into DecodedChange).
struct DmsRecord {
  std::string_view record_type, operation, schema, table;
  std::string_view timestamp;  // "metadata.timestamp": when the source committed it (ISO, UTC)
  bool has_metadata = false;
  bool has_record_type = false;
  bool has_operation = false;
  ImageState data = ImageState::Absent;
  ImageState before = ImageState::Absent;
  // First problem in "data"/"before-image": it only matters once the record is known to be a data
  // record (control records may carry anything there).
  const char* image_problem = nullptr;
  std::vector<FieldValue> control;  // members of "control" ("table-def": its raw JSON)
};

// Reads a string-or-null member (null leaves `out` empty): DMS writes "" or null for no schema.
ReadStatus read_name(ondemand::value value, std::string_view& out, const char* bad_type) {
  ondemand::json_type type;
  if (simdjson::error_code err = value.type().get(type)) return json::malformed(err);
  if (type != ondemand::json_type::null) return json::read_string(value, out, bad_type);
  out = {};
  return json::malformed(json::read_null(value));
}

// Reads the members of "metadata" that say what the record is and which table it belongs to.
ReadStatus read_metadata(ondemand::value value, DmsRecord& rec) {
  ondemand::json_type type;
  if (simdjson::error_code err = value.type().get(type)) return json::malformed(err);
  if (type != ondemand::json_type::object) return json::invalid("'metadata' is not an object");
  ondemand::object obj;
  if (simdjson::error_code err = value.get_object().get(obj)) return json::malformed(err);
  for (auto field : obj) {
    std::string_view key;
    if (simdjson::error_code err = field.unescaped_key().get(key)) return json::malformed(err);
    ondemand::value member;
    if (simdjson::error_code err = field.value().get(member)) return json::malformed(err);
    if (key == "record-type") {
      CDC_READ_TRY(json::read_string(member, rec.record_type,
                                     "'metadata.record-type' is not a string"));
      rec.has_record_type = true;
    } else if (key == "operation") {
      CDC_READ_TRY(json::read_string(member, rec.operation,
                                     "'metadata.operation' is not a string"));
      rec.has_operation = true;
    } else if (key == "schema-name") {
      CDC_READ_TRY(read_name(member, rec.schema, "'metadata.schema-name' is not a string"));
    } else if (key == "table-name") {
      CDC_READ_TRY(read_name(member, rec.table, "'metadata.table-name' is not a string"));
    } else if (key == "timestamp") {
      ondemand::json_type ts_type;
      if (simdjson::error_code err = member.type().get(ts_type)) return json::malformed(err);
      if (ts_type == ondemand::json_type::string) CDC_READ_TRY(json::read_string(member, rec.timestamp, "'metadata.timestamp'"));
    }
  }
  rec.has_metadata = true;
  return {};
}

// Reads a row image member; malformed JSON is fatal, a wrong type only noted (see image_problem).
ReadStatus read_row(ondemand::value value, ImageState& state, std::vector<FieldValue>& dst,
                    const char* bad_type, DmsRecord& rec) {
  ReadStatus status = json::read_image(value, dst, state, bad_type);
  if (status.code != simdjson::SUCCESS) return status;
  if (status.problem != nullptr && rec.image_problem == nullptr) rec.image_problem = status.problem;
  return {};
}

// Handles one top-level member of a record.
ReadStatus record_field(std::string_view key, ondemand::value value, DmsRecord& rec,
                        DecodedChange& out) {
  if (key == "metadata") return read_metadata(value, rec);
  if (key == "data") {
    return read_row(value, rec.data, out.after, "'data' is neither an object nor null", rec);
  }
  if (key == "before-image") {
    return read_row(value, rec.before, out.before, "'before-image' is neither an object nor null",
                    rec);
  }
  if (key == "control") {
    ondemand::json_type type;
    if (simdjson::error_code err = value.type().get(type)) return json::malformed(err);
    if (type == ondemand::json_type::object) return json::malformed(json::read_fields(value, rec.control));
  }
  return {};  // anything newer DMS versions add
}

// A table's definition from a create-table control record: each column's PostgreSQL type (in
// the record's order) and the primary key.
struct TableDef {
  std::vector<std::pair<std::string, std::string>> types;
  std::vector<std::string> key;
};

// Reads "table-def" ({"columns": {name: {"type", "length", "precision", "scale", ...}},
// "primary-key": [...]}); false when it is not one.
bool read_table_def(std::string_view raw, TableDef& def) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(raw.data(), raw.size()).get(root)) return false;
  simdjson::dom::object columns;
  if (root["columns"].get(columns)) return false;
  for (simdjson::dom::key_value_pair member : columns) {
    std::string_view name = member.key;
    simdjson::dom::element col = member.value;
    std::string_view type;
    if (col["type"].get(type)) continue;
    auto number = [&](const char* member) {
      int64_t v;
      return col[member].get(v) ? int64_t(-1) : v;
    };
    def.types.emplace_back(std::string(name),
                           pg_type_for_dms(type, number("length"), number("precision"), number("scale")));
  }
  simdjson::dom::array key;
  if (!root["primary-key"].get(key))
    for (auto k : key) {
      std::string_view name;
      if (!k.get(name)) def.key.emplace_back(name);
    }
  return true;
}

// One pass over the top-level members.
ReadStatus scan_record(ondemand::object root, DmsRecord& rec, DecodedChange& out) {
  for (auto field : root) {
    std::string_view key;
    if (simdjson::error_code err = field.unescaped_key().get(key)) return json::malformed(err);
    ondemand::value value;
    if (simdjson::error_code err = field.value().get(value)) return json::malformed(err);
    CDC_READ_TRY(record_field(key, value, rec, out));
  }
  return {};
}

// Maps a data record's operation; false for an unknown one.
bool map_data_operation(std::string_view operation, Op& op) {
  if (operation == "load" || operation == "insert") {
    op = Op::Insert;  // "load": a row copied by the full load phase
  } else if (operation == "update") {
    op = Op::Update;
  } else if (operation == "delete") {
    op = Op::Delete;
  } else {
    return false;
  }
  return true;
}

// True for DMS's own bookkeeping tables (awsdms_apply_exceptions, ...), which have no schema.
bool is_dms_internal_table(const DmsRecord& rec) {
  return rec.schema.empty() && rec.table.substr(0, 7) == "awsdms_";
}

// True when every value of `row` is null (also when it is empty).
bool all_null(const std::vector<FieldValue>& row) {
  for (const FieldValue& f : row) {
    if (f.kind != ValueKind::Null) return false;
  }
  return true;
}

// "schema.table" for a reason, or "(no table)".
std::string table_for_reason(const DmsRecord& rec) {
  if (rec.table.empty()) return "(no table)";
  return json::printable(rec.schema) + "." + json::printable(rec.table);
}

class DmsDecoder final : public Decoder {
 public:
  explicit DmsDecoder(const DmsOptions& options) : options_(options) {}

  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;
  // The type the table's create-table control record declared, when this session read one.
  std::string source_type(std::string_view field) override {
    auto def = tables_.find(source_);
    if (def == tables_.end()) return {};
    for (const auto& [name, type] : def->second.types)
      if (name == field) return type;
    return {};
  }
  std::vector<std::string> declared_key() override {
    auto def = tables_.find(source_);
    return def == tables_.end() ? std::vector<std::string>() : def->second.key;
  }

 private:
  DecodeResult finish(const DmsRecord& rec, DecodedChange& out);
  DecodeResult finish_data(const DmsRecord& rec, DecodedChange& out);
  DecodeResult finish_control(const DmsRecord& rec, DecodedChange& out);
  void set_source(const DmsRecord& rec, DecodedChange& out);
  void take_prefixed_before(std::vector<FieldValue>& row);
  void merge_prefixed_before(std::vector<FieldValue>& before);

  DmsOptions options_;
  json::ValueDocument value_;
  json::ObjectKeyReader key_;
  std::string source_;                     // out.source points here
  std::vector<FieldValue> prefixed_;       // before-image values found in "data", named X
  std::vector<unsigned char> is_prefixed_; // take_prefixed_before()'s marks, one per field
  std::unordered_set<std::string_view> names_;  // field names of the row (hashed: names are untrusted)
  std::map<std::string, TableDef> tables_;      // by "schema.table": table-defs read so far
};

DecodeResult DmsDecoder::decode(const char* key, size_t key_len, const char* value,
                                size_t value_len, DecodedChange& out) {
  out.clear();
  source_.clear();  // source_type() answers for this message's table only
  ondemand::object root;
  DecodeResult result = value_.open(value, value_len, root);
  if (result.status == DecodeStatus::Change) {
    DmsRecord rec;
    ReadStatus status = scan_record(root, rec, out);
    if (!status.failed()) status = value_.finish();
    result = status.failed() ? value_.failure(status) : finish(rec, out);
  }
  if (result.status == DecodeStatus::Change) {
    key_.read(key, key_len, out.key);  // DMS keys are "schema.table.pk" strings: usually none
  } else {
    out.clear();  // nothing half-decoded leaks out
  }
  return result;
}

// Checks the scanned record and fills op/source/images.
DecodeResult DmsDecoder::finish(const DmsRecord& rec, DecodedChange& out) {
  if (!rec.has_metadata) return error("no 'metadata' field: not an AWS DMS record");
  if (!rec.has_record_type) return error("'metadata.record-type' is missing");
  if (!rec.has_operation) return error("'metadata.operation' is missing");
  if (rec.record_type == "control") return finish_control(rec, out);
  if (rec.record_type != "data") {
    return error("unknown record-type '" + json::printable(rec.record_type) + "'");
  }
  return finish_data(rec, out);
}

// A data record: a row inserted (or loaded), updated or deleted.
DecodeResult DmsDecoder::finish_data(const DmsRecord& rec, DecodedChange& out) {
  Op op;
  if (!map_data_operation(rec.operation, op)) {
    return error("unknown operation '" + json::printable(rec.operation) + "' in a data record");
  }
  if (is_dms_internal_table(rec)) {
    return skip("record of AWS DMS's own table '" + json::printable(rec.table) + "': not applied");
  }
  if (rec.image_problem != nullptr) return error(rec.image_problem);
  if (rec.data != ImageState::Object) return error("data record without a 'data' object");
  set_source(rec, out);
  out.op = op;
  out.source_ts_ms = rec.timestamp.empty() ? DecodedChange::kNoSourceTime : utc_iso_ms(rec.timestamp);
  take_prefixed_before(out.after);
  if (op == Op::Delete) {
    // DMS puts the deleted row (or its key columns) in "data": that is the before image.
    out.before.swap(out.after);
    out.after.clear();
    out.has_before = true;
    return {};
  }
  out.has_after = true;
  if (op == Op::Update) merge_prefixed_before(out.before);
  // PostgreSQL sources leave the before image empty unless the key changed: empty = nothing known.
  // All nulls says nothing either, and would read as an old row whose key is NULL.
  out.has_before = op == Op::Update && !all_null(out.before);
  if (!out.has_before) out.before.clear();
  return {};
}

// Moves the before-image members <prefix>X of "data" out of `row` into prefixed_ (named X). Marked
// first, then moved, so whether X is a member does not depend on the order of the members.
void DmsDecoder::take_prefixed_before(std::vector<FieldValue>& row) {
  prefixed_.clear();
  const std::string& prefix = options_.before_image_prefix;
  if (prefix.empty()) return;
  is_prefixed_.assign(row.size(), 0);
  bool any = false;
  names_.clear();
  for (size_t i = 0; i < row.size(); ++i) {
    std::string_view name = row[i].name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    // Hashed, once a prefixed field is seen: a message with many of them stays linear.
    if (names_.empty())
      for (const FieldValue& f : row) names_.insert(f.name);
    is_prefixed_[i] = names_.count(name.substr(prefix.size())) != 0;
    any |= is_prefixed_[i] != 0;
  }
  if (!any) return;
  size_t kept = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (is_prefixed_[i] == 0) {
      row[kept++] = row[i];
      continue;
    }
    FieldValue old = row[i];
    old.name.remove_prefix(prefix.size());
    prefixed_.push_back(old);
  }
  row.resize(kept);
}

// Adds to an update's before image the prefixed values of the columns it does not have: the
// "before-image" object, when present too, wins.
void DmsDecoder::merge_prefixed_before(std::vector<FieldValue>& before) {
  names_.clear();
  for (const FieldValue& f : before) names_.insert(f.name);
  for (const FieldValue& f : prefixed_)
    if (!names_.count(f.name)) before.push_back(f);
}

// A control record: a truncate is applied, everything else (DDL, task events) skipped.
DecodeResult DmsDecoder::finish_control(const DmsRecord& rec, DecodedChange& out) {
  // A table definition (IncludeControlDetails) gives the columns' types to targets created later.
  const FieldValue* def = json::find_field(rec.control, "table-def");
  if (def != nullptr && def->kind == ValueKind::Json && !rec.table.empty() && !rec.schema.empty()) {
    TableDef parsed;
    if (read_table_def(def->text, parsed))
      tables_[std::string(rec.schema) + "." + std::string(rec.table)] = std::move(parsed);
  }
  // "truncate-table" is what DMS writes; "TruncateTable" is the spelling of the user guide.
  if (rec.operation == "truncate-table" || rec.operation == "TruncateTable") {
    set_source(rec, out);
    out.op = Op::Truncate;
    out.source_ts_ms = rec.timestamp.empty() ? DecodedChange::kNoSourceTime : utc_iso_ms(rec.timestamp);
    return {};
  }
  return skip("AWS DMS control record '" + json::printable(rec.operation) + "' on " +
              table_for_reason(rec) + ": not applied (schema changes are not data)");
}

// Points out.source at "schema.table"; leaves it empty when the record does not name both (the
// pipeline then takes the table from the topic).
void DmsDecoder::set_source(const DmsRecord& rec, DecodedChange& out) {
  if (rec.table.empty() || rec.schema.empty()) return;
  source_.assign(rec.schema);
  source_ += '.';
  source_ += rec.table;
  out.source = source_;
}

}  // namespace

std::unique_ptr<Decoder> make_dms_decoder() { return make_dms_decoder(DmsOptions{}); }

std::unique_ptr<Decoder> make_dms_decoder(const DmsOptions& options) {
  return std::make_unique<DmsDecoder>(options);
}

}  // namespace cdc
