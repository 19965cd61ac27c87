// The fetch thread (see fetcher.hpp).
#include "worker/fetcher.hpp"

#include <algorithm>

#include "core/error_text.hpp"
#include "core/source_types.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace cdc::worker {

namespace {
// True when the batch holds batch_max_bytes, or one more message of its average size would not fit.
bool bytes_full(const Batch& batch, const Fetcher::Settings& settings) {
  if (batch.size() == 0) return false;
  return (int64_t)(batch.bytes + batch.bytes / batch.size()) > settings.max_bytes;
}

constexpr int kPollMs = 50;
}  // namespace

std::string where(std::string_view topic, int32_t partition, int64_t offset) {
  return std::string(topic) + "[" + std::to_string(partition) + "]@" + std::to_string(offset);
}

void keep_raw(const kafka::Message& m, host::RawMessage& out) {
  out.topic.assign(m.topic);
  out.partition = m.partition;
  out.offset = m.offset;
  out.key_null = m.key == nullptr;
  if (m.key) out.key.assign(m.key, m.key_len);
  out.value_null = m.value == nullptr;
  if (m.value) out.value.assign(m.value, m.value_len);
}

void Batch::add_dead_letter(const kafka::Message& m, const std::string& reason) {
  host::DeadLetter d;
  keep_raw(m, d);
  d.error = reason;
  progress.dead_letters.push_back(std::move(d));
}

TableShape shape_of(const host::SyncTableConfig& table, const host::PipelineConfig& config) {
  std::vector<ColumnType> types;
  for (const std::string& name : table.column_types) types.push_back(column_type_from_name(name));
  TableShape shape(table.columns, table.key, std::move(types));
  bool debezium_like = config.format == "debezium" || config.format == "flink-debezium";
  shape.encoding = debezium_like && config.base64_decimals                 ? SourceEncoding::DebeziumBase64Decimals
                   : debezium_like                                          ? SourceEncoding::Debezium
                   : config.format == "maxwell" || config.format == "json" ? SourceEncoding::Base64Bytes
                   : config.format == "dms"                                ? SourceEncoding::HexBytes
                                                                           : SourceEncoding::Plain;
  if (debezium_like) shape.unavailable_value = config.unavailable_value;
  shape.append = table.append;
  shape.op_field = table.op_field;
  shape.collect_new_columns = table.schema_changes != host::SchemaChanges::Ignore;
  apply_semantics(shape, table);
  if (table.target_missing) {
    // auto_create: nothing to apply yet; the batch collects the columns (names, types, order) and
    // the key the worker creates the target with, then the session starts again.
    shape.append = true;
    shape.collect_new_columns = true;
    shape.changelog = false;
    shape.delete_mode = DeleteMode::Delete;
    shape.truncate_mode = TruncateMode::Truncate;
    shape.version_from = VersionFrom::None;
  }
  return shape;
}

// The batch's side of a sync table's apply options (the SQL side is the host's).
void apply_semantics(TableShape& shape, const host::SyncTableConfig& table) {
  const host::ApplyOptions& o = table.semantics;
  shape.changelog = o.changelog;
  shape.stage_meta = o.stage_meta();
  shape.delete_mode = o.delete_mode == "soft"           ? DeleteMode::Soft
                      : o.delete_mode == "archive"      ? DeleteMode::Archive
                      : o.delete_mode == "only_archive" ? DeleteMode::OnlyArchive
                      : o.delete_mode == "ignore"       ? DeleteMode::Ignore
                                                        : DeleteMode::Delete;
  shape.truncate_mode = o.truncate_mode == "soft"     ? TruncateMode::Soft
                        : o.truncate_mode == "ignore" ? TruncateMode::Ignore
                                                      : TruncateMode::Truncate;
  shape.version_from = VersionFrom::None;
  if (o.version_column.empty()) return;
  auto it = std::find(table.columns.begin(), table.columns.end(), o.version_column);
  if (o.version_column == "_cdc_source_ts") {
    shape.version_from = VersionFrom::SourceTs;
  } else if (o.version_column == "_cdc_offset") {
    shape.version_from = VersionFrom::Offset;
  } else if (it != table.columns.end()) {
    shape.version_from = VersionFrom::Column;
    shape.version_column = (int)(it - table.columns.begin());
    const std::string& type = table.column_types[shape.version_column];
    const bool array = type.find('[') != std::string::npos;
    const bool number = type == "smallint" || type == "integer" || type == "bigint" || type.rfind("numeric", 0) == 0 ||
                        type == "real" || type == "double precision";
    const bool time = type == "date" || type.rfind("timestamp", 0) == 0;
    shape.version_order = array ? VersionOrder::Text
                          : number ? VersionOrder::Number
                          : time   ? VersionOrder::Time
                                   : VersionOrder::Text;
  }
}

