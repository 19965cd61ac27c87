// Apply semantics a sync table can ask for (delete_mode, truncate_mode, version_column, mode
// changelog) and the metadata of a change that the batch stages beside its row for them.
#pragma once
#include "core/pure_cpp.hpp"

#include "core/arena.hpp"
#include "core/change.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdc {

// What a delete does (sync table option delete_mode).
enum class DeleteMode : uint8_t {
  Delete,       // the row goes
  Soft,         // the row stays, marked deleted (a later insert of its key clears the mark)
  Archive,      // the row goes, and is also written to the archive of deleted rows
  OnlyArchive,  // only the archive is written: inserts and updates are not applied
  Ignore,       // nothing
};

// What a truncate does (sync table option truncate_mode).
enum class TruncateMode : uint8_t { Truncate, Soft, Ignore };

// Where a change's version comes from (sync table option version_column).
enum class VersionFrom : uint8_t {
  None,
  Column,    // a column of the row
  SourceTs,  // the source's commit time (_cdc_source_ts)
  Offset,    // the Kafka offset (_cdc_offset): meaningful within one partition
};

// Where a change came from: its message's position.
struct ChangeMeta {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = -1;  // -1: unknown (never compared as a version)
};

// The metadata the batch keeps for a row: its last change's.
struct RowMeta {
  Op op = Op::Insert;
  int64_t source_ts_ms = DecodedChange::kNoSourceTime;
  std::string_view topic;   // in the batch's arena
  int32_t partition = 0;
  int64_t offset = -1;
  std::string_view before;  // changelog: the before image as JSON, COPY-escaped; empty: none
};

// The metadata fields of a staged line, in order after its op: the staging table's
// _cdc_m_op, _cdc_m_ts_ms, _cdc_m_topic, _cdc_m_partition, _cdc_m_offset, _cdc_m_before.
constexpr int kMetaFields = 6;

// How `_cdc_op` spells an op: "insert", "update", "delete", "truncate".
const char* op_name(Op op);

// Appends the metadata fields of `meta` (tab first, COPY text) to `out`.
void append_meta_fields(std::string& out, const RowMeta& meta);

// Milliseconds since 1970 of a UTC date-time "YYYY-MM-DDTHH:MM:SS[.fraction][Z]" (AWS DMS's
// metadata.timestamp), or DecodedChange::kNoSourceTime when it is not one or out of range.
int64_t utc_iso_ms(std::string_view text);

// The JSON object of a row image (names and values as the message had them), for changelog's
// before image.
std::string image_json(const std::vector<FieldValue>& image);

// How versions of a column compare within a batch (SQL compares them as their type).
enum class VersionOrder : uint8_t {
  Text,    // byte by byte, as one source writes them
  Number,  // integers, numeric, real and double precision: by value
  Time,    // dates and timestamps: date and time of day, then the fraction of a second (a 'T' or a
           // space between them, a zone suffix ignored: one source writes one zone)
};

// Compares two versions in COPY text ("\N" is null, older than any value). <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b, VersionOrder order);

}  // namespace cdc
