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
