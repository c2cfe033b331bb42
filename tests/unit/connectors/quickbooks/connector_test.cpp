// The quickbooks connector against the QuickBooks Online emulator over real
// HTTP on loopback, with its tokens in a real credential vault (SQLite):
// full loads past the first 1000 rows, CDC updates and deletions, the
// 30-day fallback, 429 storms with and without the governor, token
// rotation across a restart, invalid_grant, an access token refused early.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "arsync/net/http_client.h"
#include "arsync/net/oauth2.h"
#include "arsync/store/credential_vault.h"
#include "connector/registry.h"
#include "quickbooks.h"
#include "webhook.h"
#include "../../../emulators/emulator_process.h"

namespace arsync::connectors::quickbooks {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRealm = "9341453050298464";

// Everything a pull delivered, as a sink that commits at once.
class CollectingSink final : public RecordSink {
 public:
  Status accept(RecordBatch batch) override {
    ++batches;
    for (RawRecord& r : batch.records) {
      ++records;
      by_entity[r.entity][r.external_id] = r.version;
      if (r.entity == "Payment") payments.push_back(r.data.to_json_text());
    }
    for (DeletedRecord& d : batch.deletions) deleted.push_back(d.entity + " " + d.external_id);
    rejected += batch.rejected.size();
    cursor = batch.cursor;
    return Status::ok();
  }
  int batches = 0;
  std::size_t records = 0, rejected = 0;
  std::map<std::string, std::map<std::string, std::string>> by_entity;  // entity -> id -> SyncToken
  std::vector<std::string> deleted, payments;
  std::string cursor;
};

class QboConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arsync-qbo-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store::CredentialKey::Bytes key;
    key.fill(0x5a);
    auto vault = store::CredentialVault::open((dir_ / "arsync.db").string(), store::CredentialKey(key), clock_);
    ASSERT_TRUE(vault.is_ok()) << vault.status().to_string();
    vault_ = std::move(vault).value();
    handle_ = vault_->handle("qbo-us");
  }
  void TearDown() override {
    handle_.reset();
    vault_.reset();
    fs::remove_all(dir_);
  }

  void start_emulator(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "AT",
                                     "--refresh-token", "RT", "--client-id", "cid", "--client-secret", "secret"};
    args.insert(args.end(), extra.begin(), extra.end());
    emulator_ = std::make_unique<testing::EmulatorProcess>(QBO_EMULATOR_BIN, args);
  }

  nlohmann::json settings(nlohmann::json more = nlohmann::json::object()) {
    nlohmann::json s = {{"realm_id", kRealm},
                        {"base_url", emulator_->base_url()},
                        {"token_url", emulator_->base_url() + "/oauth2/v1/tokens/bearer"},
                        {"client_id", "cid"}};
    s.update(more);
    return s;
  }

  ConnectorContext context(nlohmann::json s, std::string refresh_token = "RT") {
    Result<nlohmann::json> valid = Registry::validate(connector_type(), s, "qbo-us");
    EXPECT_TRUE(valid.is_ok()) << valid.status().to_string();
    ConnectorContext ctx;
    ctx.system = "qbo-us";
    ctx.settings = valid.is_ok() ? valid.value() : nlohmann::json::object();
    ctx.clock = &clock_;
    ctx.credentials = handle_.get();
    ctx.secrets = {{"client_secret", "secret"}};
    if (!refresh_token.empty()) ctx.secrets["refresh_token"] = refresh_token;
    return ctx;
  }

  std::unique_ptr<Connector> connector(nlohmann::json s, std::string refresh_token = "RT") {
    Result<std::unique_ptr<Connector>> c = connector_type().create(context(std::move(s), std::move(refresh_token)));
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return c.is_ok() ? std::move(c).value() : nullptr;
  }

  // A call to the emulator's API with its starting access token, as another
  // QuickBooks user would make it.
  nlohmann::json call(const std::string& method, const std::string& target, const std::string& body = "") {
    net::ClientOptions o;
    o.base_url = emulator_->base_url();
    net::HttpClient http(o);
    net::ClientRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = {{"Authorization", "Bearer AT"}, {"Accept", "application/json"},
                 {"Content-Type", "application/json"}};
    Result<net::ClientResponse> got = http.send(r);
    EXPECT_TRUE(got.is_ok()) << got.status().to_string();
    return got.is_ok() ? nlohmann::json::parse(got.value().body) : nlohmann::json();
  }
  long long count(const std::string& entity) {
    return call("GET", std::string("/v3/company/") + kRealm + "/query?query=" +
                           net::url_encode("select count(*) from " + entity))["QueryResponse"]["totalCount"];
  }
  nlohmann::json emulator_stats() { return call("GET", "/__emulator/stats"); }
  std::string stored_refresh_token() {
    auto v = handle_->get(net::TokenKeeper::kCredentialName);
    return v.is_ok() && v.value() ? net::TokenKeeper::from_text(*v.value()).value().refresh_token : "";
  }

  fs::path dir_;
  SystemClock clock_;
  std::unique_ptr<store::CredentialVault> vault_;
  std::unique_ptr<CredentialHandle> handle_;
  std::unique_ptr<testing::EmulatorProcess> emulator_;
};

