// The public SQL functions' single entry point: calls the PL/pgSQL implementation as the
// extension owner, passing the real caller so ownership checks cannot be forged.
#include "pg/pg.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(cdc_sync_api_dispatch);
}

// The role that owns the extension (a superuser: the control file requires it).
static Oid extension_owner() {
  Oid ext = get_extension_oid("cdc_sync", false);
  Oid owner = InvalidOid;
  Relation rel = table_open(ExtensionRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
  SysScanDesc scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
  HeapTuple tup = systable_getnext(scan);
  if (HeapTupleIsValid(tup)) owner = ((Form_pg_extension)GETSTRUCT(tup))->extowner;
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return owner;
}

// SQL: every public API function. Calls cdc_sync._<name>(caller, caller_search_path, args...).
Datum cdc_sync_api_dispatch(PG_FUNCTION_ARGS) {
  Oid self = fcinfo->flinfo->fn_oid;
  HeapTuple proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(self));
  if (!HeapTupleIsValid(proctup)) elog(ERROR, "cache lookup failed for function %u", self);
  Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(proctup);
  int nargs = proc->pronargs;
  char* impl_name = psprintf("_%s", NameStr(proc->proname));
  Oid argtypes[FUNC_MAX_ARGS];
  argtypes[0] = OIDOID;
  argtypes[1] = TEXTOID;
  for (int i = 0; i < nargs; i++) argtypes[i + 2] = proc->proargtypes.values[i];
  Oid nsp = proc->pronamespace;
  ReleaseSysCache(proctup);

  List* qualified = list_make2(makeString(get_namespace_name(nsp)), makeString(impl_name));
  Oid impl = LookupFuncName(qualified, nargs + 2, argtypes, false);

  Oid caller = GetUserId();
  const char* caller_path = GetConfigOption("search_path", false, false);

  LOCAL_FCINFO(call, FUNC_MAX_ARGS);
  FmgrInfo flinfo;
  fmgr_info(impl, &flinfo);
  InitFunctionCallInfoData(*call, &flinfo, nargs + 2, fcinfo->fncollation, NULL, NULL);
  call->args[0].value = ObjectIdGetDatum(caller);
  call->args[0].isnull = false;
  call->args[1].value = CStringGetTextDatum(caller_path ? caller_path : "");
  call->args[1].isnull = false;
  for (int i = 0; i < nargs; i++) call->args[i + 2] = fcinfo->args[i];

  // An error unwinds through AbortTransaction, which restores the user id for us.
  Oid saved_user;
  int saved_context;
  GetUserIdAndSecContext(&saved_user, &saved_context);
  SetUserIdAndSecContext(extension_owner(), saved_context | SECURITY_LOCAL_USERID_CHANGE);
  Datum result = FunctionCallInvoke(call);
  SetUserIdAndSecContext(saved_user, saved_context);

  if (call->isnull) PG_RETURN_NULL();
  return result;
}
