// The drop folder's inotify watch, through the connector (ctx.wake) and on
// its own (FolderWatch::start): real folders in a temp dir, real files.
#include "folder_watch.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "arsync/connector.h"
#include "sap_idoc.h"
#include "test_support.h"
#include "wake_counter.h"

namespace arsync::connectors::sap_idoc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using arsync::testing::WakeCounter;
using testing::fixture;
using testing::LogCapture;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

// How long a test waits for a wake that must come, and for one that must not.
constexpr auto kWithin = 1000ms;
constexpr auto kQuiet = 300ms;

// Threads of this process, from /proc.
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

class FolderWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(tmp_ / "inbound"); }

  std::unique_ptr<Connector> make(std::function<void()> wake, nlohmann::json extra = {}) {
    return testing::make_connector(tmp_.path(), extra, nullptr, std::move(wake));
  }
  std::string in(const std::string& name) const { return tmp_ / ("inbound/" + name); }
  std::string idoc() const { return read_all(fixture("invoic02_three.xml")); }

  TempDir tmp_;
  WakeCounter wakes_;
};

TEST_F(FolderWatchTest, WritingAFileWakesWithinASecond) {
  auto c = make(wakes_.fn());
  write_all(in("inv.xml"), idoc());
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
}

TEST_F(FolderWatchTest, FileBeingWrittenWakesOnlyWhenClosed) {
  auto c = make(wakes_.fn());
  std::ofstream out(in("inv.xml"), std::ios::binary);
  out << idoc();
  out.flush();  // on disk, still open
  EXPECT_FALSE(wakes_.wait_for(1, kQuiet)) << "woken while the file was still open for writing";
  out.close();
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
}

TEST_F(FolderWatchTest, RenameIntoTheFolderWakes) {
  write_all(tmp_ / "inv.xml", idoc());
  write_all(in("inv2.xml.tmp"), idoc());
  auto c = make(wakes_.fn());
  // From outside the folder and, as senders do, from a temporary name in it.
  fs::rename(tmp_ / "inv.xml", in("inv.xml"));
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
  fs::rename(in("inv2.xml.tmp"), in("inv2.xml"));
  EXPECT_TRUE(wakes_.wait_for(2, kWithin));
}

TEST_F(FolderWatchTest, IgnoredNamesDoNotWake) {
  auto c = make(wakes_.fn());
  write_all(in("inv.xml.tmp"), idoc());
  write_all(in("inv.xml.part"), idoc());
  write_all(in(".inv.xml"), idoc());
  write_all(in("inv.pdf"), idoc());  // not in file_pattern
  fs::create_directories(in("work/archive"));  // a folder, and files below it
  write_all(in("work/archive/old.xml"), idoc());
  fs::create_directories(tmp_ / "a.xml");
  fs::rename(tmp_ / "a.xml", in("a.xml"));  // a folder renamed in
  fs::create_symlink(tmp_ / "elsewhere.xml", tmp_ / "link.xml");
  fs::rename(tmp_ / "link.xml", in("link.xml"));  // refused by the drop folder
  write_all(in("bad\n.xml"), idoc());  // a name the drop folder refuses
  EXPECT_FALSE(wakes_.wait_for(1, kQuiet)) << wakes_.count() << " wakes";
  write_all(in("inv.xml"), idoc());  // the watch still works
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
}

TEST_F(FolderWatchTest, FilePatternSettingDecidesWhatWakes) {
  auto c = make(wakes_.fn(), {{"file_pattern", "*.idoc"}});
  write_all(in("inv.xml"), idoc());
  EXPECT_FALSE(wakes_.wait_for(1, kQuiet));
  write_all(in("inv.idoc"), idoc());
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
}

TEST_F(FolderWatchTest, ConnectorsOwnWorkDoesNotWake) {
  write_all(in("inv.xml"), idoc());
  write_all(in("notes.txt"), "not an IDoc\n");  // quarantined
  // work_dir inside inbound_dir: processing/, archive/ and quarantine/ are
  // then folders of the watched one.
  auto c = make(wakes_.fn(), {{"work_dir", tmp_ / "inbound/work"}});
  struct Sink : RecordSink {
    Status accept(RecordBatch) override { return Status::ok(); }
  } sink;
  Status s = c->pull("", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_TRUE(fs::exists(tmp_ / "inbound/work/quarantine/notes.txt"));
  EXPECT_FALSE(wakes_.wait_for(1, kQuiet)) << wakes_.count() << " wakes";
}

TEST_F(FolderWatchTest, DestructionStopsTheThreadPromptly) {
  const std::size_t threads = thread_count();
  auto c = make(wakes_.fn());
  EXPECT_EQ(thread_count(), threads + 1);
  const auto start = std::chrono::steady_clock::now();
  c.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  // Joined; the kernel removes an exited thread from /proc a moment later.
  for (int i = 0; i < 100 && thread_count() != threads; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(thread_count(), threads);
  // Nothing watches any more.
  write_all(in("inv.xml"), idoc());
  EXPECT_FALSE(wakes_.wait_for(1, kQuiet));
}

TEST_F(FolderWatchTest, NoWakeNoThread) {
  const std::size_t threads = thread_count();
  auto c = make({});
  EXPECT_EQ(thread_count(), threads);
}

TEST_F(FolderWatchTest, UnwatchableFolderIsLoggedOnceAndTheIntervalPullGoesOn) {
  LogCapture log;
  // inbound_dir does not exist yet when the connector is created.
  auto c = make(wakes_.fn(), {{"inbound_dir", tmp_ / "later"}});
  fs::create_directories(tmp_ / "later");
  fs::copy_file(fixture("invoic02_three.xml"), tmp_ / "later/inv.xml");
  struct Sink : RecordSink {
    Status accept(RecordBatch b) override {
      records += b.records.size();
      return Status::ok();
    }
    std::size_t records = 0;
  } sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.records, 3u);
  const std::string text = log.text();
  const std::string line =
      "level=warning system=sap-ecc event=folder_watch_unavailable error=\"I/O error: cannot watch " +
      (tmp_ / "later") + " for new files: inotify_add_watch: No such file or directory (inbound_dir "
      "does not exist or is not a folder) (at file " + (tmp_ / "later") +
      ")\" consequence=\"files are pulled at the interval, not as they arrive\"";
  EXPECT_NE(text.find(line), std::string::npos) << text;
  EXPECT_EQ(text.find("folder_watch_unavailable"), text.rfind("folder_watch_unavailable")) << text;
}

TEST_F(FolderWatchTest, StartFailsNamingTheLimitWhenNoDescriptorIsLeft) {
  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  struct rlimit none = old;
  none.rlim_cur = 0;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  DropFolderPaths paths;
  paths.inbound = tmp_ / "inbound";
  paths.patterns = {"*.xml"};
  auto w = FolderWatch::start(paths, [] {});
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().message(),
            "cannot watch " + (tmp_ / "inbound") +
                " for new files: inotify_init1: Too many open files (this process's open-file "
                "limit or the user's inotify instance limit, fs.inotify.max_user_instances, is "
                "reached)");
}

TEST_F(FolderWatchTest, ManyFilesAtOnceWakeAtLeastOnce) {
  auto c = make(wakes_.fn());
  for (int i = 0; i < 50; ++i) write_all(in("inv" + std::to_string(i) + ".xml"), idoc());
  EXPECT_TRUE(wakes_.wait_for(1, kWithin));
  EXPECT_LE(wakes_.count(), 50);
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
