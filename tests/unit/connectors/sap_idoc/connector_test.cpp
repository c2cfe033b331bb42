#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "arsync/log/log.h"
#include "arsync/store/store.h"
#include "connector/registry.h"
#include "idoc_reader.h"
#include "sap_idoc.h"
#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::fixture;
using testing::LogCapture;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

// Records every batch; can be told to fail the Nth accept (1-based).
class RecordingSink : public RecordSink {
 public:
  Status accept(RecordBatch batch) override {
    ++calls;
    if (calls == fail_on_call) return Status(ErrorCode::kIoError, "database is locked");
    cursor = batch.cursor;
    batches.push_back(std::move(batch));
    return Status::ok();
  }
  std::vector<std::string> docnums() const {
    std::vector<std::string> out;
    for (const auto& b : batches) {
      for (const auto& r : b.records) out.push_back(r.external_id);
    }
    return out;
  }
  int calls = 0;
  int fail_on_call = 0;
  std::string cursor;  // last committed
  std::vector<RecordBatch> batches;
};

class SapIdocConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_ / "inbound");
  }
  std::unique_ptr<Connector> make(nlohmann::json extra = nlohmann::json::object()) {
    return testing::make_connector(tmp_.path(), extra, &clock_, {});
  }
  void drop(const std::string& fixture_name, const std::string& as) {
    fs::copy_file(fixture(fixture_name), tmp_ / ("inbound/" + as));
  }
  std::string archived(const std::string& name) { return tmp_ / ("work/archive/2026/11/25/" + name); }

  TempDir tmp_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h};
};

TEST_F(SapIdocConnectorTest, ClaimsCommitsAndArchivesAFile) {
  drop("invoic02_three.xml", "inv.xml");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.docnums(),
            (std::vector<std::string>{"0000000000451234", "0000000000451235", "0000000000451236"}));
  EXPECT_FALSE(fs::exists(tmp_ / "inbound/inv.xml"));
  EXPECT_TRUE(fs::is_empty(tmp_ / "work/processing"));
  EXPECT_EQ(read_all(archived("inv.xml")), read_all(fixture("invoic02_three.xml")));
  ASSERT_EQ(sink.batches.size(), 2u);  // the records, then the final cursor
  EXPECT_EQ(nlohmann::json::parse(sink.batches[0].cursor),
            nlohmann::json({{"file", "inv.xml"}, {"idocs", 3}, {"archive", archived("inv.xml")}}));
  EXPECT_TRUE(sink.batches[1].records.empty());
  EXPECT_EQ(sink.cursor, R"({"file":"","idocs":0})");
}

TEST_F(SapIdocConnectorTest, RawRefPointsIntoTheArchivedFile) {
  drop("invoic02_three.txt", "inv.txt");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  std::string bytes = read_all(archived("inv.txt"));
  ASSERT_EQ(sink.batches[0].records.size(), 3u);
  for (const RawRecord& r : sink.batches[0].records) {
    EXPECT_EQ(r.raw_ref.file, archived("inv.txt"));
    EXPECT_EQ(r.source, archived("inv.txt"));
    std::string range = bytes.substr(r.raw_ref.offset, r.raw_ref.length);
    EXPECT_EQ(r.raw, range);              // the bytes the engine hashes
    EXPECT_TRUE(r.raw_ref.sha256.empty());  // left to the engine's writer thread
    EXPECT_EQ(range.substr(0, 8), "EDI_DC40");
    EXPECT_EQ(range.substr(13, 16), r.external_id);
  }
}

TEST_F(SapIdocConnectorTest, BatchesHoldAtMostBatchSizeIdocsWithCursor) {
  drop("invoic02_three.xml", "inv.xml");
  auto c = make({{"batch_size", 2}});
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  ASSERT_EQ(sink.batches.size(), 3u);
  EXPECT_EQ(sink.batches[0].records.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(sink.batches[0].cursor)["idocs"], 2);
  EXPECT_EQ(sink.batches[1].records.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(sink.batches[1].cursor)["idocs"], 3);
}

