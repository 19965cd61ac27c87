// Unit tests of the AWS DMS decoder (Kafka target endpoint, JSON records).
//
// There are no DMS samples among the project's recorded messages, so the records below are written
// from AWS's documentation: AWS DMS User Guide, "Using Apache Kafka as a target for AWS Database
// Migration Service" (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.Kafka.html),
// sections "Message format for Apache Kafka" (record-type data/control, operation, schema-name,
// table-name, timestamp) and "Using a before image to view original values of CDC rows for Apache
// Kafka as a target" (BeforeImageSettings, FieldName "before-image", ColumnFilter pk-only/all), and
// "Before image task settings" (CHAP_Tasks.CustomizingTasks.TaskSettings.BeforeImage.html). The
// metadata members and operation names (load/insert/update/delete, create-table, drop-table,
// add-column, truncate-table, ...) are the ones DMS writes to its streaming targets.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "core/change.hpp"
#include "core/dms_decoder.hpp"
#include "decoder_test_support.hpp"

namespace cdc {
namespace {

using namespace cdc::testing;

// The "metadata" object of a record of table inventory.products (MySQL source: schema = database).
std::string metadata(const std::string& record_type, const std::string& operation,
                     const std::string& extra = "") {
  return R"({"timestamp":"2024-03-01T10:15:30.123456Z","record-type":")" + record_type +
         R"(","operation":")" + operation +
         R"(","partition-key-type":"schema-table","schema-name":"inventory","table-name":"products")" +
         extra + "}";
}

// A data record: {"data":...,"metadata":...} plus optional extra top-level members.
std::string data_record(const std::string& operation, const std::string& data,
                        const std::string& extra = "") {
  return R"({"data":)" + data + R"(,"metadata":)" +
         metadata("data", operation, R"(,"transaction-id":8796093023431)") + extra + "}";
}

// A control record as DMS writes it, with the table definition when it has one.
std::string control_record(const std::string& operation, const std::string& control = "{}") {
  return R"({"control":)" + control + R"(,"metadata":)" + metadata("control", operation) + "}";
}

const char* kRow101 =
    R"({"id":101,"name":"scooter","description":"Small 2-wheel scooter","weight":3.14,"in_stock":true,"notes":null})";

// ---------------------------------------------------------------- registry

TEST(DecoderRegistry, KnowsDms) {
  EXPECT_TRUE(is_known_format("dms"));
  EXPECT_NE(make_decoder("dms"), nullptr);
}

// ---------------------------------------------------------------- data records

TEST(DmsDecoder, LoadAndInsertAreInserts) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  for (const char* operation : {"load", "insert"}) {
    DecodeResult r = decode(*decoder, data_record(operation, kRow101), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << operation << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Insert);
    EXPECT_EQ(out.source, "inventory.products");
    EXPECT_TRUE(out.has_after);
    EXPECT_FALSE(out.has_before);
    Row row = to_row(out.after);
    EXPECT_EQ(row.size(), 6u);
    EXPECT_EQ(row["id"], (Field{ValueKind::Number, "101"}));
    EXPECT_EQ(row["name"], (Field{ValueKind::String, "scooter"}));
    EXPECT_EQ(row["weight"], (Field{ValueKind::Number, "3.14"}));
    EXPECT_EQ(row["in_stock"], (Field{ValueKind::Bool, "true"}));
    EXPECT_EQ(row["notes"], (Field{ValueKind::Null, ""}));
  }
}

