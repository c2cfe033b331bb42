// Pull outcomes: the last pull of each system, for `arsync status`.
#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

PullOutcome outcome(const std::string& system, const std::string& state, std::int64_t records,
                    std::int64_t stored, std::int64_t quarantined, const std::string& message,
                    Instant at) {
  PullOutcome o;
  o.system = system;
  o.state = state;
  o.records = records;
  o.stored = stored;
  o.quarantined = quarantined;
  o.message = message;
  o.at = at;
  return o;
}

TEST_F(StoreTest, NoPullOutcomesBeforeTheFirstPull) {
  auto list = store_->pull_outcomes();
  ASSERT_TRUE(list) << list.status().to_string();
  EXPECT_TRUE(list->empty());
}

TEST_F(StoreTest, EachSystemKeepsOnlyItsLastPullOutcome) {
  ASSERT_TRUE(store_->record_pull_outcome(
      outcome("sap-s4", "ok", 8, 8, 0, "", now_)));
  ASSERT_TRUE(store_->record_pull_outcome(
      outcome("sap-ecc", "degraded", 7, 0, 7, "7 of 7 records quarantined (100%), none stored",
              now_)));
  ASSERT_TRUE(store_->record_pull_outcome(
      outcome("sap-s4", "failed", 0, 0, 0, "io error: inbound_dir: Permission denied",
              now_ + std::chrono::minutes(5))));

  // A reader (the CLI) sees them.
  auto reader = open(/*read_only=*/true);
  auto list = reader->pull_outcomes();
  ASSERT_TRUE(list) << list.status().to_string();
  ASSERT_EQ(list->size(), 2u);
  const PullOutcome& ecc = (*list)[0];
  EXPECT_EQ(ecc.system, "sap-ecc");
  EXPECT_EQ(ecc.state, "degraded");
  EXPECT_EQ(ecc.records, 7);
  EXPECT_EQ(ecc.stored, 0);
  EXPECT_EQ(ecc.quarantined, 7);
  EXPECT_EQ(ecc.message, "7 of 7 records quarantined (100%), none stored");
  EXPECT_EQ(ecc.at, now_);
  const PullOutcome& s4 = (*list)[1];
  EXPECT_EQ(s4.system, "sap-s4");
  EXPECT_EQ(s4.state, "failed");
  EXPECT_EQ(s4.records, 0);
  EXPECT_EQ(s4.message, "io error: inbound_dir: Permission denied");
  EXPECT_EQ(s4.at, now_ + std::chrono::minutes(5));
}

TEST_F(StoreTest, AnUnknownPullStateIsRefused) {
  Status s = store_->record_pull_outcome(outcome("sap-ecc", "fine", 1, 1, 0, "", now_));
  EXPECT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("CHECK constraint failed"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace arsync::store::testing
