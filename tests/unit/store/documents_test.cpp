// commit_batch and the document reads.
#include <SQLiteCpp/SQLiteCpp.h>

#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

void expect_same(const Document& a, const Document& b) {
  EXPECT_EQ(a.system, b.system);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.external_id, b.external_id);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.document_number, b.document_number);
  EXPECT_EQ(a.match_key, b.match_key);
  EXPECT_EQ(a.customer_key, b.customer_key);
  EXPECT_EQ(a.customer_name, b.customer_name);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.open_amount, b.open_amount);
  EXPECT_EQ(a.tax_amount, b.tax_amount);
  EXPECT_EQ(a.issue_date, b.issue_date);
  EXPECT_EQ(a.due_date, b.due_date);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.reference, b.reference);
  EXPECT_EQ(a.terms, b.terms);
  EXPECT_EQ(a.source_updated_at, b.source_updated_at);
  EXPECT_EQ(a.cancels, b.cancels);
  EXPECT_EQ(a.entity, b.entity);
  EXPECT_EQ(a.raw_ref.file, b.raw_ref.file);
  EXPECT_EQ(a.raw_ref.offset, b.raw_ref.offset);
  EXPECT_EQ(a.raw_ref.length, b.raw_ref.length);
  EXPECT_EQ(a.raw_ref.sha256, b.raw_ref.sha256);
  ASSERT_EQ(a.applications.size(), b.applications.size());
  for (std::size_t i = 0; i < a.applications.size(); ++i) {
    EXPECT_EQ(a.applications[i].target_kind, b.applications[i].target_kind);
    EXPECT_EQ(a.applications[i].target_match_key, b.applications[i].target_match_key);
    EXPECT_EQ(a.applications[i].target_number, b.applications[i].target_number);
    EXPECT_EQ(a.applications[i].amount, b.applications[i].amount);
    EXPECT_EQ(a.applications[i].discount, b.applications[i].discount);
  }
  EXPECT_EQ(content_hash(a), content_hash(b));
}

std::string updated_at(const std::string& path, const std::string& external_id) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT updated_at FROM documents WHERE external_id = ?");
  q.bind(1, external_id);
  return q.executeStep() ? q.getColumn(0).getString() : std::string("<none>");
}

Money kwd(std::int64_t fils) { return Money(fils, *Currency::find("KWD")); }

TEST_F(StoreTest, FullDocumentRoundTripsWithApplicationsAndCurrencies) {
  Document p = payment("qbo-us", "PMT-77", "CHK-1001", "451", 100000);
  p.version = "3";
  p.customer_name = "Acme Corp";
  p.entity = "Payment";
  p.amount = kwd(1250125);  // 3 decimals
  p.open_amount = kwd(5);
  p.tax_amount = Money();   // no currency at all
  p.issue_date = *parse_date("2026-11-20");
  p.due_date.reset();
  p.reference = "CHK 1001";
  p.terms = "";
  p.source_updated_at = "2026-11-20T09:15:00-08:00";
  Application second;
  second.target_kind = DocumentKind::kDebitMemo;
  second.target_match_key = "DM-9";
  second.target_number = "DM-0009";
  second.amount = kwd(250);
  second.discount = kwd(12);
  p.applications.push_back(second);
  p.raw_ref = {"/var/lib/arsync/archive/pmt.json", 4096, 733, "ab12cd"};

  DocumentBatch b = batch({p});
  b.system = "qbo-us";
  auto r = store_->commit_batch(b, now_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->inserted, 1u);

  auto got = store_->find_document("qbo-us", DocumentKind::kPayment, "PMT-77");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  expect_same(**got, p);
  EXPECT_EQ((*got)->amount.currency().exponent(), 3);
}