TEST(DmsDecoder, UpdateWithFullBeforeImage) {
  // BeforeImageSettings {"EnableBeforeImage": true, "FieldName": "before-image", "ColumnFilter": "all"}.
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string before = R"(,"before-image":{"id":106,"name":"hammer","description":"16oz carpenter's hammer","weight":1})";
  std::string value = data_record(
      "update", R"({"id":106,"name":"hammer","description":"18oz carpenter hammer","weight":1})", before);
  DecodeResult r = decode(*decoder, value, out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_EQ(out.op, Op::Update);
  EXPECT_TRUE(out.has_before && out.has_after);
  EXPECT_EQ(to_row(out.after)["description"].text, "18oz carpenter hammer");
  EXPECT_EQ(to_row(out.before)["description"].text, "16oz carpenter's hammer");
  EXPECT_EQ(out.before.size(), 4u);
}

TEST(DmsDecoder, UpdateWithKeyOnlyBeforeImageInAnyMemberOrder) {
  // ColumnFilter "pk-only" (the default): the before image holds the key, here a changed one.
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"id":45,"name":"Jane"})";
  std::string meta = metadata("data", "update");
  for (std::string value : {R"({"before-image":{"id":46},"data":)" + data + R"(,"metadata":)" + meta + "}",
                            R"({"metadata":)" + meta + R"(,"data":)" + data + R"(,"before-image":{"id":46}})"}) {
    DecodeResult r = decode(*decoder, value, out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << value << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Update);
    EXPECT_EQ(out.source, "inventory.products");
    EXPECT_TRUE(out.has_before);
    EXPECT_EQ(to_row(out.before), (Row{{"id", Field{ValueKind::Number, "46"}}}));
    EXPECT_EQ(to_row(out.after)["id"].text, "45");
  }
}

TEST(DmsDecoder, UpdateWithoutOrWithEmptyBeforeImage) {
  // No BeforeImageSettings, or a PostgreSQL source whose key did not change ("before-image": {}):
  // nothing is known about the old row.
  auto decoder = make_decoder("dms");
  DecodedChange out;
  for (std::string extra : {std::string(), std::string(R"(,"before-image":{})"),
                            std::string(R"(,"before-image":null)")}) {
    DecodeResult r = decode(*decoder, data_record("update", kRow101, extra), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << extra << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Update);
    EXPECT_TRUE(out.has_after);
    EXPECT_FALSE(out.has_before) << extra;
    EXPECT_TRUE(out.before.empty());
    EXPECT_EQ(out.after.size(), 6u);
  }
}

// ---------------------------------------------------------------- before images under a prefix
// The add-before-image-columns transformation rule puts the before image into "data" as extra
// columns named <prefix><column> (prefix "BI_" by default).

// A record of the ORDERS table with `data`.
std::string orders_record(const std::string& operation, const std::string& data,
                          const std::string& extra = "") {
  return R"({"data":)" + data + R"(,"metadata":{"record-type":"data","operation":")" + operation +
         R"(","schema-name":"SHOP","table-name":"ORDERS"})" + extra + "}";
}

TEST(DmsDecoder, PrefixedBeforeImageOfAKeyChange) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  // The prefixed columns may come anywhere among the others.
  for (std::string data : {std::string(R"({"ID":2,"NAME":"b","BI_ID":1,"BI_NAME":"a"})"),
                           std::string(R"({"BI_ID":1,"ID":2,"BI_NAME":"a","NAME":"b"})")}) {
    DecodeResult r = decode(*decoder, orders_record("update", data), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << data << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Update);
    EXPECT_TRUE(out.has_after);
    EXPECT_EQ(to_row(out.after), (Row{{"ID", Field{ValueKind::Number, "2"}},
                                      {"NAME", Field{ValueKind::String, "b"}}}));
    // The old key is in `before`, which the batch deletes when it differs from the new one.
    EXPECT_TRUE(out.has_before);
    EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                       {"NAME", Field{ValueKind::String, "a"}}}));
  }
}

TEST(DmsDecoder, PrefixedBeforeImageWithoutKeyChange) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"ID":1,"NAME":"b","NOTE":null,"BI_ID":1,"BI_NAME":"a","BI_NOTE":null})";
  ASSERT_EQ(decode(*decoder, orders_record("update", data), out).status, DecodeStatus::Change);
  EXPECT_TRUE(out.has_before);
  EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                     {"NAME", Field{ValueKind::String, "a"}},
                                     {"NOTE", Field{ValueKind::Null, ""}}}));
  EXPECT_EQ(to_row(out.after), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                    {"NAME", Field{ValueKind::String, "b"}},
                                    {"NOTE", Field{ValueKind::Null, ""}}}));
}

