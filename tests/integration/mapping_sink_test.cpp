// MappingSink gathers accepted batches until they hold commit_records
// records and submits them to the StoreWriter, which commits the
// submissions that wait for it in one transaction, with the last one's
// cursor; a failed transaction commits none of its batches, and none of the
// pull's later ones. The writer is held inside its first commit by a gate,
// so which batches wait is certain.
#include "arsync/engine/mapping_sink.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <span>

#include "arsync/model/json_record.h"
#include "arsync/model/sha256.h"
#include "delegating_store.h"
#include "demo_env.h"

namespace arsync::testing {
namespace {

// A store whose first commit waits until release(); it records what each
// commit_batches call was given, and can fail from the Nth on.
class GatedStore final : public DelegatingStore {
 public:
  struct Call {
    std::size_t documents;
    std::size_t quarantined;
    std::optional<std::string> cursor;
  };

  GatedStore(store::Store& inner, int fail_on_call = 0)
      : DelegatingStore(inner), fail_on_(fail_on_call) {}

  Result<std::vector<store::BatchOutcome>> commit_batches(std::span<const store::DocumentBatch> bs,
                                                          Instant now) override {
    int call = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      Call c{0, 0, std::nullopt};
      for (const store::DocumentBatch& b : bs) {
        c.documents += b.documents.size();
        c.quarantined += b.quarantined.size();
        if (b.cursor) c.cursor = b.cursor;
      }
      calls_.push_back(c);
      call = static_cast<int>(calls_.size());
      cv_.notify_all();
      if (call == 1) cv_.wait(lock, [this] { return released_; });
    }
    // From the fail_on_th call on: a disk that stays full, so the writer's
    // retry of each batch on its own fails too.
    if (fail_on_ > 0 && call >= fail_on_) return Status(ErrorCode::kIoError, "injected: disk full");
    return inner_.commit_batches(bs, now);
  }

  // Waits until the writer is inside its first commit.
  void wait_entered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !calls_.empty(); });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  int fail_on_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::vector<Call> calls_;
};

RawRecord invoice(const std::string& number) {
  RawRecord r;
  r.entity = "INVOIC02";
  r.external_id = number;
  r.version = "1";
  r.source = "test.xml";
  r.data = parse_json_record(R"({
    "EDI_DC40": {"DOCNUM": "1", "IDOCTYP": "INVOIC02"},
    "E1EDK01": [{"CURCY": "EUR", "BELNR": ")" + number + R"("}],
    "E1EDK14": [{"QUALF": "015", "ORGID": "F2"}],
    "E1EDKA1": [{"PARVW": "AG", "PARTN": "100042"}],
    "E1EDK02": [{"QUALF": "009", "BELNR": ")" + number + R"(", "DATUM": "20261101"}],
    "E1EDS01": [{"SUMID": "011", "SUMME": "119.00"}]
  })", "test.xml").value();
  return r;
}

RecordBatch batch(std::vector<std::string> numbers, const std::string& cursor,
                  bool with_rejected = false) {
  RecordBatch b;
  for (const std::string& n : numbers) b.records.push_back(invoice(n));
  if (with_rejected) {
    RejectedRecord bad;
    bad.entity = "INVOIC02";
    bad.external_id = "0000000000000099";
    bad.error = Status(ErrorCode::kParseError, "malformed XML in IDoc", Location::in_file("test.xml"));
    bad.raw = "<IDOC BEGIN=\"1\">";
    b.rejected.push_back(std::move(bad));
  }
  b.cursor = cursor;
  return b;
}

class MappingSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("arsync-sink-" + std::to_string(std::random_device()()));
    fs::create_directories(root_);
    store::SqliteOptions options;
    options.path = (root_ / "arsync.db").string();
    auto opened = store::open_sqlite_store(options);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    store_ = std::move(opened).value();
    auto set = mapping::MappingSet::load_dir(std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc");
    ASSERT_TRUE(set.is_ok()) << set.status().to_string();
    mappings_ = std::move(set).value();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path root_;
  std::unique_ptr<store::Store> store_;
  mapping::MappingSet mappings_;
  ManualClock clock_{*parse_instant("2026-11-25T08:00:00Z")};
};