TEST_F(StoreTest, UnchangedRecommitWritesNothing) {
  Document inv = invoice("sap-ecc", "451", "451");
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  const std::string first = updated_at(db_path_, "451");
  inv.raw_ref.file = "elsewhere.xml";  // not part of the content hash
  inv.version = "2";
  auto r = store_->commit_batch(batch({inv}), now_ + std::chrono::hours(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unchanged, 1u);
  EXPECT_EQ(r->inserted + r->updated, 0u);
  EXPECT_EQ(updated_at(db_path_, "451"), first);
  EXPECT_EQ(updated_at(db_path_, "451"), "2026-11-25T10:00:00Z");
}

// A record deleted at its source names its record type and id; its
// document (whatever kind the mapping made of it) is held as deleted, its
// group re-checked, and a record of another type with the same id is left.
TEST_F(StoreTest, ADeletionAtTheSourceHoldsTheDocumentAsDeletedAndMarksItsGroup) {
  Document inv = invoice("qbo-us", "42", "1042");
  inv.entity = "Invoice";
  Document pay = payment("qbo-us", "42", "P-42", "1042", 125000);
  pay.entity = "Payment";
  ASSERT_TRUE(store_->commit_batch(batch({inv, pay}), now_));
  auto marked = store_->due_dirty_keys(now_, 10);  // as a reconciliation would
  ASSERT_TRUE(marked);
  for (const DirtyKey& k : *marked) ASSERT_TRUE(store_->clear_dirty_key(k));

  DocumentBatch gone = batch({});
  gone.system = "qbo-us";
  gone.deletions.push_back({"Invoice", "42"});
  gone.deletions.push_back({"Invoice", "no-such-id"});
  auto r = store_->commit_batch(gone, now_ + std::chrono::hours(1));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->deleted, 1u);
  auto held = store_->find_document("qbo-us", DocumentKind::kInvoice, "42");
  ASSERT_TRUE(held && held->has_value());
  EXPECT_EQ((*held)->status, DocumentStatus::kDeleted);
  EXPECT_EQ((*held)->entity, "Invoice");
  EXPECT_EQ((*held)->amount, inv.amount);  // the last content is kept as evidence
  auto other = store_->find_document("qbo-us", DocumentKind::kPayment, "42");
  ASSERT_TRUE(other && other->has_value());
  EXPECT_NE((*other)->status, DocumentStatus::kDeleted);
  auto dirty = store_->due_dirty_keys(now_ + std::chrono::hours(1), 10);
  ASSERT_TRUE(dirty);
  ASSERT_FALSE(dirty->empty());
  EXPECT_EQ(dirty->front().match_key, "1042");

  // Deleted again: nothing more to do. Restored at the source (sent again
  // unchanged): written open.
  r = store_->commit_batch(gone, now_ + std::chrono::hours(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->deleted, 0u);
  r = store_->commit_batch(batch({inv}), now_ + std::chrono::hours(3));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->updated, 1u);
  held = store_->find_document("qbo-us", DocumentKind::kInvoice, "42");
  EXPECT_EQ((*held)->status, inv.status);
}

// Calls inside in_one_transaction commit together or not at all; one that
// fails undoes only itself.
TEST_F(StoreTest, InOneTransactionCommitsItsCallsTogetherAndAFailedCallUndoesOnlyItself) {
  Status kept = store_->in_one_transaction([&] {
    EXPECT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "1", "1")}), now_));
    // An empty identity violates a CHECK: this call fails and is undone alone.
    EXPECT_FALSE(store_->commit_batch(batch({invoice("sap-ecc", "", "2")}), now_));
    EXPECT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "3", "3")}), now_));
    return Status::ok();
  });
  ASSERT_TRUE(kept) << kept.to_string();
  EXPECT_EQ(store_->stats()->documents_by_system["sap-ecc"], 2);

  Status refused = store_->in_one_transaction([&] {
    EXPECT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "4", "4")}), now_));
    return Status(ErrorCode::kInternal, "the caller gives up");
  });
  EXPECT_EQ(refused.message(), "the caller gives up");
  EXPECT_EQ(store_->stats()->documents_by_system["sap-ecc"], 2);  // "4" was not kept
  // A second connection sees what the first transaction committed.
  SQLite::Database db(db_path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM documents").getInt(), 2);
}