TEST(DmsDecoder, AllNullPrefixedColumnsAreNoBeforeImage) {
  // An insert's (and a full-load row's) before-image columns are null: there is no old row, and a
  // before image of NULLs must not look like a row whose key is NULL.
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"ID":1,"NAME":"a","BI_ID":null,"BI_NAME":null})";
  for (const char* operation : {"insert", "load", "update"}) {
    DecodeResult r = decode(*decoder, orders_record(operation, data), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << operation << ": " << r.reason;
    EXPECT_FALSE(out.has_before) << operation;
    EXPECT_TRUE(out.before.empty()) << operation;
    EXPECT_EQ(to_row(out.after), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                      {"NAME", Field{ValueKind::String, "a"}}}))
        << operation;
  }
  // A delete's row is "data" without the before-image columns.
  std::string deleted = R"({"ID":1,"NAME":"a","BI_ID":1,"BI_NAME":"a"})";
  ASSERT_EQ(decode(*decoder, orders_record("delete", deleted), out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Delete);
  EXPECT_FALSE(out.has_after);
  EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                     {"NAME", Field{ValueKind::String, "a"}}}));
}

TEST(DmsDecoder, PrefixedColumnWithoutPartnerIsData) {
  // A source column that merely starts with the prefix (BI_TOTAL, no TOTAL) is a column; so is
  // one whose prefix differs in case (DMS writes the prefix as configured).
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"ID":2,"BI_TOTAL":5,"bi_ID":9,"BI_":3,"BI_ID":1})";
  ASSERT_EQ(decode(*decoder, orders_record("update", data), out).status, DecodeStatus::Change);
  EXPECT_EQ(to_row(out.after), (Row{{"ID", Field{ValueKind::Number, "2"}},
                                    {"BI_TOTAL", Field{ValueKind::Number, "5"}},
                                    {"bi_ID", Field{ValueKind::Number, "9"}},
                                    {"BI_", Field{ValueKind::Number, "3"}}}));
  EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "1"}}}));
}

TEST(DmsDecoder, BeforeImageObjectWinsOverPrefixedColumns) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"ID":2,"NAME":"b","BI_ID":1,"BI_NAME":"a"})";
  DecodeResult r =
      decode(*decoder, orders_record("update", data, R"(,"before-image":{"ID":7})"), out);
  ASSERT_EQ(r.status, DecodeStatus::Change) << r.reason;
  EXPECT_TRUE(out.has_before);
  EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "7"}},
                                     {"NAME", Field{ValueKind::String, "a"}}}));
  EXPECT_EQ(out.after.size(), 2u);
}

TEST(DmsDecoder, BeforeImagePrefixIsAnOption) {
  std::string data = R"({"ID":2,"NAME":"b","BI_ID":1,"OLD_ID":1,"OLD_NAME":"a"})";
  DecodedChange out;
  // Empty: off, every member of "data" is a column.
  DecoderOptions off;
  off.dms_before_image_prefix = "";
  auto plain = make_decoder("dms", off);
  ASSERT_EQ(decode(*plain, orders_record("update", data), out).status, DecodeStatus::Change);
  EXPECT_FALSE(out.has_before);
  EXPECT_EQ(out.after.size(), 5u);
  // Another prefix, through the registry and directly.
  DecoderOptions old;
  old.dms_before_image_prefix = "OLD_";
  DmsOptions dms;
  dms.before_image_prefix = "OLD_";
  std::unique_ptr<Decoder> decoders[] = {make_decoder("dms", old), make_dms_decoder(dms)};
  for (auto& decoder : decoders) {
    ASSERT_EQ(decode(*decoder, orders_record("update", data), out).status, DecodeStatus::Change);
    EXPECT_EQ(to_row(out.before), (Row{{"ID", Field{ValueKind::Number, "1"}},
                                       {"NAME", Field{ValueKind::String, "a"}}}));
    EXPECT_EQ(text_of(out.after, "BI_ID"), "1");
    EXPECT_EQ(out.after.size(), 3u);
  }
  EXPECT_EQ(DecoderOptions().dms_before_image_prefix, "BI_");
  EXPECT_EQ(DmsOptions().before_image_prefix, "BI_");
}

