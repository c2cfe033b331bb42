// A crash between batches replays at most the last batch, without loss or
// duplication: a child process ingests with small batches and dies (_exit,
// no destructors, no clean close) right before committing its second
// transaction; a fresh process then finishes the job.
//
// The sink's writer commits all the batches waiting for it in one
// transaction, so which batches a transaction holds depends on timing. The
// tests assert what holds for every interleaving: a transaction holds whole
// batches, and every IDoc up to the stored cursor is stored or quarantined.
// The sink queues at most 2 batches, so the first transaction holds at most
// 2 of the file's 4 and the crash comes before the file is done.
#include <sys/wait.h>
#include <unistd.h>

#include "demo_env.h"
#include "faulty_store.h"

namespace arsync::testing {
namespace {

// The number of IDocs of the file in processing that the stored cursor says
// are committed.
std::uint64_t committed_idocs(store::Store& st) {
  auto cursor = st.get_cursor("sap-ecc", engine::kPullCursorKey);
  EXPECT_TRUE(cursor.is_ok() && cursor->has_value());
  if (!cursor.is_ok() || !cursor->has_value()) return 0;
  return nlohmann::json::parse(**cursor).at("idocs").get<std::uint64_t>();
}

// A fresh process finishes the file: all of it stored once (5 invoices and
// a credit memo, no document twice) and its bad IDoc quarantined once.
void restart_finishes_the_file(DemoEnv& env, const Clock& clock) {
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();
  ASSERT_TRUE(report.systems[0].status.is_ok()) << report.systems[0].status.to_string();
  auto stats = st->stats();
  EXPECT_EQ(stats->documents_by_system["sap-ecc"], 6);
  EXPECT_EQ(stats->quarantined, 1);
  auto docs = st->list_documents("sap-ecc", DocumentKind::kInvoice, 100);
  ASSERT_TRUE(docs.is_ok());
  std::set<std::string> ids;
  for (const Document& d : *docs) EXPECT_TRUE(ids.insert(d.external_id).second) << d.external_id;
  EXPECT_EQ(ids.size(), 5u);
}

TEST(CrashReplay, ProcessDeathBetweenBatchesLosesAndDuplicatesNothing) {
  DemoEnv env(/*batch_size=*/2);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");  // 7 IDocs: 4 batches
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto real = env.open_store();
    FaultyStore dying(*real, /*fault_on_commit=*/2, Fault::kDie);
    auto engine = env.make_engine(dying, clock);
    engine->run_cycle();
    ::_exit(0);  // not reached when the crash fires
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 42) << "the child should have died before its 2nd commit";

  {
    auto st = env.open_store();
    auto stats = st->stats();
    ASSERT_TRUE(stats.is_ok());
    // The first transaction: one or two whole batches of two IDocs, each
    // stored (the file's bad IDoc comes later).
    const std::uint64_t idocs = committed_idocs(*st);
    EXPECT_TRUE(idocs == 2 || idocs == 4) << idocs;
    EXPECT_EQ(stats->documents_by_system["sap-ecc"], static_cast<std::int64_t>(idocs));
    EXPECT_EQ(stats->quarantined, 0);
    // The claimed file is neither lost nor archived yet.
    EXPECT_TRUE(files_in(env.root() / "inbound" / "sap-ecc").empty());
  }

  // Restart: the file in processing is resumed after the committed batches.
  restart_finishes_the_file(env, clock);
}

TEST(CrashReplay, FailedCommitStopsThePullAndNothingAfterItIsCommitted) {
  DemoEnv env(/*batch_size=*/2);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");  // 7 IDocs: 4 batches
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));
  {
    auto real = env.open_store();
    FaultyStore failing(*real, /*fault_on_commit=*/2, Fault::kFail);
    auto engine = env.make_engine(failing, clock);
    engine::CycleReport report = engine->run_cycle();
    ASSERT_EQ(report.systems.size(), 2u);
    EXPECT_FALSE(report.systems[0].status.is_ok());
    EXPECT_NE(report.systems[0].status.to_string().find("injected: disk I/O error"),
              std::string::npos)
        << report.systems[0].status.to_string();
    // The first transaction only (one or two batches): later batches were
    // read ahead but nothing was committed past the failed one.
    const std::uint64_t idocs = committed_idocs(*real);
    EXPECT_TRUE(idocs == 2 || idocs == 4) << idocs;
    EXPECT_EQ(report.systems[0].inserted, idocs);
    auto stats = real->stats();
    EXPECT_EQ(stats->documents_by_system["sap-ecc"], static_cast<std::int64_t>(idocs));
  }
  restart_finishes_the_file(env, clock);
}

}  // namespace
}  // namespace arsync::testing
