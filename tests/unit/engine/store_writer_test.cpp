// StoreWriter over a real SQLite file (synchronous=FULL): group commits,
// completion after commit, failures confined to their submitter, chains,
// stop, and cursors of interleaved systems.
#include "arsync/engine/store_writer.h"

#include <atomic>
#include <latch>
#include <stdexcept>
#include <thread>

#include "store_test_util.h"

namespace arsync::engine {
namespace {

using store::BatchOutcome;
using store::DocumentBatch;
using store::testing::invoice;
using store::testing::usd;

class StoreWriterTest : public store::testing::StoreTest {
 protected:
  std::unique_ptr<StoreWriter> writer(StoreWriterOptions options = {}) {
    return std::make_unique<StoreWriter>(std::move(store_), clock_, options);
  }
  // A writer busy with a task until `gate` opens, so what is submitted
  // meanwhile waits and is taken as one group.
  static std::future<Status> hold(StoreWriter& w, std::latch& gate) {
    return w.run([&gate](store::Store&) {
      gate.wait();
      return Status();
    });
  }
  static DocumentBatch one(const std::string& system, Document doc,
                           std::optional<std::string> cursor = {}) {
    DocumentBatch b;
    b.system = system;
    b.cursor_key = "files";
    b.documents.push_back(std::move(doc));
    b.cursor = std::move(cursor);
    return b;
  }
  std::size_t stored_count(const std::string& system) {
    auto reader = open(/*read_only=*/true);
    auto docs = reader->list_documents(system, DocumentKind::kInvoice, 100000);
    EXPECT_TRUE(docs) << docs.status().to_string();
    return docs ? docs->size() : 0;
  }

  ManualClock clock_{now_};
};

constexpr int kProducers = 16;

TEST_F(StoreWriterTest, SixteenProducersEachDocumentStoredOnceInFewerTransactions) {
  constexpr int kEach = 40;
  auto w = writer();
  std::atomic<int> failures{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      std::vector<std::future<Result<BatchOutcome>>> futures;
      for (int i = 0; i < kEach; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        futures.push_back(w->submit(one("sap-http", invoice("sap-http", id, id))));
      }
      for (auto& f : futures) {
        Result<BatchOutcome> r = f.get();
        if (!r || r->inserted != 1) ++failures;
      }
    });
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(stored_count("sap-http"), static_cast<std::size_t>(kProducers * kEach));
  StoreWriterStats s = w->stats();
  EXPECT_EQ(s.batches, static_cast<std::uint64_t>(kProducers * kEach));
  EXPECT_EQ(s.failed_batches, 0u);
  EXPECT_LT(s.transactions, s.batches / 4) << "submissions were not grouped";
}

TEST_F(StoreWriterTest, FutureCompletesOnlyAfterItsBatchIsVisibleToASecondConnection) {
  constexpr int kEach = 10;
  auto w = writer();
  std::atomic<int> invisible{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      auto reader = open(/*read_only=*/true);  // this producer's own connection
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "P" + std::to_string(t) + "-" + std::to_string(i);
        Result<BatchOutcome> r = w->submit(one("sap-http", invoice("sap-http", id, id))).get();
        if (!r) {
          ++invisible;
          continue;
        }
        auto doc = reader->find_document("sap-http", DocumentKind::kInvoice, id);
        if (!doc || !doc->has_value()) ++invisible;
      }
    });
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(invisible.load(), 0);
}

TEST_F(StoreWriterTest, FailingBatchFailsOnlyItsOwnFuture) {
  auto w = writer();
  std::latch gate(1);
  auto held = hold(*w, gate);
  std::vector<std::future<Result<BatchOutcome>>> futures;
  for (int i = 0; i < 5; ++i) {
    // The third has an empty identity, which the store's CHECK refuses.
    const std::string id = i == 2 ? "" : "INV-" + std::to_string(i);
    futures.push_back(w->submit(one("sap-http", invoice("sap-http", id, "K" + std::to_string(i)))));
  }
  gate.count_down();
  ASSERT_TRUE(held.get());
  for (int i = 0; i < 5; ++i) {
    Result<BatchOutcome> r = futures[i].get();
    if (i == 2) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
      EXPECT_EQ(r.status().message(), "commit_batch: CHECK constraint failed: external_id <> ''");
    } else {
      ASSERT_TRUE(r) << i << ": " << r.status().to_string();
      EXPECT_EQ(r->inserted, 1u);
    }
  }
  EXPECT_EQ(stored_count("sap-http"), 4u);
  StoreWriterStats s = w->stats();
  EXPECT_EQ(s.failed_groups, 1u);
  EXPECT_EQ(s.failed_batches, 1u);
  EXPECT_EQ(s.batches, 4u);
}

