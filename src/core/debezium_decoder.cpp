// Decodes Debezium change events (JSON, with or without the schema envelope) into DecodedChange.
//
// One pass of simdjson On-Demand over a padded copy of the message (of its payload alone when its
// schema is one seen recently). Views in DecodedChange point into that copy (numbers, nested
// JSON), into the parsers' string buffers (unescaped strings) or into source_ (the composed table
// name); all of them are rewritten only by the next decode(). The key gets its own parser and
// buffer so the value's strings survive parsing it.
//
// With the schema envelope, each field's logical type (io.debezium.time.Date, Decimal, Bits, ...)
// turns its encoded value into PostgreSQL text (kind Text) held in converter_; the schemas are
// parsed once per distinct text (SchemaCache). Without a schema values stay as written, and the
// batch converts them by target column type instead.
#include "core/debezium_decoder.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/debezium_schema.hpp"
#include "core/json_util.hpp"

namespace cdc {
namespace {

namespace ondemand = simdjson::ondemand;
using simdjson::error_code;

// Which part of the top-level object holds the event.
enum class Pick : uint8_t {
  Auto,     // not known yet: guess while scanning, rescan if the guess was wrong
  Top,      // the top-level object itself (payload-only format)
  Payload,  // its "payload" member (schema+payload envelope)
};

// What a row image member ("before"/"after") held.
enum class Image : uint8_t { Absent, Null, Object };

// What the event object held besides the row images (those go straight into DecodedChange).
struct EventFields {
  std::string_view op, db, schema, table;
  bool has_op = false;
  bool has_source = false;
  bool has_ts = false;         // ts_ms / ts_us / ts_ns: all a heartbeat carries
  int64_t source_ts_ms = DecodedChange::kNoSourceTime;  // source.ts_ms: the source's commit time
  bool schema_change = false;  // ddl / tableChanges: a schema-change event
  bool other = false;          // a key Debezium never writes there, e.g. a bare row's column
  Image before = Image::Absent;
  Image after = Image::Absent;
};

// Outcome of one step: success, a JSON error (code), or a well-formed but invalid event (problem).
struct Step {
  error_code code = simdjson::SUCCESS;
  const char* problem = nullptr;

  bool failed() const { return code != simdjson::SUCCESS || problem != nullptr; }
};

// A step result carrying a simdjson error (SUCCESS means success).
Step json_step(error_code code) { return Step{code, nullptr}; }

// A step result for a message that is valid JSON but not a valid Debezium event.
Step problem(const char* text) { return Step{simdjson::SUCCESS, text}; }

// Returns a failed Step from the enclosing function when a simdjson call fails.
#define CDC_JSON_TRY(expr)                      \
  do {                                          \
    error_code cdc_err_ = (expr);               \
    if (cdc_err_) return json_step(cdc_err_);   \
  } while (0)

// Returns from the enclosing function when a step fails.
#define CDC_STEP_TRY(expr)                      \
  do {                                          \
    Step cdc_step_ = (expr);                    \
    if (cdc_step_.failed()) return cdc_step_;   \
  } while (0)

// What the scan of the top-level object found.
struct RootScan {
  bool saw_schema = false;
  bool saw_payload = false;
  bool tombstone = false;   // an envelope whose payload is null
  Pick used = Pick::Auto;   // the side whose members were read (Auto: none yet)
  bool side_failed = false; // the used side hit `deferred`; read nothing more
  Step deferred;            // first problem of the used side in an Auto pass
  std::string_view schema;  // raw JSON of the top-level "schema" object (empty if none)
  EventFields ev;

