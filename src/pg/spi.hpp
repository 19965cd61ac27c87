// One call for an SPI statement with parameters: the type/value/null arrays and the result check
// that every SPI_execute_with_args() call needs.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
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

// Text in the database encoding from UTF-8 bytes (every C++ string is UTF-8: it comes from JSON
// messages, librdkafka or our own words). A database in UTF8 or SQL_ASCII keeps the bytes; another
// gets them converted. What is not valid UTF-8 or has no equivalent in the database encoding is
// written as \xNN escapes, unless `exact`: then the result is NULL (the caller falls back).
inline text* utf8_to_text(const char* s, size_t len, bool exact = false) {
  int db = GetDatabaseEncoding();
  if (db == PG_UTF8 || db == PG_SQL_ASCII) {
    if (pg_verify_mbstr(PG_UTF8, s, (int)len, true)) return cstring_to_text_with_len(s, (int)len);
    if (exact) return nullptr;
  }
  Oid proc = db == PG_UTF8 || db == PG_SQL_ASCII ? InvalidOid : FindDefaultConversionProc(PG_UTF8, db);
  StringInfoData out;
  initStringInfo(&out);
  char* buf = (char*)palloc((size_t)MAX_CONVERSION_GROWTH * len + 1);
  size_t pos = 0;
  while (pos < len) {
    // The longest valid UTF-8 run from pos, converted in one call; the byte after it is escaped.
    int valid = pg_encoding_verifymbstr(PG_UTF8, s + pos, (int)(len - pos));
    int done = 0;
    if (valid > 0) {
      if (OidIsValid(proc)) {
        done = pg_do_encoding_conversion_buf(proc, PG_UTF8, db, (unsigned char*)s + pos, valid, (unsigned char*)buf,
                                             (int)(MAX_CONVERSION_GROWTH * (size_t)valid + 1), true);
        appendBinaryStringInfo(&out, buf, (int)strlen(buf));
      } else {
        done = valid;
        appendBinaryStringInfo(&out, s + pos, valid);
      }
      pos += (size_t)done;
    }
    if (pos < len) {  // stopped at an invalid byte (done == valid) or an untranslatable character
      if (exact) return nullptr;
      int n = done < valid ? pg_utf_mblen((const unsigned char*)s + pos) : 1;
      if (n < 1 || pos + (size_t)n > len) n = 1;
      for (int i = 0; i < n; i++) appendStringInfo(&out, "\\x%02x", (unsigned char)s[pos + (size_t)i]);
      pos += (size_t)n;
    }
  }
  pfree(buf);
  text* t = cstring_to_text_with_len(out.data, out.len);
  pfree(out.data);
  return t;
}

// A text parameter from a C++ (UTF-8) string, in the database encoding.
inline SpiArg text_arg(const char* s) { return {TEXTOID, PointerGetDatum(utf8_to_text(s, strlen(s)))}; }

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

// Appends the lines of `text` (may be null) to `out`.
inline void split_lines(const char* text, std::vector<std::string>& out) {
  for (const char* k = text; k != nullptr && *k != '\0';) {
    const char* newline = strchr(k, '\n');
    size_t len = newline ? size_t(newline - k) : strlen(k);
    out.emplace_back(k, len);
    k = newline ? newline + 1 : k + len;
  }
}

// Appends the pairs of lines of `text` (may be null: name, then value) to `out`.
inline void split_pairs(const char* text, std::vector<std::pair<std::string, std::string>>& out) {
  bool second = false;
  for (const char* k = text; k != nullptr && *k != '\0';) {
    const char* newline = strchr(k, '\n');
    size_t len = newline ? size_t(newline - k) : strlen(k);
    if (second)
      out.back().second.assign(k, len);
    else
      out.emplace_back(std::string(k, len), std::string());
    second = !second;
    k = newline ? newline + 1 : k + len;
  }
}

}  // namespace cdc::pg
