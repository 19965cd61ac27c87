// Parked sync tables in the catalog: their kept messages (cdc_sync.parked) and their state.
#include "pg/bridge.hpp"
#include "pg/spi.hpp"
#include "pg/worker_state.hpp"

extern "C" {
#include "utils/builtins.h"
}

using namespace cdc::pg;

namespace {

// A bytea Datum holding `raw` exactly.
Datum bytea_of(const std::string& raw) {
  bytea* b = (bytea*)palloc(VARHDRSZ + raw.size());
  SET_VARSIZE(b, VARHDRSZ + raw.size());
  memcpy(VARDATA(b), raw.data(), raw.size());
  return PointerGetDatum(b);
}

}  // namespace

namespace cdc::pg {

// Inside write_progress(): the batch's messages of parked tables, and the tables it parked.
void write_parked(const host::BatchProgress& p) {
  for (const host::ParkedMessage& m : p.parked)
    spi_exec("INSERT INTO cdc_sync.parked (sync_table, topic, partition, \"offset\", key, value) "
             "VALUES ($1, $2, $3, $4, $5, $6)",
             SPI_OK_INSERT, "parking a message",
             {{INT4OID, Int32GetDatum(m.sync_table_id)}, text_arg(m.topic.c_str()), {INT4OID, Int32GetDatum(m.partition)},
              {INT8OID, Int64GetDatum(m.offset)}, {BYTEAOID, m.key_null ? (Datum)0 : bytea_of(m.key), m.key_null},
              {BYTEAOID, m.value_null ? (Datum)0 : bytea_of(m.value), m.value_null}});
  for (const auto& [id, reason] : p.parking)
    spi_exec("UPDATE cdc_sync.sync_tables SET parked_at = now(), parked_reason = $2, retry_requested = false "
             "WHERE id = $1",
             SPI_OK_UPDATE, "parking a table", {{INT4OID, Int32GetDatum(id)}, text_arg(reason.c_str())});
}

}  // namespace cdc::pg

namespace cdc::host {

std::vector<ParkedMessage> read_parked(int sync_table_id, int64_t after, int limit) {
  std::vector<ParkedMessage> out;
  guard([&]() {
    uint64 n = spi_exec("SELECT id, topic, partition, \"offset\", key, value FROM cdc_sync.parked "
                        "WHERE sync_table = $1 AND id > $2 ORDER BY id LIMIT $3",
                        SPI_OK_SELECT, "reading parked messages",
                        {{INT4OID, Int32GetDatum(sync_table_id)}, {INT8OID, Int64GetDatum(after)},
                         {INT4OID, Int32GetDatum(limit)}});
    out.resize(n);  // owned by the caller's frame: no C++ object is made in this one below
    for (uint64 i = 0; i < n; i++) {
      HeapTuple tup = SPI_tuptable->vals[i];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull;
      ParkedMessage& m = out[i];
      m.sync_table_id = sync_table_id;
      m.id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
      m.topic.assign(SPI_getvalue(tup, desc, 2));
      m.partition = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
      m.offset = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
      Datum key = SPI_getbinval(tup, desc, 5, &m.key_null);
      if (!m.key_null) {
        bytea* b = DatumGetByteaPP(key);
        m.key.assign(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
      }
      Datum value = SPI_getbinval(tup, desc, 6, &m.value_null);
      if (!m.value_null) {
        bytea* b = DatumGetByteaPP(value);
        m.value.assign(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
      }
    }
  });
  return out;
}

void delete_parked(int sync_table_id, int64_t last) {
  guard([&]() {
    spi_exec("DELETE FROM cdc_sync.parked WHERE sync_table = $1 AND id <= $2", SPI_OK_DELETE,
             "deleting replayed messages", {{INT4OID, Int32GetDatum(sync_table_id)}, {INT8OID, Int64GetDatum(last)}});
  });
}

void unpark(int sync_table_id) {
  guard([&]() {
    spi_exec("UPDATE cdc_sync.sync_tables SET parked_at = NULL, parked_reason = NULL, retry_requested = false "
             "WHERE id = $1",
             SPI_OK_UPDATE, "unparking a table", {{INT4OID, Int32GetDatum(sync_table_id)}});
    // Every worker of the pipeline reloads its configuration once this commits.
    spi_exec("SELECT cdc_sync._notify()", SPI_OK_SELECT, "waking the workers");
  });
}

void replay_failed(int sync_table_id, const std::string& reason) {
  begin_batch(BatchLock::Shared);
  try {
    guard([&]() {
      spi_exec("UPDATE cdc_sync.sync_tables SET parked_reason = $2, retry_requested = false WHERE id = $1",
               SPI_OK_UPDATE, "recording a failed retry", {{INT4OID, Int32GetDatum(sync_table_id)}, text_arg(reason.c_str())});
    });
    commit_batch();
  } catch (...) {
    abort_batch();
    throw;
  }
}

}  // namespace cdc::host