DecoderOptions decoder_options(const host::PipelineConfig& config) {
  DecoderOptions options;
  options.zero_date_as_null = config.zero_dates_null;
  options.dms_before_image_prefix = config.dms_before_image_prefix;
  return options;
}

void Batch::clear() {
  messages.clear();
  state.clear();
  for (TableBatch& t : tables) t.clear();
  for (std::vector<uint32_t>& m : table_messages) m.clear();
  next.clear();
  progress = host::BatchProgress();
  failure.clear();
  started = Clock::time_point();
  ends_taken = 0;
  moved = false;
  bytes = 0;
}

Fetcher::Fetcher(kafka::Consumer& consumer, const host::PipelineConfig& config,
                 const std::vector<kafka::TopicPartition>& assigned)
    : consumer_(consumer), decoder_(make_decoder(config.format, decoder_options(config))) {
  for (const host::SyncTableConfig& t : config.tables) shapes_.push_back(shape_of(t, config));
  for (const host::SyncTableConfig& t : config.tables) {
    target_types_.push_back(t.column_types);
    missing_.push_back(t.target_missing);
    table_configs_.push_back(t);
  }
  declared_.assign(config.tables.size(), 0);
  last_declared_.resize(config.tables.size());
  // New columns' types as the messages declare them (asked only for fields without a column).
  Decoder* decoder = decoder_.get();
  for (TableShape& s : shapes_)
    if (s.collect_new_columns) s.source_type = [decoder](std::string_view field) { return decoder->source_type(field); };
  for (const kafka::TopicPartition& tp : assigned) fetched_[{tp.topic, tp.partition}] = tp.offset;
  topic_sources_ = config.topic_sources;
  apply_truncate_ = config.apply_truncate;
  settings_ = settings_of(config);
  if (pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("cannot create the fetcher's wakeup pipe");
}

Fetcher::~Fetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  ready_.reset();
  spare_.clear();
  for (int fd : pipe_)
    if (fd >= 0) close(fd);
}

void Fetcher::start() {
  // The thread must never run the host's signal handlers: it starts with every signal blocked.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void Fetcher::clear_wakeup() {
  char buf[64];
  while (read(pipe_[0], buf, sizeof buf) > 0) {
  }
}

// Wakes the main thread.
void Fetcher::signal() {
  char b = 1;
  (void)!write(pipe_[1], &b, 1);
}

std::unique_ptr<Batch> Fetcher::take_ready() {
  std::unique_ptr<Batch> b;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    b = std::move(ready_);
  }
  cv_.notify_all();
  return b;
}

void Fetcher::recycle(std::unique_ptr<Batch> batch) {
  batch->clear();
  std::lock_guard<std::mutex> lock(mutex_);
  spare_.push_back(std::move(batch));
}

bool Fetcher::route_question(std::string& source, std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!asked_) return false;
  source = question_;
  topic = question_topic_;
  return true;
}

void Fetcher::answer_route(int table) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    answer_ = table;
    answered_ = true;
    asked_ = false;
  }
  cv_.notify_all();
}

void Fetcher::commit_later(const std::vector<kafka::TopicPartition>& offsets) {
  std::lock_guard<std::mutex> lock(mutex_);
  commits_.insert(commits_.end(), offsets.begin(), offsets.end());
}

void Fetcher::set_settings(const Settings& settings) {
  std::lock_guard<std::mutex> lock(mutex_);
  settings_ = settings;
  settings_version_++;
}

bool Fetcher::settings_in_effect() {
  std::lock_guard<std::mutex> lock(mutex_);
  return settings_taken_ == settings_version_;
}

std::string Fetcher::error() {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

// A cleared batch: a recycled one when there is one.
std::unique_ptr<Batch> Fetcher::fresh_batch() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!spare_.empty()) {
    std::unique_ptr<Batch> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  auto b = std::make_unique<Batch>();
  for (const TableShape& s : shapes_) b->tables.emplace_back(s);
  b->table_messages.resize(shapes_.size());
  return b;
}

