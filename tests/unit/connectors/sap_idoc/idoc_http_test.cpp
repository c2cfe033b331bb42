// SAP's XML-HTTP port at the connector's boundary: the sap_idoc connector's
// route mounted on a real HttpListener over loopback (port 0), posts sent
// with Poco's HTTP client, ConnectorContext::commit played by the test
// (recording, failing or blocking), and once by a real StoreWriter over a
// SQLite file with the shipped mappings.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "arsync/engine/store_writer.h"
#include "arsync/mapping/mapping.h"
#include "arsync/model/sha256.h"
#include "arsync/service/http_auth.h"
#include "arsync/service/http_listener.h"
#include "arsync/store/store.h"
#include "connector/registry.h"
#include "idoc_http.h"
#include "sap_idoc.h"
#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::fixture;
using testing::read_all;
using testing::TempDir;

constexpr char kUser[] = "sap-prd";
constexpr char kPassword[] = "Idoc-Pa55-word";
constexpr char kPath[] = "/sap/idoc/sap-ecc";

const std::vector<std::string> kThree = {"0000000000451234", "0000000000451235",
                                         "0000000000451236"};

// `text` with its first `from` replaced by `to` (which must be there).
std::string replaced(std::string text, const std::string& from, const std::string& to,
                     std::size_t after = 0) {
  const std::size_t at = text.find(from, after);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The three-invoice packet.
std::string packet() { return read_all(fixture("invoic02_three.xml")); }

// The packet with its second IDoc's control record lacking IDOCTYP.
std::string packet_with_bad_second() {
  const std::string p = packet();
  return replaced(p, "<IDOCTYP>INVOIC02</IDOCTYP>", "", p.find("0000000000451235"));
}

// The 1-based line of `needle` in `text`.
std::int64_t line_of(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
}

// ConnectorContext::commit as the test plays it: records each batch; can
// fail (retryably or not) or wait until released.
class Committer {
 public:
  Result<CommitSummary> commit(RecordBatch batch) {
    std::unique_lock lock(mu_);
    ++calls_;
    entered_.notify_all();
    released_.wait(lock, [&] { return !hold_; });
    if (fail_) return *fail_;
    CommitSummary s;
    s.records = batch.records.size() + batch.rejected.size();
    s.stored = batch.records.size();
    s.quarantined = batch.rejected.size();
    batches_.push_back(std::move(batch));
    return s;
  }
  std::function<Result<CommitSummary>(RecordBatch)> fn() {
    return [this](RecordBatch b) { return commit(std::move(b)); };
  }
  void fail_with(std::optional<Status> error) {
    std::lock_guard lock(mu_);
    fail_ = std::move(error);
  }
  void hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    released_.notify_all();
  }
  bool wait_for_call(int n) {
    std::unique_lock lock(mu_);
    return entered_.wait_for(lock, 10s, [&] { return calls_ >= n; });
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<RecordBatch> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable entered_, released_;
  int calls_ = 0;
  bool hold_ = false;
  std::optional<Status> fail_;
  std::vector<RecordBatch> batches_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string retry_after;
};

class IdocHttpTest : public ::testing::Test {
 protected:
  ~IdocHttpTest() override {
    if (listener_) (void)listener_->stop();
  }

  // The connector's context; `commit` empty leaves ctx.commit unset.
  std::unique_ptr<Connector> make(std::function<Result<CommitSummary>(RecordBatch)> commit,
                                  nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json settings = {{"inbound_dir", tmp_ / "inbound"},
                               {"work_dir", tmp_ / "work"},
                               {"segments_dir", testing::segments_dir()}};
    settings.update(extra);
    fs::create_directories(tmp_ / "inbound");
    ConnectorType type = connector_type();
    auto valid = Registry::validate(type, settings, "sap-ecc");
    EXPECT_TRUE(valid.is_ok()) << valid.status().to_string();
    ConnectorContext ctx;
    ctx.system = "sap-ecc";
    ctx.settings = *valid;
    ctx.clock = &clock_;
    ctx.commit = std::move(commit);
    auto c = type.create(ctx);
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return std::move(c).value();
  }

  // Mounts the connector's routes on a listener with one Basic user.
  void serve(Connector& connector, std::size_t max_body_bytes = 16u << 20) {
    service::HttpOptions o;
    o.max_body_bytes = max_body_bytes;
    o.listen = "127.0.0.1:0";
    o.host = "127.0.0.1";
    o.port = 0;
    listener_ = std::make_unique<service::HttpListener>(o);
    service::HttpCredentials credentials;
    credentials.users[kUser] = service::hash_password(kPassword, 1000).value();
    ASSERT_TRUE(listener_->set_credentials(credentials).is_ok());
    for (HttpRoute& r : connector.routes()) ASSERT_TRUE(listener_->add_route(std::move(r)).is_ok());
    ASSERT_TRUE(listener_->start().is_ok());
  }

  void serve_recording() {
    connector_ = make(committer_.fn());
    serve(*connector_);
  }

  Reply post(const std::string& body, bool authenticate = true, const std::string& path = kPath) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(listener_->port()));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/x-sap.idoc");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    if (authenticate) Poco::Net::HTTPBasicCredentials(kUser, kPassword).authenticate(req);
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse head;
    std::istream& in = session.receiveResponse(head);
    Reply reply;
    reply.status = head.getStatus();
    reply.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    reply.retry_after = head.get("Retry-After", "");
    return reply;
  }

  std::string day_folder() const { return tmp_ / "work/archive/2026/11/25"; }

  // Every file in the archive's day folder (temporary ones included).
  std::vector<std::string> archived_files() const {
    std::vector<std::string> out;
    if (!fs::exists(day_folder())) return out;
    for (const auto& e : fs::directory_iterator(day_folder())) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::vector<std::string> docnums(const RecordBatch& b) {
    std::vector<std::string> out;
    for (const RawRecord& r : b.records) out.push_back(r.external_id);
    return out;
  }

  TempDir tmp_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h};
  Committer committer_;
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<service::HttpListener> listener_;
};