TEST_F(MappingSinkTest, BatchesWaitingForTheWriterAreCommittedInOneTransaction) {
  GatedStore gated(*store_);
  engine::StoreWriter writer(gated, clock_);
  engine::MappingSink sink("erp", "pull", mappings_, writer, clock_, nullptr,
                          {/*commit_records=*/1, /*max_queued=*/4});
  ASSERT_TRUE(sink.accept(batch({"90001"}, "c1")));
  gated.wait_entered();  // the writer holds batch 1 in its first commit
  ASSERT_TRUE(sink.accept(batch({"90002", "90003"}, "c2")));
  ASSERT_TRUE(sink.accept(batch({"90004"}, "c3", /*with_rejected=*/true)));
  ASSERT_TRUE(sink.accept(batch({}, "c4")));  // a batch with only a cursor
  gated.release();
  ASSERT_TRUE(sink.flush());

  const std::vector<GatedStore::Call> calls = gated.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].documents, 1u);
  EXPECT_EQ(calls[0].cursor, "c1");
  EXPECT_EQ(calls[1].documents, 3u);  // batches 2, 3 and 4, in order
  EXPECT_EQ(calls[1].quarantined, 1u);
  EXPECT_EQ(calls[1].cursor, "c4");   // the last batch's

  const engine::SinkTotals totals = sink.totals();
  EXPECT_EQ(totals.batches, 4u);
  EXPECT_EQ(writer.stats().transactions, 2u);
  EXPECT_EQ(totals.records, 5u);
  EXPECT_EQ(totals.inserted, 4u);
  EXPECT_EQ(totals.quarantined, 1u);
  EXPECT_EQ(store_->get_cursor("erp", "pull")->value_or(""), "c4");
  auto docs = store_->list_documents("erp", DocumentKind::kInvoice, 10);
  ASSERT_TRUE(docs.is_ok());
  ASSERT_EQ(docs->size(), 4u);
  for (std::size_t i = 0; i < docs->size(); ++i) {
    EXPECT_EQ((*docs)[i].external_id, "9000" + std::to_string(i + 1));
  }
}

TEST_F(MappingSinkTest, AFailedTransactionCommitsNoneOfItsBatches) {
  GatedStore gated(*store_, /*fail_on_call=*/2);
  engine::StoreWriter writer(gated, clock_);
  engine::MappingSink sink("erp", "pull", mappings_, writer, clock_, nullptr,
                          {/*commit_records=*/1, /*max_queued=*/4});
  ASSERT_TRUE(sink.accept(batch({"90001"}, "c1")));
  gated.wait_entered();
  ASSERT_TRUE(sink.accept(batch({"90002"}, "c2")));
  ASSERT_TRUE(sink.accept(batch({"90003"}, "c3")));
  gated.release();
  const Status flushed = sink.flush();
  EXPECT_FALSE(flushed.is_ok());
  EXPECT_NE(flushed.to_string().find("injected: disk full"), std::string::npos)
      << flushed.to_string();
  // The error sticks: later batches are refused, not committed past it.
  EXPECT_FALSE(sink.accept(batch({"90004"}, "c4")).is_ok());

  // The group of batches 2 and 3 failed, then batch 2 alone; batch 3 was
  // not tried (its cursor would skip batch 2).
  ASSERT_EQ(gated.calls().size(), 3u);
  EXPECT_EQ(gated.calls()[1].documents, 2u);
  EXPECT_EQ(gated.calls()[2].documents, 1u);
  EXPECT_EQ(store_->get_cursor("erp", "pull")->value_or(""), "c1");
  auto docs = store_->list_documents("erp", DocumentKind::kInvoice, 10);
  ASSERT_TRUE(docs.is_ok());
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].external_id, "90001");
  EXPECT_EQ(sink.totals().batches, 1u);
}