  bool envelope() const { return saw_schema && saw_payload; }
};

// Whether a scan in mode `pick` reads a top-level member belonging to `side`.
bool wants(Pick pick, Pick side, const RootScan& scan) {
  if (pick != Pick::Auto) return pick == side;
  if (scan.side_failed) return false;
  if (scan.used != Pick::Auto) return scan.used == side;
  // JsonConverter writes "schema" first, so a payload seen after it is the envelope's.
  return side == Pick::Top || scan.saw_schema;
}

// Whether the Auto pass read the wrong side (or none) and the wanted side has unread members.
bool needs_rescan(const RootScan& scan, Pick wanted) {
  if (scan.used == wanted) return false;
  // Nothing read and no envelope: the top level had only schema/payload members, nothing to read.
  return !(scan.used == Pick::Auto && wanted == Pick::Top);
}

// Maps a Debezium op code; false for codes that are not data changes or unknown.
bool map_op(std::string_view code, Op& op) {
  if (code == "c" || code == "r") {
    op = Op::Insert;
  } else if (code == "u") {
    op = Op::Update;
  } else if (code == "d") {
    op = Op::Delete;
  } else if (code == "t") {
    op = Op::Truncate;
  } else {
    return false;
  }
  return true;
}

// Reads a string-or-null member into `out` (null leaves it empty).
Step read_name(ondemand::value value, std::string_view& out, const char* bad_type) {
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) {
    out = {};
    return {};
  }
  if (type != ondemand::json_type::string) return problem(bad_type);
  CDC_JSON_TRY(value.get_string().get(out));
  return {};
}

// Reads the members of "source" that name the table; null counts as no "source".
Step read_source(ondemand::value value, EventFields& ev) {
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) return json_step(json::read_null(value));
  if (type != ondemand::json_type::object) return problem("'source' is not an object");
  ondemand::object obj;
  CDC_JSON_TRY(value.get_object().get(obj));
  for (auto field : obj) {
    std::string_view key;
    CDC_JSON_TRY(field.unescaped_key().get(key));
    ondemand::value member;
    CDC_JSON_TRY(field.value().get(member));
    if (key == "db") {
      CDC_STEP_TRY(read_name(member, ev.db, "'source.db' is not a string"));
    } else if (key == "schema") {
      CDC_STEP_TRY(read_name(member, ev.schema, "'source.schema' is not a string"));
    } else if (key == "table") {
      CDC_STEP_TRY(read_name(member, ev.table, "'source.table' is not a string"));
    } else if (key == "ts_ms") {
      ondemand::json_type ts_type;
      CDC_JSON_TRY(member.type().get(ts_type));
      int64_t ms = 0;
      if (ts_type == ondemand::json_type::number && member.get_int64().get(ms) == simdjson::SUCCESS &&
          DecodedChange::plausible_source_ts(ms))
        ev.source_ts_ms = ms;
    }
  }
  ev.has_source = true;
  return {};
}

// Reads a row image ("before"/"after"): an object of columns, or null.
Step read_image(ondemand::value value, Image& state, std::vector<FieldValue>& dst,
                const char* bad_type) {
  dst.clear();  // a repeated member replaces the earlier one
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) {
    bool is_null = false;
    CDC_JSON_TRY(value.is_null().get(is_null));
    if (!is_null) return json_step(simdjson::N_ATOM_ERROR);
    state = Image::Null;
    return {};
  }
  if (type != ondemand::json_type::object) return problem(bad_type);
  CDC_JSON_TRY(json::read_fields(value, dst));
  state = Image::Object;
  return {};
}

// Reads "op" (must be a string).
Step read_op(ondemand::value value, EventFields& ev) {
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type != ondemand::json_type::string) return problem("'op' is not a string");
  CDC_JSON_TRY(value.get_string().get(ev.op));
  ev.has_op = true;
  return {};
}

// Handles one member of an event object.
Step event_field(std::string_view key, ondemand::value value, EventFields& ev, DecodedChange& out) {
  if (key == "op") return read_op(value, ev);
  if (key == "before") {
    return read_image(value, ev.before, out.before, "'before' is neither an object nor null");
  }
  if (key == "after") {
    return read_image(value, ev.after, out.after, "'after' is neither an object nor null");
  }
  if (key == "source") return read_source(value, ev);
  if (key == "ts_ms" || key == "ts_us" || key == "ts_ns") {
    ev.has_ts = true;
  } else if (key == "ddl" || key == "tableChanges") {
    ev.schema_change = true;
  } else if (key != "transaction") {
    ev.other = true;
  }
  return {};
}

// Reads the envelope's "payload": the event object, or null for a tombstone.
Step read_payload(ondemand::value value, RootScan& scan, DecodedChange& out) {
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type == ondemand::json_type::null) {
    bool is_null = false;
    CDC_JSON_TRY(value.is_null().get(is_null));
    if (!is_null) return json_step(simdjson::N_ATOM_ERROR);
    scan.tombstone = true;
    return {};
  }
  if (type != ondemand::json_type::object) {
    return problem("'payload' is neither an object nor null");
  }
  ondemand::object obj;
  CDC_JSON_TRY(value.get_object().get(obj));
  for (auto field : obj) {
    std::string_view key;
    CDC_JSON_TRY(field.unescaped_key().get(key));
    ondemand::value member;
    CDC_JSON_TRY(field.value().get(member));
    CDC_STEP_TRY(event_field(key, member, scan.ev, out));
  }
  return {};
}