// The thread: fill a batch until it is full, due, or Kafka has nothing more; hand it over; repeat.
void Fetcher::run() {
  try {
    std::unique_ptr<Batch> batch = fresh_batch();
    for (;;) {
      Settings settings;
      std::vector<kafka::TopicPartition> commits;
      bool new_settings;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) return;
        settings = settings_;
        new_settings = settings_taken_ != settings_version_;
        settings_taken_ = settings_version_;
        commits.swap(commits_);
      }
      if (new_settings) signal();  // the main thread reports them in effect
      if (!commits.empty()) consumer_.commit_async(commits);
      fill(*batch, settings);
      size_t n = batch->size();
      bool any = n > 0 || batch->moved;  // offsets alone (past transaction markers) are worth a commit
      bool full = (int64_t)n >= settings.max_rows || bytes_full(*batch, settings);
      bool due = any && Clock::now() - batch->started >= std::chrono::milliseconds(settings.max_ms);
      // Nothing more to wait for: every partition has been read up to its high-water mark.
      bool drained = any && consumer_.queued() == 0 && at_end_of_log();
      if (full || due || drained || !batch->failure.empty()) {
        bool failed = !batch->failure.empty();
        if (!hand_over(batch)) return;
        if (failed) {  // the pipeline stops: wait to be stopped
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [this] { return stop_; });
          return;
        }
        batch = fresh_batch();
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::string("fetch thread: ") + e.what();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = "fetch thread: unknown exception";
  }
  signal();
}

// Waits until the main thread took the previous batch, then hands this one over; false on stop.
bool Fetcher::hand_over(std::unique_ptr<Batch>& batch) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return stop_ || !ready_; });
    if (stop_) return false;
    ready_ = std::move(batch);
  }
  signal();
  return true;
}

// Polls once (waiting at most until the batch is due) and decodes what arrived into the batch.
void Fetcher::fill(Batch& batch, const Settings& settings) {
  size_t before = batch.size();
  size_t room = settings.max_rows > (int64_t)before ? (size_t)(settings.max_rows - (int64_t)before) : 0;
  // Bytes bound the batch too (wide rows, big messages): an empty batch takes one message first,
  // then as many more as fit by the average size so far (see bytes_full). A message bigger than
  // the limit is a batch of its own.
  if (bytes_full(batch, settings)) room = 0;
  if (room > 0 && before == 0) room = 1;
  if (room > 1) room = std::min(room, (size_t)(settings.max_bytes - (int64_t)batch.bytes) / (batch.bytes / before + 1));
  if (room == 0 || !batch.failure.empty()) return;
  int timeout = kPollMs;
  if (before > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        batch.started + std::chrono::milliseconds(settings.max_ms) - Clock::now());
    timeout = (int)std::max<int64_t>(0, std::min<int64_t>(kPollMs, left.count()));
  }
  size_t got = consumer_.poll(batch.messages, room, timeout);
  if (got && before == 0) batch.started = Clock::now();
  const std::vector<kafka::Message>& all = batch.messages.messages();
  for (size_t i = before; i < all.size(); i++) batch.bytes += all[i].key_len + all[i].value_len;
  batch.state.resize(all.size(), Batch::kApply);
  for (size_t i = before; i < all.size() && batch.failure.empty(); i++) take_message(batch, all[i], i, settings);
  take_ends(batch);
  for (const kafka::PartitionError& e : batch.messages.errors()) {
    if (!batch.failure.empty()) break;
    // Unknown topic or partition (3; librdkafka's _UNKNOWN_TOPIC -188, _UNKNOWN_PARTITION -190):
    // a topic deleted under us. Not a reason to fail: the owner re-lists the partitions.
    if (e.code == 3 || e.code == -188 || e.code == -190) {
      relist_ = true;
      continue;
    }
    batch.failure = "Kafka partition " + e.topic + "[" + std::to_string(e.partition) + "] at offset " +
                    std::to_string(e.offset) + ": " + e.message +
                    // 1: OFFSET_OUT_OF_RANGE from the broker; -140: librdkafka's _AUTO_OFFSET_RESET,
                    // what it reports with auto.offset.reset=error when a fetch falls off the log.
                    (e.code == 1 || e.code == -140 ? " (the offset is out of range: messages may have been deleted by retention; "
                                   "call cdc_sync.reset_offsets() to accept the loss)"
                                 : "");
  }
}