TEST(DmsDecoder, DeleteTakesTheRowFromData) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  // The deleted row's values, or (depending on the source's logging) only its key columns.
  for (std::string data : {std::string(kRow101), std::string(R"({"id":101})"),
                           std::string(R"({"id":101,"name":null,"weight":null})")}) {
    DecodeResult r = decode(*decoder, data_record("delete", data), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << data << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Delete);
    EXPECT_EQ(out.source, "inventory.products");
    EXPECT_TRUE(out.has_before);
    EXPECT_FALSE(out.has_after);
    EXPECT_TRUE(out.after.empty());
    EXPECT_EQ(to_row(out.before)["id"], (Field{ValueKind::Number, "101"}));
  }
  // A before image next to a delete's data does not replace the row DMS put in data.
  ASSERT_EQ(decode(*decoder, data_record("delete", kRow101, R"(,"before-image":{"id":9})"), out).status,
            DecodeStatus::Change);
  EXPECT_EQ(to_row(out.before)["id"].text, "101");
  EXPECT_EQ(out.before.size(), 6u);
}

TEST(DmsDecoder, ReplayOfATaskLeavesExpectedTable) {
  // Full load of two rows, then CDC: insert, update, delete, a DDL control record in between.
  std::vector<std::string> records = {
      control_record("create-table", R"({"table-def":{"columns":{"id":{"type":"INT32","nullable":false},"name":{"type":"STRING","nullable":true}},"primary-key":["id"]}})"),
      data_record("load", R"({"id":1,"name":"a"})"),
      data_record("load", R"({"id":2,"name":"b"})"),
      data_record("insert", R"({"id":3,"name":"c"})"),
      data_record("update", R"({"id":2,"name":"B"})", R"(,"before-image":{"id":2})"),
      control_record("add-column", R"({"column-def":{"name":"price","type":"NUMERIC"}})"),
      data_record("delete", R"({"id":1,"name":"a"})"),
  };
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::map<std::string, Row> table;
  int skipped = 0;
  for (const std::string& record : records) {
    DecodeResult r = decode(*decoder, record, out);
    if (r.status == DecodeStatus::Skip) {
      ++skipped;
      continue;
    }
    ASSERT_EQ(r.status, DecodeStatus::Change) << record << ": " << r.reason;
    if (out.op == Op::Delete) {
      table.erase(to_row(out.before)["id"].text);
    } else {
      table[to_row(out.after)["id"].text] = to_row(out.after);
    }
  }
  EXPECT_EQ(skipped, 2);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table["2"]["name"].text, "B");
  EXPECT_EQ(table["3"]["name"].text, "c");
}

// ---------------------------------------------------------------- control records