// Keeps the raw text of a "schema" member that is an object (skipped, not validated: it is only
// a cache key until a miss parses it).
Step read_schema_text(ondemand::value value, std::string_view& text) {
  ondemand::json_type type;
  CDC_JSON_TRY(value.type().get(type));
  if (type != ondemand::json_type::object) return {};
  ondemand::object obj;
  CDC_JSON_TRY(value.get_object().get(obj));
  CDC_JSON_TRY(obj.raw_json().get(text));
  text = json::trim_right(text);
  return {};
}

// One pass over the top-level members, reading the side(s) `pick` selects.
Step scan_root(ondemand::object root, Pick pick, RootScan& scan, DecodedChange& out) {
  for (auto field : root) {
    std::string_view key;
    CDC_JSON_TRY(field.unescaped_key().get(key));
    ondemand::value value;
    CDC_JSON_TRY(field.value().get(value));
    if (key == "schema") {
      scan.saw_schema = true;
      CDC_STEP_TRY(read_schema_text(value, scan.schema));
      continue;
    }
    bool is_payload = key == "payload";
    scan.saw_payload |= is_payload;
    Pick side = is_payload ? Pick::Payload : Pick::Top;
    if (!wants(pick, side, scan)) continue;
    scan.used = side;
    Step step = is_payload ? read_payload(value, scan, out) : event_field(key, value, scan.ev, out);
    if (!step.failed()) continue;
    // Malformed JSON is fatal; a problem in a guessed side only counts if the guess holds.
    if (pick != Pick::Auto || step.code != simdjson::SUCCESS) return step;
    scan.deferred = step;
    scan.side_failed = true;
  }
  return {};
}

// True when the event's source names its table: "source.table" and a schema or db.
bool names_table(const EventFields& ev) {
  return ev.has_source && !ev.table.empty() && !(ev.schema.empty() && ev.db.empty());
}

// Why an event without "op" is skipped or rejected.
DecodeResult no_op_result(const EventFields& ev) {
  if (ev.schema_change) return skip("schema change event");
  bool images = ev.before != Image::Absent || ev.after != Image::Absent;
  if (ev.has_ts && !ev.other && !ev.has_source && !images) return skip("heartbeat");
  if (ev.other && !images) {
    return error(
        "no 'op' field: not a Debezium change event (this looks like a bare row, e.g. the output "
        "of the ExtractNewRecordState transform, which is not supported)");
  }
  return error("no 'op' field: not a Debezium change event");
}

// Opens {"schema":<a schema `cache` found recently>,"payload":<payload>}, JsonConverter's
// compact layout in which a table's schema repeats byte for byte, without parsing the schema:
// copies only what follows it into `buf` and returns the schema's parsed form, with
// `schema_text` (a view into `message`) and `payload` (all of `buf`'s copy). Null for
// anything else. The payload is not checked.
const debezium::MessageSchema* open_known_envelope(std::string_view message,
                                                   const debezium::SchemaCache& cache,
                                                   json::PaddedBuffer& buf,
                                                   std::string_view& schema_text,
                                                   std::string_view& payload) {
  constexpr std::string_view kHead = "{\"schema\":";
  constexpr std::string_view kMiddle = ",\"payload\":";
  if (message.substr(0, kHead.size()) != kHead) return nullptr;
  std::string_view rest = message.substr(kHead.size());
  size_t schema_len = 0;
  const debezium::MessageSchema* schema = cache.match_prefix(rest, ',', schema_len);
  if (schema == nullptr || rest.substr(schema_len, kMiddle.size()) != kMiddle) return nullptr;
  // Copied before its end is looked at: the schema is most of the message, so the copy goes on
  // reading where match_prefix() stopped instead of jumping to the end first (a cache miss).
  std::string_view tail = rest.substr(schema_len + kMiddle.size());
  payload = json::trim_right(buf.assign(tail.data(), tail.size()));
  if (payload.empty() || payload.back() != '}') return nullptr;
  // Cut the envelope's closing brace off the copy: when a '}' follows the text it parses,
  // simdjson 3 rescans the whole document to check it is balanced (simdjson issue 1834).
  payload = buf.truncate(payload.size() - 1);
  schema_text = rest.substr(0, schema_len);
  return schema;
}

class DebeziumDecoder final : public Decoder {
 public:
  DecodeResult decode(const char* key, size_t key_len, const char* value, size_t value_len,
                      DecodedChange& out) override;
  std::string source_type(std::string_view field) override;
  std::string declared_type(std::string_view field) override;
  uint64_t declared_types_id() override { return last_schema_ != nullptr ? last_schema_->serial : 0; }