TEST_F(MappingSinkTest, SmallBatchesAreGatheredIntoTransactionsOfCommitRecords) {
  GatedStore gated(*store_);
  engine::StoreWriter writer(gated, clock_);
  engine::MappingSink sink("erp", "pull", mappings_, writer, clock_, nullptr,
                           {/*commit_records=*/3, /*max_queued=*/2});
  ASSERT_TRUE(sink.accept(batch({"90001", "90002"}, "c1")));  // 2 records: held
  ASSERT_TRUE(sink.accept(batch({"90003"}, "c2", /*with_rejected=*/true)));  // 4: queued
  gated.wait_entered();  // the writer holds the first group in its first commit
  ASSERT_TRUE(sink.accept(batch({"90005"}, "c3")));
  ASSERT_TRUE(sink.accept(batch({"90006"}, "c4")));  // 2 records: held until flush
  gated.release();
  ASSERT_TRUE(sink.flush());

  const std::vector<GatedStore::Call> calls = gated.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].documents, 3u);  // batches 1 and 2 together, not batch 1 alone
  EXPECT_EQ(calls[0].quarantined, 1u);
  EXPECT_EQ(calls[0].cursor, "c2");
  EXPECT_EQ(calls[1].documents, 2u);
  EXPECT_EQ(calls[1].cursor, "c4");
  const engine::SinkTotals totals = sink.totals();
  EXPECT_EQ(totals.batches, 4u);
  EXPECT_EQ(writer.stats().transactions, 2u);
  EXPECT_EQ(totals.inserted, 5u);
  EXPECT_EQ(store_->get_cursor("erp", "pull")->value_or(""), "c4");
}

TEST_F(MappingSinkTest, RawBytesAreHashedIntoTheStoredReference) {
  RecordBatch b = batch({"90001", "90002"}, "c1");
  b.records[0].raw = "<IDOC BEGIN=\"1\">...</IDOC>";
  b.records[0].raw_ref = RawRef{"archive/inv.xml", 0, b.records[0].raw.size(), ""};
  b.records[1].raw = "<IDOC BEGIN=\"1\">other</IDOC>";
  b.records[1].raw_ref = RawRef{"archive/inv.xml", 30, b.records[1].raw.size(), "given-by-connector"};
  const std::string expected = sha256_hex(b.records[0].raw);
  const std::size_t length = b.records[0].raw.size();
  {
    engine::StoreWriter writer(*store_, clock_);
    engine::MappingSink sink("erp", "pull", mappings_, writer, clock_);
    ASSERT_TRUE(sink.accept(std::move(b)));
    ASSERT_TRUE(sink.flush());
  }
  auto first = store_->find_document("erp", DocumentKind::kInvoice, "90001");
  ASSERT_TRUE(first.is_ok() && first->has_value());
  EXPECT_EQ((*first)->raw_ref.sha256, expected);
  EXPECT_EQ((*first)->raw_ref.length, length);
  auto second = store_->find_document("erp", DocumentKind::kInvoice, "90002");
  ASSERT_TRUE(second.is_ok() && second->has_value());
  EXPECT_EQ((*second)->raw_ref.sha256, "given-by-connector");  // a connector's own hash is kept
}

TEST_F(MappingSinkTest, RawBytesMappedWhileTheWriterIsBehindAreHashedToo) {
  // The gate holds the writer in its first commit, so later batches are
  // mapped while groups wait: their bytes are hashed by the pulling thread.
  GatedStore gated(*store_);
  engine::StoreWriter writer(gated, clock_);
  engine::MappingSink sink("erp", "pull", mappings_, writer, clock_, nullptr,
                           {/*commit_records=*/1, /*max_queued=*/3});
  ASSERT_TRUE(sink.accept(batch({"90001"}, "c1")));
  gated.wait_entered();
  ASSERT_TRUE(sink.accept(batch({"90002"}, "c2")));  // waits: the writer is behind
  RecordBatch late = batch({"90003"}, "c3");
  late.records[0].raw = "EDI_DC40  100000000000000900375...";
  late.records[0].raw_ref = RawRef{"archive/inv.idoc", 0, late.records[0].raw.size(), ""};
  const std::string expected = sha256_hex(late.records[0].raw);
  ASSERT_TRUE(sink.accept(std::move(late)));
  gated.release();
  ASSERT_TRUE(sink.flush());
  auto doc = store_->find_document("erp", DocumentKind::kInvoice, "90003");
  ASSERT_TRUE(doc.is_ok() && doc->has_value());
  EXPECT_EQ((*doc)->raw_ref.sha256, expected);
}