TEST_F(QboConnectorTest, AFullLoadPagesPastTheFirstThousandRowsAndEndsInCdc) {
  start_emulator({"--invoices", "2600"});
  auto c = connector(settings());
  CollectingSink sink;
  Status s = c->pull("", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(static_cast<long long>(sink.by_entity["Invoice"].size()), count("Invoice"));
  EXPECT_GE(sink.by_entity["Invoice"].size(), 2600u);
  EXPECT_EQ(static_cast<long long>(sink.by_entity["Payment"].size()), count("Payment"));
  EXPECT_EQ(static_cast<long long>(sink.by_entity["CreditMemo"].size()), count("CreditMemo"));
  EXPECT_EQ(sink.rejected, 0u);
  const nlohmann::json cursor = nlohmann::json::parse(sink.cursor);
  for (const auto& [entity, state] : cursor["entities"].items()) {
    EXPECT_EQ(state["mode"], "cdc") << entity;
  }
  // Every payment's applications name their invoice by number.
  ASSERT_FALSE(sink.payments.empty());
  for (const std::string& p : sink.payments) {
    const nlohmann::json j = nlohmann::json::parse(p);
    for (const auto& line : j["Line"]) {
      for (const auto& linked : line["LinkedTxn"]) EXPECT_TRUE(linked.contains("TxnDocNumber")) << p;
    }
  }
  EXPECT_EQ(stored_refresh_token().empty(), false);
  EXPECT_NE(stored_refresh_token(), "RT") << "the first refresh rotated the token and stored the new one";
}

TEST_F(QboConnectorTest, CdcBringsUpdatesAndDeletionsAfterTheLoad) {
  start_emulator({"--invoices", "50"});
  // No overlap: the generated company's changes all lie in the last minutes.
  auto c = connector(settings({{"overlap_seconds", 0}}));
  CollectingSink load;
  ASSERT_TRUE(c->pull("", load).is_ok());
  const std::string path = std::string("/v3/company/") + kRealm;
  // Another user edits one invoice and creates and deletes another.
  const nlohmann::json first = call("GET", path + "/invoice/" + load.by_entity["Invoice"].begin()->first)["Invoice"];
  const nlohmann::json updated =
      call("POST", path + "/invoice",
           nlohmann::json{{"Id", first["Id"]}, {"SyncToken", first["SyncToken"]}, {"sparse", true},
                          {"PrivateNote", "disputed"}}
               .dump())["Invoice"];
  const nlohmann::json created =
      call("POST", path + "/invoice",
           R"({"CustomerRef":{"value":")" + first["CustomerRef"]["value"].get<std::string>() +
               R"("},"Line":[{"Amount":10.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]})")
          ["Invoice"];
  call("POST", path + "/invoice?operation=delete",
       nlohmann::json{{"Id", created["Id"]}, {"SyncToken", created["SyncToken"]}}.dump());

  CollectingSink changes;
  Status s = c->pull(load.cursor, changes);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(changes.by_entity["Invoice"][first["Id"].get<std::string>()], updated["SyncToken"].get<std::string>());
  EXPECT_NE(std::find(changes.deleted.begin(), changes.deleted.end(), "Invoice " + created["Id"].get<std::string>()),
            changes.deleted.end());
  EXPECT_LT(changes.records, load.records) << "an increment, not a reload";
}