 private:
  DecodeResult parse_value(const char* value, size_t len, RootScan& scan, DecodedChange& out);
  bool parse_known_envelope(std::string_view message, RootScan& scan, DecodedChange& out);
  Step scan_document(RootScan& scan, DecodedChange& out);
  Step scan_pass(Pick pick, RootScan& scan, DecodedChange& out);
  Step check_end();
  DecodeResult finish(const EventFields& ev, DecodedChange& out);
  DecodeResult convert_values(const debezium::MessageSchema* value_schema, DecodedChange& out);
  bool read_key(const char* key, size_t len, std::vector<FieldValue>& dst);
  bool read_known_key(std::string_view message, std::vector<FieldValue>& dst);
  error_code read_key_pass(bool payload_only, bool& schema, bool& payload,
                           std::vector<FieldValue>& dst);

  json::PaddedBuffer value_buf_;
  json::PaddedBuffer key_buf_;
  ondemand::parser value_parser_;
  ondemand::parser key_parser_;
  ondemand::document value_doc_;
  ondemand::document key_doc_;
  std::string source_;  // out.source points here
  std::string_view key_schema_;  // raw JSON of the key envelope's "schema" (empty if none)
  const debezium::MessageSchema* known_key_schema_ = nullptr;  // set by read_known_key()
  debezium::SchemaCache value_schemas_;
  debezium::SchemaCache key_schemas_;
  debezium::ImageConverter converter_;  // converted values point here
  const debezium::MessageSchema* known_schema_ = nullptr;  // set by parse_known_envelope()
  const debezium::MessageSchema* last_schema_ = nullptr;   // the last change's value schema
  std::string convert_error_;
};

DecodeResult DebeziumDecoder::decode(const char* key, size_t key_len, const char* value,
                                     size_t value_len, DecodedChange& out) {
  out.clear();
  converter_.reset();
  key_schema_ = {};
  known_key_schema_ = nullptr;
  known_schema_ = nullptr;
  last_schema_ = nullptr;
  // librdkafka hands a tombstone over as a null payload; an empty one carries no event either.
  if (value == nullptr || value_len == 0) return skip("tombstone");
  RootScan scan;
  DecodeResult result = parse_value(value, value_len, scan, out);
  if (result.status == DecodeStatus::Change) {
    if (key != nullptr && key_len > 0 && !read_key(key, key_len, out.key)) {
      out.key.clear();
      key_schema_ = {};
      known_key_schema_ = nullptr;
    }
    result = finish(scan.ev, out);
  }
  if (result.status == DecodeStatus::Change) {
    const debezium::MessageSchema* schema = known_schema_;
    if (schema == nullptr && scan.envelope() && !scan.schema.empty()) {
      schema = value_schemas_.find(scan.schema);
    }
    result = convert_values(schema, out);
    last_schema_ = schema;
  }
  if (result.status != DecodeStatus::Change) out.clear();  // nothing half-decoded leaks out
  return result;
}

std::string DebeziumDecoder::source_type(std::string_view field) {
  if (last_schema_ == nullptr) return {};
  const debezium::RowSchema& row = last_schema_->after.fields.empty() ? last_schema_->before : last_schema_->after;
  const debezium::FieldSchema* f = row.find_by_name(field);
  return f != nullptr ? f->pg_type : std::string();
}

std::string DebeziumDecoder::declared_type(std::string_view field) {
  if (last_schema_ == nullptr) return {};
  const debezium::RowSchema& row = last_schema_->after.fields.empty() ? last_schema_->before : last_schema_->after;
  const debezium::FieldSchema* f = row.find_by_name(field);
  return f != nullptr && f->pg_type_from_source ? f->pg_type : std::string();
}

// Parses the value and scans it; Change means "an event was read, go on".
DecodeResult DebeziumDecoder::parse_value(const char* value, size_t len, RootScan& scan,
                                          DecodedChange& out) {
  std::string_view message(value, len);
  if (json::is_null_document(message)) return skip("tombstone");  // how some producers write a tombstone
  if (parse_known_envelope(message, scan, out)) {
    if (scan.tombstone) return skip("tombstone");
    return {};
  }
  std::string_view json = value_buf_.assign(value, len);
  auto parsed = value_parser_.iterate(json.data(), json.size(), value_buf_.capacity());
  if (error_code err = std::move(parsed).get(value_doc_)) {
    return error(json::describe_error("malformed JSON in value", err, json, nullptr));
  }
  Step step = scan_document(scan, out);
  if (step.problem != nullptr) return error(step.problem);
  if (step.code) {
    return error(json::describe_error("malformed JSON in value", step.code, json, &value_doc_));
  }
  if (scan.tombstone) return skip("tombstone");
  return {};
}

