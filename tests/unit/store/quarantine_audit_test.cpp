// Quarantine, audit log and stats.
#include <SQLiteCpp/SQLiteCpp.h>

#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

TEST_F(StoreTest, QuarantineKeepsRawBytesWithNul) {
  QuarantineEntry e;
  e.system = "sap-ecc";
  e.entity = "INVOIC02";
  e.external_id = "0000000000451299";
  e.source = "/var/lib/arsync/inbound/bad.idoc";
  e.error = "parse error: truncated control record";
  e.location = "file bad.idoc, line 1";
  e.raw = std::string("EDI_DC40\0\x01\xff tail", 15);
  e.at = now_;
  ASSERT_TRUE(store_->add_quarantine(e));
  auto list = store_->list_quarantine(10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_GT((*list)[0].id, 0);
  EXPECT_TRUE((*list)[0].raw.empty());  // a listing does not load the bytes
  EXPECT_EQ((*list)[0].raw_size, 15u);
  auto found = store_->find_quarantine((*list)[0].id);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  const QuarantineEntry& got = **found;
  EXPECT_EQ(got.id, (*list)[0].id);
  EXPECT_EQ(got.raw_size, 15u);
  EXPECT_EQ(got.raw, e.raw);
  EXPECT_EQ(got.system, e.system);
  EXPECT_EQ(got.entity, e.entity);
  EXPECT_EQ(got.external_id, e.external_id);
  EXPECT_EQ(got.source, e.source);
  EXPECT_EQ(got.error, e.error);
  EXPECT_EQ(got.location, e.location);
  EXPECT_EQ(got.at, now_);
}

TEST_F(StoreTest, QuarantineListIsNewestFirstAndFindOfAnUnknownIdIsEmpty) {
  for (const char* id : {"1", "2", "3"}) {
    QuarantineEntry e;
    e.system = "sap-ecc";
    e.external_id = id;
    e.error = "parse error";
    e.raw = std::string(1000, 'x');
    e.at = now_;
    ASSERT_TRUE(store_->add_quarantine(e));
  }
  auto list = store_->list_quarantine(2);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].external_id, "3");
  EXPECT_EQ((*list)[1].external_id, "2");
  auto missing = store_->find_quarantine((*list)[0].id + 100);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, AuditLogListsNewestFirst) {
  ASSERT_TRUE(store_->append_audit({0, now_, "arsyncd", "file.archive", "inv1.xml", ""}));
  ASSERT_TRUE(store_->append_audit({0, now_, "maria", "mapping.reload", "sap.json", "v2"}));
  auto log = store_->audit_log(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].actor, "maria");
  EXPECT_EQ((*log)[0].details, "v2");
  EXPECT_EQ((*log)[1].action, "file.archive");
}

TEST_F(StoreTest, AuditLogRefusesDeletion) {
  ASSERT_TRUE(store_->append_audit({0, now_, "arsyncd", "file.archive", "inv1.xml", ""}));
  SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
  try {
    db.exec("DELETE FROM audit_log");
    FAIL() << "delete succeeded";
  } catch (const SQLite::Exception& e) {
    EXPECT_STREQ(e.what(), "audit_log is append-only");
  }
  EXPECT_EQ(store_->audit_log(10)->size(), 1u);
}

TEST_F(StoreTest, StatsCountsWhatTheStoreHolds) {
  ASSERT_TRUE(store_->commit_batch(
      batch({invoice("sap-ecc", "1", "1"), invoice("sap-ecc", "2", "2")}), now_));
  DocumentBatch q = batch({invoice("qbo-us", "9", "1")});
  q.system = "qbo-us";
  ASSERT_TRUE(store_->commit_batch(q, now_));
  ASSERT_TRUE(store_->add_quarantine({0, "sap-ecc", "INVOIC02", "x", "f", "e", "l", "raw", now_}));
  auto s = store_->stats();
  ASSERT_TRUE(s) << s.status().to_string();
  EXPECT_EQ(s->documents_by_system, (std::map<std::string, std::int64_t>{{"qbo-us", 1}, {"sap-ecc", 2}}));
  EXPECT_EQ(s->quarantined, 1);
  EXPECT_EQ(s->dirty_keys, 2);
  EXPECT_EQ(s->failed_groups, 0);
  EXPECT_EQ(s->open_discrepancies, 0);
  EXPECT_EQ(s->mail_pending, 0);
}

}  // namespace
}  // namespace arsync::store::testing

namespace arsync::store::testing {
namespace {

QuarantineEntry whole_file_entry(Instant at) {
  QuarantineEntry e;
  e.system = "sap-ecc";
  e.source = "/var/lib/arsync/sap-ecc/quarantine/notes.txt";
  e.error = "parse error: not an IDoc file: expected IDoc-XML ('<') or a flat file";
  e.location = "file /var/lib/arsync/sap-ecc/quarantine/notes.txt";
  e.raw = "hello world, this is not an IDoc\n";
  e.at = at;
  return e;
}

TEST_F(StoreTest, QuarantiningTheSameRecordTwiceLeavesOneRow) {
  ASSERT_TRUE(store_->add_quarantine(whole_file_entry(now_)));
  // The replay after a crash: the same failure, a minute later.
  ASSERT_TRUE(store_->add_quarantine(whole_file_entry(now_ + std::chrono::minutes(1))));
  auto list = store_->list_quarantine(10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].at, now_);  // the first time it was quarantined
  EXPECT_EQ(store_->stats()->quarantined, 1);
}

TEST_F(StoreTest, QuarantineReplayedInABatchAddsNoRowButOtherRecordsDo) {
  DocumentBatch first = batch({});
  first.quarantined.push_back(whole_file_entry(now_));
  ASSERT_TRUE(store_->commit_batch(first, now_));
  DocumentBatch replay = batch({});
  replay.quarantined.push_back(whole_file_entry(now_));
  QuarantineEntry other = whole_file_entry(now_);
  other.raw += "x";  // other bytes: another record
  replay.quarantined.push_back(other);
  QuarantineEntry remapped = whole_file_entry(now_);
  remapped.error = "mapping error: required field is missing";  // failing differently
  replay.quarantined.push_back(remapped);
  ASSERT_TRUE(store_->commit_batch(replay, now_));
  auto list = store_->list_quarantine(10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
}

TEST_F(StoreTest, QuarantineRowsFromBeforeTheFingerprintStay) {
  // A row written by the schema before migration 3 (no fingerprint).
  store_.reset();
  {
    SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
    for (int i = 0; i < 2; ++i) {
      db.exec("INSERT INTO quarantine (system, entity, external_id, source, error, location, raw,"
              " at) VALUES ('sap-ecc', '', '', 'f', 'e', 'l', x'00', '2026-11-25T10:00:00Z')");
    }
  }
  store_ = open();
  ASSERT_TRUE(store_->add_quarantine(whole_file_entry(now_)));
  EXPECT_EQ(store_->list_quarantine(10)->size(), 3u);
}

}  // namespace
}  // namespace arsync::store::testing
