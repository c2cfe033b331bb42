// The drop folder: which entries are claimed, which are refused (and left
// where they are), and the modes of what it creates, against real folders.
#include "drop_folder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <thread>
#include <vector>

#include "arsync/log/log.h"
#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

namespace fs = std::filesystem;
using testing::LogCapture;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

mode_t mode_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Sets the umask for the life of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class DropFolderTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(tmp_ / "inbound"); }
  DropFolder make(std::vector<std::string> patterns = {"*.xml", "*.idoc", "*.txt"}) {
    DropFolderPaths p;
    p.inbound = tmp_ / "inbound";
    p.processing = tmp_ / "work/processing";
    p.archive = tmp_ / "work/archive";
    p.quarantine = tmp_ / "work/quarantine";
    p.patterns = std::move(patterns);
    p.system = "sap-ecc";
    DropFolder f(std::move(p));
    EXPECT_TRUE(f.prepare().is_ok());
    return f;
  }
  std::string in(const std::string& name) { return tmp_ / ("inbound/" + name); }
  std::vector<std::string> waiting(DropFolder& f) {
    auto w = f.waiting();
    EXPECT_TRUE(w.is_ok()) << w.status().to_string();
    return w.is_ok() ? *w : std::vector<std::string>{};
  }

  TempDir tmp_;
};

TEST_F(DropFolderTest, WaitingListsFilesMatchingAPatternInNameOrder) {
  for (const char* name : {"c.txt", "b.xml", "a.idoc", "d.pdf", "e.XML"}) write_all(in(name), "x");
  DropFolder f = make();
  EXPECT_EQ(waiting(f), (std::vector<std::string>{"a.idoc", "b.xml", "c.txt"}));
  DropFolder only_xml = make({"*.xml", "INV_*"});
  write_all(in("INV_0001"), "x");
  EXPECT_EQ(waiting(only_xml), (std::vector<std::string>{"INV_0001", "b.xml"}));
}

TEST_F(DropFolderTest, TemporaryNamesAreNeverClaimedEvenByACatchAllPattern) {
  for (const char* name : {"inv.xml.tmp", "inv.xml.part", ".inv.xml", "inv.xml"}) {
    write_all(in(name), "x");
  }
  DropFolder f = make({"*"});
  EXPECT_EQ(waiting(f), (std::vector<std::string>{"inv.xml"}));
}

TEST_F(DropFolderTest, ClaimMovesTheFileIntoProcessingAndGivesItsSize) {
  write_all(in("inv.xml"), "<IDOC/>");
  DropFolder f = make();
  auto c = f.claim("inv.xml");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(c->bytes, 7u);
  EXPECT_FALSE(fs::exists(in("inv.xml")));
  EXPECT_EQ(read_all(f.processing_path("inv.xml")), "<IDOC/>");
  EXPECT_EQ(f.claimed().value(), (std::vector<std::string>{"inv.xml"}));
  // Gone by now: another process would have found nothing to claim.
  EXPECT_EQ(f.claim("inv.xml")->outcome, ClaimOutcome::kGone);
}

TEST_F(DropFolderTest, SymlinkIsRefusedWithAWarningAndLeftWhereItIs) {
  write_all(tmp_ / "secret", "root:x:0:0:root:/root:/bin/bash\n");
  fs::create_symlink(tmp_ / "secret", in("passwd.xml"));
  DropFolder f = make();
  LogCapture log;
  EXPECT_TRUE(waiting(f).empty());
  const std::string text = log.text();
  EXPECT_NE(text.find("level=warning system=sap-ecc event=file_refused file=" + in("passwd.xml") +
                      " reason=\"a symbolic link (only regular files are claimed: a link could "
                      "expose any file this user can read); it is left where it is\""),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("root:x"), std::string::npos);
  EXPECT_TRUE(fs::is_symlink(in("passwd.xml")));
}

