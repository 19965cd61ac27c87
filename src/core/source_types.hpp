// The PostgreSQL column type for a source column, from what the messages say of it: MySQL's own
// column type (Canal's mysqlType, Debezium's __debezium.source.column.type with
// column.propagate.source.type), else Kafka Connect's schema (Debezium's schema envelope), else
// the JSON value alone. Used to create targets and to add and widen their columns (issue 9).
#pragma once
#include "core/pure_cpp.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "core/change.hpp"

namespace cdc {

// MySQL's spelling of a column type ("varchar(255)", "decimal(10,2) unsigned", "tinyint(1)",
// "datetime(6)", "enum('a','b')", case-insensitive) as PostgreSQL's, or "" when unknown.
// Exact where PostgreSQL has the type; otherwise the smallest type that holds every value:
// unsigned integers take the next wider type (bigint unsigned: numeric(20,0)), YEAR is smallint,
// ENUM and SET are text (their labels), spatial types are bytea (the WKB bytes).
std::string pg_type_for_mysql(std::string_view mysql_type);

// Debezium's propagated source type: the type name alone ("VARCHAR", "DECIMAL", "INT UNSIGNED")
// with __debezium.source.column.length and .scale (-1 when absent).
std::string pg_type_for_mysql(std::string_view type_name, int64_t length, int64_t scale);

// Kafka Connect's schema of a field: its type ("int32", "string", ...), logical name ("" if none)
// and, for Decimal and Bits, the precision/length (-1 when absent) and scale.
std::string pg_type_for_connect(std::string_view type, std::string_view logical, int64_t precision,
                                int64_t scale);

// An AWS DMS table definition's column type (the "table-def" of its create-table control records,
// IncludeControlDetails): "INT32", "STRING" with "length", "NUMERIC" with "precision" and
// "scale", ... (-1 when absent); "" when unknown.
std::string pg_type_for_dms(std::string_view type, int64_t length, int64_t precision, int64_t scale);

// A field that came with no type at all: integral numbers are bigint, other numbers numeric,
// strings text, booleans boolean, objects and arrays jsonb; "" for a null (nothing to go by).
std::string pg_type_for_value(ValueKind kind, std::string_view text);

// How a column of type `from` may become `to` (PostgreSQL spellings as above).
enum class TypeChange {
  Same,          // nothing to do
  Widen,         // every value of `from` fits `to` unchanged: ALTER COLUMN ... TYPE is safe
  Incompatible,  // narrower or another kind: values could be lost or refused
};
TypeChange compare_types(std::string_view from, std::string_view to);

// Whether a column of type `column` holds every value of type `values` as it is: the same type, a
// wider one, or text. (Widening a column follows compare_types() only: never to text.)
bool column_holds(std::string_view column, std::string_view values);

}  // namespace cdc
