#include "core/error_text.hpp"

#include <gtest/gtest.h>

#include <string>

TEST(DescribeMessage, PlainKey) {
  std::string key = R"({"id":2})";
  EXPECT_EQ(cdc::describe_message("shop.orders", 3, 42, key.data(), key.size()), R"(shop.orders[3]@42, key {"id":2})");
}

TEST(DescribeMessage, NoKey) { EXPECT_EQ(cdc::describe_message("t", 0, 1, nullptr, 0), "t[0]@1"); }

TEST(DescribeMessage, DebeziumKeyWithSchemaShowsPayloadOnly) {
  std::string key = R"({"schema":{"type":"struct","fields":[{"type":"int32","field":"id"}]},"payload":{"id":7}})";
  EXPECT_EQ(cdc::describe_message("t", 0, 1, key.data(), key.size()), R"(t[0]@1, key {"id":7})");
}

TEST(DescribeMessage, LongKeyIsShortenedOnACharacterBoundary) {
  std::string key = std::string(199, 'a') + "\xc3\xa9" + std::string(50, 'b');  // é straddles the cut
  std::string text = cdc::describe_message("t", 0, 1, key.data(), key.size());
  EXPECT_EQ(text, "t[0]@1, key " + std::string(199, 'a') + "...");
}

TEST(ReadableApplyError, CopyContextBecomesTheColumn) {
  EXPECT_EQ(cdc::readable_apply_error(
                R"(invalid input syntax for type integer: "abc" (COPY p6_s6_w0, line 1, column qty: "abc"))"),
            R"(invalid input syntax for type integer: "abc" (column qty: "abc"))");
}

TEST(ReadableApplyError, ValueWithParenthesis) {
  EXPECT_EQ(cdc::readable_apply_error(R"(value too long for type character varying(3) (COPY p1_s1_w0, line 9, column note: "a)b"))"),
            R"(value too long for type character varying(3) (column note: "a)b"))");
}

TEST(ReadableApplyError, CopyContextWithoutColumnIsDropped) {
  EXPECT_EQ(cdc::readable_apply_error("extra data after last expected column (COPY p1_s1_w0, line 2)"),
            "extra data after last expected column");
}

TEST(ReadableApplyError, OurOwnStatementsLeaveTheContext) {
  EXPECT_EQ(cdc::readable_apply_error("closed (PL/pgSQL function public.refuse() line 2 at RAISE\n"
                                      "SQL statement \"MERGE INTO public.t t USING cdc_sync_stage.p1_s2_w0 s ON ...\")"),
            "closed (PL/pgSQL function public.refuse() line 2 at RAISE)");
}

TEST(ReadableApplyError, OtherTextsUnchanged) {
  std::string e = R"(null value in column "qty" of relation "t" violates not-null constraint)";
  EXPECT_EQ(cdc::readable_apply_error(e), e);
}