TEST_F(DropFolderTest, FileSwappedForASymlinkAfterListingIsRefusedAfterTheRename) {
  write_all(tmp_ / "secret", "root:x:0:0\n");
  write_all(in("inv.xml"), "<IDOC/>");
  DropFolder f = make();
  ASSERT_EQ(waiting(f), (std::vector<std::string>{"inv.xml"}));
  fs::remove(in("inv.xml"));
  fs::create_symlink(tmp_ / "secret", in("inv.xml"));
  LogCapture log;
  auto c = f.claim("inv.xml");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->outcome, ClaimOutcome::kRefused);
  EXPECT_NE(log.text().find("event=file_refused file=" + in("inv.xml") + " reason=\"a symbolic link"),
            std::string::npos);
  EXPECT_TRUE(fs::is_symlink(in("inv.xml")));  // moved back
  EXPECT_TRUE(f.claimed().value().empty());
}

TEST_F(DropFolderTest, FifoFolderAndSocketLikeEntriesAreRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(in("pipe.xml").c_str(), 0644), 0);
  fs::create_directory(in("folder.xml"));
  DropFolder f = make();
  LogCapture log;
  EXPECT_TRUE(waiting(f).empty());
  // Claimed by name all the same (a race): refused after the rename.
  EXPECT_EQ(f.claim("pipe.xml")->outcome, ClaimOutcome::kRefused);
  const std::string text = log.text();
  EXPECT_NE(text.find("file=" + in("pipe.xml") + " reason=\"a FIFO (named pipe), not a regular file;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("file=" + in("folder.xml") + " reason=\"a folder, not a regular file;"),
            std::string::npos)
      << text;
  EXPECT_EQ(fs::status(in("pipe.xml")).type(), fs::file_type::fifo);
  EXPECT_TRUE(fs::is_directory(in("folder.xml")));
}

TEST_F(DropFolderTest, ARefusalIsLoggedOnceWhileTheEntryStays) {
  fs::create_symlink("/etc/passwd", in("passwd.xml"));
  DropFolder f = make();
  LogCapture log;
  waiting(f);
  waiting(f);
  fs::remove(in("passwd.xml"));
  waiting(f);
  fs::create_symlink("/etc/passwd", in("passwd.xml"));
  waiting(f);
  EXPECT_EQ(count(log.text(), "event=file_refused"), 2u);  // once, then again once it came back
}