TEST_F(SapIdocConnectorTest, SinkFailureLeavesFileInProcessingAndNextPullResumes) {
  drop("invoic02_three.xml", "inv.xml");
  auto c = make({{"batch_size", 1}});
  RecordingSink sink;
  sink.fail_on_call = 2;
  Status s = c->pull("", sink);
  EXPECT_EQ(s.to_string(), "I/O error: database is locked");
  EXPECT_TRUE(fs::exists(tmp_ / "work/processing/inv.xml"));
  EXPECT_EQ(sink.docnums(), (std::vector<std::string>{"0000000000451234"}));

  RecordingSink again;
  ASSERT_TRUE(c->pull(sink.cursor, again).is_ok());
  EXPECT_EQ(again.docnums(), (std::vector<std::string>{"0000000000451235", "0000000000451236"}));
  EXPECT_TRUE(fs::exists(archived("inv.xml")));
  EXPECT_FALSE(fs::exists(tmp_ / "work/processing/inv.xml"));
}

TEST_F(SapIdocConnectorTest, MalformedIdocIsRejectedAloneInItsBatch) {
  drop("invoic02_malformed.xml", "bad.xml");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.docnums(), (std::vector<std::string>{"0000000000451234", "0000000000451236"}));
  ASSERT_EQ(sink.batches[0].rejected.size(), 1u);
  EXPECT_EQ(sink.batches[0].rejected[0].external_id, "0000000000451235");
  EXPECT_EQ(sink.batches[0].rejected[0].error.where().file, archived("bad.xml"));
  EXPECT_TRUE(fs::exists(archived("bad.xml")));
}

TEST_F(SapIdocConnectorTest, UnreadableFileIsQuarantinedAndReported) {
  write_all(tmp_ / "inbound/notes.txt", "hello world, this is not an IDoc\n");
  drop("invoic02_three.xml", "z.xml");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  std::string q = tmp_ / "work/quarantine/notes.txt";
  std::string expected = "parse error: not an IDoc file: expected IDoc-XML ('<') or a flat file "
                         "(\"EDI_DC40\"), found \"hello world, thi\" (at file " + q + ")";
  EXPECT_TRUE(fs::exists(q));
  EXPECT_EQ(read_all(q + ".error"), expected + "\n");
  ASSERT_GE(sink.batches.size(), 1u);
  ASSERT_EQ(sink.batches[0].rejected.size(), 1u);
  EXPECT_EQ(sink.batches[0].rejected[0].error.to_string(), expected);
  EXPECT_EQ(sink.batches[0].rejected[0].raw, "hello world, this is not an IDoc\n");
  // The next file is still processed.
  EXPECT_EQ(sink.docnums().size(), 3u);
  EXPECT_TRUE(fs::exists(archived("z.xml")));
}

TEST_F(SapIdocConnectorTest, FilesBeingWrittenAreNotClaimed) {
  drop("invoic02_three.xml", "inv.xml.tmp");
  drop("invoic02_three.xml", ".inv.xml");
  drop("invoic02_three.xml", "inv.pdf");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_TRUE(sink.batches.empty());
  EXPECT_TRUE(fs::exists(tmp_ / "inbound/inv.xml.tmp"));
  EXPECT_TRUE(fs::exists(tmp_ / "inbound/.inv.xml"));
  EXPECT_TRUE(fs::exists(tmp_ / "inbound/inv.pdf"));
}

TEST_F(SapIdocConnectorTest, FilesAreProcessedInNameOrder) {
  drop("remadv_pexr2002.xml", "b.xml");
  drop("invoic02_three.xml", "a.xml");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.docnums().front(), "0000000000451234");
  EXPECT_EQ(sink.docnums().back(), "0000000000560001");
}

