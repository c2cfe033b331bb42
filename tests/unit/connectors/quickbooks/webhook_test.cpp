// The QuickBooks webhook route and inbox: real files in a temp folder, the
// route's handler called with HttpRequests, and the real qbo_emulator
// posting signed notifications to a Poco HTTP server on loopback.
#include "webhook.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "emulator_process.h"

namespace qb = arsync::connectors::quickbooks;
using arsync::HttpRequest;
using arsync::HttpResponse;

namespace {

constexpr const char* kRealm = "9341453050298464";
constexpr const char* kToken = "verifier-7c1f";

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "qbo_webhook_XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string sign(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  out.resize(static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac,
                                                 static_cast<int>(len))));
  return out;
}

std::string legacy_body(const std::string& realm, const std::string& id = "130") {
  return R"({"eventNotifications":[{"realmId":")" + realm +
         R"(","dataChangeEvent":{"entities":[{"name":"Invoice","id":")" + id +
         R"(","operation":"Update","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]})";
}

std::string cloudevents_body(const std::string& realm) {
  return R"([{"specversion":"1.0","id":"88cd52aa-33b6-4351-9aa4-47572edbd068",)"
         R"("source":"intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",)"
         R"("type":"qbo.creditmemo.created.v1","datacontenttype":"application/json",)"
         R"("time":"2025-09-10T21:31:25.179851517Z","intuitentityid":"73",)"
         R"("intuitaccountid":")" +
         realm + R"(","data":{}}])";
}

HttpRequest post(const std::string& body, std::optional<std::string> signature) {
  HttpRequest r;
  r.method = "POST";
  r.path = qb::webhook_path("qbo-us");
  r.body = body;
  r.remote_address = "127.0.0.1:50000";
  r.headers.push_back({"Content-Type", "application/json"});
  if (signature) r.headers.push_back({"Intuit-Signature", *signature});
  return r;
}

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = qb::WebhookInbox::open(tmp_.path() + "/webhooks");
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    inbox_ = opened.value();
    route_ = qb::webhook_route(options());
  }
  qb::WebhookOptions options() {
    qb::WebhookOptions o;
    o.system = "qbo-us";
    o.realm_id = kRealm;
    o.verifier_token = kToken;
    o.inbox = inbox_;
    o.wake = [this] { ++wakes_; };
    return o;
  }
  std::vector<qb::WebhookEvent> pending() {
    auto snap = inbox_->pending();
    EXPECT_TRUE(snap.is_ok()) << snap.status().to_string();
    return snap.is_ok() ? snap.value().events : std::vector<qb::WebhookEvent>{};
  }

  TempDir tmp_;
  std::shared_ptr<qb::WebhookInbox> inbox_;
  arsync::HttpRoute route_;
  std::atomic<int> wakes_{0};
};

TEST_F(WebhookTest, RouteIsPostUnderSystemWithOwnAuth) {
  EXPECT_EQ(route_.method, "POST");
  EXPECT_EQ(route_.path, "/quickbooks/webhook/qbo-us");
  EXPECT_EQ(route_.auth, arsync::RouteAuth::kRoute);
}

TEST_F(WebhookTest, SignedLegacyPostIsQueuedDurablyAndWakes) {
  const std::string body = legacy_body(kRealm);
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(wakes_, 1);
  EXPECT_EQ(files_in(inbox_->dir()), 1u);
  const auto events = pending();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].realm_id, kRealm);
  EXPECT_EQ(events[0].entity, "Invoice");
  EXPECT_EQ(events[0].id, "130");
  EXPECT_EQ(events[0].operation, "Update");
  EXPECT_EQ(events[0].last_updated, "2015-10-05T14:42:19-0700");
}

TEST_F(WebhookTest, SignedCloudEventsPostIsQueued) {
  const std::string body = cloudevents_body(kRealm);
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 200) << r.body;
  const auto events = pending();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].entity, "CreditMemo");
  EXPECT_EQ(events[0].id, "73");
  EXPECT_EQ(events[0].operation, "Create");
  EXPECT_EQ(events[0].realm_id, kRealm);
  EXPECT_EQ(events[0].last_updated, "2025-09-10T21:31:25.179851517Z");
}

TEST_F(WebhookTest, WrongSignatureIs401AndQueuesNothing) {
  const std::string body = legacy_body(kRealm);
  const HttpResponse r = route_.handle(post(body, sign("another-token", body)));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(wakes_, 0);
  EXPECT_EQ(files_in(inbox_->dir()), 0u);
}