TEST(DmsDecoder, ControlRecordsAreSkippedExceptTruncate) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  for (const char* operation : {"create-table", "drop-table", "rename-table", "add-column",
                                "drop-column", "rename-column", "column-type-change"}) {
    DecodeResult r = decode(*decoder, control_record(operation), out);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << operation;
    EXPECT_NE(r.reason.find("control record"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find(operation), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("inventory.products"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("not applied"), std::string::npos) << r.reason;
  }
  // DMS's own exceptions table: no schema, and no "data"/"control" members at all.
  std::string own = R"({"metadata":{"timestamp":"2024-03-01T10:15:30Z","record-type":"control",)"
                    R"("operation":"create-table","partition-key-type":"task-id","schema-name":"",)"
                    R"("table-name":"awsdms_apply_exceptions"}})";
  EXPECT_EQ(decode(*decoder, own, out).status, DecodeStatus::Skip);
  // Control records may carry anything in "data": they are skipped without looking at it.
  std::string odd = R"({"data":[1],"metadata":)" + metadata("control", "drop-table") + "}";
  EXPECT_EQ(decode(*decoder, odd, out).status, DecodeStatus::Skip);

  for (const char* operation : {"truncate-table", "TruncateTable"}) {
    DecodeResult r = decode(*decoder, control_record(operation), out);
    ASSERT_EQ(r.status, DecodeStatus::Change) << operation << ": " << r.reason;
    EXPECT_EQ(out.op, Op::Truncate);
    EXPECT_EQ(out.source, "inventory.products");
    EXPECT_FALSE(out.has_before || out.has_after);
  }
}

TEST(DmsDecoder, RecordsThatNameNoTableHaveAnEmptySource) {
  // No schema-name or table-name (or empty ones): the topic then names the table.
  auto decoder = make_decoder("dms");
  DecodedChange out;
  const char* records[] = {
      R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert"}})",
      R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","schema-name":"s"}})",
      R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","schema-name":null,"table-name":"t"}})",
      R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","schema-name":"","table-name":""}})",
  };
  expect_unnamed_inserts(*decoder, records, "id", "1");
  std::string truncate =
      R"({"control":{},"metadata":{"record-type":"control","operation":"truncate-table","schema-name":"s","table-name":""}})";
  ASSERT_EQ(decode(*decoder, truncate, out).status, DecodeStatus::Change);
  EXPECT_EQ(out.op, Op::Truncate);
  EXPECT_EQ(out.source, "");
  ASSERT_EQ(decode(*decoder, data_record("insert", R"({"id":1})"), out).status, DecodeStatus::Change);
  EXPECT_EQ(out.source, "inventory.products");
}

TEST(DmsDecoder, RecordsOfDmsOwnTablesAreSkipped) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string value = R"({"data":{"TASK_NAME":"t","ERROR":"x"},"metadata":{"record-type":"data",)"
                      R"("operation":"insert","schema-name":"","table-name":"awsdms_apply_exceptions"}})";
  DecodeResult r = decode(*decoder, value, out);
  EXPECT_EQ(r.status, DecodeStatus::Skip);
  EXPECT_NE(r.reason.find("awsdms_apply_exceptions"), std::string::npos) << r.reason;
}

// ---------------------------------------------------------------- errors

TEST(DmsDecoder, InvalidRecordsAreErrors) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  struct Case { std::string json; const char* reason; } cases[] = {
      {R"({"data":{"id":1}})", "no 'metadata' field: not an AWS DMS record"},
      {R"({})", "no 'metadata' field: not an AWS DMS record"},
      {R"({"data":{"id":1},"metadata":"x"})", "'metadata' is not an object"},
      {R"({"data":{"id":1},"metadata":{"operation":"insert","schema-name":"s","table-name":"t"}})",
       "'metadata.record-type' is missing"},
      {R"({"data":{"id":1},"metadata":{"record-type":"data","schema-name":"s","table-name":"t"}})",
       "'metadata.operation' is missing"},
      {R"({"data":{"id":1},"metadata":{"record-type":1,"operation":"insert"}})",
       "'metadata.record-type' is not a string"},
      {R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","table-name":7}})",
       "'metadata.table-name' is not a string"},
      {R"({"data":{"id":1},"metadata":)" + metadata("heartbeat", "insert") + "}", "unknown record-type 'heartbeat'"},
      {data_record("upsert", R"({"id":1})"), "unknown operation 'upsert' in a data record"},
      {data_record("insert", "null"), "data record without a 'data' object"},
      {data_record("delete", "[1,2]"), "'data' is neither an object nor null"},
      {data_record("update", R"({"id":1})", R"(,"before-image":"x")"), "'before-image' is neither an object nor null"},
      {R"({"metadata":)" + metadata("data", "insert") + "}", "data record without a 'data' object"},
      {R"({"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","schema-name":["s"]}})",
       "'metadata.schema-name' is not a string"},
      {R"([{"data":{}}])", "the value is not a JSON object but an array"},
      {R"(true)", "the value is not a JSON object but a boolean"},
  };
  for (const Case& c : cases) {
    DecodeResult r = decode(*decoder, c.json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << c.json;
    EXPECT_EQ(r.reason, c.reason) << c.json;
    EXPECT_TRUE(out.before.empty() && out.after.empty() && out.source.empty())
        << "nothing half-decoded leaks out";
  }
}

