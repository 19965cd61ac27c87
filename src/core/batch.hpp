// One batch of changes for one target table: the last change per key, encoded for COPY.
#pragma once
#include "core/pure_cpp.hpp"

#include "core/arena.hpp"
#include "core/change.hpp"
#include "core/change_meta.hpp"
#include "core/column_type.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cdc {

// The target table as the batch sees it: its writable columns and which of them form the key.
struct TableShape {
  std::vector<std::string> columns;  // target column names, in table order
  std::vector<int> key;              // indices into `columns`
  // Optional: the type of each column (same length as `columns`), from
  // column_type_from_name(format_type(atttypid, atttypmod)). When given, values that came
  // without a schema are converted by column type (see convert_for_column); empty: never.
  std::vector<ColumnType> types;
  SourceEncoding encoding = SourceEncoding::Debezium;  // which conversions by type apply
  // A placeholder the source writes for a value it did not send (Debezium's PostgreSQL connector:
  // '__debezium_unavailable_value' for unchanged TOASTed columns). Such a column counts as absent,
  // so the target keeps its value. Empty: none.
  std::string unavailable_value;
  // Every message becomes a new row (its after image, or its before image for a delete): no key,
  // no last-change-per-key, plain inserts.
  bool append = false;
  // A field whose value 'd' or 'delete' (any case) makes the message a delete of its row.
  std::string op_field;
  // Schema evolution: fields without a column are collected with their type (new_columns()),
  // asked of `source_type` (what the message declares, "" for nothing) or else read off the value.
  bool collect_new_columns = false;
  std::function<std::string(std::string_view field)> source_type;
  // Apply semantics (sync table options; see change_meta.hpp).
  DeleteMode delete_mode = DeleteMode::Delete;
  TruncateMode truncate_mode = TruncateMode::Truncate;
  bool changelog = false;   // mode changelog (with append): each row also stages its op and before image
  bool stage_meta = false;  // stage each row's op, source time, topic, partition and offset
  VersionFrom version_from = VersionFrom::None;
  int version_column = -1;  // VersionFrom::Column: index into `columns`
  VersionOrder version_order = VersionOrder::Text;  // how that column's values compare

  TableShape() = default;
  TableShape(std::vector<std::string> cols, std::vector<int> key_cols,
             std::vector<ColumnType> col_types = {})
      : columns(std::move(cols)), key(std::move(key_cols)), types(std::move(col_types)) {}
};

// A field that has no column in the target (TableShape::collect_new_columns), with the PostgreSQL
// type its first message declared or its first non-null value suggested ("" while only nulls came).
struct NewColumn {
  std::string name;
  std::string type;
  uint32_t message = 0;  // TableBatch::at_message() of the change that brought it (or gave its type)
};

// Rows that share the same present columns, ready to be streamed into a staging table with
// COPY ... (op, columns...) FROM STDIN in text format.
struct StageGroup {
  std::vector<int> columns;   // indices into TableShape::columns, in table order, key columns included
  bool full = false;          // every column of the table is present
  bool replace = false;       // rows must replace the old row (absent columns get defaults, not old values)
  bool append = false;        // rows are plain inserts (TableShape::append)
  bool validate_only = false;  // rows only pass through the input functions (see TableBatch)
  bool meta = false;          // each line carries the change's metadata after the op (kMetaFields)
  bool archive = false;       // rows for the archive of deleted rows ('a'), not for the target
  // truncate_mode soft: how many of the batch's soft truncates came before the rows' last
  // changes. Groups of phase p are applied after truncate p and before truncate p + 1.
  uint32_t phase = 0;
  // "op\tv1\tv2...\n" per row, op 'u' (upsert), 'd' (delete), 's' (upsert marked deleted: a soft
  // delete or truncate), 'a' (archive) or 'v' (validate)
  std::string copy_text;
  size_t upserts = 0;
  size_t deletes = 0;
};

// Keeps the last change per key of one target table. Later changes to a key overwrite the columns
// they carry; a delete followed by an insert in the same batch turns into a replacement.
//
// A message's fields go to the column of the same name; a field that has none goes to the one
// column whose name equals it ignoring ASCII case (DMS from Oracle writes "REGION" for a `region`
// column); a field that still has none is unmatched: counted, and its name reported once.
//
// A change that a later one supersedes within the batch is not lost to validation: its row is
// kept and staged in a validate-only group, so a value the column's input function rejects is a
// bad message whatever follows it, exactly as when every message is a batch of its own. (Only
// input functions judge superseded rows; constraints see the rows that are applied.)
class TableBatch {
 public:
  explicit TableBatch(TableShape shape);