TEST_F(SapIdocConnectorTest, CheckFailsWhenInboundIsMissing) {
  auto c = make({{"inbound_dir", tmp_ / "nowhere"}});
  Status s = c->check();
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.message(), "inbound_dir " + (tmp_ / "nowhere") + " does not exist or is not a folder");
  EXPECT_TRUE(make()->check().is_ok());
}

TEST(SapIdocConfig, InboundDirIsRequiredOnlyWhenHttpInboundIsOff) {
  ConnectorContext ctx;
  ctx.system = "sap-ecc";
  ctx.settings = {{"http_inbound", false}};
  auto refused = connector_type().create(ctx);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().message(),
            "systems.sap-ecc.settings: missing key 'inbound_dir': with http_inbound false, the "
            "system has no other source");
  // HTTP only: the archive needs a folder.
  ctx.settings = nlohmann::json::object();
  auto no_work = connector_type().create(ctx);
  ASSERT_FALSE(no_work.is_ok());
  EXPECT_EQ(no_work.status().message(),
            "systems.sap-ecc.settings: without inbound_dir, work_dir is required (where posts are "
            "archived)");
}

TEST(SapIdocConfig, WithoutInboundDirHttpPostsAloneFeedTheSystemAndPullFindsNothing) {
  TempDir tmp;
  ConnectorContext ctx;
  ctx.system = "sap-http";
  ctx.settings = {{"work_dir", tmp / "work"}};
  ctx.commit = [](RecordBatch) -> Result<CommitSummary> { return CommitSummary{}; };
  auto c = connector_type().create(ctx);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ((*c)->routes().size(), 1u);
  EXPECT_EQ((*c)->routes()[0].path, "/sap/idoc/sap-http");
  ASSERT_TRUE((*c)->check().is_ok());
  EXPECT_TRUE(fs::is_directory(tmp / "work/archive"));
  RecordingSink sink;
  ASSERT_TRUE((*c)->pull("", sink).is_ok());
  EXPECT_TRUE(sink.batches.empty());
}

TEST(SapIdocConfig, ValidateFillsDefaults) {
  auto r = Registry::validate(connector_type(), {{"inbound_dir", "/srv/idoc/in"}}, "sap-ecc");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)["batch_size"], 50);
  EXPECT_EQ((*r)["file_pattern"], "*.xml,*.idoc,*.txt");
}

TEST(SapIdocConfig, ValidateRejectsWrongTypeAndUnknownKey) {
  auto wrong = Registry::validate(connector_type(),
                                  {{"inbound_dir", "/in"}, {"batch_size", "many"}}, "sap-ecc");
  EXPECT_EQ(wrong.status().message(), "systems.sap-ecc.settings.batch_size must be of type integer");
  auto unknown = Registry::validate(connector_type(), {{"inbound_dir", "/in"}, {"inbox", "/x"}},
                                    "sap-ecc");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_TRUE(unknown.status().message().starts_with(
      "systems.sap-ecc.settings: unknown key 'inbox' for connector type 'sap_idoc'"));
}

TEST(SapIdocConfig, CreateRejectsBatchSizeBelowOne) {
  ConnectorContext ctx;
  ctx.system = "sap-ecc";
  ctx.settings = {{"inbound_dir", "/in"}, {"batch_size", 0}};
  auto c = connector_type().create(ctx);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(), "systems.sap-ecc.settings.batch_size must be at least 1, got 0");
}

TEST_F(SapIdocConnectorTest, SymlinkInInboundIsNotRead) {
  write_all(tmp_ / "passwd", "root:x:0:0:root:/root:/bin/bash\n");
  fs::create_symlink(tmp_ / "passwd", tmp_ / "inbound/passwd.txt");
  drop("invoic02_three.xml", "z.xml");
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.docnums().size(), 3u);  // the regular file next to it is read
  for (const RecordBatch& b : sink.batches) EXPECT_TRUE(b.rejected.empty());
  EXPECT_TRUE(fs::is_symlink(tmp_ / "inbound/passwd.txt"));
  EXPECT_TRUE(fs::is_empty(tmp_ / "work/quarantine"));
}

