// The equality operator a key column is compared with: one answer for add_sync_table's check and
// for the worker's MERGE / DELETE USING, so the API never accepts a key the worker cannot join on.
#pragma once

#include "pg/pg.hpp"

namespace cdc::pg {

// The default equality operator of `type`, or InvalidOid: the type's default btree (else hash)
// opclass, found through binary coercion (varchar uses text's) and through a domain's base type.
Oid key_equality_operator(Oid type);

// "OPERATOR(schema.=)" for `op`, palloc'd and safe under any search_path.
char* qualified_operator(Oid op);

}  // namespace cdc::pg
