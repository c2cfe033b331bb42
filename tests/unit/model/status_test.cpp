#include "arsync/model/status.h"

#include <gtest/gtest.h>

namespace arsync {
namespace {

TEST(Status, ToStringNamesTheLocation) {
  Location at;
  at.file = "in/inv.xml";
  at.record = "0000000000451234";
  at.segment = "E1EDK01";
  at.field = "CURCY";
  Status s(ErrorCode::kParseError, "unknown currency code 'EUX'", at);
  EXPECT_EQ(s.to_string(),
            "parse error: unknown currency code 'EUX' (at file in/inv.xml, record "
            "0000000000451234, segment E1EDK01, field CURCY)");
  EXPECT_FALSE(s.is_ok());
  EXPECT_TRUE(Status().is_ok());
}

TEST(Status, OkHasNoMessageLocationOrRetry) {
  const Status ok = Status::ok();
  EXPECT_EQ(ok.code(), ErrorCode::kOk);
  EXPECT_EQ(ok.message(), "");
  EXPECT_TRUE(ok.where().empty());
  EXPECT_FALSE(ok.retryable());
  EXPECT_EQ(ok.to_string(), "OK");
  EXPECT_EQ(ok.with_context("pull").to_string(), "OK");
}

TEST(Status, CopyIsIndependentOfTheOriginal) {
  Status original(ErrorCode::kRateLimited, "429 Too Many Requests", Location::in_file("qbo"),
                  /*retryable=*/true);
  Status copy = original;
  copy.where().field = "Invoice";
  EXPECT_EQ(original.where().field, "");
  EXPECT_EQ(copy.where().field, "Invoice");
  EXPECT_TRUE(copy.retryable());
  EXPECT_EQ(copy.code(), ErrorCode::kRateLimited);
  Status assigned;
  assigned = original;
  EXPECT_EQ(assigned.to_string(), original.to_string());
  assigned = Status::ok();
  EXPECT_TRUE(assigned.is_ok());
  EXPECT_FALSE(original.is_ok());
  Status moved = std::move(copy);
  EXPECT_EQ(moved.message(), "429 Too Many Requests");
}

TEST(Status, WithContextPrefixesOnlyTheCopy) {
  const Status s(ErrorCode::kIoError, "disk full");
  EXPECT_EQ(s.with_context("systems.sap-ecc").message(), "systems.sap-ecc: disk full");
  EXPECT_EQ(s.message(), "disk full");
}

TEST(Status, LocationAddedToAnOkStatusKeepsItOk) {
  Status s;
  s.where().file = "config.json";
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.to_string(), "OK");
}

TEST(Result, HoldsValueOrError) {
  Result<int> ok = 3;
  EXPECT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = Status(ErrorCode::kNotFound, "nope");
  EXPECT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kNotFound);
  Result<int> from_ok_status = Status();
  EXPECT_FALSE(from_ok_status.is_ok());  // never a silent success
}

}  // namespace
}  // namespace arsync