TEST_F(WebhookTest, SignatureOfAnotherBodyIs401) {
  const std::string body = legacy_body(kRealm);
  const HttpResponse r = route_.handle(post(body, sign(kToken, legacy_body(kRealm, "131"))));
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(pending().empty());
}

TEST_F(WebhookTest, MissingSignatureIs401AndQueuesNothing) {
  const HttpResponse r = route_.handle(post(legacy_body(kRealm), std::nullopt));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(files_in(inbox_->dir()), 0u);
}

TEST_F(WebhookTest, NoVerifierTokenRefusesEvenEmptyKeySignature) {
  qb::WebhookOptions o = options();
  o.verifier_token.clear();
  const arsync::HttpRoute route = qb::webhook_route(o);
  const std::string body = legacy_body(kRealm);
  EXPECT_EQ(route.handle(post(body, sign("", body))).status, 401);
  EXPECT_EQ(files_in(inbox_->dir()), 0u);
}

TEST_F(WebhookTest, OtherRealmIsIgnoredWith200) {
  const std::string body = legacy_body("1111222233334444");
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(wakes_, 0);
  EXPECT_TRUE(pending().empty());
}

TEST_F(WebhookTest, MixedRealmsKeepOnlyOurs) {
  const std::string body =
      R"({"eventNotifications":[{"realmId":"1111","dataChangeEvent":{"entities":[{"name":"Invoice","id":"1","operation":"Create"}]}},)"
      R"({"realmId":")" + std::string(kRealm) +
      R"(","dataChangeEvent":{"entities":[{"name":"Payment","id":"241","operation":"Delete","lastUpdated":"2026-11-25T10:00:00.000Z"}]}}]})";
  ASSERT_EQ(route_.handle(post(body, sign(kToken, body))).status, 200);
  const auto events = pending();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].entity, "Payment");
  EXPECT_EQ(events[0].operation, "Delete");
}

TEST_F(WebhookTest, MalformedJsonIs400) {
  const std::string body = R"({"eventNotifications":[{"realmId":)";
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not JSON"), std::string::npos) << r.body;
  EXPECT_EQ(files_in(inbox_->dir()), 0u);
}

TEST_F(WebhookTest, JsonOfNeitherShapeIs400) {
  const std::string body = R"({"hello":"world"})";
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("neither"), std::string::npos) << r.body;
}

TEST_F(WebhookTest, EntityWithoutIdIs400NamingWhere) {
  const std::string body = R"({"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Invoice","operation":"Create"}]}}]})";
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("eventNotifications[0].dataChangeEvent.entities[0]: no id"), std::string::npos) << r.body;
}

TEST_F(WebhookTest, CloudEventWithBadTypeIs400) {
  const std::string body = R"([{"specversion":"1.0","type":"com.example.thing","intuitentityid":"1","intuitaccountid":"2"}])";
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("[0].type"), std::string::npos) << r.body;
}

TEST_F(WebhookTest, ReopenedInboxSeesAcceptedEvents) {
  const std::string a = legacy_body(kRealm, "130");
  const std::string b = cloudevents_body(kRealm);
  ASSERT_EQ(route_.handle(post(a, sign(kToken, a))).status, 200);
  ASSERT_EQ(route_.handle(post(b, sign(kToken, b))).status, 200);
  // A crash: the process is gone, a half-written post is left behind.
  const std::string dir = inbox_->dir();
  route_ = {};
  inbox_.reset();
  std::ofstream(dir + "/00000000000000000003.tmp") << "{\"events\":[";
  auto reopened = qb::WebhookInbox::open(dir);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  auto snap = reopened.value()->pending();
  ASSERT_TRUE(snap.is_ok());
  ASSERT_EQ(snap.value().events.size(), 2u);
  EXPECT_EQ(snap.value().events[0].id, "130");
  EXPECT_EQ(snap.value().events[1].id, "73");
  EXPECT_FALSE(std::filesystem::exists(dir + "/00000000000000000003.tmp"));
  // Numbering goes on after the files already there.
  ASSERT_TRUE(reopened.value()->add({{kRealm, "Invoice", "5", "Create", "", ""}}).is_ok());
  ASSERT_TRUE(reopened.value()->consume(snap.value().through).is_ok());
  auto after = reopened.value()->pending();
  ASSERT_TRUE(after.is_ok());
  ASSERT_EQ(after.value().events.size(), 1u);
  EXPECT_EQ(after.value().events[0].id, "5");
}

TEST_F(WebhookTest, ConsumeDeletesOnlyWhatTheSnapshotCovered) {
  const std::string a = legacy_body(kRealm, "1");
  ASSERT_EQ(route_.handle(post(a, sign(kToken, a))).status, 200);
  auto snap = inbox_->pending();
  ASSERT_TRUE(snap.is_ok());
  const std::string b = legacy_body(kRealm, "2");
  ASSERT_EQ(route_.handle(post(b, sign(kToken, b))).status, 200);
  ASSERT_TRUE(inbox_->consume(snap.value().through).is_ok());
  const auto left = pending();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, "2");
}

