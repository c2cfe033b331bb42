#include <gtest/gtest.h>

#include <filesystem>

#include "idoc_reader.h"
#include "sap_idoc.h"
#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::fixture;
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
    nlohmann::json settings = {{"inbound_dir", tmp_ / "inbound"},
                               {"work_dir", tmp_ / "work"},
                               {"segments_dir", testing::segments_dir()}};
    settings.update(extra);
    ConnectorType type = connector_type();
    auto valid = Registry::validate(type, settings, "sap-ecc");
    EXPECT_TRUE(valid.is_ok()) << valid.status().to_string();
    ConnectorContext ctx;
    ctx.system = "sap-ecc";
    ctx.settings = *valid;
    ctx.clock = &clock_;
    auto c = type.create(ctx);
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return std::move(c).value();
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

TEST(SapIdocConfig, ValidateRequiresInboundDir) {
  auto r = Registry::validate(connector_type(), nlohmann::json::object(), "sap-ecc");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "systems.sap-ecc.settings: missing required key 'inbound_dir' (folder SAP's file port "
            "writes to; senders write *.tmp or dot files and rename when complete)");
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

}  // namespace
}  // namespace arsync::connectors::sap_idoc
