// What the decoders say of a column's type, for fields without a target column (schema evolution).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/canal_decoder.hpp"
#include "core/change.hpp"
#include "core/debezium_decoder.hpp"

namespace cdc {
namespace {

DecodeResult decode(Decoder& d, const std::string& value) {
  std::vector<DecodedChange> out;
  size_t count = 0;
  return d.decode_all(nullptr, 0, value.data(), value.size(), out, count);
}

const char* kDebeziumWithSourceTypes = R"json({"schema":{"type":"struct","fields":[
  {"type":"struct","optional":true,"field":"before","fields":[]},
  {"type":"struct","optional":true,"field":"after","fields":[
    {"type":"int32","optional":false,"field":"id"},
    {"type":"string","optional":true,"field":"note","parameters":{"__debezium.source.column.type":"VARCHAR","__debezium.source.column.length":"40"}},
    {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"field":"price","parameters":{"scale":"2","connect.decimal.precision":"10"}},
    {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","field":"at"},
    {"type":"int64","optional":true,"field":"big","parameters":{"__debezium.source.column.type":"BIGINT UNSIGNED","__debezium.source.column.length":"20"}}]},
  {"type":"string","optional":false,"field":"op"}],"optional":false,"name":"x.Envelope"},
 "payload":{"before":null,"after":{"id":1,"note":"n","price":"AKg=","at":1,"big":2},"op":"c"}})json";

TEST(SourceType, DebeziumSchemaEnvelope) {
  auto d = make_debezium_decoder();
  ASSERT_EQ(decode(*d, kDebeziumWithSourceTypes).status, DecodeStatus::Change);
  EXPECT_EQ(d->source_type("id"), "integer");
  EXPECT_EQ(d->source_type("note"), "character varying(40)");
  EXPECT_EQ(d->source_type("price"), "numeric(10,2)");
  EXPECT_EQ(d->source_type("at"), "timestamp(6) without time zone");
  EXPECT_EQ(d->source_type("big"), "numeric(20,0)");
  EXPECT_EQ(d->source_type("nope"), "");
  // Only the propagated MySQL types are declarations (what widening follows).
  EXPECT_EQ(d->declared_type("note"), "character varying(40)");
  EXPECT_EQ(d->declared_type("big"), "numeric(20,0)");
  EXPECT_EQ(d->declared_type("price"), "");
  EXPECT_EQ(d->declared_type("id"), "");
}

TEST(SourceType, DebeziumWithoutSchemaSaysNothing) {
  auto d = make_debezium_decoder();
  ASSERT_EQ(decode(*d, R"({"before":null,"after":{"id":1},"op":"c"})").status, DecodeStatus::Change);
  EXPECT_EQ(d->source_type("id"), "");
}

TEST(SourceType, CanalMysqlType) {
  auto d = make_canal_decoder();
  std::string msg = R"json({"data":[{"id":"1","name":"a","price":"1.50","flag":"1"}],"database":"shop","table":"t",
    "isDdl":false,"pkNames":["id"],"type":"INSERT","old":null,
    "mysqlType":{"id":"int(11) unsigned","name":"varchar(64)","price":"decimal(8,2)","flag":"tinyint(1)"}})json";
  ASSERT_EQ(decode(*d, msg).status, DecodeStatus::Change);
  EXPECT_EQ(d->source_type("id"), "bigint");
  EXPECT_EQ(d->source_type("name"), "character varying(64)");
  EXPECT_EQ(d->source_type("price"), "numeric(8,2)");
  EXPECT_EQ(d->source_type("flag"), "smallint");
  EXPECT_EQ(d->source_type("nope"), "");
}

TEST(SourceType, DeclaredTypesIdFollowsTheDeclaration) {
  auto canal = make_canal_decoder();
  auto msg = [](const char* type) {
    return std::string(R"json({"data":[{"id":"1","v":"a"}],"database":"d","table":"t","isDdl":false,"pkNames":["id"],)json"
                       R"json("type":"INSERT","mysqlType":{"id":"int","v":")json") + type + "\"}}";
  };
  ASSERT_EQ(decode(*canal, msg("varchar(10)")).status, DecodeStatus::Change);
  uint64_t first = canal->declared_types_id();
  ASSERT_EQ(decode(*canal, msg("varchar(10)")).status, DecodeStatus::Change);
  EXPECT_EQ(canal->declared_types_id(), first);
  ASSERT_EQ(decode(*canal, msg("varchar(20)")).status, DecodeStatus::Change);
  EXPECT_NE(canal->declared_types_id(), first);
  EXPECT_EQ(canal->source_type("v"), "character varying(20)");

  auto dbz = make_debezium_decoder();
  ASSERT_EQ(decode(*dbz, kDebeziumWithSourceTypes).status, DecodeStatus::Change);
  uint64_t schema = dbz->declared_types_id();
  EXPECT_NE(schema, 0u);
  ASSERT_EQ(decode(*dbz, kDebeziumWithSourceTypes).status, DecodeStatus::Change);
  EXPECT_EQ(dbz->declared_types_id(), schema);
  ASSERT_EQ(decode(*dbz, R"({"before":null,"after":{"id":1},"op":"c"})").status, DecodeStatus::Change);
  EXPECT_EQ(dbz->declared_types_id(), 0u);
}

}  // namespace
}  // namespace cdc