TEST_F(WebhookTest, UnreadableFileIsSetAsideAndCounted) {
  std::ofstream(inbox_->dir() + "/00000000000000000001.json") << "garbage";
  auto reopened = qb::WebhookInbox::open(inbox_->dir());
  ASSERT_TRUE(reopened.is_ok());
  ASSERT_TRUE(reopened.value()->add({{kRealm, "Invoice", "9", "Update", "", ""}}).is_ok());
  auto snap = reopened.value()->pending();
  ASSERT_TRUE(snap.is_ok());
  EXPECT_EQ(snap.value().bad_files, 1u);
  ASSERT_EQ(snap.value().events.size(), 1u);
  EXPECT_EQ(snap.value().events[0].id, "9");
  EXPECT_TRUE(std::filesystem::exists(inbox_->dir() + "/00000000000000000001.json.bad"));
}

TEST_F(WebhookTest, UnwritableInboxIs503) {
  // The folder gone (a disk unmounted under the daemon): nothing can be
  // made durable, so Intuit must send again.
  std::filesystem::remove_all(inbox_->dir());
  const std::string body = legacy_body(kRealm);
  const HttpResponse r = route_.handle(post(body, sign(kToken, body)));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(wakes_, 0);
}

TEST(WebhookSignature, MatchesIntuitsDefinition) {
  // base64(HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")), the
  // well-known HMAC-SHA256 example value f7bc83f4...2d1a3cd8.
  EXPECT_TRUE(qb::webhook_signature_valid("key", "The quick brown fox jumps over the lazy dog",
                                          "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="));
  EXPECT_FALSE(qb::webhook_signature_valid("key", "The quick brown fox jumps over the lazy dog",
                                           "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNh="));
  EXPECT_FALSE(qb::webhook_signature_valid("key", "x", ""));
}

// A Poco server on loopback whose one handler is the route's.
class RouteHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RouteHandler(const arsync::HttpRoute* route) : route_(route) {}
  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    HttpRequest req;
    req.method = in.getMethod();
    req.path = in.getURI();
    for (const auto& [name, value] : in) req.headers.push_back({name, value});
    std::ostringstream body;
    Poco::StreamCopier::copyStream(in.stream(), body);
    req.body = body.str();
    req.remote_address = in.clientAddress().toString();
    const HttpResponse r = route_->handle(req);
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    out.setContentLength(static_cast<std::streamsize>(r.body.size()));
    out.send() << r.body;
  }

 private:
  const arsync::HttpRoute* route_;
};

class RouteFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RouteFactory(const arsync::HttpRoute* route) : route_(route) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(route_);
  }

 private:
  const arsync::HttpRoute* route_;
};

TEST_F(WebhookTest, EmulatorPostsSignedWebhookThatIsQueued) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const uint16_t port = socket.address().port();
  Poco::Net::HTTPServer server(new RouteFactory(&route_), socket, new Poco::Net::HTTPServerParams);
  server.start();
  arsync::testing::EmulatorProcess emu(
      QBO_EMULATOR_BIN,
      {"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "AT", "--refresh-token", "RT",
       "--client-id", "CID", "--client-secret", "SECRET", "--fixtures", QBO_FIXTURES_DIR, "--webhook-url",
       "http://127.0.0.1:" + std::to_string(port) + qb::webhook_path("qbo-us"), "--verifier-token", kToken});

  Poco::Net::HTTPClientSession session(emu.host(), emu.port());
  const std::string body = R"({"CustomerRef":{"value":"1"},"Line":[{"Amount":10.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]})";
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST,
                             "/v3/company/" + std::string(kRealm) + "/invoice?minorversion=75",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer AT");
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::ostringstream answer;
  Poco::StreamCopier::copyStream(session.receiveResponse(resp), answer);
  ASSERT_EQ(resp.getStatus(), Poco::Net::HTTPResponse::HTTP_OK) << answer.str();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<qb::WebhookEvent> events;
  while (events.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    events = pending();
  }
  server.stop();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].realm_id, kRealm);
  EXPECT_EQ(events[0].entity, "Invoice");
  EXPECT_EQ(events[0].operation, "Create");
  EXPECT_FALSE(events[0].id.empty());
  EXPECT_FALSE(events[0].last_updated.empty());
  EXPECT_GE(wakes_, 1);
}

}  // namespace