TEST_F(QboConnectorTest, ACursorOlderThanTheCdcWindowCatchesUpByQuery) {
  start_emulator({"--invoices", "30"});
  auto c = connector(settings());
  const std::string old = "2026-01-01T00:00:00+00:00";  // far beyond 30 days
  nlohmann::json cursor = {{"v", 1}, {"entities", nlohmann::json::object()}};
  for (const char* e : {"Invoice", "CreditMemo", "RefundReceipt", "Payment"}) {
    cursor["entities"][e] = {{"mode", "cdc"}, {"since", old}};
  }
  CollectingSink sink;
  Status s = c->pull(cursor.dump(), sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string() << " (the emulator refuses CDC older than 30 days, as Intuit does)";
  EXPECT_EQ(static_cast<long long>(sink.by_entity["Invoice"].size()), count("Invoice"));
  EXPECT_EQ(nlohmann::json::parse(sink.cursor)["entities"]["Invoice"]["mode"], "cdc");
}

TEST_F(QboConnectorTest, A429StormFailsNothing) {
  start_emulator({"--invoices", "1200", "--rate", "4", "--rate-window-ms", "1000"});
  auto c = connector(settings({{"page_size", 200}, {"requests_per_window", 0}}));
  CollectingSink sink;
  Status s = c->pull("", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(static_cast<long long>(sink.by_entity["Invoice"].size()), count("Invoice"));
  EXPECT_GT(emulator_stats()["throttled"].get<int>(), 0) << "the storm happened";
}

TEST_F(QboConnectorTest, TheGovernorKeepsUnderTheRealmsLimit) {
  start_emulator({"--invoices", "1200", "--rate", "4", "--rate-window-ms", "1000"});
  auto c = connector(settings({{"page_size", 200}, {"requests_per_window", 4}, {"rate_window_seconds", 1}}));
  CollectingSink sink;
  Status s = c->pull("", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const nlohmann::json served = emulator_stats();  // before this test's own calls
  EXPECT_EQ(served["throttled"].get<int>(), 0);
  EXPECT_GT(served["api_requests"].get<int>(), 8);
  EXPECT_EQ(static_cast<long long>(sink.by_entity["Invoice"].size()), count("Invoice"));
}

TEST_F(QboConnectorTest, ARotatedTokenSurvivesARestart) {
  start_emulator({"--invoices", "5"});
  {
    auto first = connector(settings());
    CollectingSink sink;
    ASSERT_TRUE(first->pull("", sink).is_ok());
  }
  const std::string rotated = stored_refresh_token();
  ASSERT_NE(rotated, "RT");
  // A new process: the secrets file still says RT, which the server now
  // refuses (invalid_grant); the stored, rotated token must win.
  auto second = connector(settings());
  Status s = second->check();
  EXPECT_TRUE(s.is_ok()) << s.to_string();
}

TEST_F(QboConnectorTest, InvalidGrantStopsThePullWithAnAuthErrorThatIsNotRetried) {
  start_emulator({"--invoices", "5"});
  auto c = connector(settings(), "revoked-long-ago");
  CollectingSink sink;
  Status s = c->pull("", sink);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), ErrorCode::kAuthError);
  EXPECT_FALSE(s.retryable());
  EXPECT_NE(s.message().find("invalid_grant"), std::string::npos) << s.message();
  EXPECT_EQ(sink.records, 0u);
  EXPECT_EQ(stored_refresh_token(), "revoked-long-ago") << "nothing empty or new was stored";
}

TEST_F(QboConnectorTest, AnAccessTokenRefusedBeforeItsExpiryIsRefreshedOnce) {
  start_emulator({"--invoices", "5", "--access-token-ttl", "1"});
  // Stored: the emulator's AT, believed valid for an hour; the server
  // expires it after a second.
  net::TokenState state{"AT", clock_.now() + 3600s, "RT", clock_.now() + 86400s};
  ASSERT_TRUE(handle_->put(net::TokenKeeper::kCredentialName, net::TokenKeeper::to_text(state)).is_ok());
  std::this_thread::sleep_for(1500ms);
  auto c = connector(settings(), "");
  CollectingSink sink;
  Status s = c->pull("", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(sink.by_entity["Invoice"].size(), 5u) << "the emulator generated five";
  EXPECT_NE(stored_refresh_token(), "RT");
}

TEST_F(QboConnectorTest, WithAVerifierTokenItServesTheWebhookAndAPullConsumesQueuedEvents) {
  start_emulator({"--invoices", "3"});
  const std::string state = (dir_ / "state").string();
  fs::create_directories(state);
  {
    // Events a previous run accepted and did not get to pull.
    auto inbox = WebhookInbox::open(state + "/webhooks");
    ASSERT_TRUE(inbox.is_ok());
    ASSERT_TRUE(inbox.value()->add({{kRealm, "Invoice", "1", "Update", "2026-12-01T10:00:00-0800", ""}}).is_ok());
  }
  ConnectorContext ctx = context(settings());
  ctx.state_dir = state;
  ctx.secrets["webhook_verifier_token"] = "verifier";
  Result<std::unique_ptr<Connector>> c = connector_type().create(ctx);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  const std::vector<HttpRoute> routes = c.value()->routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].path, "/quickbooks/webhook/qbo-us");
  EXPECT_EQ(routes[0].auth, RouteAuth::kRoute);
  HttpRequest forged;
  forged.method = "POST";
  forged.path = routes[0].path;
  forged.body = R"({"eventNotifications":[]})";
  forged.headers = {{"intuit-signature", "bm90IGEgc2lnbmF0dXJl"}};
  EXPECT_EQ(routes[0].handle(forged).status, 401);

  auto pending = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(state + "/webhooks")) n += e.is_regular_file();
    return n;
  };
  EXPECT_EQ(pending(), 1u);
  CollectingSink sink;
  ASSERT_TRUE(c.value()->pull("", sink).is_ok());
  EXPECT_EQ(pending(), 0u) << "the pull covered the queued events";

  ConnectorContext without = context(settings());
  without.state_dir = state;
  EXPECT_TRUE(connector_type().create(without).value()->routes().empty()) << "no verifier token, no route";
}