TEST_F(MappingSinkTest, AStopCommitsTheGatheredBatchesAndRefusesTheNext) {
  std::atomic<bool> stop{false};
  engine::StoreWriter writer(*store_, clock_);
    engine::MappingSink sink("erp", "pull", mappings_, writer, clock_, &stop,
                           {/*commit_records=*/500, /*max_queued=*/2});
  ASSERT_TRUE(sink.accept(batch({"90001"}, "c1")));
  ASSERT_TRUE(sink.accept(batch({"90002"}, "c2")));  // both still gathered, not queued
  stop = true;  // SIGTERM
  const Status refused = sink.accept(batch({"90003"}, "c3"));
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(refused.retryable());
  EXPECT_EQ(refused.message(), "stopping: batch not committed, it will be replayed");
  ASSERT_TRUE(sink.flush());  // what was accepted is committed, with its cursor
  EXPECT_EQ(store_->get_cursor("erp", "pull")->value_or(""), "c2");
  auto docs = store_->list_documents("erp", DocumentKind::kInvoice, 10);
  ASSERT_TRUE(docs.is_ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].external_id, "90002");
  EXPECT_EQ(sink.totals().batches, 2u);
  EXPECT_EQ(writer.stats().transactions, 1u);
}

TEST_F(MappingSinkTest, ARecordDeletedAtItsSourceIsHeldAsDeletedWithItsBatch) {
  engine::StoreWriter writer(*store_, clock_);
  engine::MappingSink sink("erp", "pull", mappings_, writer, clock_);
  ASSERT_TRUE(sink.accept(batch({"90001", "90002"}, "c1")));
  RecordBatch gone = batch({}, "c2");
  gone.deletions.push_back({"INVOIC02", "90001", "qbo-cdc"});
  ASSERT_TRUE(sink.accept(std::move(gone)));
  ASSERT_TRUE(sink.flush());
  EXPECT_EQ(sink.totals().deleted, 1u);
  auto doc = store_->find_document("erp", DocumentKind::kInvoice, "90001");
  ASSERT_TRUE(doc.is_ok() && doc->has_value());
  EXPECT_EQ((*doc)->status, DocumentStatus::kDeleted);
  auto kept = store_->find_document("erp", DocumentKind::kInvoice, "90002");
  ASSERT_TRUE(kept.is_ok() && kept->has_value());
  EXPECT_EQ((*kept)->status, DocumentStatus::kOpen);
  EXPECT_EQ(store_->get_cursor("erp", "pull")->value_or(""), "c2");
}

// A connector that kept no bytes hands over JSON whose text is not UTF-8 (a
// QuickBooks name in Latin-1, say) for a type no mapping takes: the record is
// quarantined with its JSON, the bad byte replaced, instead of the dump
// throwing out of accept() and ending the pull.
TEST_F(MappingSinkTest, AnUnmappedRecordWithInvalidUtf8IsQuarantinedWithItsJson) {
  RecordBatch b;
  RawRecord r;
  r.entity = "Customer";
  r.external_id = "58";
  r.source = "https://quickbooks.example/v3/company/1/query";
  RecordBuilder data;  // a connector that skipped validating its text
  data.begin_object().key("DisplayName").string("M\xFCller GmbH").end();
  r.data = data.finish();
  b.records.push_back(std::move(r));
  b.cursor = "c1";
  Status accepted;
  {
    engine::StoreWriter writer(*store_, clock_);
    engine::MappingSink sink("qbo-eu", "Customer", mappings_, writer, clock_);
    accepted = sink.accept(std::move(b));
    ASSERT_TRUE(sink.flush().is_ok());
  }
  ASSERT_TRUE(accepted.is_ok()) << accepted.to_string();
  auto q = store_->list_quarantine(10);
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->size(), 1u);
  auto whole = store_->find_quarantine((*q)[0].id);
  ASSERT_TRUE(whole.is_ok() && whole->has_value());
  EXPECT_EQ((**whole).raw, "{\"DisplayName\":\"M\xEF\xBF\xBDller GmbH\"}");
  EXPECT_NE((**whole).error.find("no mapping file handles record type 'Customer'"),
            std::string::npos)
      << (**whole).error;
  auto cursor = store_->get_cursor("qbo-eu", "Customer");
  ASSERT_TRUE(cursor.is_ok());
  EXPECT_EQ(cursor->value_or(""), "c1");
}

}  // namespace
}  // namespace arsync::testing