TEST_F(IdocHttpTest, RouteIsServedOnlyWhenTheHostCanCommit) {
  EXPECT_TRUE(make(nullptr)->routes().empty());
  EXPECT_TRUE(make(committer_.fn(), {{"http_inbound", false}})->routes().empty());
  std::vector<HttpRoute> routes = make(committer_.fn())->routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].method, "POST");
  EXPECT_EQ(routes[0].path, "/sap/idoc/sap-ecc");
  EXPECT_EQ(routes[0].auth, RouteAuth::kListener);
  EXPECT_EQ(routes[0].max_body_bytes, 0u);  // the listener's http.max_body_bytes
}

TEST_F(IdocHttpTest, HttpInboundIsAPublishedBooleanKey) {
  const ConnectorType type = connector_type();
  auto key = std::find_if(type.config_keys.begin(), type.config_keys.end(),
                          [](const ConfigKey& k) { return k.name == "http_inbound"; });
  ASSERT_NE(key, type.config_keys.end());
  EXPECT_EQ(key->type, "boolean");
  EXPECT_EQ(key->default_value, true);
  EXPECT_FALSE(Registry::validate(type, {{"inbound_dir", "/x"}, {"http_inbound", "yes"}}, "sap-ecc")
                   .is_ok());
}

TEST_F(IdocHttpTest, PacketIsStoredWithRawRefsIntoItsArchiveFile) {
  serve_recording();
  const std::string body = packet();
  Reply r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "OK: 3 IDocs received, 3 stored, 0 quarantined\n");
  std::vector<RecordBatch> batches = committer_.batches();
  ASSERT_EQ(batches.size(), 1u);
  const RecordBatch& b = batches[0];
  EXPECT_EQ(docnums(b), kThree);
  EXPECT_TRUE(b.rejected.empty());
  EXPECT_TRUE(b.cursor.empty());
  const std::string archive = day_folder() + "/idoc-post-" + sha256_hex(body) + ".xml";
  EXPECT_EQ(archived_files(), std::vector<std::string>{archive});
  const std::string bytes = read_all(archive);
  EXPECT_EQ(bytes, body);
  for (const RawRecord& rec : b.records) {
    EXPECT_EQ(rec.entity, "INVOIC02");
    EXPECT_EQ(rec.version, rec.external_id);
    EXPECT_EQ(rec.source, archive);
    EXPECT_EQ(rec.raw_ref.file, archive);
    const std::string range = bytes.substr(rec.raw_ref.offset, rec.raw_ref.length);
    EXPECT_EQ(range, rec.raw);
    EXPECT_EQ(rec.raw_ref.sha256, sha256_hex(range));
    EXPECT_TRUE(range.starts_with("<IDOC BEGIN=\"1\">")) << range.substr(0, 40);
    EXPECT_TRUE(range.ends_with("</IDOC>"));
    EXPECT_NE(range.find("<DOCNUM>" + rec.external_id + "</DOCNUM>"), std::string::npos);
    EXPECT_EQ(rec.data.root().find("EDI_DC40").find("DOCNUM").text(), rec.external_id);
  }
}