TEST_F(SapIdocConnectorTest, IdocWithInvalidUtf8IsRejectedAloneAndTheOthersStored) {
  std::string bytes = read_all(fixture("invoic02_three.xml"));
  const std::size_t at = bytes.find("Acme");
  bytes.replace(at, 4, "M\xFCl ");
  write_all(tmp_ / "inbound/inv.xml", bytes);
  auto c = make();
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  EXPECT_EQ(sink.docnums(), (std::vector<std::string>{"0000000000451234", "0000000000451236"}));
  ASSERT_EQ(sink.batches[0].rejected.size(), 1u);
  const RejectedRecord& r = sink.batches[0].rejected[0];
  EXPECT_EQ(r.external_id, "0000000000451235");
  EXPECT_EQ(r.error.to_string(),
            "parse error: invalid UTF-8 at byte " + std::to_string(at + 1) +
                " of the file (byte 0xFC): the file declares encoding UTF-8; have the sender "
                "write UTF-8, or declare the encoding it writes (ISO-8859-1 is supported) (at file " +
                archived("inv.xml") + ", line " + std::to_string(r.error.where().line) +
                ", record 0000000000451235, segment E1EDKA1, field NAME1)");
  EXPECT_TRUE(fs::exists(archived("inv.xml")));
}

TEST_F(SapIdocConnectorTest, EncodingSettingReadsLatin1FlatFiles) {
  std::string bytes = read_all(fixture("invoic02_three.txt"));
  bytes.replace(bytes.find("M\xC3\xBCller"), 3, "M\xFC");
  write_all(tmp_ / "inbound/latin1.txt", bytes);
  auto c = make({{"encoding", "ISO-8859-1"}});
  RecordingSink sink;
  ASSERT_TRUE(c->pull("", sink).is_ok());
  ASSERT_EQ(sink.docnums().size(), 3u);
  EXPECT_EQ(testing::as_json(sink.batches[0].records[0].data)["E1EDKA1"][0]["NAME1"], "M\xC3\xBCller Maschinenbau GmbH");
}

TEST(SapIdocConfig, CreateRejectsAnUnknownEncoding) {
  ConnectorContext ctx;
  ctx.system = "sap-ecc";
  ctx.settings = {{"inbound_dir", "/in"}, {"encoding", "cp1252"}};
  auto c = connector_type().create(ctx);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(),
            "systems.sap-ecc.settings.encoding must be utf-8 or iso-8859-1, got 'cp1252'");
}

