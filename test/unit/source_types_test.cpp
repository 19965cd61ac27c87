// Source column types to PostgreSQL column types, and which type changes widen.
#include "core/source_types.hpp"

#include <gtest/gtest.h>

namespace cdc {
namespace {

TEST(PgTypeForMysql, IntegersTakeTheNextWiderTypeWhenUnsigned) {
  EXPECT_EQ(pg_type_for_mysql("tinyint(1)"), "smallint");
  EXPECT_EQ(pg_type_for_mysql("TINYINT(3) UNSIGNED"), "smallint");
  EXPECT_EQ(pg_type_for_mysql("smallint(6)"), "smallint");
  EXPECT_EQ(pg_type_for_mysql("smallint unsigned"), "integer");
  EXPECT_EQ(pg_type_for_mysql("mediumint(8) unsigned"), "integer");
  EXPECT_EQ(pg_type_for_mysql("int(11)"), "integer");
  EXPECT_EQ(pg_type_for_mysql("int(10) unsigned zerofill"), "bigint");
  EXPECT_EQ(pg_type_for_mysql("bigint(20)"), "bigint");
  EXPECT_EQ(pg_type_for_mysql("bigint(20) unsigned"), "numeric(20,0)");
}

TEST(PgTypeForMysql, ExactNumericsFloatsAndBits) {
  EXPECT_EQ(pg_type_for_mysql("decimal(10,2)"), "numeric(10,2)");
  EXPECT_EQ(pg_type_for_mysql("decimal(5)"), "numeric(5,0)");
  EXPECT_EQ(pg_type_for_mysql("decimal"), "numeric(10,0)");
  EXPECT_EQ(pg_type_for_mysql("decimal(65,30) unsigned"), "numeric(65,30)");
  EXPECT_EQ(pg_type_for_mysql("float"), "real");
  EXPECT_EQ(pg_type_for_mysql("float(30)"), "double precision");
  EXPECT_EQ(pg_type_for_mysql("double"), "double precision");
  EXPECT_EQ(pg_type_for_mysql("bit(1)"), "boolean");
  EXPECT_EQ(pg_type_for_mysql("bit(12)"), "bit(12)");
}

TEST(PgTypeForMysql, StringsBinariesTimesAndOthers) {
  EXPECT_EQ(pg_type_for_mysql("varchar(255)"), "character varying(255)");
  EXPECT_EQ(pg_type_for_mysql("char(3)"), "character(3)");
  EXPECT_EQ(pg_type_for_mysql("longtext"), "text");
  EXPECT_EQ(pg_type_for_mysql("varbinary(16)"), "bytea");
  EXPECT_EQ(pg_type_for_mysql("blob"), "bytea");
  EXPECT_EQ(pg_type_for_mysql("date"), "date");
  EXPECT_EQ(pg_type_for_mysql("datetime"), "timestamp(0) without time zone");
  EXPECT_EQ(pg_type_for_mysql("datetime(6)"), "timestamp(6) without time zone");
  EXPECT_EQ(pg_type_for_mysql("timestamp(3)"), "timestamp(3) with time zone");
  EXPECT_EQ(pg_type_for_mysql("time(6)"), "interval");  // -838:59:59 .. 838:59:59
  EXPECT_EQ(pg_type_for_mysql("year(4)"), "smallint");
  EXPECT_EQ(pg_type_for_mysql("enum('a)','b')"), "text");
  EXPECT_EQ(pg_type_for_mysql("set('x','y')"), "text");
  EXPECT_EQ(pg_type_for_mysql("json"), "jsonb");
  EXPECT_EQ(pg_type_for_mysql("point"), "bytea");
  EXPECT_EQ(pg_type_for_mysql("uuid"), "uuid");
  EXPECT_EQ(pg_type_for_mysql("inet6"), "inet");
  EXPECT_EQ(pg_type_for_mysql("no_such_type"), "");
}

TEST(PgTypeForMysql, DebeziumPropagatedSourceType) {
  EXPECT_EQ(pg_type_for_mysql("VARCHAR", 64, -1), "character varying(64)");
  EXPECT_EQ(pg_type_for_mysql("DECIMAL", 12, 4), "numeric(12,4)");
  EXPECT_EQ(pg_type_for_mysql("INT UNSIGNED", 10, -1), "bigint");
  EXPECT_EQ(pg_type_for_mysql("DATETIME", 6, -1), "timestamp(6) without time zone");
  EXPECT_EQ(pg_type_for_mysql("TEXT", -1, -1), "text");
}

TEST(PgTypeForMysql, DebeziumSpatialStructsStayWhole) {
  // Debezium writes {"wkb": ..., "srid": ...}: jsonb keeps both; Canal's spatial text is bytea.
  EXPECT_EQ(pg_type_for_mysql("POINT", -1, -1), "jsonb");
  EXPECT_EQ(pg_type_for_mysql("GEOMETRY", -1, -1), "jsonb");
  EXPECT_EQ(pg_type_for_mysql("point"), "bytea");
  EXPECT_EQ(pg_type_for_mysql("VARBINARY", 16, -1), "bytea");
}

TEST(PgTypeForDms, TableDefinitionTypes) {
  EXPECT_EQ(pg_type_for_dms("INT32", -1, -1, -1), "integer");
  EXPECT_EQ(pg_type_for_dms("int64", -1, -1, -1), "bigint");
  EXPECT_EQ(pg_type_for_dms("UINT8", -1, -1, -1), "numeric(20,0)");
  EXPECT_EQ(pg_type_for_dms("STRING", 128, -1, -1), "character varying(128)");
  EXPECT_EQ(pg_type_for_dms("WSTRING", -1, -1, -1), "text");
  EXPECT_EQ(pg_type_for_dms("NUMERIC", -1, 10, 2), "numeric(10,2)");
  EXPECT_EQ(pg_type_for_dms("TIMESTAMP", -1, -1, -1), "timestamp(6) without time zone");
  EXPECT_EQ(pg_type_for_dms("BLOB", -1, -1, -1), "bytea");
  EXPECT_EQ(pg_type_for_dms("SOMETHING_NEW", -1, -1, -1), "");
}

TEST(PgTypeForConnect, LogicalTypesFirst) {
  EXPECT_EQ(pg_type_for_connect("bytes", "org.apache.kafka.connect.data.Decimal", 10, 2), "numeric(10,2)");
  EXPECT_EQ(pg_type_for_connect("bytes", "org.apache.kafka.connect.data.Decimal", -1, 2), "numeric");
  EXPECT_EQ(pg_type_for_connect("int32", "io.debezium.time.Date", -1, -1), "date");
  EXPECT_EQ(pg_type_for_connect("int64", "io.debezium.time.MicroTimestamp", -1, -1), "timestamp(6) without time zone");
  EXPECT_EQ(pg_type_for_connect("int64", "io.debezium.time.Timestamp", -1, -1), "timestamp(3) without time zone");
  EXPECT_EQ(pg_type_for_connect("string", "io.debezium.time.ZonedTimestamp", -1, -1), "timestamp with time zone");
  EXPECT_EQ(pg_type_for_connect("int64", "io.debezium.time.MicroTime", -1, -1), "interval");
  EXPECT_EQ(pg_type_for_connect("bytes", "io.debezium.data.Bits", 12, -1), "bit(12)");
  EXPECT_EQ(pg_type_for_connect("string", "io.debezium.data.Json", -1, -1), "jsonb");
  EXPECT_EQ(pg_type_for_connect("string", "io.debezium.data.Enum", -1, -1), "text");
  EXPECT_EQ(pg_type_for_connect("int32", "io.debezium.time.Year", -1, -1), "smallint");
  EXPECT_EQ(pg_type_for_connect("struct", "io.debezium.data.geometry.Point", -1, -1), "jsonb");
}

TEST(PgTypeForConnect, PlainTypes) {
  EXPECT_EQ(pg_type_for_connect("int16", "", -1, -1), "smallint");
  EXPECT_EQ(pg_type_for_connect("int32", "", -1, -1), "integer");
  EXPECT_EQ(pg_type_for_connect("int64", "", -1, -1), "bigint");
  EXPECT_EQ(pg_type_for_connect("float64", "", -1, -1), "double precision");
  EXPECT_EQ(pg_type_for_connect("string", "", -1, -1), "text");
  EXPECT_EQ(pg_type_for_connect("bytes", "", -1, -1), "bytea");
  EXPECT_EQ(pg_type_for_connect("boolean", "", -1, -1), "boolean");
}

TEST(PgTypeForValue, InferredFromTheJsonValue) {
  EXPECT_EQ(pg_type_for_value(ValueKind::Number, "42"), "bigint");
  EXPECT_EQ(pg_type_for_value(ValueKind::Number, "-42"), "bigint");
  EXPECT_EQ(pg_type_for_value(ValueKind::Number, "4.2"), "numeric");
  EXPECT_EQ(pg_type_for_value(ValueKind::Number, "1e3"), "numeric");
  EXPECT_EQ(pg_type_for_value(ValueKind::Number, "12345678901234567890"), "numeric");
  EXPECT_EQ(pg_type_for_value(ValueKind::String, "x"), "text");
  EXPECT_EQ(pg_type_for_value(ValueKind::Bool, "true"), "boolean");
  EXPECT_EQ(pg_type_for_value(ValueKind::Json, "{}"), "jsonb");
  EXPECT_EQ(pg_type_for_value(ValueKind::Null, ""), "");
}

TEST(CompareTypes, Widenings) {
  EXPECT_EQ(compare_types("character varying(10)", "character varying(10)"), TypeChange::Same);
  EXPECT_EQ(compare_types("character varying(10)", "character varying(20)"), TypeChange::Widen);
  EXPECT_EQ(compare_types("character varying(10)", "text"), TypeChange::Widen);
  EXPECT_EQ(compare_types("smallint", "bigint"), TypeChange::Widen);
  EXPECT_EQ(compare_types("integer", "numeric(20,0)"), TypeChange::Widen);
  EXPECT_EQ(compare_types("bigint", "numeric(20,0)"), TypeChange::Widen);
  EXPECT_EQ(compare_types("numeric(10,2)", "numeric(12,2)"), TypeChange::Widen);
  EXPECT_EQ(compare_types("numeric(10,2)", "numeric(11,3)"), TypeChange::Widen);
  EXPECT_EQ(compare_types("numeric(10,2)", "numeric"), TypeChange::Widen);
  EXPECT_EQ(compare_types("real", "double precision"), TypeChange::Widen);
  EXPECT_EQ(compare_types("timestamp(0) without time zone", "timestamp(6) without time zone"), TypeChange::Widen);
}

TEST(ColumnHolds, SameWiderOrText) {
  EXPECT_TRUE(column_holds("bigint", "integer"));
  EXPECT_TRUE(column_holds("integer", "integer"));
  EXPECT_TRUE(column_holds("text", "integer"));  // text holds every value's text form...
  EXPECT_TRUE(column_holds("character varying", "numeric(10,2)"));
  EXPECT_EQ(compare_types("jsonb", "text"), TypeChange::Incompatible);  // ...but nothing is widened to text
  EXPECT_FALSE(column_holds("integer", "character varying(10)"));
  EXPECT_FALSE(column_holds("character varying(5)", "character varying(10)"));
}

TEST(CompareTypes, NarrowingsAndOtherKindsAreIncompatible) {
  EXPECT_EQ(compare_types("character varying(20)", "character varying(10)"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("text", "integer"), TypeChange::Incompatible);

  EXPECT_EQ(compare_types("bigint", "integer"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("bigint", "numeric(10,0)"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("numeric(10,2)", "numeric(10,3)"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("numeric", "numeric(10,2)"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("timestamp(6) without time zone", "timestamp(6) with time zone"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("timestamp(6) without time zone", "timestamp(3) without time zone"), TypeChange::Incompatible);
  EXPECT_EQ(compare_types("double precision", "real"), TypeChange::Incompatible);
}

}  // namespace
}  // namespace cdc