TEST_F(IdocHttpTest, SingleIdocAsRootIsStored) {
  serve_recording();
  const std::string p = packet();
  const std::size_t a = p.find("<IDOC BEGIN");
  const std::size_t z = p.find("</IDOC>") + 7;
  Reply r = post("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + p.substr(a, z - a));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(docnums(committer_.batches().at(0)), std::vector<std::string>{kThree[0]});
}

TEST_F(IdocHttpTest, Latin1PostIsReadAsItsDeclarationSaysAndArchivedAsSent) {
  serve_recording();
  const std::string body = read_all(fixture("invoic02_latin1.xml"));
  Reply r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  const RawRecord rec = committer_.batches().at(0).records.at(0);
  EXPECT_EQ(rec.data.root().find("E1EDKA1").at(0).find("NAME1").text(),
            "M\xC3\xBCller Maschinenbau GmbH");  // UTF-8
  EXPECT_EQ(read_all(rec.raw_ref.file), body);  // the sender's bytes, ISO-8859-1
  EXPECT_NE(rec.raw.find("M\xFCller"), std::string::npos);
}

TEST_F(IdocHttpTest, AnswerWaitsForTheCommit) {
  serve_recording();
  committer_.hold();
  std::future<Reply> reply = std::async(std::launch::async, [&] { return post(packet()); });
  ASSERT_TRUE(committer_.wait_for_call(1));
  // The archive is written before the commit; the answer waits for it.
  EXPECT_EQ(archived_files().size(), 1u);
  EXPECT_EQ(reply.wait_for(300ms), std::future_status::timeout);
  committer_.release();
  ASSERT_EQ(reply.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(reply.get().status, 200);
}

TEST_F(IdocHttpTest, BadIdocInAPacketIsQuarantinedAndTheOthersStored) {
  serve_recording();
  const std::string body = packet_with_bad_second();
  Reply r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<RecordBatch> batches = committer_.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(docnums(batches[0]), (std::vector<std::string>{kThree[0], kThree[2]}));
  ASSERT_EQ(batches[0].rejected.size(), 1u);
  const RejectedRecord& bad = batches[0].rejected[0];
  EXPECT_EQ(bad.external_id, kThree[1]);
  EXPECT_EQ(bad.error.where().record, kThree[1]);
  EXPECT_EQ(bad.error.where().segment, "EDI_DC40");
  EXPECT_EQ(bad.error.where().field, "IDOCTYP");
  EXPECT_EQ(bad.error.where().file, day_folder() + "/idoc-post-" + sha256_hex(body) + ".xml");
  // Quarantined with exactly its bytes.
  const std::size_t start = body.find("<IDOC BEGIN", body.find("</IDOC>"));
  EXPECT_EQ(bad.raw, body.substr(start, body.find("</IDOC>", start) + 7 - start));
  EXPECT_NE(r.body.find("OK: 3 IDocs received, 2 stored, 1 quarantined\n"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("quarantined IDoc 0000000000451235: control record EDI_DC40 has no IDOCTYP "
                        "(line "),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("segment EDI_DC40, field IDOCTYP"), std::string::npos) << r.body;
}

TEST_F(IdocHttpTest, InvalidUtf8InAUtf8PostQuarantinesOnlyItsIdoc) {
  serve_recording();
  const std::string p = packet();
  const std::string body =
      replaced(p, "<BELNR>0090001235</BELNR>", "<BELNR>00900\xFF" "1235</BELNR>");
  Reply r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  RecordBatch b = committer_.batches().at(0);
  EXPECT_EQ(docnums(b), (std::vector<std::string>{kThree[0], kThree[2]}));
  ASSERT_EQ(b.rejected.size(), 1u);
  const Location& at = b.rejected[0].error.where();
  EXPECT_EQ(at.record, kThree[1]);
  EXPECT_EQ(at.segment, "E1EDK01");
  EXPECT_EQ(at.field, "BELNR");
  EXPECT_EQ(at.line, line_of(body, "00900\xFF"));
  EXPECT_NE(b.rejected[0].error.message().find("invalid UTF-8 at byte " +
                                               std::to_string(body.find('\xFF'))),
            std::string::npos)
      << b.rejected[0].error.message();
  EXPECT_NE(b.rejected[0].raw.find('\xFF'), std::string::npos);
}

TEST_F(IdocHttpTest, MalformedXmlIs400NamingLineIdocAndSegment) {
  serve_recording();
  const std::string body = read_all(fixture("invoic02_malformed.xml"));
  Reply r = post(body);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with("IDoc-XML refused, nothing was stored: malformed XML: Start-end "
                                 "tags mismatch at byte "))
      << r.body;
  EXPECT_NE(r.body.find("(line " + std::to_string(line_of(body, "</BELNRX>")) +
                        ", record 0000000000451235, segment E1EDK01, field BELNR)"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(committer_.calls(), 0);
  EXPECT_TRUE(archived_files().empty());
}

TEST_F(IdocHttpTest, TruncatedPostIs400AndNothingIsStored) {
  serve_recording();
  const std::string p = packet();
  Reply r = post(p.substr(0, p.find("<E1EDK01", p.find("0000000000451236"))));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("malformed XML"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("record 0000000000451236"), std::string::npos) << r.body;
  EXPECT_EQ(committer_.calls(), 0);
}

TEST_F(IdocHttpTest, DocumentsThatAreNotIdocXmlAre400) {
  serve_recording();
  const std::string p = packet();
  struct Case {
    std::string body;
    std::string says;
  } cases[] = {
      {"<INVOIC02>\n  <ORDER>1</ORDER>\n</INVOIC02>\n",
       "element <ORDER> in the root <INVOIC02>: an IDoc-XML document holds only <IDOC> elements "
       "there (line 2)"},
      {"<?xml version=\"1.0\"?>\n<INVOIC02/>\n",
       "no <IDOC> element in the root <INVOIC02>: not an IDoc-XML document (line 2)"},
      {"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
       "<soapenv:Body/></soapenv:Envelope>",
       "SOAP envelope"},
      {"EDI_DC40  1000000000000451234", "expected IDoc-XML, found a flat IDoc file"},
      {"{\"invoice\": 1}", "not an IDoc file"},
      {"  \r\n", "the body is empty"},
      {"<?xml version=\"1.0\" encoding=\"UTF-16\"?><INVOIC02/>", "unsupported XML encoding 'UTF-16'"},
      {p + "<INVOIC02/>", "a second root element <INVOIC02> after <INVOIC02>"},
  };
  for (const Case& c : cases) {
    Reply r = post(c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << r.body;
  }
  EXPECT_EQ(committer_.calls(), 0);
  EXPECT_TRUE(archived_files().empty());
}

TEST_F(IdocHttpTest, PostWithoutCredentialsIs401AndNotCommitted) {
  serve_recording();
  Reply r = post(packet(), /*authenticate=*/false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(committer_.calls(), 0);
  EXPECT_TRUE(archived_files().empty());
  EXPECT_EQ(post(packet()).status, 200);
}

TEST_F(IdocHttpTest, PostOverTheBodyLimitIs413AndNotCommitted) {
  connector_ = make(committer_.fn());
  serve(*connector_, /*max_body_bytes=*/4096);
  Reply r = post(packet());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(committer_.calls(), 0);
  EXPECT_TRUE(archived_files().empty());
}

TEST_F(IdocHttpTest, RetryableCommitFailureIs503AndTheRepostIsStored) {
  serve_recording();
  committer_.fail_with(Status(ErrorCode::kUnavailable, "store writer is stopping", {}, true));
  Reply r = post(packet());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.retry_after, "30");
  EXPECT_EQ(r.body, "IDocs not stored, send them again: unavailable: store writer is stopping\n");
  // The archive holds the whole body under its final name, nothing else:
  // no temporary file, nothing a re-post could trip over.
  ASSERT_EQ(archived_files().size(), 1u);
  EXPECT_EQ(read_all(archived_files()[0]), packet());

  committer_.fail_with(std::nullopt);
  Reply again = post(packet());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(archived_files().size(), 1u);
  std::vector<RecordBatch> batches = committer_.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(docnums(batches[0]), kThree);
  for (const RawRecord& rec : batches[0].records) EXPECT_EQ(rec.raw_ref.file, archived_files()[0]);
}

TEST_F(IdocHttpTest, OtherCommitFailureIs500) {
  serve_recording();
  committer_.fail_with(Status(ErrorCode::kInternal, "mapping set not loaded"));
  Reply r = post(packet());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.retry_after, "");
  EXPECT_NE(r.body.find("mapping set not loaded"), std::string::npos);
}

TEST_F(IdocHttpTest, ArchiveThatCannotBeWrittenIs503AndNotCommitted) {
  serve_recording();
  fs::create_directories(tmp_ / "work/archive/2026/11");
  testing::write_all(day_folder(), "a file where the day's folder belongs");
  Reply r = post(packet());
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("cannot create archive folder"), std::string::npos) << r.body;
  EXPECT_EQ(committer_.calls(), 0);
}

TEST_F(IdocHttpTest, RepostBuildsAnIdenticalBatch) {
  serve_recording();
  const std::string body = packet_with_bad_second();
  ASSERT_EQ(post(body).status, 200);
  ASSERT_EQ(post(body).status, 200);
  std::vector<RecordBatch> b = committer_.batches();
  ASSERT_EQ(b.size(), 2u);
  ASSERT_EQ(b[0].records.size(), b[1].records.size());
  for (std::size_t i = 0; i < b[0].records.size(); ++i) {
    const RawRecord& x = b[0].records[i];
    const RawRecord& y = b[1].records[i];
    EXPECT_EQ(x.entity, y.entity);
    EXPECT_EQ(x.external_id, y.external_id);
    EXPECT_EQ(x.version, y.version);
    EXPECT_EQ(x.source, y.source);
    EXPECT_EQ(x.raw_ref.file, y.raw_ref.file);
    EXPECT_EQ(x.raw_ref.offset, y.raw_ref.offset);
    EXPECT_EQ(x.raw_ref.length, y.raw_ref.length);
    EXPECT_EQ(x.raw_ref.sha256, y.raw_ref.sha256);
    EXPECT_EQ(x.raw, y.raw);
    EXPECT_EQ(x.data.to_json_text(), y.data.to_json_text());
  }
  ASSERT_EQ(b[1].rejected.size(), 1u);
  EXPECT_EQ(b[0].rejected[0].external_id, b[1].rejected[0].external_id);
  EXPECT_EQ(b[0].rejected[0].error.to_string(), b[1].rejected[0].error.to_string());
  EXPECT_EQ(b[0].rejected[0].raw, b[1].rejected[0].raw);
  EXPECT_EQ(archived_files().size(), 1u);
}

TEST_F(IdocHttpTest, ConcurrentPostsOfOneBodyShareOneArchiveFile) {
  serve_recording();
  const std::string body = packet();
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 8; ++i) {
    replies.push_back(std::async(std::launch::async, [&] { return post(body); }));
  }
  for (auto& r : replies) EXPECT_EQ(r.get().status, 200);
  EXPECT_EQ(committer_.batches().size(), 8u);
  EXPECT_EQ(archived_files().size(), 1u);
}

// ctx.commit as the engine will give it, minus the engine: each record
// mapped with the shipped mapping, rejected ones quarantined, the batch
// committed by a real StoreWriter into SQLite.
class StoreCommitter {
 public:
  explicit StoreCommitter(const std::string& db, const Clock& clock)
      : mappings_(mapping::MappingSet::load_dir(std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc")
                      .value()),
        writer_(store::open_sqlite_store({db}).value(), clock),
        clock_(clock) {}

  Result<CommitSummary> commit(RecordBatch batch) {
    store::DocumentBatch out;
    out.system = "sap-ecc";
    out.cursor_key = "http";
    CommitSummary summary;
    summary.records = batch.records.size() + batch.rejected.size();
    for (RawRecord& rec : batch.records) {
      const mapping::Mapping* m = mappings_.find(rec.entity);
      if (m == nullptr) return Status(ErrorCode::kMappingError, "no mapping for " + rec.entity);
      Result<Document> doc =
          m->apply(rec.data, {"sap-ecc", rec.entity, rec.external_id, rec.version, rec.source});
      if (!doc.is_ok()) return doc.status();
      doc->raw_ref = rec.raw_ref;
      out.documents.push_back(std::move(*doc));
    }
    for (RejectedRecord& rej : batch.rejected) {
      out.quarantined.push_back(
          testing::quarantine_entry(std::move(rej), "sap-ecc", clock_.now()));
    }
    Result<store::BatchOutcome> done = writer_.submit(std::move(out)).get();
    if (!done.is_ok()) return done.status();
    summary.stored = done->inserted + done->updated + done->unchanged;
    summary.quarantined = done->quarantined;
    outcomes.push_back(*done);
    return summary;
  }

  std::vector<store::BatchOutcome> outcomes;  // one thread posts in this test

 private:
  mapping::MappingSet mappings_;
  engine::StoreWriter writer_;
  const Clock& clock_;
};

TEST_F(IdocHttpTest, RepostThroughARealStoreIsStoredOnce) {
  StoreCommitter store(tmp_ / "arsync.db", clock_);
  connector_ = make([&](RecordBatch b) { return store.commit(std::move(b)); });
  serve(*connector_);
  const std::string body = packet_with_bad_second();
  Reply first = post(body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("OK: 3 IDocs received, 2 stored, 1 quarantined\n"), std::string::npos)
      << first.body;
  Reply again = post(body);
  ASSERT_EQ(again.status, 200) << again.body;
  ASSERT_EQ(store.outcomes.size(), 2u);
  EXPECT_EQ(store.outcomes[0].inserted, 2u);
  EXPECT_EQ(store.outcomes[1].inserted, 0u);
  EXPECT_EQ(store.outcomes[1].updated, 0u);
  EXPECT_EQ(store.outcomes[1].unchanged, 2u);

  auto reader = store::open_sqlite_store({tmp_ / "arsync.db"}).value();
  auto docs = reader->list_documents("sap-ecc", std::nullopt, 100).value();
  ASSERT_EQ(docs.size(), 2u);
  const std::string archive = day_folder() + "/idoc-post-" + sha256_hex(body) + ".xml";
  const std::string bytes = read_all(archive);
  for (const Document& d : docs) {
    EXPECT_EQ(d.raw_ref.file, archive);
    EXPECT_EQ(sha256_hex(bytes.substr(d.raw_ref.offset, d.raw_ref.length)), d.raw_ref.sha256);
  }
  auto quarantined = reader->list_quarantine(100).value();
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_EQ(quarantined[0].external_id, kThree[1]);
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