TEST_F(SapIdocConnectorTest, DebugLogNamesFilesClaimedArchivedQuarantinedAndIdocsSkipped) {
  drop("invoic02_three.xml", "inv.xml");
  write_all(tmp_ / "inbound/notes.txt", "hello world, this is not an IDoc\n");
  auto c = make({{"batch_size", 1}});
  LogCapture log;
  RecordingSink sink;
  sink.fail_on_call = 2;  // the first IDoc of inv.xml is committed, then the store fails
  EXPECT_FALSE(c->pull("", sink).is_ok());
  RecordingSink again;
  ASSERT_TRUE(c->pull(sink.cursor, again).is_ok());
  const std::string text = log.text();
  const std::string size = std::to_string(fs::file_size(fixture("invoic02_three.xml")));
  EXPECT_NE(text.find("level=debug system=sap-ecc event=file_claimed file=" +
                      (tmp_ / "work/processing/inv.xml") + " bytes=" + size),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("event=idoc_skipped file=" + archived("inv.xml") +
                      " idoc=0000000000451234 offset="),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("reason=\"committed by an earlier run (the cursor is at IDoc 1 of the file)\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("event=file_archived file=inv.xml archive=" + archived("inv.xml") + " idocs=3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("event=file_quarantined file=notes.txt quarantine=" +
                      (tmp_ / "work/quarantine/notes.txt") + " error=\"parse error: not an IDoc"),
            std::string::npos)
      << text;
}

TEST_F(SapIdocConnectorTest, QuarantinedFilesAndErrorFilesAre0640UnderUmask022) {
  const mode_t old = ::umask(022);
  write_all(tmp_ / "inbound/notes.txt", "hello world, this is not an IDoc\n");
  drop("invoic02_three.xml", "inv.xml");
  ::chmod((tmp_ / "inbound/inv.xml").c_str(), 0644);
  auto c = make();
  RecordingSink sink;
  Status s = c->pull("", sink);
  ::umask(old);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  auto mode = [](const std::string& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(tmp_ / "work/quarantine/notes.txt"), 0640u);
  EXPECT_EQ(mode(tmp_ / "work/quarantine/notes.txt.error"), 0640u);
  EXPECT_EQ(mode(archived("inv.xml")), 0640u);
  EXPECT_EQ(mode(tmp_ / "work/archive/2026/11/25"), 0750u);
  EXPECT_EQ(mode(tmp_ / "work/quarantine"), 0750u);
}

// Commits what the connector hands it to a real SQLite store, the rejected
// records quarantined as the engine does; can die (the whole process) in
// flush(), after its commits and before the connector moves the file.
class StoreSink : public RecordSink {
 public:
  StoreSink(store::Store& st, const Clock& clock, bool die_in_flush)
      : store_(st), clock_(clock), die_in_flush_(die_in_flush) {}
  Status accept(RecordBatch batch) override {
    store::DocumentBatch b;
    b.system = "sap-ecc";
    b.cursor_key = "files";
    b.cursor = batch.cursor;
    for (RejectedRecord& r : batch.rejected) {
      b.quarantined.push_back(testing::quarantine_entry(std::move(r), "sap-ecc", clock_.now()));
    }
    return store_.commit_batch(b, clock_.now()).status();
  }
  Status flush() override {
    if (die_in_flush_) ::_exit(42);
    return Status::ok();
  }

 private:
  store::Store& store_;
  const Clock& clock_;
  bool die_in_flush_;
};

TEST_F(SapIdocConnectorTest, CrashBetweenQuarantineRowAndMoveIsReplayedWithoutASecondRow) {
  write_all(tmp_ / "inbound/notes.txt", "hello world, this is not an IDoc\n");
  store::SqliteOptions options;
  options.path = tmp_ / "arsync.db";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto st = store::open_sqlite_store(options);
    if (!st.is_ok()) ::_exit(1);
    StoreSink dying(**st, clock_, /*die_in_flush=*/true);
    (void)make()->pull("", dying);
    ::_exit(0);  // not reached: the sink dies first
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 42);
  // The row is committed; the file has not moved.
  auto st = store::open_sqlite_store(options);
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  ASSERT_EQ((*st)->list_quarantine(10)->size(), 1u);
  EXPECT_TRUE(fs::exists(tmp_ / "work/processing/notes.txt"));
  auto cursor = (*st)->get_cursor("sap-ecc", "files");
  ASSERT_TRUE(cursor.is_ok() && cursor->has_value());

  // The restart reads the file again, reports it again, and moves it.
  StoreSink sink(**st, clock_, /*die_in_flush=*/false);
  ASSERT_TRUE(make()->pull(**cursor, sink).is_ok());
  auto rows = (*st)->list_quarantine(10);
  ASSERT_TRUE(rows.is_ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].source, tmp_ / "work/quarantine/notes.txt");
  EXPECT_TRUE(fs::exists(tmp_ / "work/quarantine/notes.txt"));
  EXPECT_TRUE(fs::exists(tmp_ / "work/quarantine/notes.txt.error"));
  EXPECT_FALSE(fs::exists(tmp_ / "work/quarantine/notes.txt.1"));
  EXPECT_FALSE(fs::exists(tmp_ / "work/processing/notes.txt"));
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
