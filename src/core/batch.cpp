// Dedup of changes per key and their encoding as COPY text for the staging table.
#include "core/batch.hpp"

#include "core/source_types.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace cdc {

namespace {
constexpr std::string_view kNull = "\\N";

// Number of bytes `text` takes once escaped for COPY text format.
size_t escaped_size(std::string_view text) {
  size_t n = text.size();
  for (char c : text)
    if (c == '\\' || c == '\t' || c == '\n' || c == '\r') ++n;
  return n;
}

// Writes `text` escaped for COPY text format at `out`; returns the end.
char* write_escaped(char* out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\': *out++ = '\\'; *out++ = '\\'; break;
      case '\t': *out++ = '\\'; *out++ = 't'; break;
      case '\n': *out++ = '\\'; *out++ = 'n'; break;
      case '\r': *out++ = '\\'; *out++ = 'r'; break;
      default: *out++ = c;
    }
  }
  return out;
}
}  // namespace

void append_copy_escaped(std::string& out, std::string_view text) {
  size_t at = out.size();
  out.resize(at + escaped_size(text));
  write_escaped(out.data() + at, text);
}

std::string_view copy_value(Arena& arena, const FieldValue& value) {
  if (value.kind == ValueKind::Null) return kNull;
  size_t n = escaped_size(value.text);
  if (n == value.text.size()) return arena.store(value.text);
  char* p = arena.allocate(n);
  write_escaped(p, value.text);
  return {p, n};
}

std::string_view copy_value(Arena& arena, const FieldValue& value, const ColumnType& type,
                            std::string& scratch, SourceEncoding encoding) {
  scratch.clear();
  if (!convert_for_column(value, type, scratch, encoding)) return copy_value(arena, value);
  return copy_value(arena, FieldValue{value.name, ValueKind::Text, scratch});
}

