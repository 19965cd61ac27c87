// Decodes Canal flat messages into DecodedChange (see canal_decoder.hpp).
//
// One pass of simdjson On-Demand over a padded copy of the message. Members may come in any order
// ("type" often follows "data"), so the rows of "data" and "old" are read into reusable buffers
// first and turned into changes once the whole message is known. Canal writes every value as a
// string; "mysqlType" tells which need more than the type's input function: BIT(n) (a decimal
// number), BINARY/BLOB/spatial (bytes as ISO-8859-1 text) and zero dates. Parsing "mysqlType" every
// time cost a third of the decode time, so it is parsed (by a second parser) only when its raw
// text names such a type or a row holds a zero date. Views point into the padded copy (numbers),
// into the parsers' string buffers (unescaped strings), into text_ (converted values) or into
// source_; all of them are rewritten only by the next decode.
#include "core/canal_decoder.hpp"

#include "core/source_types.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/arena.hpp"
#include "core/json_util.hpp"
#include "core/value_convert.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;
using simdjson::error_code;
using Rows = std::vector<std::vector<FieldValue>>;

// What the scan found besides the rows (views into the parser's buffers).
struct FlatMessage {
  std::string_view type, database, table;
  bool has_type = false;
  bool is_ddl = false;
  bool has_data = false;           // "data" was an array (possibly empty), not null or absent
  size_t data_rows = 0;            // rows read into data_
  size_t old_rows = 0;             // entries read into old_
  std::string_view types_raw;      // the "mysqlType" object's JSON text, unparsed
  int64_t es = DecodedChange::kNoSourceTime;  // "es": when MySQL executed it (epoch ms)
};

// Maps the Canal event types that carry rows; false for all others. "INIT" is what Flink's
// canal-json writer puts on snapshot rows: rows that exist, so inserts.
bool row_op(std::string_view type, Op& op) {
  if (type == "INSERT" || type == "INIT") {
    op = Op::Insert;
  } else if (type == "UPDATE") {
    op = Op::Update;
  } else if (type == "DELETE") {
    op = Op::Delete;
  } else {
    return false;
  }
  return true;
}

