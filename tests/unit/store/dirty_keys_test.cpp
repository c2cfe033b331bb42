// Dirty match groups: marked by commit_batch and mark_dirty, read and cleared
// by the reconciler.
#include <set>

#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

using Group = std::pair<DocumentKind, std::string>;

DirtyKey mark(DocumentKind kind, const std::string& match_key, Instant due) {
  DirtyKey k;
  k.kind = kind;
  k.match_key = match_key;
  k.due = due;
  return k;
}

std::set<Group> dirty_groups(Store& store, Instant now) {
  std::set<Group> out;
  auto keys = store.due_dirty_keys(now, 1000);
  EXPECT_TRUE(keys) << keys.status().to_string();
  if (keys) {
    for (const DirtyKey& k : *keys) out.emplace(k.kind, k.match_key);
  }
  return out;
}

void clear_all(Store& store, Instant now) {
  auto keys = store.due_dirty_keys(now, 1000);
  ASSERT_TRUE(keys);
  for (const DirtyKey& k : *keys) ASSERT_TRUE(store.clear_dirty_key(k));
}

TEST_F(StoreTest, CommitMarksTheDocumentsGroupAndItsApplicationTargets) {
  ASSERT_TRUE(store_->commit_batch(batch({payment("sap-ecc", "P1", "P1", "451", 100)}), now_));
  EXPECT_EQ(dirty_groups(*store_, now_),
            (std::set<Group>{{DocumentKind::kInvoice, "451"}, {DocumentKind::kPayment, "P1"}}));
}

TEST_F(StoreTest, ChangedInvoiceMarksTheGroupsOfPaymentsApplyingToIt) {
  ASSERT_TRUE(store_->commit_batch(batch({payment("sap-ecc", "P1", "P1", "451", 100)}), now_));
  clear_all(*store_, now_);
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_));
  EXPECT_EQ(dirty_groups(*store_, now_),
            (std::set<Group>{{DocumentKind::kInvoice, "451"}, {DocumentKind::kPayment, "P1"}}));
}

// The batch's keys travel to SQLite as one JSON array per kind: quotes,
// backslashes, control characters, non-ASCII and JSON-looking text must come
// back as the same keys, and several kinds in one batch each get theirs.
TEST_F(StoreTest, BatchOfAwkwardKeysOfSeveralKindsMarksAndFindsEachExactly) {
  const std::vector<std::string> keys = {"A\"B", "C\\D", "tab\there", "M\xC3\xBCller/1", "[1,2]",
                                         "{\"k\":1}", "451"};
  std::vector<Document> payments;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    payments.push_back(payment("sap-ecc", "P" + std::to_string(i), "P" + std::to_string(i),
                               keys[i], 100));
  }
  ASSERT_TRUE(store_->commit_batch(batch(payments), now_));
  std::set<Group> expected;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    expected.emplace(DocumentKind::kInvoice, keys[i]);
    expected.emplace(DocumentKind::kPayment, "P" + std::to_string(i));
  }
  EXPECT_EQ(dirty_groups(*store_, now_), expected);
  clear_all(*store_, now_);

  // Invoices with those keys arrive later, in one batch: each re-checks the
  // payment that applies to it, and only that one.
  std::vector<Document> invoices;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    invoices.push_back(invoice("sap-s4", "I" + std::to_string(i), keys[i]));
  }
  ASSERT_TRUE(store_->commit_batch(batch(invoices), now_));
  expected.clear();
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    expected.emplace(DocumentKind::kInvoice, keys[i]);
    expected.emplace(DocumentKind::kPayment, "P" + std::to_string(i));
  }
  EXPECT_EQ(dirty_groups(*store_, now_), expected);
}

TEST_F(StoreTest, ChangedMatchKeyMarksTheGroupTheDocumentLeft) {
  Document inv = invoice("sap-ecc", "451", "451");
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  clear_all(*store_, now_);
  inv.match_key = "451A";
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  EXPECT_EQ(dirty_groups(*store_, now_),
            (std::set<Group>{{DocumentKind::kInvoice, "451"}, {DocumentKind::kInvoice, "451A"}}));
}

TEST_F(StoreTest, MovedApplicationMarksItsFormerTarget) {
  Document p = payment("sap-ecc", "P1", "P1", "451", 100);
  ASSERT_TRUE(store_->commit_batch(batch({p}), now_));
  clear_all(*store_, now_);
  p.applications[0].target_match_key = "452";
  ASSERT_TRUE(store_->commit_batch(batch({p}), now_));
  EXPECT_EQ(dirty_groups(*store_, now_),
            (std::set<Group>{{DocumentKind::kInvoice, "451"},
                             {DocumentKind::kInvoice, "452"},
                             {DocumentKind::kPayment, "P1"}}));
}

TEST_F(StoreTest, UnchangedRecommitMarksNothing) {
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_));
  clear_all(*store_, now_);
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_));
  EXPECT_TRUE(dirty_groups(*store_, now_).empty());
}

TEST_F(StoreTest, MarkDirtyKeepsTheEarlierDueAndBumpsSeq) {
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_)}));
  auto first = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(store_->mark_dirty(
      {mark(DocumentKind::kInvoice, "451", now_ + std::chrono::hours(2))}));
  auto second = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].due, now_);
  EXPECT_GT((*second)[0].seq, (*first)[0].seq);
}

TEST_F(StoreTest, DueDirtyKeysReturnsDueGroupsOldestFirst) {
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "later", now_ + std::chrono::hours(1)),
                                  mark(DocumentKind::kInvoice, "b", now_),
                                  mark(DocumentKind::kInvoice, "a", now_ - std::chrono::hours(1))}));
  auto keys = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].match_key, "a");
  EXPECT_EQ((*keys)[1].match_key, "b");
  auto one = store_->due_dirty_keys(now_ + std::chrono::hours(1), 1);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].match_key, "a");
}