// Fast path for {"schema":<a schema seen recently>,"payload":<event>} (open_known_envelope):
// only the payload is copied and parsed. Anything else (other layout, new schema, malformed or
// invalid payload) returns false, and the full parse then decides, so results and error messages
// are exactly those of the full parse. scan.schema is left pointing into `message`.
bool DebeziumDecoder::parse_known_envelope(std::string_view message, RootScan& scan,
                                           DecodedChange& out) {
  std::string_view schema_text, payload;
  const debezium::MessageSchema* schema =
      open_known_envelope(message, value_schemas_, value_buf_, schema_text, payload);
  if (schema == nullptr) return false;
  if (json::is_null_document(payload)) {
    scan.tombstone = true;
    return true;
  }
  auto parsed = value_parser_.iterate(payload.data(), payload.size(), value_buf_.capacity());
  if (std::move(parsed).get(value_doc_)) return false;
  Step step = scan_document(scan, out);
  if (step.failed() || scan.tombstone || scan.saw_schema || scan.saw_payload) {
    out.clear();
    scan = RootScan{};
    return false;
  }
  scan.saw_schema = scan.saw_payload = true;
  scan.used = Pick::Payload;
  scan.schema = schema_text;
  known_schema_ = schema;
  return true;
}

// Scans the whole document: the Auto pass, a second pass if it guessed wrong, trailing check.
Step DebeziumDecoder::scan_document(RootScan& scan, DecodedChange& out) {
  ondemand::json_type type;
  CDC_JSON_TRY(value_doc_.type().get(type));
  // A lone JSON null was caught before parsing (is_json_null), so any other 'n' is malformed.
  if (type == ondemand::json_type::null) return json_step(simdjson::N_ATOM_ERROR);
  if (type != ondemand::json_type::object) return problem("the value is not a JSON object");
  CDC_STEP_TRY(scan_pass(Pick::Auto, scan, out));
  Pick wanted = scan.envelope() ? Pick::Payload : Pick::Top;
  if (needs_rescan(scan, wanted)) {
    value_doc_.rewind();
    out.clear();
    scan = RootScan{};
    CDC_STEP_TRY(scan_pass(wanted, scan, out));
  } else if (scan.deferred.failed()) {
    return scan.deferred;
  }
  return check_end();
}

// Fails when anything follows the document's root value.
Step DebeziumDecoder::check_end() {
  const char* rest = nullptr;
  if (value_doc_.current_location().get(rest) == simdjson::SUCCESS) {
    return json_step(simdjson::TRAILING_CONTENT);
  }
  return {};
}

// One scan of the top-level object in mode `pick`.
Step DebeziumDecoder::scan_pass(Pick pick, RootScan& scan, DecodedChange& out) {
  ondemand::object root;
  CDC_JSON_TRY(value_doc_.get_object().get(root));
  return scan_root(root, pick, scan, out);
}

// Checks the scanned event and fills op/source/has_*; out.key must already be decoded.
DecodeResult DebeziumDecoder::finish(const EventFields& ev, DecodedChange& out) {
  if (!ev.has_op) return no_op_result(ev);
  if (ev.op == "m") return skip("logical decoding message (op 'm')");
  Op op;
  if (!map_op(ev.op, op)) return error("unknown op '" + json::printable(ev.op) + "'");
  // An event that does not name its table (no "source", or one without the names) gets an
  // empty source: the pipeline then takes the table from the topic.
  source_.clear();
  if (names_table(ev)) {
    std::string_view ns = ev.schema.empty() ? ev.db : ev.schema;  // PostgreSQL: schema, MySQL: db
    source_.assign(ns);
    source_ += '.';
    source_ += ev.table;
  }
  out.op = op;
  out.source = source_;
  out.source_ts_ms = ev.source_ts_ms;
  out.has_before = ev.before == Image::Object;
  out.has_after = ev.after == Image::Object;
  if ((op == Op::Insert || op == Op::Update) && !out.has_after) {
    return error("op '" + json::printable(ev.op) + "' without an 'after' row image");
  }
  if (op == Op::Delete && out.before.empty() && out.key.empty()) {
    return error("delete without before image or key");
  }
  return {};
}