TEST_F(StoreTest, ChangedContentUpdatesTheDocument) {
  Document inv = invoice("sap-ecc", "451", "451");
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  inv.version = "2";
  inv.open_amount = usd(25000);
  inv.status = DocumentStatus::kPartiallyPaid;
  auto r = store_->commit_batch(batch({inv}), now_ + std::chrono::hours(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->updated, 1u);
  auto got = store_->find_document("sap-ecc", DocumentKind::kInvoice, "451");
  ASSERT_TRUE(got && got->has_value());
  expect_same(**got, inv);
  EXPECT_EQ(updated_at(db_path_, "451"), "2026-11-25T11:00:00Z");
}

TEST_F(StoreTest, OlderNumericVersionIsSkipped) {
  Document inv = invoice("sap-ecc", "451", "451");
  inv.version = "10";
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  Document old = inv;
  old.version = "9";
  old.amount = usd(1);
  auto r = store_->commit_batch(batch({old}), now_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unchanged, 1u);
  auto got = store_->find_document("sap-ecc", DocumentKind::kInvoice, "451");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->version, "10");
  EXPECT_EQ((*got)->amount, usd(125000));
}

TEST_F(StoreTest, NewerNumericVersionOfMoreDigitsUpdates) {
  Document inv = invoice("sap-ecc", "451", "451");
  inv.version = "9";
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  inv.version = "10";
  inv.amount = usd(1);
  auto r = store_->commit_batch(batch({inv}), now_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->updated, 1u);
}

TEST_F(StoreTest, OlderTimestampVersionIsSkipped) {
  Document inv = invoice("ns-prod", "1001", "451");
  inv.version = "2026-11-02T10:00:00Z";
  ASSERT_TRUE(store_->commit_batch(batch({inv}), now_));
  inv.version = "2026-11-01T10:00:00Z";
  inv.amount = usd(1);
  auto r = store_->commit_batch(batch({inv}), now_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unchanged, 1u);
  EXPECT_EQ(r->updated, 0u);
}

TEST_F(StoreTest, FailedBatchWritesNeitherDocumentsNorCursor) {
  Document bad = invoice("sap-ecc", "", "452");  // empty identity violates a CHECK
  auto r = store_->commit_batch(
      batch({invoice("sap-ecc", "451", "451"), bad, invoice("sap-ecc", "453", "453")}, "c9"),
      now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(r.status().message(), "commit_batch: CHECK constraint failed: external_id <> ''");
  EXPECT_EQ(r.status().where().file, db_path_);
  auto doc = store_->find_document("sap-ecc", DocumentKind::kInvoice, "451");
  ASSERT_TRUE(doc);
  EXPECT_FALSE(doc->has_value());
  auto cursor = store_->get_cursor("sap-ecc", "files");
  ASSERT_TRUE(cursor);
  EXPECT_FALSE(cursor->has_value());
  auto dirty = store_->due_dirty_keys(now_, 10);
  ASSERT_TRUE(dirty);
  EXPECT_TRUE(dirty->empty());
  // The store stays usable after a failed batch.
  auto ok = store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}, "c9"), now_);
  ASSERT_TRUE(ok) << ok.status().to_string();
  EXPECT_EQ(ok->inserted, 1u);
}

TEST_F(StoreTest, CrashBetweenBatchesReplaysTheLastBatchWithoutDuplicates) {
  ASSERT_TRUE(store_->commit_batch(
      batch({invoice("sap-ecc", "1", "1"), invoice("sap-ecc", "2", "2")}, "batch-1"), now_));
  store_.reset();  // the daemon dies before batch 2 commits
  store_ = open();
  ASSERT_NE(store_, nullptr);
  auto cursor = store_->get_cursor("sap-ecc", "files");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->value_or(""), "batch-1");
  DocumentBatch second =
      batch({invoice("sap-ecc", "2", "2"), invoice("sap-ecc", "3", "3")}, "batch-2");
  auto first_replay = store_->commit_batch(second, now_);
  auto second_replay = store_->commit_batch(second, now_);
  ASSERT_TRUE(first_replay && second_replay);
  EXPECT_EQ(first_replay->inserted, 1u);
  EXPECT_EQ(second_replay->unchanged, 2u);
  EXPECT_EQ(second_replay->inserted + second_replay->updated, 0u);
  auto all = store_->list_documents("sap-ecc", DocumentKind::kInvoice, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(store_->get_cursor("sap-ecc", "files")->value_or(""), "batch-2");
}

