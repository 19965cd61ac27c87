// Key equality operators (see key_equality.hpp) and the SQL helper the API checks keys with.
#include "pg/key_equality.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_operator.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(cdc_sync_key_equality);
}

namespace cdc::pg {

Oid key_equality_operator(Oid type) {
  // The type cache resolves domains to their base type and binary-coercible types (varchar) to
  // the opclass they borrow, exactly as the parser does when it plans "t.k = s.k".
  TypeCacheEntry* tc = lookup_type_cache(type, TYPECACHE_EQ_OPR);
  return tc->eq_opr;
}

char* qualified_operator(Oid op) {
  HeapTuple optup = SearchSysCache1(OPEROID, ObjectIdGetDatum(op));
  if (!HeapTupleIsValid(optup)) elog(ERROR, "cache lookup failed for operator %u", op);
  Form_pg_operator form = (Form_pg_operator)GETSTRUCT(optup);
  char* text = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(form->oprnamespace)),
                        NameStr(form->oprname));
  ReleaseSysCache(optup);
  return text;
}

}  // namespace cdc::pg

// SQL: cdc_sync._key_equality(regtype) -- the operator a key of this type is joined with, or NULL.
extern "C" Datum cdc_sync_key_equality(PG_FUNCTION_ARGS) {
  Oid op = cdc::pg::key_equality_operator(PG_GETARG_OID(0));
  if (!OidIsValid(op)) PG_RETURN_NULL();
  PG_RETURN_TEXT_P(cstring_to_text(cdc::pg::qualified_operator(op)));
}
