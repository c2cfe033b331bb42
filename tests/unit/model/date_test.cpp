#include "arsync/model/date.h"

#include <gtest/gtest.h>

namespace arsync {
namespace {

TEST(DateParse, IsoAndSapForms) {
  EXPECT_EQ(format_date(*parse_date("2026-11-25")), "2026-11-25");
  EXPECT_EQ(format_date(*parse_date("20261125")), "2026-11-25");
  using namespace std::chrono;
  EXPECT_EQ(format_date(Date{year{987} / 3 / 7}), "0987-03-07");
  EXPECT_EQ(format_date(Date{year{12345} / 1 / 2}), "12345-01-02");
}

TEST(DateParse, RefusesImpossibleDays) {
  Result<Date> d = parse_date("20260230");
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().to_string(), "parse error: invalid date '20260230' (expected a real calendar day)");
  EXPECT_FALSE(parse_date("2026-1-5").is_ok());
  EXPECT_FALSE(parse_date("00000000x").is_ok());
}

TEST(InstantParse, UtcAndOffsets) {
  EXPECT_EQ(format_instant(*parse_instant("2026-11-25T10:00:00Z")), "2026-11-25T10:00:00Z");
  EXPECT_EQ(format_instant(*parse_instant("2026-11-25T10:00:00.123-08:00")), "2026-11-25T18:00:00Z");
  EXPECT_FALSE(parse_instant("2026-11-25").is_ok());
}

TEST(DaysBetween, SignedDifference) {
  EXPECT_EQ(days_between(*parse_date("2026-02-27"), *parse_date("2026-03-01")), 2);
  EXPECT_EQ(days_between(*parse_date("2026-03-01"), *parse_date("2026-02-27")), -2);
}

}  // namespace
}  // namespace arsync