TEST_F(DropFolderTest, HostileNamesAreRefusedAndLoggedOnOneEscapedLine) {
  const std::string newline = "inv\nlevel=error event=forged.xml";
  const std::string latin1 = "M\xFCller.xml";
  const std::string long_name = std::string(237, 'a') + ".xml";  // 241 bytes
  for (const std::string& name : {newline, latin1, long_name}) write_all(in(name), "x");
  write_all(in("-rf.xml"), "x");                              // a leading dash is harmless
  write_all(in(std::string(236, 'b') + ".xml"), "x");         // 240 bytes: the limit
  DropFolder f = make();
  LogCapture log;
  EXPECT_EQ(waiting(f), (std::vector<std::string>{"-rf.xml", std::string(236, 'b') + ".xml"}));
  const std::string text = log.text();
  EXPECT_EQ(count(text, "\n"), 3u) << text;  // one line per refusal, none forged
  EXPECT_NE(text.find("file=\"" + tmp_.path() +
                      "/inbound/inv\\\\x0alevel=error event=forged.xml\" reason=\"its name "
                      "contains control characters;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/inbound/M\\xfcller.xml reason=\"its name is not valid UTF-8;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("reason=\"its name is longer than 240 bytes;"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(in(newline)) && fs::exists(in(latin1)) && fs::exists(in(long_name)));
  EXPECT_EQ(f.claim("-rf.xml")->outcome, ClaimOutcome::kClaimed);
}

TEST_F(DropFolderTest, CreatedFoldersAre0750AndPlacedFiles0640UnderUmask022) {
  Umask umask(022);
  DropFolder f = make();
  EXPECT_EQ(mode_of(tmp_ / "work"), 0750u);
  EXPECT_EQ(mode_of(tmp_ / "work/processing"), 0750u);
  EXPECT_EQ(mode_of(tmp_ / "work/archive"), 0750u);
  EXPECT_EQ(mode_of(tmp_ / "work/quarantine"), 0750u);
  for (const char* name : {"good.xml", "bad.xml"}) {
    write_all(in(name), "x");
    ::chmod(in(name).c_str(), 0666);  // as a careless sender leaves it
    ASSERT_EQ(f.claim(name)->outcome, ClaimOutcome::kClaimed);
  }
  const std::string archive = tmp_ / "work/archive/2026/11/25/good.xml";
  ASSERT_TRUE(f.archive("good.xml", archive).is_ok());
  EXPECT_EQ(mode_of(archive), 0640u);
  EXPECT_EQ(mode_of(tmp_ / "work/archive/2026"), 0750u);
  EXPECT_EQ(mode_of(tmp_ / "work/archive/2026/11/25"), 0750u);
  auto q = f.quarantine("bad.xml", "parse error: not an IDoc file");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(mode_of(*q), 0640u);
  EXPECT_EQ(mode_of(*q + ".error"), 0640u);
  EXPECT_EQ(read_all(*q + ".error"), "parse error: not an IDoc file\n");
}

TEST_F(DropFolderTest, QuarantineWritesTheErrorFileBeforeTheMoveAndAReplayReusesThePath) {
  write_all(in("bad.xml"), "x");
  DropFolder f = make();
  ASSERT_EQ(f.claim("bad.xml")->outcome, ClaimOutcome::kClaimed);
  const std::string path = f.quarantine_path("bad.xml");
  // A crash after the .error file, before the move: the replay picks the
  // same path and the same .error.
  write_all(path + ".error", "parse error: first run\n");
  EXPECT_EQ(f.quarantine_path("bad.xml"), path);
  auto q = f.quarantine("bad.xml", "parse error: second run");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(*q, path);
  EXPECT_EQ(read_all(path + ".error"), "parse error: second run\n");
  // A link planted at the .error name is not written through.
  write_all(in("bad.xml"), "x");
  ASSERT_EQ(f.claim("bad.xml")->outcome, ClaimOutcome::kClaimed);
  write_all(tmp_ / "victim", "keep");
  fs::create_symlink(tmp_ / "victim", f.quarantine_path("bad.xml") + ".error");
  EXPECT_FALSE(f.quarantine("bad.xml", "why").is_ok());
  EXPECT_EQ(read_all(tmp_ / "victim"), "keep");
}

TEST(FolderSyncs, ConcurrentCallersShareFsyncsAndAllSucceed) {
  TempDir tmp;
  const std::string dir = tmp.path();
  FolderSyncs syncs;
  constexpr int kThreads = 16;
  constexpr int kCalls = 20;
  std::atomic<int> failures{0};
  std::atomic<int> ready{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        for (int i = 0; i < kCalls; ++i) {
          if (syncs.sync(dir) != 0) failures.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  // Every call was covered by an fsync, and callers that overlapped shared one.
  EXPECT_GE(syncs.fsyncs(), static_cast<std::uint64_t>(kCalls));
  EXPECT_LT(syncs.fsyncs(), static_cast<std::uint64_t>(kThreads * kCalls));
}

TEST(FolderSyncs, AFolderThatCannotBeOpenedGivesItsErrno) {
  TempDir tmp;
  FolderSyncs syncs;
  EXPECT_EQ(syncs.sync(tmp / "missing"), ENOENT);
  // The failure is not remembered for a folder that exists afterwards.
  std::filesystem::create_directory(tmp / "missing");
  EXPECT_EQ(syncs.sync(tmp / "missing"), 0);
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