// Converts the images by the value's schema and the key by the key's (when they have one).
DecodeResult DebeziumDecoder::convert_values(const debezium::MessageSchema* value_schema,
                                             DecodedChange& out) {
  if (value_schema != nullptr) {
    if (!converter_.convert(value_schema->before, out.before, convert_error_) ||
        !converter_.convert(value_schema->after, out.after, convert_error_)) {
      return error(convert_error_);
    }
  }
  const debezium::MessageSchema* key_schema = known_key_schema_;
  if (key_schema == nullptr && !key_schema_.empty()) key_schema = key_schemas_.find(key_schema_);
  if (key_schema != nullptr && !converter_.convert(key_schema->row, out.key, convert_error_)) {
    return error("key " + convert_error_);
  }
  converter_.finish();
  return {};
}

// Decodes a JSON-object key (bare, or in a schema/payload envelope); false if it is anything else.
bool DebeziumDecoder::read_key(const char* key, size_t len, std::vector<FieldValue>& dst) {
  if (read_known_key(std::string_view(key, len), dst)) return true;
  std::string_view json = key_buf_.assign(key, len);
  auto parsed = key_parser_.iterate(json.data(), json.size(), key_buf_.capacity());
  if (std::move(parsed).get(key_doc_)) return false;
  ondemand::json_type type;
  if (key_doc_.type().get(type) || type != ondemand::json_type::object) return false;
  bool schema = false;
  bool payload = false;
  if (read_key_pass(false, schema, payload, dst)) return false;
  if (schema && payload) {
    // The first pass read the envelope's members as values: "schema" holds its raw JSON.
    for (const FieldValue& f : dst) {
      if (f.name == "schema" && f.kind == ValueKind::Json) key_schema_ = f.text;
    }
    key_doc_.rewind();
    dst.clear();
    if (read_key_pass(true, schema, payload, dst)) return false;
  }
  const char* rest = nullptr;
  return key_doc_.current_location().get(rest) != simdjson::SUCCESS;  // no trailing content
}

// Fast path for a key {"schema":<a key schema seen recently>,"payload":{...}}
// (open_known_envelope): only the payload is copied and parsed. False, with `dst` empty, for
// anything else; read_key()'s full parse then decides. key_schema_ is left pointing into
// `message`.
bool DebeziumDecoder::read_known_key(std::string_view message, std::vector<FieldValue>& dst) {
  std::string_view schema_text, payload;
  const debezium::MessageSchema* schema =
      open_known_envelope(message, key_schemas_, key_buf_, schema_text, payload);
  if (schema == nullptr) return false;
  auto parsed = key_parser_.iterate(payload.data(), payload.size(), key_buf_.capacity());
  ondemand::object obj;
  const char* rest = nullptr;
  bool ok = !std::move(parsed).get(key_doc_) && !key_doc_.get_object().get(obj) &&
            !json::read_object_fields(obj, dst) &&
            key_doc_.current_location().get(rest) != simdjson::SUCCESS;  // no trailing content
  for (const FieldValue& f : dst) {
    // The full parse validates the payload as one value, so nesting limits count one level
    // deeper there: leave nested values to it.
    ok = ok && f.kind != ValueKind::Json;
  }
  if (!ok) {
    dst.clear();
    return false;
  }
  key_schema_ = schema_text;
  known_key_schema_ = schema;
  return true;
}

// Reads the key's members into `dst` (or only its "payload" object's members), noting whether
// "schema" and "payload" members exist.
error_code DebeziumDecoder::read_key_pass(bool payload_only, bool& schema, bool& payload,
                                          std::vector<FieldValue>& dst) {
  ondemand::object root;
  SIMDJSON_TRY(key_doc_.get_object().get(root));
  for (auto field : root) {
    FieldValue fv;
    SIMDJSON_TRY(field.unescaped_key().get(fv.name));
    ondemand::value value;
    SIMDJSON_TRY(field.value().get(value));
    schema |= fv.name == "schema";
    payload |= fv.name == "payload";
    if (!payload_only) {
      SIMDJSON_TRY(json::read_value(value, fv));
      dst.push_back(fv);
    } else if (fv.name == "payload") {
      SIMDJSON_TRY(json::read_fields(value, dst));  // INCORRECT_TYPE unless an object
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

std::unique_ptr<Decoder> make_debezium_decoder() { return std::make_unique<DebeziumDecoder>(); }

}  // namespace cdc