TEST(DmsDecoder, MalformedJsonIsAnErrorWithPosition) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::vector<std::string> bad = {
      data_record("insert", R"({"id":01})"),      data_record("insert", R"({"id":1,})"),
      data_record("insert", R"({"j":{"x":tru}})"), data_record("insert", R"({"s":"\x"})"),
      data_record("insert", R"({"id":1})") + "}", data_record("insert", R"({"id":1})") + " {}",
      R"({"data":{"id":1},"metadata":{"record-type":"data",)", "{", "nul",
      R"({"data":{"id":1},"metadata":{"record-type":nul}})",
  };
  for (const std::string& json : bad) {
    DecodeResult r = decode(*decoder, json, out);
    EXPECT_EQ(r.status, DecodeStatus::Error) << json;
    EXPECT_EQ(r.reason.rfind("malformed JSON in value", 0), 0u) << json << ": " << r.reason;
  }
  DecodeResult r = decode(*decoder, R"({"data":{"id":tru},"metadata":{}})", out);
  EXPECT_NE(r.reason.find(" at byte 14: "), std::string::npos) << r.reason;  // where tru begins
}

TEST(DmsDecoder, SurvivesTruncationAndByteMutations) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string base = data_record("update", kRow101, R"(,"before-image":{"id":101})");
  for (size_t n = 0; n < base.size(); ++n) {
    EXPECT_NE(decode(*decoder, base.substr(0, n), out).status, DecodeStatus::Change) << n;
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    mutate(m, rng);
    DecodeResult r = decode(*decoder, m, out);
    if (r.status != DecodeStatus::Change) {
      ASSERT_FALSE(r.reason.empty()) << m;
    }
  }
}

// ---------------------------------------------------------------- keys, tombstones, values

TEST(DmsDecoder, KeysAndTombstones) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  // DMS's own key is the partition key value, a string: it names no fields.
  std::string dms_key = "inventory.products.101";
  ASSERT_EQ(decode(*decoder, data_record("insert", kRow101), out, &dms_key).status, DecodeStatus::Change);
  EXPECT_TRUE(out.key.empty());
  std::string object_key = R"({"id":101})";
  ASSERT_EQ(decode(*decoder, data_record("insert", kRow101), out, &object_key).status, DecodeStatus::Change);
  EXPECT_EQ(to_row(out.key), (Row{{"id", Field{ValueKind::Number, "101"}}}));
  for (std::string value : {"", "null", "\tnull "}) {
    DecodeResult r = decode(*decoder, value, out, &dms_key);
    EXPECT_EQ(r.status, DecodeStatus::Skip) << value;
    EXPECT_EQ(r.reason, "tombstone");
  }
  EXPECT_EQ(decoder->decode(nullptr, 0, nullptr, 0, out).status, DecodeStatus::Skip);
}