// Moves the batch's offsets to where the consumer stands at a partition's end, when that is past
// the last message taken: offsets no message holds (transaction markers, aborted transactions)
// must be committed too, or the stored offset stays short of the high-water mark for good.
void Fetcher::take_ends(Batch& batch) {
  const std::vector<kafka::PartitionEnd>& ends = batch.messages.ends();
  for (; batch.ends_taken < ends.size(); batch.ends_taken++) {
    const kafka::PartitionEnd& e = ends[batch.ends_taken];
    auto it = fetched_.find(PartitionKey{std::string(e.topic), e.partition});
    if (it == fetched_.end() || e.offset <= it->second) continue;
    it->second = e.offset;
    batch.next[it->first] = e.offset;
    batch.moved = true;
  }
}

// Decodes one message into the batches of its sync tables (or counts it skipped / dead-letters
// it). A message carrying several rows is taken whole or not at all.
void Fetcher::take_message(Batch& batch, const kafka::Message& m, size_t index, const Settings& settings) {
  PartitionKey key{std::string(m.topic), m.partition};
  batch.next[key] = m.offset + 1;
  fetched_[key] = m.offset + 1;
  batch.progress.consumed++;
  size_t count = 0;
  DecodeResult r = decoder_->decode_all(m.key, m.key_len, m.value, m.value_len, changes_, count);
  if (r.status == DecodeStatus::Error) {
    batch.state[index] = Batch::kDeadLetter;
    bad_message(batch, m, r.reason, settings);
    return;
  }
  // Route and check every row first, then add them.
  routed_.assign(count, -1);
  bool any = false;
  std::string error;
  for (size_t c = 0; c < count && r.status == DecodeStatus::Change; c++) {
    if (changes_[c].op == Op::Truncate && !apply_truncate_) continue;
    if (changes_[c].op == Op::Truncate && changes_[c].source.empty()) {
      // Too destructive to guess at: the topic may carry several tables.
      batch.state[index] = Batch::kDeadLetter;
      bad_message(batch, m, "a truncate that names no table is not applied; the source must name it", settings);
      return;
    }
    std::string_view source = source_of(changes_[c], m.topic, topic_sources_);
    int t = route(source, m.topic);
    if (t < 0) continue;
    shape_change(changes_[c], table_configs_[t], source);
    if (!batch.tables[t].check(changes_[c], error)) {
      batch.state[index] = Batch::kDeadLetter;
      bad_message(batch, m, error, settings);
      return;
    }
    routed_[c] = t;
    any = true;
  }
  if (!any) {
    batch.progress.skipped++;
    batch.state[index] = Batch::kSkipped;
    return;
  }
  for (size_t c = 0; c < count; c++) {
    if (routed_[c] < 0) continue;
    std::vector<uint32_t>& mine = batch.table_messages[routed_[c]];
    if (mine.empty() || mine.back() != index) mine.push_back((uint32_t)index);
    TableBatch& table = batch.tables[routed_[c]];
    table.at_message((uint32_t)index);
    table.add(changes_[c], error, ChangeMeta{m.topic, m.partition, m.offset});
    if (missing_[routed_[c]] && table.key_fields().empty()) {
      std::vector<std::string> key;
      for (const FieldValue& f : changes_[c].key) key.emplace_back(f.name);
      table.set_key_fields(key.empty() ? decoder_->declared_key() : std::move(key));
    }
  }
  if (count > 0 && routed_[0] >= 0) check_declared_types(batch, routed_[0]);
}