TEST_F(StoreWriterTest, ChainFailsItsLaterBatchesAndLeavesItsCursorBeforeTheFailure) {
  auto w = writer();
  std::latch gate(1);
  auto held = hold(*w, gate);
  StoreWriter::Chain pull;
  auto a = w->submit(one("sap-ecc", invoice("sap-ecc", "451", "451"), "file-1"), pull);
  auto b = w->submit(one("sap-ecc", invoice("sap-ecc", "", "452"), "file-2"), pull);
  auto c = w->submit(one("sap-ecc", invoice("sap-ecc", "453", "453"), "file-3"), pull);
  auto other = w->submit(one("qbo-us", invoice("qbo-us", "Q-1", "451"), "q-1"));
  gate.count_down();
  ASSERT_TRUE(held.get());
  EXPECT_TRUE(a.get());
  EXPECT_FALSE(b.get());
  Result<BatchOutcome> rc = c.get();
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.status().message(),
            "not committed, an earlier batch of its pull failed: "
            "commit_batch: CHECK constraint failed: external_id <> ''");
  EXPECT_TRUE(other.get());
  // Submitted after the failure was known: refused at once.
  Result<BatchOutcome> late =
      w->submit(one("sap-ecc", invoice("sap-ecc", "454", "454"), "file-4"), pull).get();
  EXPECT_FALSE(late);
  w.reset();
  store_ = open();
  EXPECT_EQ(store_->get_cursor("sap-ecc", "files")->value_or("<none>"), "file-1");
  EXPECT_EQ(store_->get_cursor("qbo-us", "files")->value_or("<none>"), "q-1");
  EXPECT_EQ(stored_count("sap-ecc"), 1u);
}

TEST_F(StoreWriterTest, StopCommitsWhatWasQueuedAndRefusesWhatCameLater) {
  StoreWriterOptions options;
  options.queue_capacity = 2;
  auto w = writer(options);
  std::latch gate(1);
  auto held = hold(*w, gate);
  auto first = w->submit(one("sap-http", invoice("sap-http", "1", "1")));
  auto second = w->submit(one("sap-http", invoice("sap-http", "2", "2")));
  // The queue is full: this submitter blocks until stop() refuses it.
  std::future<Result<BatchOutcome>> blocked;
  std::thread submitter(
      [&] { blocked = w->submit(one("sap-http", invoice("sap-http", "3", "3"))); });
  std::thread stopper([&] { w->stop(); });
  submitter.join();  // returns only once stop() has begun
  Result<BatchOutcome> refused = blocked.get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(refused.status().message(), "store writer is stopping");
  gate.count_down();
  stopper.join();
  EXPECT_TRUE(held.get());
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  Result<BatchOutcome> after = w->submit(one("sap-http", invoice("sap-http", "4", "4"))).get();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.status().code(), ErrorCode::kUnavailable);
  Status task_after = w->run([](store::Store&) { return Status(); }).get();
  EXPECT_EQ(task_after.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(stored_count("sap-http"), 2u);
}

TEST_F(StoreWriterTest, EachSystemKeepsItsLastCursorAfterInterleavedSubmissions) {
  constexpr int kEach = 30;
  const std::vector<std::string> systems = {"sap-ecc", "qbo-us", "netsuite-eu"};
  auto w = writer();
  std::vector<std::thread> producers;
  std::atomic<int> failures{0};
  for (const std::string& system : systems) {
    producers.emplace_back([&, system] {
      StoreWriter::Chain pull;
      std::vector<std::future<Result<BatchOutcome>>> futures;
      for (int i = 0; i < kEach; ++i) {
        // The same document, changed each time: the last one submitted wins.
        Document d = invoice(system, "INV-1", "INV-1");
        d.amount = usd(1000 + i);
        futures.push_back(w->submit(one(system, d, "cursor-" + std::to_string(i)), pull));
      }
      for (auto& f : futures) {
        if (!f.get()) ++failures;
      }
    });
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(failures.load(), 0);
  w.reset();
  store_ = open();
  for (const std::string& system : systems) {
    EXPECT_EQ(store_->get_cursor(system, "files")->value_or("<none>"),
              "cursor-" + std::to_string(kEach - 1))
        << system;
    auto doc = store_->find_document(system, DocumentKind::kInvoice, "INV-1");
    ASSERT_TRUE(doc && doc->has_value()) << system;
    EXPECT_EQ((*doc)->amount, usd(1000 + kEach - 1)) << system;
  }
}

TEST_F(StoreWriterTest, RunDoesWriteWorkOnTheWriterThreadAndReportsAThrow) {
  auto w = writer();
  Status wrote = w->run([](store::Store& s) {
                    store::AuditEntry e;
                    e.actor = "reconciler";
                    e.action = "discrepancy.resolve";
                    e.object = "17";
                    return s.append_audit(e);
                  }).get();
  ASSERT_TRUE(wrote) << wrote.to_string();
  auto reader = open(/*read_only=*/true);
  auto log = reader->audit_log(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front().action, "discrepancy.resolve");

  Status threw = w->run([](store::Store&) -> Status { throw std::runtime_error("disk on fire"); })
                     .get();
  EXPECT_EQ(threw.code(), ErrorCode::kInternal);
  EXPECT_EQ(threw.message(), "store writer task threw: disk on fire");
  EXPECT_EQ(w->stats().tasks, 2u);
}

}  // namespace
}  // namespace arsync::engine