  // Adds one change (from where `meta` says). Returns false and sets `error` when the change
  // cannot be keyed or lacks its version.
  bool add(const DecodedChange& change, std::string& error, const ChangeMeta& meta = ChangeMeta());
  // Whether add() would accept the change (it can be keyed, and no value is refused outright;
  // see base64_decimal_problem), without adding it.
  bool check(const DecodedChange& change, std::string& error);
  // A truncate of the source table, by truncate_mode: forget the batch's rows and truncate the
  // target first; or (soft) start a new phase (see soft_truncates()); or (ignore) nothing.
  void truncate();

  bool empty() const {
    return rows_.empty() && !truncate_first_ && superseded_ == 0 && archived_.empty() && soft_truncates_.empty();
  }
  size_t rows() const { return rows_.size(); }
  bool truncate_first() const { return truncate_first_; }
  // truncate_mode soft: the batch's truncate events, in order (each marks the target's rows
  // between the groups of two phases).
  const std::vector<RowMeta>& soft_truncates() const { return soft_truncates_; }
  // Changes not applied because a newer version of their key was in the batch.
  uint64_t older_versions() const { return older_versions_; }
  const TableShape& shape() const { return shape_; }

  // The batch's rows split into groups of identical column sets.
  std::vector<StageGroup> groups() const;
  // Forgets every row (keeps allocated memory for the next batch).
  void clear();

  // Truncate events taken since clear() (under truncate_mode truncate they collapse into one
  // truncate of the target; under soft each may mark its rows).
  uint64_t truncates() const { return truncates_; }
  // Values of fields that matched no column in the changes added since clear().
  uint64_t unmatched_values() const { return unmatched_values_; }
  // Names of the unmatched fields of the changes added since clear(), once each, in order (a name
  // longer than 63 bytes is cut and ends in "...").
  const std::vector<std::string>& new_unmatched_fields() const { return new_unmatched_; }
  // Fields without a column since clear(), in order, when the shape collects them.
  const std::vector<NewColumn>& new_columns() const { return new_columns_; }
  // The caller's index of the message whose changes are added next (recorded in new_columns()).
  void at_message(uint32_t index) { message_ = index; }
  // Columns whose source now declares a wider type than the target's (name: the column, type: the
  // widest type declared), noted by the caller, once per column since clear().
  void note_wider_type(const std::string& column, const std::string& type);
  const std::vector<NewColumn>& wider_types() const { return wider_types_; }
  // Columns whose source now declares a type the target's cannot hold (name, declared type).
  void note_incompatible_type(const std::string& column, const std::string& type);
  const std::vector<NewColumn>& incompatible_types() const { return incompatible_types_; }
  // The key fields of the first change collected (its Kafka key's, or what the caller sets), for
  // a target to be created.
  const std::vector<std::string>& key_fields() const { return key_fields_; }
  void set_key_fields(std::vector<std::string> fields) { key_fields_ = std::move(fields); }