TEST_F(StoreTest, BatchQuarantineIsStoredAndCounted) {
  DocumentBatch b = batch({invoice("sap-ecc", "451", "451")}, "c1");
  QuarantineEntry q;
  q.entity = "INVOIC02";
  q.external_id = "0000000000451299";
  q.source = "inbound/inv.xml";
  q.error = "mapping error: unknown currency 'XXX'";
  q.location = "field CURCY";
  q.raw = "<IDOC/>";
  b.quarantined.push_back(q);
  auto r = store_->commit_batch(b, now_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->quarantined, 1u);
  auto list = store_->list_quarantine(10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].system, "sap-ecc");
  EXPECT_EQ((*list)[0].at, now_);
  EXPECT_EQ((*list)[0].error, "mapping error: unknown currency 'XXX'");
}

TEST_F(StoreTest, FindGroupReturnsTheGroupAcrossSystems) {
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451"),
                                          invoice("sap-ecc", "452", "452")}), now_));
  DocumentBatch q = batch({invoice("qbo-us", "77", "451")});
  q.system = "qbo-us";
  ASSERT_TRUE(store_->commit_batch(q, now_));
  auto group = store_->find_group(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(group);
  ASSERT_EQ(group->size(), 2u);
  EXPECT_EQ((*group)[0].system, "qbo-us");
  EXPECT_EQ((*group)[1].system, "sap-ecc");
}

