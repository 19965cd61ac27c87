// What the batch needs to know about a target column's PostgreSQL type to turn a value that came
// without a schema (Debezium with schemas.enable=false) into the value it stood for.
#pragma once
#include "core/pure_cpp.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "core/change.hpp"

namespace cdc {

// The PostgreSQL types whose schema-less Debezium encoding differs from their text form.
enum class ColumnKind : uint8_t {
  Other,        // anything else: values go to the input function as they are
  Date,         // date
  Time,         // time [ (p) ] without time zone
  TimeTz,       // time [ (p) ] with time zone
  Timestamp,    // timestamp [ (p) ] without time zone
  TimestampTz,  // timestamp [ (p) ] with time zone
  Interval,     // interval [ fields ] [ (p) ]
  Bytea,        // bytea
  Bit,          // bit [ (n) ]
  VarBit,       // bit varying [ (n) ]
  Numeric,      // numeric [ (p [, s]) ]
  Integer,      // smallint, integer, bigint
  Uuid,         // uuid
  Array,        // any of the above or another type, with [] (element says which)
};

// A target column's type as far as conversion cares: its kind plus the modifier that matters.
struct ColumnType {
  ColumnKind kind = ColumnKind::Other;
  int32_t length = -1;  // bit(n) / bit varying(n): n; -1 when not given (of the element, for arrays)
  int32_t scale = -1;   // numeric(p, s): s (numeric(p) has s = 0); -1 when not given (likewise)
  ColumnKind element = ColumnKind::Other;  // the element's kind when kind is Array

  ColumnType() = default;
  ColumnType(ColumnKind k, int32_t len = -1, int32_t sc = -1) : kind(k), length(len), scale(sc) {}
  bool operator==(const ColumnType& o) const {
    return kind == o.kind && length == o.length && scale == o.scale && element == o.element;
  }
};

// Maps a type name as PostgreSQL's format_type() prints it ("timestamp(3) with time zone",
// "bit varying(8)", "numeric(8,4)", "bytea", "integer", ...; built-in names come unqualified) to
// its ColumnType. Also accepts pg_type names ("timestamptz", "int8", "varbit", ...), any letter
// case and a "pg_catalog." prefix. Arrays ("integer[]", "numeric(10,2)[]") give ColumnKind::Array
// with their element's kind and modifier. Domains and every other type give ColumnKind::Other.
ColumnType column_type_from_name(std::string_view format_type_name);

// How a format writes values whose JSON form is not their PostgreSQL text. Decides which of the
// rules below apply: a rule that could misread another format's value is kept to its format.
enum class SourceEncoding : uint8_t {
  Debezium,     // debezium, flink-debezium: every rule but base64 decimals
  DebeziumBase64Decimals,  // Debezium with the pipeline option decimal_handling_mode 'precise':
                           // every rule, base64 strings into numeric and integer columns included
  Base64Bytes,  // maxwell, json: Plain, plus base64 strings into bytea and uuid (a short value into
                // uuid is a BINARY(16) whose trailing zero bytes the binlog dropped: padded)
  HexBytes,     // dms: Plain, plus '0x' hex strings into bytea, uuid and bit (its binary values)
  Plain,        // canal (whose decoder reads mysqlType itself): only what could not be valid
                // input as it is (numbers and booleans into bit, JSON arrays into arrays, bytea
                // text into uuid)
};

// Converts a value that arrived without a schema into PostgreSQL text for a column of type
// `type`, appending to `out`. Returns false when no conversion applies (the value then goes to
// the input function unchanged). Values of kind Text (already converted) and Null never convert,
// except Text bytea into uuid. The rules follow Debezium's default encodings:
//   Number -> Date: days since 1970-01-01 (io.debezium.time.Date); |n| >= 10^7 (past year 29349)
//     is an epoch timestamp instead, its unit told as for Timestamp below, floored to its day as
//     timestamp::date does (Oracle DATE arrives as io.debezium.time.Timestamp).
//   Number -> Timestamp/TimestampTz: epoch milliseconds, microseconds or nanoseconds, told apart
//     by magnitude (a schema would say; without one Debezium writes ms for MySQL DATETIME(0-3),
//     us for DATETIME(4-6) and PostgreSQL timestamp, ns for SQL Server datetime2(7)):
//     -62135596800000 <= n < 253402300800000 (years 1-9999 in ms) -> ms; else if within the same
//     years in us -> us; else ns. A microsecond value within 1968-01-12 .. 1978-01-12 is
//     therefore misread as milliseconds: send schemas when such timestamps matter.
//     TimestampTz reads the number as UTC and appends '+00'.
//   Number -> Integer: a literal in fraction or exponent form whose value is an integer
//     (decimal.handling.mode=double writes DECIMAL(p,0) as 12345.0 or 1.0E18) -> that integer;
//     one with a fraction is left to the input function, which refuses it.
//   Number -> Time/Interval: microseconds (MicroTime: MySQL TIME, PostgreSQL time; MicroDuration:
//     PostgreSQL interval). time(0-3) under PostgreSQL's adaptive mode, and connect mode, send ms:
//     those need the schema.
//   String -> Bytea: base64 (binary.handling.mode=bytes) -> '\x..'; text starting with '\x' and
//     non-base64 text pass through. binary.handling.mode=hex strings are not recognised.
//   String -> Bit/VarBit: base64 io.debezium.data.Bits, little-endian, `length` bits (8 per byte
//     when the column has no length). A string of only '0'/'1' passes through.
//   Number -> Bit/VarBit: MySQL BIT(n) as Maxwell and Canal write it, an unsigned integer ->
//     its bits, `length` of them (as few as needed when the column has no length; more when the
//     value needs more, which PostgreSQL rejects, rather than silently cutting bits).
//   Bool -> Bit/VarBit: MySQL BIT(1) and PostgreSQL bit(1) arrive as booleans -> '1'/'0'.
//   String -> Numeric/Integer (DebeziumBase64Decimals only): base64 Decimal
//     (decimal.handling.mode=precise, bigint unsigned precise mode) with the column's scale (0 for
//     integers); a string that already is a number literal passes through. Numeric without a
//     declared scale cannot be decoded. Without the option such a string is never decoded: see
//     base64_decimal_problem().
//   Json -> Numeric: io.debezium.data.VariableScaleDecimal {"scale":..,"value":..}.
//   String -> Uuid: base64 of 16 bytes (MySQL BINARY(16)) -> 'xxxxxxxx-xxxx-...'.
//   Json -> Array: a JSON array (Debezium's PostgreSQL arrays, JSON events) -> array input, each
//     element converted by these rules for the element type ([18460] into date[] -> {"2020-07-17}).
bool convert_for_column(const FieldValue& value, const ColumnType& type, std::string& out,
                        SourceEncoding encoding = SourceEncoding::Debezium);

// Why a value that came without a schema cannot go into a column of type `type` although the input
// function might take it: a string that is not a number but is valid base64, bound for a numeric
// or integer column under SourceEncoding::Debezium, is most likely a decimal Debezium encoded
// (decimal.handling.mode=precise) and must not be guessed at, nor reach the input function as
// whatever text it happens to be. Empty when there is no such problem.
std::string base64_decimal_problem(const FieldValue& value, const ColumnType& type, SourceEncoding encoding);

}  // namespace cdc