// Canal's event types that change no rows (schema changes, statements, markers), plus TiCDC's
// watermark. TRUNCATE is not here: it empties the table.
bool is_non_data_type(std::string_view type) {
  static constexpr std::string_view kTypes[] = {
      "CREATE", "ALTER", "ERASE",    "QUERY",      "RENAME",     "CINDEX",
      "DINDEX", "GTID",  "XACOMMIT", "XAROLLBACK", "MHEARTBEAT", "TIDB_WATERMARK",
  };
  for (std::string_view t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

// How Canal wrote a value of a MySQL column type.
enum class CanalText : uint8_t {
  AsIs,   // the type's own text form
  Bits,   // BIT(n): the bits as an unsigned decimal number
  Bytes,  // BINARY, VARBINARY, BLOBs, spatial types: each byte as the character U+0000..U+00FF
  Enum,   // ENUM: the 1-based index of the label (0: MySQL's '' for an invalid value)
  Set,    // SET: the bitmask of the labels it holds
};

// ASCII lower case of c.
char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

// True when `text` at `at` starts with the lower-case `word`, in any letter case.
bool iword_at(std::string_view text, size_t at, std::string_view word) {
  if (text.size() - at < word.size()) return false;
  for (size_t j = 0; j < word.size(); ++j) {
    if (lower(text[at + j]) != word[j]) return false;
  }
  return true;
}

// Words whose presence in a type name means its values need converting (see CanalText).
constexpr std::string_view kBytesWords[] = {"binary", "blob", "geom", "point", "linestring", "polygon"};

// The CanalText of a "mysqlType" entry ("bit(8)", "varbinary(255)", "LONGBLOB", "point", ...).
CanalText canal_text_of(std::string_view mysql_type) {
  if (iword_at(mysql_type, 0, "bit") && (mysql_type.size() == 3 || mysql_type[3] == '(')) {
    return CanalText::Bits;
  }
  if (iword_at(mysql_type, 0, "enum(")) return CanalText::Enum;
  if (iword_at(mysql_type, 0, "set(")) return CanalText::Set;
  for (size_t i = 0; i < mysql_type.size(); ++i) {
    for (std::string_view w : kBytesWords) {
      if (iword_at(mysql_type, i, w)) return CanalText::Bytes;
    }
  }
  return CanalText::AsIs;
}

// Whether the raw "mysqlType" object may name a type that is not AsIs: one pass that looks
// closer only at the letters the words start with. Column names may give false positives,
// which only cost a parse of "mysqlType".
bool may_need_conversion(std::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    switch (raw[i]) {
      case 'b': case 'B':
        if (iword_at(raw, i, "bit") || iword_at(raw, i, "binary") || iword_at(raw, i, "blob")) return true;
        break;
      case 'g': case 'G':
        if (iword_at(raw, i, "geom")) return true;
        break;
      case 'p': case 'P':
        if (iword_at(raw, i, "point") || iword_at(raw, i, "polygon")) return true;
        break;
      case 'l': case 'L':
        if (iword_at(raw, i, "linestring")) return true;
        break;
      case 'e': case 'E':
        if (iword_at(raw, i, "enum(")) return true;
        break;
      case 's': case 'S':
        if (iword_at(raw, i, "set(")) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

// n of "binary(n)" (fixed length: MySQL pads with zero bytes, which the binlog drops), else 0.
size_t binary_length(std::string_view mysql_type) {
  if (!iword_at(mysql_type, 0, "binary(")) return 0;
  size_t n = 0;
  for (size_t i = 7; i < mysql_type.size() && mysql_type[i] >= '0' && mysql_type[i] <= '9' && n < 1000000; ++i)
    n = n * 10 + size_t(mysql_type[i] - '0');
  return n;
}

// The labels of "enum('a','b')" or "set('a','b')" in order into `labels` (reused); false when
// malformed. MySQL writes a quote inside a label doubled, and a backslash as \\ (also \n, \r, \t).
bool type_labels(std::string_view mysql_type, std::vector<std::string>& labels, size_t& count) {
  size_t i = mysql_type.find('(');
  count = 0;
  if (i == std::string_view::npos) return false;
  ++i;
  for (;;) {
    if (i >= mysql_type.size() || mysql_type[i] != '\'') return false;
    if (count == labels.size()) labels.emplace_back();
    std::string& label = labels[count++];
    label.clear();
    for (++i;; ++i) {
      if (i >= mysql_type.size()) return false;
      if (mysql_type[i] == '\'') {
        if (i + 1 < mysql_type.size() && mysql_type[i + 1] == '\'') {
          label.push_back('\'');
          ++i;
          continue;
        }
        break;
      }
      if (mysql_type[i] == '\\' && i + 1 < mysql_type.size()) {
        char e = mysql_type[++i];
        label.push_back(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
        continue;
      }
      label.push_back(mysql_type[i]);
    }
    ++i;  // past the closing quote
    if (i < mysql_type.size() && mysql_type[i] == ',') {
      ++i;
      continue;
    }
    return i < mysql_type.size() && mysql_type[i] == ')';
  }
}

// Parses an unsigned decimal of at most 19 digits; false for anything else.
bool parse_index(std::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 19) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + uint64_t(c - '0');
  }
  return true;
}

// The Error for a value that cannot be what its MySQL type says: names column, type and value.
DecodeResult value_error(const FieldValue& f, std::string_view type, const char* why) {
  return error("column '" + json::printable(f.name) + "' (" + json::printable(type) + "): value \"" +
               json::printable(f.text) + "\" " + why);
}

class CanalDecoder final : public Decoder {
 public:
  explicit CanalDecoder(const CanalOptions& options) : options_(options) {}

  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;
  DecodeResult decode_all(const char* key, size_t key_len, const char* value, size_t value_len,
                          std::vector<DecodedChange>& out, size_t& count) override;
  std::string source_type(std::string_view field) override;
  uint64_t declared_types_id() override;
  std::string declared_type(std::string_view field) override { return source_type(field); }
  std::vector<std::string> declared_key() override {
    return std::vector<std::string>(pk_names_.begin(), pk_names_.end());
  }

 private:
  DecodeResult run(const char* value, size_t len, bool split, std::vector<DecodedChange>& out,
                   size_t& count);
  error_code scan(FlatMessage& msg);
  error_code scan_member(std::string_view key, ondemand::value value, FlatMessage& msg);
  error_code read_rows(ondemand::value value, Rows& rows, size_t& n, bool& present,
                       bool null_rows_ok, const char* bad_type, const char* bad_row);
  error_code fail(const char* problem);
  DecodeResult finish(const FlatMessage& msg, bool split, std::vector<DecodedChange>& out,
                      size_t& count);
  DecodeResult truncate(const FlatMessage& msg, std::vector<DecodedChange>& out, size_t& count);
  void compose_source(const FlatMessage& msg);
  bool types_need_conversion(std::string_view raw);
  error_code load_types(std::string_view raw);
  DecodeResult convert_values(std::vector<FieldValue>& row, const FlatMessage& msg, bool typed);
  DecodeResult convert_labels(FieldValue& f, std::string_view type, bool is_set);
  std::string_view mysql_type_of(std::string_view column) const;

  CanalOptions options_;
  json::PaddedBuffer buf_;
  std::string_view json_;  // the padded copy of this message
  ondemand::parser parser_;
  ondemand::document doc_;
  Rows data_;                               // rows of "data"; only grows
  Rows old_;                                // entries of "old"; only grows
  std::vector<std::string_view> pk_names_;  // "pkNames"
  json::PaddedBuffer types_buf_;            // a copy of "mysqlType", parsed on demand
  ondemand::parser types_parser_;
  ondemand::document types_doc_;
  std::vector<FieldValue> types_;     // "mysqlType": name = column, text = MySQL type
  std::string_view types_raw_;        // this message's "mysqlType" JSON (a view into json_)
  std::string declared_raw_;          // the "mysqlType" text declared_types_id() last numbered
  uint64_t declared_id_ = 0;
  bool types_loaded_ = false;         // types_ holds this message's "mysqlType"
  // The last "mysqlType" text seen: the messages of one table repeat it, so whether it needs
  // conversion, and its parse (types_, while types_parser_ is not reused), are kept for it.
  std::string last_types_raw_;
  bool last_types_convert_ = false;
  bool last_types_loaded_ = false;
  Arena text_{1 << 16};               // converted values of this message
  std::string scratch_;               // one value being converted
  std::vector<std::string> labels_;   // an ENUM's or SET's labels (reused)
  std::vector<DecodedChange> first_;  // decode()'s scratch
  std::string source_;                // DecodedChange::source points here
  const char* problem_ = nullptr;     // why a well-formed message is invalid
};

DecodeResult CanalDecoder::decode(const char* key, size_t key_len, const char* value,
                                  size_t value_len, DecodedChange& out) {
  size_t count = 0;
  // Unsplit: a lone change must carry the whole row change, so a key change stays one Update.
  return json::take_first_change(run(value, value_len, false, first_, count), first_, out);
}

DecodeResult CanalDecoder::decode_all(const char* key, size_t key_len, const char* value,
                                      size_t value_len, std::vector<DecodedChange>& out,
                                      size_t& count) {
  count = 0;
  DecodeResult r = run(value, value_len, true, out, count);
  if (r.status != DecodeStatus::Change) count = 0;
  return r;
}

// Parses and scans one message, then turns it into changes at out[0 .. count).
DecodeResult CanalDecoder::run(const char* value, size_t len, bool split,
                               std::vector<DecodedChange>& out, size_t& count) {
  // A null value carries no event (Canal writes none, but a compacted topic may hold them).
  std::string_view json;
  DecodeResult started = json::start_document(value, len, buf_, parser_, doc_, json);
  if (started.status != DecodeStatus::Change) return started;
  json_ = json;
  types_loaded_ = false;
  types_raw_ = {};
  text_.reset();
  problem_ = nullptr;
  FlatMessage msg;
  error_code err = scan(msg);
  if (problem_ != nullptr) return error(problem_);
  if (err) return error(json::describe_error("malformed JSON in value", err, json, &doc_));
  types_raw_ = msg.types_raw;
  return finish(msg, split, out, count);
}

// Records a problem of a well-formed message and stops the scan.
error_code CanalDecoder::fail(const char* problem) {
  problem_ = problem;
  return simdjson::INCORRECT_TYPE;
}

// Scans the top-level object, then checks that nothing follows it.
error_code CanalDecoder::scan(FlatMessage& msg) {
  return json::scan_root_members(doc_, problem_, [&](std::string_view key, ondemand::value value) {
    return scan_member(key, value, msg);
  });
}

// Handles one top-level member; members Canal writes for information only are skipped.
error_code CanalDecoder::scan_member(std::string_view key, ondemand::value value,
                                     FlatMessage& msg) {
  if (key == "data") {
    return read_rows(value, data_, msg.data_rows, msg.has_data, false,
                     "'data' is neither an array nor null", "a row of 'data' is not an object");
  }
  if (key == "old") {
    bool present = false;
    return read_rows(value, old_, msg.old_rows, present, true, "'old' is neither an array nor null",
                     "an entry of 'old' is not an object");
  }
  if (key == "type") {
    SIMDJSON_TRY(json::read_string_member(value, msg.type, false, "'type' is not a string",
                                          problem_));
    msg.has_type = true;
    return simdjson::SUCCESS;
  }
  if (key == "isDdl") {
    ondemand::json_type type;
    SIMDJSON_TRY(value.type().get(type));
    if (type == ondemand::json_type::null) return json::read_null(value);
    if (type != ondemand::json_type::boolean) return fail("'isDdl' is not a boolean");
    return value.get_bool().get(msg.is_ddl);
  }
  // The names may be null (left empty then).
  if (key == "database") {
    return json::read_string_member(value, msg.database, true, "'database' is not a string",
                                    problem_);
  }
  if (key == "table") {
    return json::read_string_member(value, msg.table, true, "'table' is not a string", problem_);
  }
  if (key == "es") {
    ondemand::json_type type;
    SIMDJSON_TRY(value.type().get(type));
    if (type != ondemand::json_type::number) return simdjson::SUCCESS;  // informational: skipped
    int64_t ms = 0;
    if (value.get_int64().get(ms) == simdjson::SUCCESS && DecodedChange::plausible_source_ts(ms)) msg.es = ms;
    return simdjson::SUCCESS;
  }
  if (key == "pkNames") {
    error_code err = json::read_string_array(value, pk_names_);
    return err == simdjson::INCORRECT_TYPE ? fail("'pkNames' is not an array of strings") : err;
  }
  if (key == "mysqlType") {
    ondemand::json_type type;
    SIMDJSON_TRY(value.type().get(type));
    if (type == ondemand::json_type::null) return json::read_null(value);
    if (type != ondemand::json_type::object)
      return fail("'mysqlType' is neither an object nor null");
    ondemand::object obj;
    SIMDJSON_TRY(value.get_object().get(obj));
    return obj.raw_json().get(msg.types_raw);  // skipped over, not parsed: see load_types
  }
  return simdjson::SUCCESS;
}

// Reads an array of row objects (or null) into rows[0 .. n). A repeated member replaces the
// earlier one. `null_rows_ok`: a null element reads as an empty row (TiCDC writes them in "old").
error_code CanalDecoder::read_rows(ondemand::value value, Rows& rows, size_t& n, bool& present,
                                   bool null_rows_ok, const char* bad_type, const char* bad_row) {
  n = 0;
  present = false;
  ondemand::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) return json::read_null(value);
  if (type != ondemand::json_type::array) return fail(bad_type);
  ondemand::array arr;
  SIMDJSON_TRY(value.get_array().get(arr));
  for (auto element : arr) {
    ondemand::value row;
    SIMDJSON_TRY(element.get(row));
    SIMDJSON_TRY(row.type().get(type));
    if (n == rows.size()) rows.emplace_back();
    std::vector<FieldValue>& dst = rows[n++];
    dst.clear();
    if (type == ondemand::json_type::null && null_rows_ok) {
      SIMDJSON_TRY(json::read_null(row));
    } else if (type != ondemand::json_type::object) {
      return fail(bad_row);
    } else {
      SIMDJSON_TRY(json::read_fields(row, dst));
    }
  }
  present = true;
  return simdjson::SUCCESS;
}

// Whether this message's "mysqlType" names types to convert; also says whether types_ already
// holds its parse (the same text as the previous message's).
bool CanalDecoder::types_need_conversion(std::string_view raw) {
  if (raw == last_types_raw_) {
    types_loaded_ = last_types_loaded_;
    return last_types_convert_;
  }
  last_types_raw_.assign(raw.data(), raw.size());
  last_types_convert_ = may_need_conversion(raw);
  last_types_loaded_ = false;
  return last_types_convert_;
}

// Reads "mysqlType" ({"column": "varchar(255)", ...}) into types_ with its own parser, so the
// rows' views into the main parser stay valid. Non-string types are ignored.
error_code CanalDecoder::load_types(std::string_view raw) {
  types_.clear();
  types_loaded_ = true;
  bool same = raw == last_types_raw_;
  last_types_loaded_ = false;
  if (raw.empty()) {
    last_types_loaded_ = same;
    return simdjson::SUCCESS;
  }
  std::string_view text = types_buf_.assign(raw.data(), raw.size());
  SIMDJSON_TRY(
      types_parser_.iterate(text.data(), text.size(), types_buf_.capacity()).get(types_doc_));
  ondemand::object obj;
  SIMDJSON_TRY(types_doc_.get_object().get(obj));
  SIMDJSON_TRY(json::read_object_fields(obj, types_));
  types_.erase(std::remove_if(types_.begin(), types_.end(),
                              [](const FieldValue& f) { return f.kind != ValueKind::String; }),
               types_.end());
  const char* trailing = nullptr;
  if (types_doc_.current_location().get(trailing) == simdjson::SUCCESS)
    return simdjson::TRAILING_CONTENT;
  last_types_loaded_ = same;  // only a complete parse is reused
  return simdjson::SUCCESS;
}

// Turns the scanned message into changes, or says why it is skipped or rejected.
DecodeResult CanalDecoder::finish(const FlatMessage& msg, bool split,
                                  std::vector<DecodedChange>& out, size_t& count) {
  if (!msg.has_type) return error("no 'type' field: not a Canal flat message");
  // Canal marks TRUNCATE as DDL, but it empties the table: data, not schema.
  if (msg.type == "TRUNCATE") return truncate(msg, out, count);
  Op op;
  bool rows = row_op(msg.type, op);
  if (msg.is_ddl) return skip("Canal " + json::printable(msg.type) + " message: DDL is not data");
  if (!rows) {
    if (is_non_data_type(msg.type)) {
      return skip("Canal " + json::printable(msg.type) + " message: not a row change");
    }
    return error("unknown Canal type '" + json::printable(msg.type) + "'");
  }
  compose_source(msg);
  if (!msg.has_data || msg.data_rows == 0) {
    return error(std::string(msg.type) + " message without rows in 'data'");
  }
  bool typed = types_need_conversion(msg.types_raw);
  if (typed && !types_loaded_) {
    error_code err = load_types(msg.types_raw);
    if (err)
      return error(json::describe_error("malformed JSON in value ('mysqlType')", err, {}, nullptr));
  }
  if (typed || options_.zero_date_as_null) {
    for (size_t i = 0; i < msg.data_rows; ++i) {
      DecodeResult r = convert_values(data_[i], msg, typed);
      if (r.status != DecodeStatus::Change) return r;
    }
    for (size_t i = 0; i < msg.old_rows; ++i) {
      DecodeResult r = convert_values(old_[i], msg, typed);
      if (r.status != DecodeStatus::Change) return r;
    }
  }
  json::RowChangeInput in;
  in.op = op;
  in.source = source_;
  in.source_ts_ms = msg.es;
  in.key_names = &pk_names_;
  in.split_key_change = split;
  size_t rows_wanted = split ? msg.data_rows : 1;
  for (size_t i = 0; i < rows_wanted; ++i) {
    in.row = &data_[i];
    // "old" lines up with "data"; an update row without an entry changed nothing known.
    in.old = (op == Op::Update && i < msg.old_rows) ? &old_[i] : nullptr;
    json::append_row_changes(in, out, count);
  }
  return {};
}

// A TRUNCATE message: one Truncate change of its table.
DecodeResult CanalDecoder::truncate(const FlatMessage& msg, std::vector<DecodedChange>& out,
                                    size_t& count) {
  compose_source(msg);
  if (out.empty()) out.emplace_back();
  DecodedChange& c = out[0];
  c.clear();
  c.op = Op::Truncate;
  c.source = source_;
  c.source_ts_ms = msg.es;
  count = 1;
  return {};
}

// source_ = "database.table", or empty when either is missing: Flink's canal-json writer leaves
// both out, and the pipeline then takes the table from the topic.
void CanalDecoder::compose_source(const FlatMessage& msg) {
  source_.clear();
  if (msg.database.empty() || msg.table.empty()) return;
  source_.assign(msg.database);
  source_ += '.';
  source_ += msg.table;
}

// Turns Canal's strings into what they stood for where the MySQL type says so (see CanalText),
// and zero dates into NULL in columns typed as dates (or untyped: Flink's writer omits
// "mysqlType"). `typed`: types_ is loaded and names types to convert.
DecodeResult CanalDecoder::convert_values(std::vector<FieldValue>& row, const FlatMessage& msg,
                                          bool typed) {
  for (FieldValue& f : row) {
    if (f.kind != ValueKind::String) continue;
    if (options_.zero_date_as_null && json::is_mysql_zero_date(f.text)) {
      if (!types_loaded_) {
        error_code err = load_types(msg.types_raw);
        if (err)
          return error(json::describe_error("malformed JSON in value ('mysqlType')", err, {}, nullptr));
      }
      std::string_view type = mysql_type_of(f.name);
      if (type.empty() || json::is_mysql_date_type(type)) {  // e.g. a varchar keeps it
        f.kind = ValueKind::Null;
        f.text = {};
        continue;
      }
    }
    if (!typed) continue;
    std::string_view type = mysql_type_of(f.name);
    const CanalText form = canal_text_of(type);
    switch (form) {
      case CanalText::AsIs:
        break;
      case CanalText::Bits: {
        // A number: the target column's type decides (bit(n), an integer, boolean for BIT(1)).
        scratch_.clear();
        if (!convert::append_bits_from_unsigned(f.text, -1, scratch_))
          return value_error(f, type, "is not the unsigned number Canal writes for BIT");
        f.kind = ValueKind::Number;
        break;
      }
      case CanalText::Bytes: {
        scratch_.clear();
        if (!convert::append_bytea_from_latin1(f.text, scratch_))
          return value_error(f, type, "has a character above U+00FF, so it is not Canal's text of bytes");
        // BINARY(n) is n bytes: put back the trailing zero bytes the binlog dropped.
        for (size_t n = binary_length(type); scratch_.size() < 2 + 2 * n;) scratch_ += "00";
        f.kind = ValueKind::Text;
        f.text = text_.store(scratch_);
        break;
      }
      case CanalText::Enum:
      case CanalText::Set: {
        DecodeResult r = convert_labels(f, type, form == CanalText::Set);
        if (r.status != DecodeStatus::Change) return r;
        break;
      }
    }
  }
  return {};
}

// An ENUM's index or a SET's bitmask, as Canal writes them, into the label(s) MySQL shows (a SET's
// joined by commas in definition order). A value that is not a number is left as written.
DecodeResult CanalDecoder::convert_labels(FieldValue& f, std::string_view type, bool is_set) {
  uint64_t n = 0;
  if (!parse_index(f.text, n)) return {};
  size_t count = 0;
  if (!type_labels(type, labels_, count))
    return value_error(f, type, "cannot be read: the type's labels are malformed");
  scratch_.clear();
  if (!is_set) {
    if (n > count) return value_error(f, type, "is not the index of one of its labels");
    if (n > 0) scratch_ = labels_[n - 1];
  } else {
    if (count < 64 && (n >> count) != 0) return value_error(f, type, "has bits beyond its labels");
    for (size_t i = 0; i < count && i < 64; ++i) {
      if (((n >> i) & 1) == 0) continue;
      if (!scratch_.empty()) scratch_.push_back(',');
      scratch_ += labels_[i];
    }
  }
  f.kind = ValueKind::Text;
  f.text = text_.store(scratch_);
  return {};
}

// The MySQL type "mysqlType" gives `column`, or empty.
uint64_t CanalDecoder::declared_types_id() {
  if (types_raw_.empty()) return 0;
  if (declared_id_ == 0 || types_raw_ != declared_raw_) {
    declared_raw_.assign(types_raw_.data(), types_raw_.size());
    declared_id_++;
  }
  return declared_id_;
}

std::string CanalDecoder::source_type(std::string_view field) {
  if (!types_loaded_ && load_types(types_raw_)) return {};
  std::string_view type = mysql_type_of(field);
  return type.empty() ? std::string() : pg_type_for_mysql(type);
}

std::string_view CanalDecoder::mysql_type_of(std::string_view column) const {
  const FieldValue* f = json::find_field(types_, column);
  return f != nullptr ? f->text : std::string_view();
}

}  // namespace

std::unique_ptr<Decoder> make_canal_decoder() { return make_canal_decoder(CanalOptions{}); }

std::unique_ptr<Decoder> make_canal_decoder(const CanalOptions& options) {
  return std::make_unique<CanalDecoder>(options);
}

}  // namespace cdc