TEST_F(StoreTest, FindApplicationsToReturnsThePaymentsOfAnInvoice) {
  ASSERT_TRUE(store_->commit_batch(
      batch({invoice("sap-ecc", "451", "451"), payment("sap-ecc", "P1", "P1", "451", 1000),
             payment("sap-ecc", "P2", "P2", "999", 1000)}),
      now_));
  auto payments = store_->find_applications_to(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(payments);
  ASSERT_EQ(payments->size(), 1u);
  EXPECT_EQ((*payments)[0].external_id, "P1");
  ASSERT_EQ((*payments)[0].applications.size(), 1u);
  EXPECT_EQ((*payments)[0].applications[0].amount, usd(1000));
}

TEST_F(StoreTest, FindByNumberReturnsDuplicates) {
  Document a = invoice("sap-ecc", "451", "451");
  Document b = invoice("sap-ecc", "452", "452");
  b.document_number = a.document_number;
  ASSERT_TRUE(store_->commit_batch(batch({a, b, invoice("sap-ecc", "453", "453")}), now_));
  auto dups = store_->find_by_number("sap-ecc", DocumentKind::kInvoice, a.document_number);
  ASSERT_TRUE(dups);
  ASSERT_EQ(dups->size(), 2u);
  EXPECT_EQ((*dups)[0].external_id, "451");
  EXPECT_EQ((*dups)[1].external_id, "452");
}

TEST_F(StoreTest, ListDocumentsFiltersBySystemAndKindAndHonoursLimit) {
  ASSERT_TRUE(store_->commit_batch(
      batch({invoice("sap-ecc", "3", "3"), invoice("sap-ecc", "1", "1"),
             invoice("sap-ecc", "2", "2"), payment("sap-ecc", "P1", "P1", "1", 5)}),
      now_));
  auto two = store_->list_documents("sap-ecc", DocumentKind::kInvoice, 2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].match_key, "1");
  EXPECT_EQ((*two)[1].match_key, "2");
  auto all = store_->list_documents("", std::nullopt, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 4u);
  auto other = store_->list_documents("qbo-us", std::nullopt, 100);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TEST_F(StoreTest, UpdateReplacesApplications) {
  Document p = payment("sap-ecc", "P1", "P1", "451", 1000);
  ASSERT_TRUE(store_->commit_batch(batch({p}), now_));
  p.applications[0].target_match_key = "452";
  p.version = "2";
  ASSERT_TRUE(store_->commit_batch(batch({p}), now_));
  auto to_old = store_->find_applications_to(DocumentKind::kInvoice, "451");
  auto to_new = store_->find_applications_to(DocumentKind::kInvoice, "452");
  ASSERT_TRUE(to_old && to_new);
  EXPECT_TRUE(to_old->empty());
  ASSERT_EQ(to_new->size(), 1u);
  EXPECT_EQ((*to_new)[0].applications.size(), 1u);
}

// A cancellation (SAP S1) in one system voids the document it names there.
Document cancellation(const std::string& system, const std::string& external_id,
                      const std::string& cancels) {
  Document c = invoice(system, external_id, external_id);
  c.kind = DocumentKind::kCreditMemo;
  c.status = DocumentStatus::kVoid;
  c.cancels = cancels;
  return c;
}

DocumentStatus status_of(Store& store, const std::string& system, const std::string& id) {
  auto d = store.find_document(system, DocumentKind::kInvoice, id);
  EXPECT_TRUE(d && d->has_value());
  return d && d->has_value() ? (*d)->status : DocumentStatus::kDeleted;
}

bool dirty(Store& store, Instant now, const std::string& match_key) {
  auto keys = store.due_dirty_keys(now, 1000);
  EXPECT_TRUE(keys);
  for (const DirtyKey& k : *keys) {
    if (k.kind == DocumentKind::kInvoice && k.match_key == match_key) return true;
  }
  return false;
}

void clear_all_dirty(Store& store, Instant now) {
  auto keys = store.due_dirty_keys(now, 1000);
  ASSERT_TRUE(keys);
  for (const DirtyKey& k : *keys) ASSERT_TRUE(store.clear_dirty_key(k));
}

TEST_F(StoreTest, CancellationVoidsTheOriginalAndMarksItsGroupDirty) {
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "90001", "90001"),
                                          invoice("sap-s4", "90001", "90001")}),
                                   now_));
  clear_all_dirty(*store_, now_);
  auto r = store_->commit_batch(batch({cancellation("sap-ecc", "90002", "90001")}), now_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(status_of(*store_, "sap-ecc", "90001"), DocumentStatus::kVoid);
  EXPECT_EQ(status_of(*store_, "sap-s4", "90001"), DocumentStatus::kOpen);  // other system
  EXPECT_TRUE(dirty(*store_, now_, "90001"));
  auto c = store_->find_document("sap-ecc", DocumentKind::kCreditMemo, "90002");
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->cancels, "90001");
}

TEST_F(StoreTest, OriginalArrivingAfterItsCancellationIsVoid) {
  ASSERT_TRUE(store_->commit_batch(batch({cancellation("sap-ecc", "90002", "90001")}), now_));
  clear_all_dirty(*store_, now_);
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "90001", "90001")}), now_));
  EXPECT_EQ(status_of(*store_, "sap-ecc", "90001"), DocumentStatus::kVoid);
  EXPECT_TRUE(dirty(*store_, now_, "90001"));
  // Sent again unchanged it stays void; changed, it is voided again.
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "90001", "90001")}), now_));
  EXPECT_EQ(status_of(*store_, "sap-ecc", "90001"), DocumentStatus::kVoid);
  Document changed = invoice("sap-ecc", "90001", "90001");
  changed.reference = "PO-2";
  ASSERT_TRUE(store_->commit_batch(batch({changed}), now_));
  EXPECT_EQ(status_of(*store_, "sap-ecc", "90001"), DocumentStatus::kVoid);
}

TEST_F(StoreTest, OriginalAndCancellationInOneBatchEndVoid) {
  ASSERT_TRUE(store_->commit_batch(
      batch({cancellation("sap-ecc", "90002", "90001"), invoice("sap-ecc", "90001", "90001")}),
      now_));
  EXPECT_EQ(status_of(*store_, "sap-ecc", "90001"), DocumentStatus::kVoid);
}

}  // namespace
}  // namespace arsync::store::testing