namespace {
// Standard base64 of `raw` (for recognising a placeholder sent as bytes).
std::string base64_of(std::string_view raw) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    uint32_t v = (uint8_t)raw[i] << 16 | (uint8_t)raw[i + 1] << 8 | (uint8_t)raw[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(chars[(v >> s) & 63]);
  }
  if (i < raw.size()) {
    uint32_t v = (uint8_t)raw[i] << 16 | (i + 1 < raw.size() ? (uint8_t)raw[i + 1] << 8 : 0);
    out.push_back(chars[(v >> 18) & 63]);
    out.push_back(chars[(v >> 12) & 63]);
    out.push_back(i + 1 < raw.size() ? chars[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// PostgreSQL's bytea hex text of `raw`.
std::string bytea_hex_of(std::string_view raw) {
  static const char* digits = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Case-insensitive equality with a lower-case ASCII word.
bool equals_word(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); i++)
    if (std::tolower((unsigned char)text[i]) != lower[i]) return false;
  return true;
}
}  // namespace

TableBatch::TableBatch(TableShape shape) : shape_(std::move(shape)), ncols_(shape_.columns.size()) {
  // Versions from the metadata are compared on it; changelog rows carry it.
  if (shape_.version_from == VersionFrom::SourceTs || shape_.version_from == VersionFrom::Offset || shape_.changelog)
    shape_.stage_meta = true;
  for (size_t i = 0; i < ncols_; ++i) column_index_.emplace(shape_.columns[i], static_cast<int>(i));
  if (!shape_.unavailable_value.empty())
    unavailable_forms_ = {shape_.unavailable_value, base64_of(shape_.unavailable_value),
                          bytea_hex_of(shape_.unavailable_value)};
  // Types that do not line up with the columns would convert the wrong values.
  if (!shape_.types.empty() && shape_.types.size() != ncols_) {
    throw std::invalid_argument("cdc::TableShape: types must be empty or one per column");
  }
  if (shape_.encoding == SourceEncoding::Debezium)
    for (const ColumnType& t : shape_.types)
      check_decimals_ |= t.kind == ColumnKind::Numeric || t.kind == ColumnKind::Integer;
}

namespace {
// PostgreSQL's longest identifier (NAMEDATALEN - 1): a longer field name matches no column, and
// only its first bytes are remembered and reported.
constexpr size_t kMaxNameBytes = 63;

// ASCII lower case, whatever the process locale (a backend's LC_CTYPE is the database's).
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
}  // namespace

// The column `field` names: the one of that name, else the only one equal to it ignoring ASCII
// case (`folded` says so), else -1 (an unmatched field).
int TableBatch::column_of(std::string_view field, bool* folded) {
  if (folded) *folded = false;
  auto exact = column_index_.find(field);
  if (exact != column_index_.end()) return exact->second;
  std::string_view key = field.substr(0, kMaxNameBytes + 1);
  auto known = folded_.find(key);
  int column;
  if (known != folded_.end()) {
    column = known->second.column;
  } else {
    column = field.size() > kMaxNameBytes ? -1 : fold_match(field);
    if (folded_.size() < kMaxFoldedNames) {
      folded_names_.push_back(std::make_unique<std::string>(key));
      folded_.emplace(*folded_names_.back(), Folded{column, 0});
    }
  }
  if (folded) *folded = column >= 0;
  return column;
}

// Counts a value of a field that matches no column, and names the field once per batch (the
// catalog keeps the names already reported, so a rolled-back batch loses none).
void TableBatch::note_wider_type(const std::string& column, const std::string& type) {
  for (NewColumn& c : wider_types_)
    if (c.name == column) {
      if (compare_types(c.type, type) == TypeChange::Widen) {  // the widest declaration wins
        c.type = type;
        c.message = message_;
      }
      return;
    }
  wider_types_.push_back({column, type, message_});
}

void TableBatch::note_incompatible_type(const std::string& column, const std::string& type) {
  for (const NewColumn& c : incompatible_types_)
    if (c.name == column) return;
  incompatible_types_.push_back({column, type, message_});
}

void TableBatch::note_unmatched(const FieldValue& value) {
  std::string_view field = value.name;
  unmatched_values_++;
  if (shape_.collect_new_columns && field.size() <= kMaxNameBytes) {
    NewColumn* known = nullptr;
    for (NewColumn& c : new_columns_)
      if (c.name == field) known = &c;
    if (known == nullptr || known->type.empty()) {
      std::string type = shape_.source_type ? shape_.source_type(field) : std::string();
      if (type.empty()) type = pg_type_for_value(value.kind, value.text);
      if (known == nullptr) {
        new_columns_.push_back({std::string(field), std::move(type), message_});
      } else if (!type.empty()) {
        known->type = std::move(type);
        known->message = message_;
      }
    }
  }
  auto it = folded_.find(field.substr(0, kMaxNameBytes + 1));
  if (it == folded_.end() || it->second.named_in == epoch_) return;  // named in this batch, or past the bound
  it->second.named_in = epoch_;
  std::string name(field.substr(0, kMaxNameBytes));
  if (field.size() > kMaxNameBytes) name += "...";
  new_unmatched_.push_back(std::move(name));
}

// The only column whose name equals `field` ignoring ASCII case, or -1 (none, or ambiguous).
int TableBatch::fold_match(std::string_view field) const {
  int found = -1;
  for (size_t c = 0; c < ncols_; ++c) {
    const std::string& name = shape_.columns[c];
    if (name.size() != field.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = ascii_lower(name[i]) == ascii_lower(field[i]);
    if (!same) continue;
    if (found >= 0) return -1;  // "Region" and "region" both match "REGION": no guess
    found = static_cast<int>(c);
  }
  return found;
}

// The field of `image` that goes to `column` (by exact name first), or null.
const FieldValue* TableBatch::field_for(const std::vector<FieldValue>& image, int column) {
  if (const FieldValue* exact = named(image, shape_.columns[column])) return exact;
  for (const FieldValue& f : image)
    if (column_of(f.name) == column) return &f;
  return nullptr;
}

// True (with `error`) when a value of `image` must not reach its column at all.
bool TableBatch::values_refused(const std::vector<FieldValue>& image, std::string& error) {
  for (const FieldValue& f : image) {
    if (f.kind != ValueKind::String) continue;
    // PostgreSQL text cannot hold NUL; COPY would refuse the whole line without naming the column.
    if (f.text.find('\0') != std::string_view::npos) {
      int c = column_of(f.name);
      if (c < 0) continue;  // not stored anywhere
      error = "field \"" + std::string(f.name) + "\" contains a NUL character (\\u0000), which PostgreSQL text " +
              "cannot hold (column " + shape_.columns[c] + ")";
      return true;
    }
    if (!check_decimals_) continue;
    int c = column_of(f.name);
    if (c < 0) continue;
    error = base64_decimal_problem(f, shape_.types[c], shape_.encoding);
    if (!error.empty()) return true;
  }
  return false;
}

// Builds the escaped key of `image` (or of `fallback` for columns `image` lacks) into key_scratch_.
bool TableBatch::key_of(const std::vector<FieldValue>& image, const std::vector<FieldValue>* fallback,
                        std::string& error) {
  key_scratch_.clear();
  for (size_t k = 0; k < shape_.key.size(); ++k) {
    const std::string& name = shape_.columns[shape_.key[k]];
    const FieldValue* found = field_for(image, shape_.key[k]);
    if (!found && fallback) found = field_for(*fallback, shape_.key[k]);
    if (!found) {
      error = "key column \"" + name + "\" is missing from the message";
      return false;
    }
    if (found->kind == ValueKind::Null) {
      error = "key column \"" + name + "\" is null in the message";
      return false;
    }
    if (k) key_scratch_.push_back('\t');
    append_copy_escaped(key_scratch_, found->text);
  }
  return true;
}

// Stores the values of the fields of `image` that name target columns into the row's slots.
// True when `value` is the source's placeholder for a value it did not send.
bool TableBatch::is_unavailable(const FieldValue& value) const {
  if (value.kind != ValueKind::String && value.kind != ValueKind::Text) return false;
  for (const std::string& form : unavailable_forms_)
    if (value.text == form) return true;
  return false;
}

// True when the change's op_field says its row is deleted.
bool TableBatch::marked_deleted(const DecodedChange& change) const {
  if (shape_.op_field.empty()) return false;
  for (const FieldValue& f : change.after)
    if (f.name == shape_.op_field)
      return (f.kind == ValueKind::String || f.kind == ValueKind::Text) &&
             (equals_word(f.text, "d") || equals_word(f.text, "delete"));
  return false;
}

// Stores the values of `image`'s fields into the row's slots; `data`: the image is row data, so a
// field that matches no column is counted (the op_field is not data).
void TableBatch::set_columns(uint32_t first_slot, const std::vector<FieldValue>& image, bool data) {
  set_columns_in(slots_, first_slot, image, data);
}

// set_columns() into `slots` (the rows', or the archive's).
void TableBatch::set_columns_in(std::vector<std::string_view>& slots, uint32_t first_slot,
                                const std::vector<FieldValue>& image, bool data) {
  for (const FieldValue& f : image) {
    bool folded = false;
    int c = column_of(f.name, &folded);
    // "ID" must not overwrite what a field named exactly "id" in the same image gave its column
    // (the key was read from that one).
    if (folded && named(image, shape_.columns[c])) c = -1;
    if (c < 0) {
      if (data && f.name != shape_.op_field) note_unmatched(f);
      continue;
    }
    if (!unavailable_forms_.empty() && is_unavailable(f)) continue;  // keep the target's value
    slots[first_slot + c] = shape_.types.empty()
                                 ? copy_value(arena_, f)
                                 : copy_value(arena_, f, shape_.types[c], convert_scratch_, shape_.encoding);
  }
}

// The field of `image` named exactly `name`, or null.
const FieldValue* TableBatch::named(const std::vector<FieldValue>& image, std::string_view name) {
  for (const FieldValue& f : image)
    if (f.name == name) return &f;
  return nullptr;
}

// Keeps the values `row` holds now for validation (see the class comment): a later change of
// its key is about to overwrite or delete them.
void TableBatch::supersede(const Row& row) {
  if (row.is_delete) return;  // a delete's values are never staged beyond its key (and version)
  superseded_slots_.insert(superseded_slots_.end(), slots_.begin() + row.first_slot,
                           slots_.begin() + row.first_slot + ncols_);
  superseded_++;
}

// True (with `error`) when a value the change would write must not reach its column at all; a
// delete (unless appended) writes only its key.
bool TableBatch::refused(const DecodedChange& change, std::string& error) {
  if (change.op == Op::Delete && !shape_.append) return false;
  const std::vector<FieldValue>& image = change.op == Op::Delete ? change.before : change.after;
  return values_refused(image, error) || values_refused(change.key, error);
}

bool TableBatch::check(const DecodedChange& change, std::string& error) {
  if (change.op == Op::Truncate) return true;
  const std::vector<FieldValue>& image = change.op == Op::Delete ? change.before : change.after;
  if (!shape_.append && !key_of(image, &change.key, error)) return false;
  return !refused(change, error) && !version_missing(change, error);
}

// True (with `error`) when the shape compares versions and the change has none to compare.
bool TableBatch::version_missing(const DecodedChange& change, std::string& error) {
  if (shape_.append || change.op == Op::Truncate) return false;
  // A change the options never apply needs no version.
  const DeleteMode mode = shape_.delete_mode;
  if (change.op == Op::Delete ? mode == DeleteMode::Ignore || mode == DeleteMode::OnlyArchive
                              : mode == DeleteMode::OnlyArchive)
    return false;
  if (shape_.version_from == VersionFrom::SourceTs && change.source_ts_ms == DecodedChange::kNoSourceTime) {
    error = "the message carries no source commit time, which version_column \"_cdc_source_ts\" compares; use "
            "a column of the row as version_column";
    return true;
  }
  if (shape_.version_from != VersionFrom::Column) return false;
  const std::vector<FieldValue>& image = change.op == Op::Delete ? change.before : change.after;
  if (field_for(image, shape_.version_column) || field_for(change.key, shape_.version_column)) return false;
  error = "version column \"" + shape_.columns[shape_.version_column] + "\" is missing from the message (sync " +
          "table option version_column: every change must carry it)";
  return true;
}

// The metadata of the change being added, as the row's (op: the change's, or `op` when given).
RowMeta TableBatch::meta_of_current(Op op) {
  RowMeta m;
  if (change_ == nullptr) return m;
  m.op = op == Op::Insert ? change_->op : op;
  m.source_ts_ms = change_->source_ts_ms;
  if (meta_ != nullptr && meta_->offset >= 0) {
    if (meta_->topic != last_topic_) last_topic_ = arena_.store(meta_->topic);
    m.topic = last_topic_;
    m.partition = meta_->partition;
    m.offset = meta_->offset;
  }
  return m;
}

// Keeps a deleted row for the archive: the delete's image (and key), with its metadata.
void TableBatch::archive_delete(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields) {
  Archived a;
  a.first_slot = static_cast<uint32_t>(archived_slots_.size());
  archived_slots_.resize(archived_slots_.size() + ncols_);
  set_columns_in(archived_slots_, a.first_slot, key_fields, false);
  set_columns_in(archived_slots_, a.first_slot, image, false);
  a.meta = meta_of_current(Op::Delete);
  archived_.push_back(a);
}

// True when the change being added is older than what row `index` holds (version_column).
bool TableBatch::older_than_kept(const Row& row, uint32_t index, const std::vector<FieldValue>& image,
                                 const std::vector<FieldValue>& key_fields) {
  switch (shape_.version_from) {
    case VersionFrom::None: return false;
    case VersionFrom::SourceTs: return change_->source_ts_ms < metas_[index].source_ts_ms;
    case VersionFrom::Offset:
      return meta_ != nullptr && meta_->offset >= 0 && meta_->topic == metas_[index].topic &&
             meta_->partition == metas_[index].partition && meta_->offset < metas_[index].offset;
    case VersionFrom::Column: break;
  }
  int c = shape_.version_column;
  const FieldValue* f = field_for(image, c);
  if (f == nullptr) f = field_for(key_fields, c);
  std::string_view kept = slots_[row.first_slot + c];
  if (f == nullptr || kept.data() == nullptr) return false;
  std::string_view now = shape_.types.empty()
                             ? copy_value(arena_, *f)
                             : copy_value(arena_, *f, shape_.types[c], convert_scratch_, shape_.encoding);
  return compare_versions(now, kept, shape_.version_order) < 0;
}

// Keeps the values of a change that is not applied (an older version) for validation only.
void TableBatch::supersede_image(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields) {
  uint32_t first = static_cast<uint32_t>(superseded_slots_.size());
  superseded_slots_.resize(superseded_slots_.size() + ncols_);
  set_columns_in(superseded_slots_, first, key_fields, false);
  set_columns_in(superseded_slots_, first, image, false);
  superseded_++;
}

// Append mode: the change's row image becomes a new row, whatever its key.
// Mode changelog: with the change's op and before image; a truncate is a row of its own.
void TableBatch::add_appended(const DecodedChange& change) {
  Row row;
  row.first_slot = static_cast<uint32_t>(slots_.size());
  slots_.resize(slots_.size() + ncols_);
  rows_.push_back(row);
  if (change.op != Op::Truncate) set_columns(row.first_slot, change.op == Op::Delete ? change.before : change.after, true);
  if (!shape_.stage_meta) return;
  metas_.push_back(meta_of_current());
  if (shape_.changelog && change.has_before && !change.before.empty()) {
    std::string json = image_json(change.before);
    std::string escaped;
    append_copy_escaped(escaped, json);
    metas_.back().before = arena_.store(escaped);
  }
}

bool TableBatch::add(const DecodedChange& change, std::string& error, const ChangeMeta& meta) {
  // The change and its metadata are known while it is added, and only then.
  change_ = &change;
  meta_ = &meta;
  bool added = add_change(change, error);
  change_ = nullptr;
  meta_ = nullptr;
  return added;
}

// add() of the change in change_.
bool TableBatch::add_change(const DecodedChange& change, std::string& error) {
  if (change.op == Op::Truncate) {
    truncate();
    return true;
  }
  if (shape_.append) {
    if (refused(change, error)) return false;
    add_appended(change);
    return true;
  }
  if (version_missing(change, error)) return false;
  // A delete carries its row in `before`; a row marked by op_field carries it in `after`.
  bool marked = change.op != Op::Delete && marked_deleted(change);
  bool is_delete = change.op == Op::Delete || marked;
  const std::vector<FieldValue>& image = change.op == Op::Delete ? change.before : change.after;
  if (!key_of(image, &change.key, error)) return false;
  if (refused(change, error)) return false;
  // An update that moved its row to another key (the source changed the primary key): the old
  // key's row goes away. Canal and Maxwell split such updates themselves; Debezium, DMS and
  // Flink send one update whose before image holds the old key.
  if (change.op == Op::Update && !change.before.empty()) {
    moved_key_.assign(key_scratch_);
    std::string ignored;
    if (key_of(change.before, nullptr, ignored) && key_scratch_ != moved_key_) put(change.before, {}, true);
    key_scratch_.assign(moved_key_);
  }
  put(image, change.key, is_delete);
  return true;
}

// Records `image` as the last change of the key in key_scratch_ (a delete when `is_delete`).
void TableBatch::put(const std::vector<FieldValue>& image, const std::vector<FieldValue>& key_fields,
                     bool is_delete) {
  const bool was_delete = is_delete;
  if (is_delete) {
    DeleteMode mode = shape_.delete_mode;
    if (mode == DeleteMode::Archive || mode == DeleteMode::OnlyArchive) archive_delete(image, key_fields);
    if (mode == DeleteMode::OnlyArchive || mode == DeleteMode::Ignore) return;
  } else if (shape_.delete_mode == DeleteMode::OnlyArchive) {
    return;  // only deletes are kept
  }
  // delete_mode soft: the delete is an upsert of its image, marked deleted.
  const bool soft = is_delete && shape_.delete_mode == DeleteMode::Soft;
  if (soft) is_delete = false;
  const uint32_t phase = static_cast<uint32_t>(soft_truncates_.size());
  changed_since_truncate_ = true;
  auto found = by_key_.find(std::string_view(key_scratch_));
  if (found != by_key_.end() && older_than_kept(rows_[found->second], found->second, image, key_fields)) {
    supersede_image(image, key_fields);  // version_column: a newer change is kept
    older_versions_++;
    return;
  }
  if (found == by_key_.end() || rows_[found->second].phase != phase) {
    // The key's first change, or its first since a soft truncate (its earlier row is applied
    // before that truncate, this one after it).
    Row row;
    row.is_delete = is_delete;
    row.soft = soft;
    row.phase = phase;
    row.first_slot = static_cast<uint32_t>(slots_.size());
    slots_.resize(slots_.size() + ncols_);
    rows_.push_back(row);
    if (shape_.stage_meta) metas_.push_back(meta_of_current(was_delete ? Op::Delete : Op::Insert));
    if (found == by_key_.end()) {
      by_key_.emplace(arena_.store(key_scratch_), static_cast<uint32_t>(rows_.size() - 1));
    } else {
      found->second = static_cast<uint32_t>(rows_.size() - 1);
    }
    // The Kafka key first, so key columns found only there are staged too; the row image wins.
    set_columns(row.first_slot, key_fields);
    set_columns(row.first_slot, image, !was_delete);
    return;
  }
  const uint32_t index = found->second;
  Row& row = rows_[index];
  supersede(row);
  if (shape_.stage_meta) metas_[index] = meta_of_current(was_delete ? Op::Delete : Op::Insert);
  if (was_delete) {
    row.is_delete = is_delete;
    row.soft = soft;
    // The delete's image over what the batch's earlier changes wrote: its version (and, soft, the
    // values it carries) win, the rest stays as a delete applied alone would leave it. (A hard
    // delete stages only its key and version: the rest of the row does not matter.)
    if (soft || shape_.version_from != VersionFrom::None) {
      set_columns(row.first_slot, key_fields);
      set_columns(row.first_slot, image);
    }
    return;
  }
  if (row.soft) {
    // A soft-deleted row still exists: a later change updates it (the mark is cleared).
    row.soft = false;
  } else if (row.is_delete) {
    // Delete then insert within one batch: the new row replaces the old one entirely.
    std::fill(slots_.begin() + row.first_slot, slots_.begin() + row.first_slot + ncols_, std::string_view());
    row.is_delete = false;
    row.replace = true;
    set_columns(row.first_slot, key_fields);
  }
  set_columns(row.first_slot, image, true);
}

void TableBatch::truncate() {
  if (shape_.truncate_mode == TruncateMode::Ignore) return;
  truncates_++;
  if (shape_.changelog) {  // a row of the change log, like any change
    static const DecodedChange none;
    if (change_ == nullptr) change_ = &none;
    DecodedChange marker;
    marker.op = Op::Truncate;
    marker.source_ts_ms = change_->source_ts_ms;
    const DecodedChange* outer = change_;
    change_ = &marker;
    add_appended(marker);
    change_ = outer;
    return;
  }
  if (shape_.truncate_mode == TruncateMode::Soft) {
    // Marks the rows the target has at this point: the rows changed before it are applied first,
    // those changed after it next (see StageGroup::phase). A truncate right after another one
    // marks nothing more, unless it carries a version from the metadata (rows the first did not
    // reach because they were newer may be older than this one).
    const bool meta_version = shape_.version_from == VersionFrom::SourceTs || shape_.version_from == VersionFrom::Offset;
    if (soft_truncates_.empty() || changed_since_truncate_ || meta_version)
      soft_truncates_.push_back(meta_of_current(Op::Truncate));
    changed_since_truncate_ = false;
    return;
  }
  truncate_first_ = true;
  // The rows before the truncate are moot for the target, but not for validation: a bad message
  // is reported whatever follows it. (The arena keeps their values until clear().)
  for (const Row& row : rows_) supersede(row);
  rows_.clear();
  slots_.clear();
  metas_.clear();
  by_key_.clear();
}

void TableBatch::clear() {
  rows_.clear();
  slots_.clear();
  by_key_.clear();
  arena_.reset();
  truncate_first_ = false;
  truncates_ = 0;
  unmatched_values_ = 0;
  new_unmatched_.clear();
  new_columns_.clear();
  wider_types_.clear();
  incompatible_types_.clear();
  key_fields_.clear();
  epoch_++;
  superseded_slots_.clear();
  superseded_ = 0;
  metas_.clear();
  archived_.clear();
  archived_slots_.clear();
  soft_truncates_.clear();
  changed_since_truncate_ = false;
  older_versions_ = 0;
  last_topic_ = {};
  change_ = nullptr;
  meta_ = nullptr;
}

// Writes one byte per column into `mask`: 1 when the row `values` (ncols_ slots) carries that column.
void TableBatch::mask_of(const std::string_view* values, std::string& mask) const {
  mask.assign(ncols_, '\0');
  for (size_t c = 0; c < ncols_; ++c)
    if (values[c].data() != nullptr) mask[c] = 1;
  for (int k : shape_.key) mask[k] = 1;
}

// The columns a mask of mask_of() marks (bytes past ncols_ are not columns).
std::vector<int> TableBatch::columns_in(const std::string& mask) const {
  std::vector<int> columns;
  for (size_t c = 0; c < ncols_; ++c)
    if (mask[c]) columns.push_back(static_cast<int>(c));
  return columns;
}

// Whether column `c` is a key column or the version column: all a delete ('d') stages.
bool TableBatch::key_or_version(int c) const {
  return std::find(shape_.key.begin(), shape_.key.end(), c) != shape_.key.end() ||
         (shape_.version_from == VersionFrom::Column && c == shape_.version_column);
}

// Appends one row (`values`, ncols_ slots) as a COPY text line: `op`, the metadata when given,
// then the values of `columns`. A delete ('d') carries only its key and version (as when it is
// staged alone), so what else its before image holds never decides its fate.
void TableBatch::append_line(std::string& out, char op, const std::string_view* values,
                             const std::vector<int>& columns, const RowMeta* meta) const {
  out.push_back(op);
  if (meta != nullptr) append_meta_fields(out, *meta);
  for (int c : columns) {
    out.push_back('\t');
    std::string_view v = values[c];
    if (v.data() == nullptr || (op == 'd' && !key_or_version(c))) v = kNull;
    out.append(v.data(), v.size());
  }
  out.push_back('\n');
}

// The superseded rows as validate-only groups, one per set of columns they carry (a column they
// lack is not staged, so it cannot fail as a NULL that was never sent).
void TableBatch::append_superseded_groups(std::vector<StageGroup>& groups) const {
  std::unordered_map<std::string, size_t> by_mask;
  std::string mask;
  for (size_t r = 0; r < superseded_; ++r) {
    const std::string_view* values = &superseded_slots_[r * ncols_];
    mask_of(values, mask);
    auto [it, fresh] = by_mask.try_emplace(mask, groups.size());
    if (fresh) {
      StageGroup g;
      g.validate_only = true;
      g.columns = columns_in(mask);
      groups.push_back(std::move(g));
    }
    StageGroup& g = groups[it->second];
    g.upserts++;
    append_line(g.copy_text, 'v', values, g.columns, nullptr);
  }
}

// The deleted rows for the archive: plain inserts ('a'), one group per set of columns they carry.
void TableBatch::append_archive_groups(std::vector<StageGroup>& groups) const {
  std::unordered_map<std::string, size_t> by_mask;
  std::string mask;
  for (const Archived& a : archived_) {
    const std::string_view* values = &archived_slots_[a.first_slot];
    mask_of(values, mask);
    auto [it, fresh] = by_mask.try_emplace(mask, groups.size());
    if (fresh) {
      StageGroup g;
      g.archive = g.append = g.meta = true;
      g.columns = columns_in(mask);
      groups.push_back(std::move(g));
    }
    StageGroup& g = groups[it->second];
    g.upserts++;
    append_line(g.copy_text, 'a', values, g.columns, &a.meta);
  }
}

std::vector<StageGroup> TableBatch::groups() const {
  std::vector<StageGroup> groups;
  append_row_groups(groups);
  append_archive_groups(groups);
  append_superseded_groups(groups);
  return groups;
}

// The rows of the batch, grouped for the target's statements.
void TableBatch::append_row_groups(std::vector<StageGroup>& groups) const {
  // Upserts group by (column set, replace); deletes need only the key (and the version, which
  // every upsert carries), so they ride along with the largest upsert group instead of costing a
  // statement of their own.
  const size_t first_group = groups.size();
  std::unordered_map<std::string, size_t> by_mask;
  std::string mask;
  std::vector<size_t> group_of_row(rows_.size(), SIZE_MAX);
  for (size_t r = 0; r < rows_.size(); ++r) {
    const Row& row = rows_[r];
    if (row.is_delete) continue;
    mask_of(&slots_[row.first_slot], mask);
    bool full = std::find(mask.begin(), mask.end(), '\0') == mask.end();
    mask.push_back(row.replace && !full ? 1 : 0);
    mask.append(reinterpret_cast<const char*>(&row.phase), sizeof row.phase);
    auto it = by_mask.find(mask);
    if (it == by_mask.end()) {
      StageGroup g;
      g.columns = columns_in(mask);
      g.full = full;
      g.replace = row.replace && !full;
      g.append = shape_.append;
      g.meta = shape_.stage_meta;
      g.phase = row.phase;
      it = by_mask.emplace(mask, groups.size()).first;
      groups.push_back(std::move(g));
    }
    group_of_row[r] = it->second;
    groups[it->second].upserts++;
  }
  // Per phase, the group the deletes ride along with: its largest group that is no replacement.
  std::unordered_map<uint32_t, size_t> delete_groups;
  for (size_t g = first_group; g < groups.size(); ++g) {
    if (groups[g].replace) continue;
    auto it = delete_groups.find(groups[g].phase);
    if (it == delete_groups.end() || groups[g].upserts > groups[it->second].upserts) delete_groups[groups[g].phase] = g;
  }
  for (size_t r = 0; r < rows_.size(); ++r) {
    if (!rows_[r].is_delete) continue;
    auto found = delete_groups.find(rows_[r].phase);
    size_t delete_group = found == delete_groups.end() ? SIZE_MAX : found->second;
    if (delete_group == SIZE_MAX) {
      StageGroup g;
      g.phase = rows_[r].phase;
      g.columns = shape_.key;
      if (shape_.version_from == VersionFrom::Column) g.columns.push_back(shape_.version_column);
      g.meta = shape_.stage_meta;
      std::sort(g.columns.begin(), g.columns.end());
      g.columns.erase(std::unique(g.columns.begin(), g.columns.end()), g.columns.end());
      g.full = g.columns.size() == ncols_;
      delete_group = groups.size();
      delete_groups[rows_[r].phase] = delete_group;
      groups.push_back(std::move(g));
    }
    group_of_row[r] = delete_group;
    groups[delete_group].deletes++;
  }
  for (size_t g = first_group; g < groups.size(); ++g)
    groups[g].copy_text.reserve((groups[g].upserts + groups[g].deletes) * 64 * groups[g].columns.size() / 4);
  for (size_t r = 0; r < rows_.size(); ++r) {
    StageGroup& g = groups[group_of_row[r]];
    const Row& row = rows_[r];
    append_line(g.copy_text, row.is_delete ? 'd' : (row.soft ? 's' : 'u'), &slots_[row.first_slot], g.columns,
                shape_.stage_meta ? &metas_[r] : nullptr);
  }
}

}  // namespace cdc
