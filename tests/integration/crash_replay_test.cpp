// A crash between batches replays at most the last batch, without loss or
// duplication: a child process ingests with small batches and dies (_exit,
// no destructors, no clean close) right before committing its third batch;
// a fresh process then finishes the job.
#include <sys/wait.h>
#include <unistd.h>

#include "demo_env.h"

namespace arsync::testing {
namespace {

// Delegates to the real store, but kills the process on the Nth commit_batch.
class DyingStore final : public store::Store {
 public:
  DyingStore(store::Store& inner, int die_on_commit) : inner_(inner), die_on_(die_on_commit) {}

  Result<store::BatchOutcome> commit_batch(const store::DocumentBatch& b, Instant now) override {
    if (++commits_ == die_on_) ::_exit(42);
    return inner_.commit_batch(b, now);
  }
  Result<std::optional<std::string>> get_cursor(const std::string& s, const std::string& k) override {
    return inner_.get_cursor(s, k);
  }
  Result<std::vector<Document>> find_group(DocumentKind k, const std::string& m) override {
    return inner_.find_group(k, m);
  }
  Result<std::optional<Document>> find_document(const std::string& s, DocumentKind k,
                                                const std::string& e) override {
    return inner_.find_document(s, k, e);
  }
  Result<std::vector<Document>> find_applications_to(DocumentKind k, const std::string& m) override {
    return inner_.find_applications_to(k, m);
  }
  Result<std::vector<Document>> list_documents(const std::string& s, std::optional<DocumentKind> k,
                                               std::size_t l) override {
    return inner_.list_documents(s, k, l);
  }
  Result<std::vector<Document>> find_by_number(const std::string& s, DocumentKind k,
                                               const std::string& n) override {
    return inner_.find_by_number(s, k, n);
  }
  Status mark_dirty(const std::vector<store::DirtyKey>& k) override { return inner_.mark_dirty(k); }
  Result<std::vector<store::DirtyKey>> due_dirty_keys(Instant n, std::size_t l) override {
    return inner_.due_dirty_keys(n, l);
  }
  Status clear_dirty_key(const store::DirtyKey& k) override { return inner_.clear_dirty_key(k); }
  Status mark_all_dirty(Instant n) override { return inner_.mark_all_dirty(n); }
  Result<store::FindingsOutcome> apply_findings(DocumentKind k, const std::string& m,
                                                const std::vector<Finding>& f, Instant n) override {
    return inner_.apply_findings(k, m, f, n);
  }
  Result<std::vector<Discrepancy>> list_discrepancies(const store::DiscrepancyFilter& f) override {
    return inner_.list_discrepancies(f);
  }
  Result<std::optional<Discrepancy>> get_discrepancy(std::int64_t id) override {
    return inner_.get_discrepancy(id);
  }
  Result<std::vector<DiscrepancyEvent>> discrepancy_events(std::int64_t id) override {
    return inner_.discrepancy_events(id);
  }
  Status resolve_discrepancy(std::int64_t id, const std::string& a, const std::string& n,
                             Instant t) override {
    return inner_.resolve_discrepancy(id, a, n, t);
  }
  Status acknowledge_discrepancy(std::int64_t id, const std::string& a, const std::string& n,
                                 Instant t) override {
    return inner_.acknowledge_discrepancy(id, a, n, t);
  }
  Result<std::vector<Discrepancy>> pending_notifications(std::size_t l) override {
    return inner_.pending_notifications(l);
  }
  Result<std::int64_t> enqueue_mail(const store::OutgoingMail& m, const std::vector<std::int64_t>& ids,
                                    Instant n) override {
    return inner_.enqueue_mail(m, ids, n);
  }
  Result<std::vector<store::OutgoingMail>> due_mail(Instant n, std::size_t l) override {
    return inner_.due_mail(n, l);
  }
  Result<std::vector<store::OutgoingMail>> list_mail(std::size_t l) override { return inner_.list_mail(l); }
  Status mark_mail_sent(std::int64_t id, Instant n) override { return inner_.mark_mail_sent(id, n); }
  Status mark_mail_retry(std::int64_t id, const std::string& e, Instant n) override {
    return inner_.mark_mail_retry(id, e, n);
  }
  Status mark_mail_dead(std::int64_t id, const std::string& e, Instant n) override {
    return inner_.mark_mail_dead(id, e, n);
  }
  Status add_quarantine(const store::QuarantineEntry& q) override { return inner_.add_quarantine(q); }
  Result<std::vector<store::QuarantineEntry>> list_quarantine(std::size_t l) override {
    return inner_.list_quarantine(l);
  }
  Status append_audit(const store::AuditEntry& a) override { return inner_.append_audit(a); }
  Result<std::vector<store::AuditEntry>> audit_log(std::size_t l) override { return inner_.audit_log(l); }
  Result<store::StoreStats> stats() override { return inner_.stats(); }

 private:
  store::Store& inner_;
  int die_on_;
  int commits_ = 0;
};

TEST(CrashReplay, ProcessDeathBetweenBatchesLosesAndDuplicatesNothing) {
  DemoEnv env(/*batch_size=*/2);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");  // 7 IDocs: 4 batches
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto real = env.open_store();
    DyingStore dying(*real, /*die_on_commit=*/3);
    auto engine = env.make_engine(dying, clock);
    engine->run_cycle();
    ::_exit(0);  // not reached when the crash fires
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 42) << "the child should have died before its third batch";

  {
    auto st = env.open_store();
    auto stats = st->stats();
    ASSERT_TRUE(stats.is_ok());
    EXPECT_EQ(stats->documents_by_system["sap-ecc"], 4);  // two batches of two committed
    auto cursor = st->get_cursor("sap-ecc", engine::kPullCursorKey);
    ASSERT_TRUE(cursor.is_ok());
    EXPECT_TRUE(cursor->has_value());
    // The claimed file is neither lost nor archived yet.
    EXPECT_TRUE(files_in(env.root() / "inbound" / "sap-ecc").empty());
  }

  // Restart: the file in processing is resumed after the committed batches.
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();
  ASSERT_TRUE(report.systems[0].status.is_ok()) << report.systems[0].status.to_string();
  auto stats = st->stats();
  EXPECT_EQ(stats->documents_by_system["sap-ecc"], 6);
  EXPECT_EQ(stats->quarantined, 1);  // the bad IDoc, once
  auto docs = st->list_documents("sap-ecc", DocumentKind::kInvoice, 100);
  ASSERT_TRUE(docs.is_ok());
  std::set<std::string> ids;
  for (const Document& d : *docs) EXPECT_TRUE(ids.insert(d.external_id).second) << d.external_id;
  EXPECT_EQ(ids.size(), 5u);  // 5 invoices + 1 credit memo
}

}  // namespace
}  // namespace arsync::testing