TEST_F(StoreTest, ClearDirtyKeyLeavesAGroupMarkedAgainSinceItWasRead) {
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_)}));
  auto read = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 1u);
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_)}));
  ASSERT_TRUE(store_->clear_dirty_key((*read)[0]));
  EXPECT_EQ(dirty_groups(*store_, now_), (std::set<Group>{{DocumentKind::kInvoice, "451"}}));
  auto again = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(again);
  ASSERT_TRUE(store_->clear_dirty_key((*again)[0]));
  EXPECT_TRUE(dirty_groups(*store_, now_).empty());
}

TEST_F(StoreTest, MarkAllDirtyMarksEveryGroupInTheStore) {
  ASSERT_TRUE(store_->commit_batch(
      batch({invoice("sap-ecc", "451", "451"), payment("sap-ecc", "P1", "P1", "451", 5)}), now_));
  clear_all(*store_, now_);
  ASSERT_TRUE(store_->mark_all_dirty(now_));
  EXPECT_EQ(dirty_groups(*store_, now_),
            (std::set<Group>{{DocumentKind::kInvoice, "451"}, {DocumentKind::kPayment, "P1"}}));
}

TEST_F(StoreTest, DeferDirtyKeyCountsTheAttemptKeepsTheErrorAndPostponesTheMark) {
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_),
                                  mark(DocumentKind::kInvoice, "452", now_)}));
  auto read = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].attempts, 0);
  EXPECT_EQ((*read)[0].last_error, "");
  const DirtyKey failed = (*read)[0].match_key == "451" ? (*read)[0] : (*read)[1];
  ASSERT_TRUE(store_->defer_dirty_key(failed, "find_group: disk I/O error",
                                      now_ + std::chrono::minutes(5)));
  EXPECT_EQ(dirty_groups(*store_, now_), (std::set<Group>{{DocumentKind::kInvoice, "452"}}));

  auto later = store_->due_dirty_keys(now_ + std::chrono::minutes(5), 10);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 2u);
  const DirtyKey& again = (*later)[0].match_key == "451" ? (*later)[0] : (*later)[1];
  EXPECT_EQ(again.attempts, 1);
  EXPECT_EQ(again.last_error, "find_group: disk I/O error");
  EXPECT_EQ(again.due, now_ + std::chrono::minutes(5));
  EXPECT_EQ(again.seq, failed.seq);

  ASSERT_TRUE(store_->defer_dirty_key(again, "second", now_ + std::chrono::minutes(15)));
  auto third = store_->due_dirty_keys(now_ + std::chrono::minutes(15), 10);
  ASSERT_TRUE(third);
  for (const DirtyKey& k : *third) {
    if (k.match_key == "451") {
      EXPECT_EQ(k.attempts, 2);
    }
  }
  // A successful check clears the mark; a new one starts counting afresh.
  for (const DirtyKey& k : *third) ASSERT_TRUE(store_->clear_dirty_key(k));
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_)}));
  auto fresh = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].attempts, 0);
}

TEST_F(StoreTest, FailedDirtyKeysListsGroupsWhoseCheckFailedMostAttemptsFirst) {
  ASSERT_TRUE(store_->mark_dirty({mark(DocumentKind::kInvoice, "451", now_),
                                  mark(DocumentKind::kInvoice, "452", now_),
                                  mark(DocumentKind::kPayment, "P1", now_)}));
  auto read = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 3u);
  for (const DirtyKey& k : *read) {
    if (k.match_key == "451") {
      ASSERT_TRUE(store_->defer_dirty_key(k, "first", now_ + std::chrono::minutes(5)));
    }
    if (k.match_key == "P1") {
      ASSERT_TRUE(store_->defer_dirty_key(k, "first", now_ + std::chrono::minutes(5)));
      ASSERT_TRUE(store_->defer_dirty_key(k, "type_error.316: invalid UTF-8 byte",
                                          now_ + std::chrono::minutes(15)));
    }
  }
  auto failed = store_->failed_dirty_keys(10);
  ASSERT_TRUE(failed) << failed.status().to_string();
  ASSERT_EQ(failed->size(), 2u);  // not 452: never failed
  EXPECT_EQ((*failed)[0].kind, DocumentKind::kPayment);
  EXPECT_EQ((*failed)[0].match_key, "P1");
  EXPECT_EQ((*failed)[0].attempts, 2);
  EXPECT_EQ((*failed)[0].last_error, "type_error.316: invalid UTF-8 byte");
  EXPECT_EQ((*failed)[0].due, now_ + std::chrono::minutes(15));  // listed though not due
  EXPECT_EQ((*failed)[1].match_key, "451");
  EXPECT_EQ((*failed)[1].attempts, 1);
  auto one = store_->failed_dirty_keys(1);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].match_key, "P1");
  auto s = store_->stats();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->dirty_keys, 3);
  EXPECT_EQ(s->failed_groups, 2);
}

TEST_F(StoreTest, NewDataMakesADeferredGroupDueAgainAndKeepsItsAttempts) {
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_));
  auto read = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 1u);
  ASSERT_TRUE(store_->defer_dirty_key((*read)[0], "boom", now_ + std::chrono::hours(1)));
  EXPECT_TRUE(dirty_groups(*store_, now_).empty());

  Document changed = invoice("sap-ecc", "451", "451");
  changed.amount = usd(99900);
  changed.version = "2";
  ASSERT_TRUE(store_->commit_batch(batch({changed}), now_));
  auto due = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "boom");
}

}  // namespace
}  // namespace arsync::store::testing