// Schema evolution: when the column types a message declares change (a new Debezium schema, another
// Canal mysqlType), notes the target columns whose declared type is now wider than the target's
// (a longer varchar, a wider decimal), and those whose declared type the target's cannot hold (a
// source column that became text while the target's is an integer). Runs once per distinct
// declaration and table.
void Fetcher::check_declared_types(Batch& batch, int table) {
  if (!shapes_[table].collect_new_columns) return;
  uint64_t id = decoder_->declared_types_id();
  if (id == 0 || declared_[table] == id) return;
  declared_[table] = id;
  const std::vector<std::string>& columns = shapes_[table].columns;
  for (size_t c = 0; c < columns.size() && c < target_types_[table].size(); c++) {
    std::string declared = decoder_->declared_type(columns[c]);
    if (declared.empty()) continue;
    std::string& before = last_declared_[table][columns[c]];
    bool changed = !before.empty() && before != declared;
    before = declared;
    const std::string& target = target_types_[table][c];
    if (compare_types(target, declared) == TypeChange::Widen) {
      batch.tables[table].note_wider_type(columns[c], declared);
    } else if (changed && !column_holds(target, declared)) {
      // The source column changed to a type whose values the target's may not hold (parks the
      // table). Only a change counts: a target may well differ from its source by design
      // (tinyint(1) into boolean, BIT into numeric), and then values are converted.
      batch.tables[table].note_incompatible_type(columns[c], declared);
    }
  }
}

std::string_view source_of(const DecodedChange& change, std::string_view topic,
                           const std::map<std::string, std::string>& topic_sources) {
  if (!change.source.empty()) return change.source;
  auto it = topic_sources.find(std::string(topic));
  return it != topic_sources.end() ? std::string_view(it->second) : topic;
}

// Sync table option source_column: each image of `change` carries `source` in field `column` (a
// field of that name from the message gives way), so that sources merged into one target keep
// equal keys apart.
static void add_source_column(DecodedChange& change, std::string_view column, std::string_view source) {
  auto put = [&](std::vector<FieldValue>& image) {
    for (FieldValue& f : image)
      if (f.name == column) {
        f.kind = ValueKind::String;
        f.text = source;
        return;
      }
    image.insert(image.begin(), FieldValue{column, ValueKind::String, source});  // leads the key
  };
  if (change.has_after) put(change.after);
  if (!change.before.empty()) put(change.before);
  if (!change.key.empty()) put(change.key);
}

void shape_change(DecodedChange& change, const host::SyncTableConfig& table, std::string_view source) {
  const host::ColumnMapping& map = table.field_map;
  if (!map.empty()) {
    auto listed = [](const std::vector<std::string>& names, std::string_view name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    auto shape = [&](std::vector<FieldValue>& image) {
      image.erase(std::remove_if(image.begin(), image.end(),
                                 [&](const FieldValue& f) {
                                   return listed(map.exclude, f.name) || (!map.include.empty() && !listed(map.include, f.name));
                                 }),
                  image.end());
      for (FieldValue& f : image)
        for (const auto& [from, to] : map.rename)
          if (f.name == from) {
            f.name = to;
            break;
          }
    };
    shape(change.after);
    shape(change.before);
    shape(change.key);
  }
  if (!table.source_column.empty()) add_source_column(change, table.source_column, source);
}

// A message that cannot be applied: a dead letter, or the end of the pipeline, by policy.
void Fetcher::bad_message(Batch& batch, const kafka::Message& m, const std::string& reason,
                          const Settings& settings) {
  if (!settings.dead_letter) {
    batch.failure = "bad message at " + describe_message(m.topic, m.partition, m.offset, m.key, m.key_len) + ": " + reason;
    return;
  }
  batch.add_dead_letter(m, reason);
}

// The sync table of a source name; a name seen for the first time is asked of the main thread.
int Fetcher::route(std::string_view source, std::string_view topic) {
  if (!last_source_.empty() && source == last_source_) return last_route_;
  std::string key(source);
  auto it = routes_.find(key);
  int found;
  if (it != routes_.end()) {
    found = it->second;
  } else {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      question_ = key;
      question_topic_ = topic;
      asked_ = true;
      answered_ = false;
    }
    signal();
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return stop_ || answered_; });
    if (stop_) throw std::runtime_error("stopped while routing");
    found = answer_;
    answered_ = false;
    lock.unlock();
    if (routes_.size() < kMaxCachedRoutes) routes_.emplace(key, found);
  }
  last_source_ = key;
  last_route_ = found;
  return found;
}

// True when every assigned partition has been read up to its last known high-water mark.
bool Fetcher::at_end_of_log() const {
  for (const auto& [tp, next] : fetched_) {
    kafka::Watermarks w;
    if (!consumer_.cached_watermarks(tp.first, tp.second, w) || next < w.high) return false;
  }
  return true;
}

}  // namespace cdc::worker
