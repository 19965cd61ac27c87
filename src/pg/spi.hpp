// One call for an SPI statement with parameters: the type/value/null arrays and the result check
// that every SPI_execute_with_args() call needs.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "catalog/pg_collation.h"
}

#include <initializer_list>

namespace cdc::pg {

// One statement parameter ($1, $2, ... in order).
struct SpiArg {
  Oid type;
  Datum value;
  bool is_null = false;
};

constexpr int kMaxSpiArgs = 8;

// Runs `sql` with `args` (read_only: with the current snapshot, no writes) and raises an ERROR
// "cdc_sync: <what> failed" unless SPI answers `expected`; returns SPI_processed. PostgreSQL
// code: from C++, call it inside guard().
inline uint64 spi_exec(const char* sql, int expected, const char* what, std::initializer_list<SpiArg> args = {},
                       bool read_only = false) {
  Oid types[kMaxSpiArgs];
  Datum values[kMaxSpiArgs];
  char nulls[kMaxSpiArgs + 1];
  int n = 0;
  for (const SpiArg& a : args) {
    if (n == kMaxSpiArgs) elog(ERROR, "cdc_sync: %s has too many parameters", what);
    types[n] = a.type;
    values[n] = a.value;
    nulls[n] = a.is_null ? 'n' : ' ';
    n++;
  }
  nulls[n] = '\0';
  int rc = SPI_execute_with_args(sql, n, types, values, nulls, read_only, 0);
  if (rc != expected) elog(ERROR, "cdc_sync: %s failed (%s)", what, SPI_result_code_string(rc));
  return SPI_processed;
}

// A text parameter.
inline SpiArg text_arg(const char* s) { return {TEXTOID, CStringGetTextDatum(s)}; }

// True when the regular expression `pattern` matches the whole of `text` (PostgreSQL's engine, C
// collation): sync table sources and topic patterns. Allocates in CurrentMemoryContext.
inline bool regex_full_match(const char* pattern, const char* subject) {
  char* anchored = psprintf("^(?:%s)$", pattern);
  text* re = cstring_to_text(anchored);
  text* s = cstring_to_text(subject);
  bool match = DatumGetBool(DirectFunctionCall2Coll(textregexeq, C_COLLATION_OID, PointerGetDatum(s), PointerGetDatum(re)));
  pfree(anchored);
  pfree(re);
  pfree(s);
  return match;
}

}  // namespace cdc::pg
