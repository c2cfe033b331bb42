// commit_batches: several batches, each with its own cursor, in one
// transaction (the store writer's group commit).
#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

DocumentBatch batch_of(const std::string& system, const std::string& cursor_key,
                       std::vector<Document> docs, std::string cursor) {
  DocumentBatch b;
  b.system = system;
  b.cursor_key = cursor_key;
  b.documents = std::move(docs);
  b.cursor = std::move(cursor);
  return b;
}

std::string cursor_of(Store& s, const std::string& system, const std::string& key) {
  auto c = s.get_cursor(system, key);
  EXPECT_TRUE(c) << c.status().to_string();
  return c && c->has_value() ? **c : std::string("<none>");
}

bool stored(Store& s, const std::string& system, const std::string& external_id) {
  auto d = s.find_document(system, DocumentKind::kInvoice, external_id);
  EXPECT_TRUE(d) << d.status().to_string();
  return d && d->has_value();
}

TEST_F(StoreTest, BatchesOfTwoSystemsCommitTogetherEachWithItsCursor) {
  std::vector<DocumentBatch> batches = {
      batch_of("sap-ecc", "files", {invoice("sap-ecc", "451", "451")}, "file-7"),
      batch_of("qbo-us", "Invoice", {invoice("qbo-us", "Q-451", "451"),
                                     invoice("qbo-us", "Q-452", "452")}, "2026-11-25T09:00:00Z")};
  auto r = store_->commit_batches(batches, now_);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].inserted, 1u);
  EXPECT_EQ((*r)[1].inserted, 2u);

  auto other = open(/*read_only=*/true);  // what another connection sees
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(cursor_of(*other, "sap-ecc", "files"), "file-7");
  EXPECT_EQ(cursor_of(*other, "qbo-us", "Invoice"), "2026-11-25T09:00:00Z");
  EXPECT_TRUE(stored(*other, "sap-ecc", "451"));
  EXPECT_TRUE(stored(*other, "qbo-us", "Q-452"));
  auto group = other->find_group(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->size(), 2u);
}

TEST_F(StoreTest, OneFailingBatchWritesNoBatchOfTheGroup) {
  Document bad = invoice("qbo-us", "", "452");  // empty identity violates a CHECK
  std::vector<DocumentBatch> batches = {
      batch_of("sap-ecc", "files", {invoice("sap-ecc", "451", "451")}, "file-7"),
      batch_of("qbo-us", "Invoice", {bad}, "q-1"),
      batch_of("sap-ecc", "files", {invoice("sap-ecc", "453", "453")}, "file-8")};
  auto r = store_->commit_batches(batches, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(r.status().message(), "commit_batch: CHECK constraint failed: external_id <> ''");
  EXPECT_FALSE(stored(*store_, "sap-ecc", "451"));
  EXPECT_FALSE(stored(*store_, "sap-ecc", "453"));
  EXPECT_EQ(cursor_of(*store_, "sap-ecc", "files"), "<none>");
  EXPECT_EQ(cursor_of(*store_, "qbo-us", "Invoice"), "<none>");
  auto dirty = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(dirty);
  EXPECT_TRUE(dirty->empty());

  // Without the bad batch the same group commits.
  batches.erase(batches.begin() + 1);
  auto ok = store_->commit_batches(batches, now_);
  ASSERT_TRUE(ok) << ok.status().to_string();
  EXPECT_EQ(cursor_of(*store_, "sap-ecc", "files"), "file-8");
  EXPECT_TRUE(stored(*store_, "sap-ecc", "453"));
}

TEST_F(StoreTest, LaterBatchOfOneCursorSeesTheEarlierAndItsCursorIsKept) {
  Document changed = invoice("sap-ecc", "451", "451");
  changed.amount = usd(99900);
  std::vector<DocumentBatch> batches = {
      batch_of("sap-ecc", "files", {invoice("sap-ecc", "451", "451")}, "file-7"),
      batch_of("sap-ecc", "files", {changed}, "file-8"),
      batch_of("sap-ecc", "files", {changed}, "file-9")};
  auto r = store_->commit_batches(batches, now_);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].inserted, 1u);
  EXPECT_EQ((*r)[1].updated, 1u);
  EXPECT_EQ((*r)[2].unchanged, 1u);
  EXPECT_EQ(cursor_of(*store_, "sap-ecc", "files"), "file-9");
  auto doc = store_->find_document("sap-ecc", DocumentKind::kInvoice, "451");
  ASSERT_TRUE(doc && doc->has_value());
  EXPECT_EQ((*doc)->amount, usd(99900));
}

TEST_F(StoreTest, NoBatchesCommitNothing) {
  auto r = store_->commit_batches({}, now_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace arsync::store::testing