TEST(DmsDecoder, ValuesKeepTheirJsonKinds) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string data = R"({"big":123456789012345678901234567890.123,"neg":-1.5e-300,"s":"line\nbreak \u00e9",)"
                     R"("blob":"SGVsbG8=","f":false,"doc":{"a":[1,{"b":null}]},"arr":[ "x" , 2 ]})";
  ASSERT_EQ(decode(*decoder, data_record("insert", data), out).status, DecodeStatus::Change);
  Row row = to_row(out.after);
  EXPECT_EQ(row["big"], (Field{ValueKind::Number, "123456789012345678901234567890.123"}));
  EXPECT_EQ(row["neg"], (Field{ValueKind::Number, "-1.5e-300"}));
  EXPECT_EQ(row["s"], (Field{ValueKind::String, "line\nbreak \xc3\xa9"}));
  EXPECT_EQ(row["blob"], (Field{ValueKind::String, "SGVsbG8="}));
  EXPECT_EQ(row["f"], (Field{ValueKind::Bool, "false"}));
  EXPECT_EQ(row["doc"], (Field{ValueKind::Json, R"({"a":[1,{"b":null}]})"}));
  EXPECT_EQ(row["arr"], (Field{ValueKind::Json, R"([ "x" , 2 ])"}));
}

TEST(DmsDecoder, DecodeAllGivesOneChangePerRecord) {
  auto decoder = make_decoder("dms");
  std::vector<DecodedChange> changes;
  size_t count = 99;
  std::string value = data_record("insert", kRow101);
  ASSERT_EQ(decoder->decode_all(nullptr, 0, value.data(), value.size(), changes, count).status,
            DecodeStatus::Change);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(changes[0].source, "inventory.products");
  value = control_record("drop-table");
  EXPECT_EQ(decoder->decode_all(nullptr, 0, value.data(), value.size(), changes, count).status,
            DecodeStatus::Skip);
  EXPECT_EQ(count, 0u);
}

// ---------------------------------------------------------------- speed and allocation

// A DMS CDC insert record with 23 columns of typical types.
std::string wide_record(int id) {
  std::string data = "{\"id\":" + std::to_string(id) +
      R"(,"sku":"SKU-000123","name":"Widget \"deluxe\"","description":"A fairly long description of the product, with commas, and more text.",)"
      R"("price":"1234.56","qty":42,"weight":5.099999904632568,"active":true,"discontinued":false,)"
      R"("created_at":"2020-05-13T07:40:06.100Z","updated_at":"2020-05-13T07:40:06Z","category_id":7,)"
      R"("supplier":"ACME Corporation","barcode":null,"color":"red","size":"XL","tags":"a,b",)"
      R"("attrs":"{\"k\":\"v\"}","rating":4.5,"notes":null,"country":"DE","tax_rate":0.19,"version":3})";
  return R"({"data":)" + data +
         R"(,"metadata":{"timestamp":"2024-03-01T10:15:30.123456Z","record-type":"data","operation":"insert",)"
         R"("partition-key-type":"schema-table","schema-name":"inventory","table-name":"products",)"
         R"("transaction-id":8796093023431}})";
}

TEST(DmsDecoder, SteadyStateAllocatesNothing) {
  auto decoder = make_decoder("dms");
  DecodedChange out;
  std::string value = wide_record(1);
  std::string key = "inventory.products.1";
  ASSERT_EQ(decode(*decoder, value, out, &key).status, DecodeStatus::Change);  // warm-up
  ASSERT_EQ(out.after.size(), 23u);
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) decode(*decoder, value, out, &key);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(DmsDecoder, ThroughputReport) {
  // Prints only: timing depends on the machine (and on sanitizer builds), so nothing is asserted.
  std::vector<std::string> records;
  for (int i = 0; i < 64; ++i) records.push_back(wide_record(1000 + i));
  auto decoder = make_decoder("dms");
  const int n = 300000;
  size_t columns = 0;
  double rate = decode_rate(*decoder, records, n, columns);
  EXPECT_EQ(columns, size_t(n) * 23);
  std::printf("[ rate     ] %.0f messages/s (dms, %zu bytes each, 23 columns)\n", rate,
              records[0].size());
}

}  // namespace
}  // namespace cdc
