// The exception bridge: PostgreSQL errors <-> C++ exceptions, at the two places they meet.
//
//  - pg::guard(fn): runs PostgreSQL calls made from C++; an ereport(ERROR) inside becomes a
//    cdc::host::HostError thrown *after* PG_TRY has unwound. `fn` must keep no objects with
//    destructors alive across PostgreSQL calls (the longjmp would skip them).
//  - pg::entry(fn): wraps every entry point PostgreSQL calls (SQL functions, worker main); any C++
//    exception becomes ereport(ERROR) once no C++ frame with live destructors is left.
// Never throw inside PG_TRY.
#pragma once

#include "pg/pg.hpp"

#include "bridge/host.hpp"

#include <exception>
#include <string>

namespace cdc::pg {

// Converts the error being handled in PG_CATCH into a HostError and clears PostgreSQL's error state.
cdc::host::HostError take_error(MemoryContext return_to);

// Runs `fn` (PostgreSQL calls only) and rethrows a PostgreSQL ERROR as cdc::host::HostError.
template <typename F>
void guard(F&& fn) {
  MemoryContext mcx = CurrentMemoryContext;
  bool failed = false;
  // A C++ exception (bad_alloc, ...) must not leave PG_TRY by unwinding: PostgreSQL's exception
  // stack would keep pointing into this frame. Catch it inside, rethrow after PG_END_TRY.
  std::exception_ptr cpp_error;
  PG_TRY();
  {
    try {
      fn();
    } catch (...) {
      cpp_error = std::current_exception();
    }
  }
  PG_CATCH();
  {
    failed = true;
  }
  PG_END_TRY();
  if (failed) throw take_error(mcx);
  if (cpp_error) std::rethrow_exception(cpp_error);
}

// Reports a caught C++ exception as a PostgreSQL ERROR (never returns).
[[noreturn]] void report_exception(const char* what, const char* sqlstate, const char* detail);

// Runs an entry point body; C++ exceptions become ereport(ERROR) outside every try block.
template <typename F>
Datum entry(F&& fn) {
  char* message = nullptr;
  char* sqlstate = nullptr;
  char* detail = nullptr;
  Datum result = (Datum)0;
  try {
    result = fn();
  } catch (const cdc::host::HostError& e) {
    message = pstrdup(e.what());
    sqlstate = pstrdup(e.sqlstate().c_str());
    detail = e.detail().empty() ? nullptr : pstrdup(e.detail().c_str());
  } catch (const std::exception& e) {
    message = pstrdup(e.what());
  } catch (...) {
    message = pstrdup("unknown C++ exception");
  }
  if (message) report_exception(message, sqlstate, detail);
  return result;
}

}  // namespace cdc::pg