// What a browser's address bar shows after the consent: the redirect URI
// with the code, the consent's own state and the realm.
std::string redirected(const std::string& consent_text, const std::string& code, const std::string& realm) {
  const std::size_t at = consent_text.find("state=");
  std::string state = consent_text.substr(at + 6);
  state = state.substr(0, state.find_first_of("&\n "));
  return "https://arsync.example.com/callback?code=" + code + "&state=" + state + "&realmId=" + realm;
}

TEST_F(QboConnectorTest, AuthorizeExchangesThePastedRedirectAndStoresTokensThatWork) {
  start_emulator({"--invoices", "3", "--auth-code", "consent-1"});
  const nlohmann::json s = settings({{"redirect_uri", "https://arsync.example.com/callback"}});
  std::string shown;
  Status st = connector_type().authorize(context(s, ""), [&](const std::string& text) {
    shown = text;
    return redirected(text, "consent-1", kRealm);
  });
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_NE(shown.find("https://appcenter.intuit.com/connect/oauth2?client_id=cid&response_type=code"), std::string::npos) << shown;
  EXPECT_NE(shown.find("redirect_uri=https%3A%2F%2Farsync.example.com%2Fcallback"), std::string::npos) << shown;
  EXPECT_FALSE(stored_refresh_token().empty());
  auto c = connector(s, "");
  CollectingSink sink;
  Status pulled = c->pull("", sink);
  ASSERT_TRUE(pulled.is_ok()) << pulled.to_string();
  EXPECT_EQ(sink.by_entity["Invoice"].size(), 3u);
}

TEST_F(QboConnectorTest, AuthorizeRefusesAnotherConsentsAnswerAnotherRealmAndNoRedirectUri) {
  start_emulator({"--auth-code", "consent-1"});
  const nlohmann::json s = settings({{"redirect_uri", "https://arsync.example.com/callback"}});
  Status other_state = connector_type().authorize(context(s, ""), [](const std::string&) {
    return std::string("https://arsync.example.com/callback?code=consent-1&state=forged&realmId=") + kRealm;
  });
  EXPECT_EQ(other_state.code(), ErrorCode::kAuthError);
  EXPECT_NE(other_state.message().find("another consent"), std::string::npos) << other_state.message();
  Status other_realm = connector_type().authorize(context(s, ""), [](const std::string& text) {
    return redirected(text, "consent-1", "123");
  });
  EXPECT_NE(other_realm.message().find("realm 123"), std::string::npos) << other_realm.message();
  Status denied = connector_type().authorize(context(s, ""), [](const std::string&) {
    return std::string("https://arsync.example.com/callback?error=access_denied&state=x");
  });
  EXPECT_NE(denied.message().find("access_denied"), std::string::npos) << denied.message();
  Status no_redirect = connector_type().authorize(context(settings(), ""), [](const std::string&) { return ""; });
  EXPECT_NE(no_redirect.message().find("redirect_uri is required"), std::string::npos) << no_redirect.message();
  EXPECT_TRUE(stored_refresh_token().empty()) << "nothing was stored";
}

TEST_F(QboConnectorTest, TokensAuthorizedAgainBesideARunningConnectorAreTakenUp) {
  start_emulator({"--invoices", "3", "--auth-code", "consent-2"});
  const nlohmann::json s = settings({{"redirect_uri", "https://arsync.example.com/callback"}});
  // Running with a token the server has never heard of: refused.
  auto running = connector(s, "revoked");
  CollectingSink refused;
  ASSERT_EQ(running->pull("", refused).code(), ErrorCode::kAuthError);
  // Someone runs `arsync auth` (another process, the same store).
  ASSERT_TRUE(connector_type()
                  .authorize(context(s, ""), [](const std::string& text) {
                    return redirected(text, "consent-2", kRealm);
                  })
                  .is_ok());
  CollectingSink sink;
  Status pulled = running->pull("", sink);
  ASSERT_TRUE(pulled.is_ok()) << pulled.to_string();
  EXPECT_EQ(sink.by_entity["Invoice"].size(), 3u);
}

}  // namespace
}  // namespace arsync::connectors::quickbooks
