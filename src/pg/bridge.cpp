// The exception bridge's out-of-line half (see bridge.hpp).
#include "pg/bridge.hpp"

namespace cdc::pg {

cdc::host::HostError take_error(MemoryContext return_to) {
  MemoryContextSwitchTo(return_to);
  ErrorData* edata = CopyErrorData();
  FlushErrorState();
  std::string message = edata->message ? edata->message : "unknown error";
  if (edata->context) message += std::string(" (") + edata->context + ")";
  std::string detail = edata->detail ? edata->detail : "";
  std::string sqlstate = unpack_sql_state(edata->sqlerrcode);
  FreeErrorData(edata);
  return cdc::host::HostError(message, sqlstate, detail);
}

void report_exception(const char* what, const char* sqlstate, const char* detail) {
  int code = ERRCODE_INTERNAL_ERROR;
  if (sqlstate && strlen(sqlstate) == 5)
    code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]);
  ereport(ERROR, (errcode(code), errmsg("%s", what), detail ? errdetail("%s", detail) : 0));
  pg_unreachable();
}

}  // namespace cdc::pg
