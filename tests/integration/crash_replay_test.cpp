// A crash replays at most the last batch, without loss or duplication: a
// child process ingests with small batches and is killed with SIGKILL (no
// destructors, no clean close), in the middle of its second SQLite
// transaction or right after the commit of a file's last batch, before the
// file is archived; a fresh process then finishes the job.
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
#include "killing_vfs.h"
#include "wal_frames.h"

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

// Runs an ingest of `env` in a forked child whose store is wrapped in a
// FaultyStore(when, fault), and expects the child to die of SIGKILL.
void ingest_in_child_killed(DemoEnv& env, const Clock& clock, FaultyStore::Trigger when,
                            Fault fault) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    KillingVfs::install();
    auto real = env.open_store();
    FaultyStore dying(*real, std::move(when), fault);
    auto engine = env.make_engine(dying, clock);
    engine->run_cycle();
    ::_exit(0);  // not reached when the kill fires
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "the child should have been killed, status " << wstatus;
}

// The cursor a batch commits, decoded, or null.
nlohmann::json batch_cursor(const store::DocumentBatch& b) {
  if (!b.cursor) return nullptr;
  return nlohmann::json::parse(*b.cursor, nullptr, false);
}

fs::path processing_dir(DemoEnv& env, const std::string& system) {
  return env.root() / "var" / "systems" / system / "processing";
}

TEST(CrashReplay, KillInTheMiddleOfACommitLosesAndDuplicatesNothing) {
  DemoEnv env(/*batch_size=*/2);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");  // 7 IDocs: 4 batches
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));
  ingest_in_child_killed(env, clock, [](int n, const store::DocumentBatch&) { return n == 2; },
                         Fault::kKillMidCommit);

  // Read before anything opens the store (which recovers the log): the
  // second transaction was cut off with frames written and no commit frame.
  WalState wal = WalReader((env.root() / "var" / "arsync.db-wal").string()).read();
  ASSERT_TRUE(wal.present);
  EXPECT_GE(wal.committed_frames, 1u) << "the first transaction committed";
  EXPECT_GE(wal.uncommitted(), 1u) << "the kill should have cut a transaction off mid-way";

  {
    auto st = env.open_store();
    auto stats = st->stats();
    ASSERT_TRUE(stats.is_ok());
    // The first transaction: one or two whole batches of two IDocs, each
    // stored (the file's bad IDoc comes later); none of the cut-off one.
    const std::uint64_t idocs = committed_idocs(*st);
    EXPECT_TRUE(idocs == 2 || idocs == 4) << idocs;
    EXPECT_EQ(stats->documents_by_system["sap-ecc"], static_cast<std::int64_t>(idocs));
    EXPECT_EQ(stats->quarantined, 0);
    // The claimed file is neither lost nor archived yet.
    EXPECT_TRUE(files_in(env.root() / "inbound" / "sap-ecc").empty());
    EXPECT_EQ(files_in(processing_dir(env, "sap-ecc")).size(), 1u);
  }

  // Restart: the file in processing is resumed after the committed batches.
  restart_finishes_the_file(env, clock);
}

TEST(CrashReplay, KillAfterTheLastCommitBeforeTheArchiveResumesAndArchivesOnce) {
  DemoEnv env(/*batch_size=*/2);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");  // 7 IDocs: 4 batches
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));
  // The commit that holds the file's 7th IDoc: everything of the file is
  // durable, and the connector is still waiting in flush before archiving.
  ingest_in_child_killed(
      env, clock,
      [](int, const store::DocumentBatch& b) {
        nlohmann::json c = batch_cursor(b);
        return c.is_object() && c.value("idocs", 0) == 7;
      },
      Fault::kKillAfterCommit);

  {
    auto st = env.open_store();
    EXPECT_EQ(committed_idocs(*st), 7u);
    auto stats = st->stats();
    ASSERT_TRUE(stats.is_ok());
    EXPECT_EQ(stats->documents_by_system["sap-ecc"], 6);
    EXPECT_EQ(stats->quarantined, 1);
    // Committed, not archived: the file is still in processing.
    EXPECT_EQ(files_in(processing_dir(env, "sap-ecc")).size(), 1u);
    EXPECT_TRUE(files_in(env.root() / "var" / "systems" / "sap-ecc" / "archive").empty());
  }

  // Restart: nothing of the file is read again (its bad IDoc is not
  // quarantined twice) and it moves to the archive, once.
  restart_finishes_the_file(env, clock);
  EXPECT_TRUE(files_in(processing_dir(env, "sap-ecc")).empty());
  std::vector<fs::path> archived = files_in(env.root() / "var" / "systems" / "sap-ecc" / "archive");
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_EQ(archived[0].filename(), "ECC_INVOIC_20261124_221500.xml");
}

TEST(CrashReplay, KillAfterAWholeFileQuarantineCommitQuarantinesItOnce) {
  DemoEnv env(/*batch_size=*/2);
  write_file(env.root() / "inbound" / "sap-ecc" / "notes.txt", "hello world, this is not an IDoc\n");
  ManualClock clock(*parse_instant("2026-11-25T08:00:00Z"));
  // The commit of the unreadable file's quarantine row: it is durable, and
  // the file is not yet moved to quarantine/.
  ingest_in_child_killed(
      env, clock,
      [](int, const store::DocumentBatch& b) { return !b.quarantined.empty(); },
      Fault::kKillAfterCommit);
  {
    auto st = env.open_store();
    EXPECT_EQ(st->stats()->quarantined, 1);
    EXPECT_EQ(files_in(processing_dir(env, "sap-ecc")).size(), 1u);
  }

  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();
  ASSERT_TRUE(report.systems[0].status.is_ok()) << report.systems[0].status.to_string();
  auto rows = st->list_quarantine(100);
  ASSERT_TRUE(rows.is_ok());
  EXPECT_EQ(rows->size(), 1u) << "the file's quarantine row was written again after the restart";
  const fs::path q = env.root() / "var" / "systems" / "sap-ecc" / "quarantine";
  EXPECT_TRUE(fs::exists(q / "notes.txt"));
  EXPECT_TRUE(fs::exists(q / "notes.txt.error"));
  EXPECT_TRUE(files_in(processing_dir(env, "sap-ecc")).empty());
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