 private:
  struct Row {
    bool is_delete = false;
    bool replace = false;
    bool soft = false;        // staged 's': its values applied, marked deleted
    uint32_t phase = 0;       // soft truncates before its last change
    uint32_t first_slot = 0;  // index of this row's first value in slots_
  };
  // A deleted row for the archive (delete_mode archive, only_archive).
  struct Archived {
    uint32_t first_slot = 0;  // into archived_slots_
    RowMeta meta;
  };
  bool key_of(const std::vector<FieldValue>& image, const std::vector<FieldValue>* fallback,
              std::string& error);
  const FieldValue* field_for(const std::vector<FieldValue>& image, int column);
  int column_of(std::string_view field, bool* folded = nullptr);
  static const FieldValue* named(const std::vector<FieldValue>& image, std::string_view name);
  int fold_match(std::string_view field) const;
  void note_unmatched(const FieldValue& field);
  bool values_refused(const std::vector<FieldValue>& image, std::string& error);
  bool refused(const DecodedChange& change, std::string& error);
  void set_columns(uint32_t first_slot, const std::vector<FieldValue>& image, bool data = false);
  void set_columns_in(std::vector<std::string_view>& slots, uint32_t first_slot, const std::vector<FieldValue>& image,
                      bool data);
  bool add_change(const DecodedChange& change, std::string& error);
  bool version_missing(const DecodedChange& change, std::string& error);
  bool older_than_kept(const Row& row, uint32_t row_index, const std::vector<FieldValue>& image,
                       const std::vector<FieldValue>& key_fields);
  void supersede_image(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields);
  void archive_delete(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields);
  RowMeta meta_of_current(Op op = Op::Insert);
  bool key_or_version(int c) const;
  void append_meta(std::string& out, const RowMeta& meta) const;
  void append_row_groups(std::vector<StageGroup>& groups) const;
  void append_archive_groups(std::vector<StageGroup>& groups) const;
  void supersede(const Row& row);
  void append_superseded_groups(std::vector<StageGroup>& groups) const;
  bool is_unavailable(const FieldValue& value) const;
  bool marked_deleted(const DecodedChange& change) const;
  void add_appended(const DecodedChange& change);
  void put(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields, bool is_delete);
  void mask_of(const std::string_view* values, std::string& mask) const;
  std::vector<int> columns_in(const std::string& mask) const;
  void append_line(std::string& out, char op, const std::string_view* values, const std::vector<int>& columns,
                   const RowMeta* meta) const;

  TableShape shape_;
  size_t ncols_;
  std::unordered_map<std::string_view, int> column_index_;
  std::vector<Row> rows_;
  std::vector<std::string_view> slots_;  // rows_.size() * ncols_ escaped values; data()==nullptr: absent
  std::unordered_map<std::string_view, uint32_t> by_key_;
  std::string key_scratch_;
  std::string moved_key_;  // the new key while the old one of a key-changing update is deleted
  Arena arena_;
  std::string convert_scratch_;  // convert_for_column output, reused
  bool truncate_first_ = false;
  uint64_t truncates_ = 0;
  std::vector<std::string> unavailable_forms_;  // the placeholder as text, base64 and bytea hex
  bool check_decimals_ = false;  // some column is numeric/integer and base64 decimals are not declared
  // Fields whose names are not a column's (their first 64 bytes): the column they match ignoring
  // case, or -1, and the batch (epoch_) that last named them. Keys point into folded_names_.
  // Bounded: names come from messages (untrusted).
  struct Folded {
    int column;
    uint64_t named_in;
  };
  std::unordered_map<std::string_view, Folded> folded_;
  uint64_t epoch_ = 1;  // bumped by clear()
  std::vector<std::unique_ptr<std::string>> folded_names_;
  uint64_t unmatched_values_ = 0;
  std::vector<std::string> new_unmatched_;
  std::vector<NewColumn> new_columns_;
  std::vector<NewColumn> wider_types_;
  std::vector<NewColumn> incompatible_types_;
  std::vector<std::string> key_fields_;
  uint32_t message_ = 0;
  std::vector<std::string_view> superseded_slots_;  // superseded_ rows of ncols_ values each
  size_t superseded_ = 0;
  // Apply semantics: per-row metadata (parallel to rows_ when the shape stages it), deleted rows
  // for the archive, and the change being added.
  std::vector<RowMeta> metas_;
  std::vector<Archived> archived_;
  std::vector<std::string_view> archived_slots_;
  const DecodedChange* change_ = nullptr;
  const ChangeMeta* meta_ = nullptr;
  std::vector<RowMeta> soft_truncates_;
  bool changed_since_truncate_ = false;  // a change was added since the last soft truncate
  uint64_t older_versions_ = 0;
  std::string_view last_topic_;  // the topic last stored in the arena
};

// How many field names a TableBatch remembers resolving (the rest are resolved every time).
constexpr size_t kMaxFoldedNames = 10000;

// Appends `text` to `out` escaped for COPY text format (backslash, tab, newline, carriage return).
void append_copy_escaped(std::string& out, std::string_view text);

// The COPY text form of one field value (`\N` for null), stored in `arena`.
std::string_view copy_value(Arena& arena, const FieldValue& value);

// The COPY text form of a value for a column of type `type`: converted first when it came
// without a schema (see convert_for_column). `scratch` is reused working space.
std::string_view copy_value(Arena& arena, const FieldValue& value, const ColumnType& type,
                            std::string& scratch, SourceEncoding encoding = SourceEncoding::Debezium);

}  // namespace cdc
