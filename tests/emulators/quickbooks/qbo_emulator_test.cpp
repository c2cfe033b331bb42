// The QuickBooks Online emulator as a connector sees it: the real program
// on a free loopback port, spoken to over HTTP with Poco's client, each test
// asserting the wire facts (status, body shape, headers) Intuit documents.
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "../emulator_process.h"
#include "run_command.h"
#include "intuit_time.h"

namespace {

using nlohmann::json;
using arsync::testing::EmulatorProcess;
namespace qbo = arsync::emulators::quickbooks;

const std::string kRealm = "9341453050298464";

std::vector<std::string> emulator_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--listen",        "127.0.0.1:0", "--realm",      kRealm,
                             "--access-token",  "AT-start",    "--refresh-token", "RT-start",
                             "--client-id",     "cid",         "--client-secret", "csecret"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  json js() const { return json::parse(body); }
};

// One keep-alive session, sending what the connector sends.
class Client {
 public:
  explicit Client(const EmulatorProcess& e) : session_(e.host(), e.port()) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(30, 0));
  }
  Reply send(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& content_type = "", std::map<std::string, std::string> headers = {}) {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    if (!headers.count("Authorization") && !headers.count("authorization"))
      req.set("Authorization", "Bearer " + token);
    req.set("Accept", "application/json, text/plain, */*");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!content_type.empty()) req.setContentType(content_type);
    if (!body.empty() || method == "POST") req.setContentLength(static_cast<std::streamsize>(body.size()));
    session_.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_.receiveResponse(resp);
    Reply r;
    r.status = static_cast<int>(resp.getStatus());
    Poco::StreamCopier::copyToString(in, r.body);
    for (const auto& [k, v] : resp) r.headers[k] = v;
    return r;
  }
  Reply get(const std::string& path) { return send("GET", path); }
  Reply post_json(const std::string& path, const json& body) {
    return send("POST", path, body.dump(), "application/json");
  }
  uint16_t local_port() { return session_.socket().address().port(); }

  std::string token = "AT-start";

 private:
  Poco::Net::HTTPClientSession session_;
};

std::string api(const std::string& rest) { return "/v3/company/" + kRealm + "/" + rest; }

// A query as clients put it in the URL: %20 for spaces, %27 for quotes.
std::string query_path(const std::string& text, const std::string& extra = "&minorversion=75") {
  std::string enc;
  Poco::URI::encode(text, "&=+#?", enc);
  return api("query?query=" + enc + extra);
}

std::string basic(const std::string& id, const std::string& secret) {
  std::ostringstream s;
  Poco::Base64Encoder enc(s);
  enc.rdbuf()->setLineLength(0);
  enc << id << ":" << secret;
  enc.close();
  return "Basic " + s.str();
}

Reply token_request(Client& c, const std::string& form, const std::string& auth = basic("cid", "csecret")) {
  return c.send("POST", "/oauth2/v1/tokens/bearer", form, "application/x-www-form-urlencoded",
                {{"Authorization", auth}});
}

json invoice_body(const std::string& customer, const std::vector<std::string>& amounts) {
  json lines = json::array();
  for (const std::string& a : amounts) {
    lines.push_back({{"DetailType", "SalesItemLineDetail"},
                     {"Amount", json::parse(a)},
                     {"SalesItemLineDetail", {{"ItemRef", {{"value", "1"}, {"name", "Services"}}}}}});
  }
  return {{"Line", lines}, {"CustomerRef", {{"value", customer}}}};
}

const std::regex kEntityTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d)");
const std::regex kResponseTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[-+]\d\d:\d\d)");

// ---------------------------------------------------------------- tokens

TEST(QboToken, RefreshReturnsIntuitFieldsAndNewTokens) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = token_request(c, "grant_type=refresh_token&refresh_token=RT-start");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.js();
  EXPECT_EQ(j["token_type"], "bearer");
  EXPECT_EQ(j["expires_in"], 3600);
  EXPECT_EQ(j["x_refresh_token_expires_in"], 8726400);
  ASSERT_TRUE(j["refresh_token"].is_string());
  ASSERT_TRUE(j["access_token"].is_string());
  EXPECT_NE(j["refresh_token"], "RT-start");
  EXPECT_NE(j["access_token"], "AT-start");
  EXPECT_EQ(j.size(), 5u) << r.body;
  c.token = j["access_token"];
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).status, 200);
}

TEST(QboToken, RefreshRotatesSoTheOldRefreshTokenIsInvalidGrant) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const json first = token_request(c, "grant_type=refresh_token&refresh_token=RT-start").js();
  const Reply again = token_request(c, "grant_type=refresh_token&refresh_token=RT-start");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.js(), json({{"error", "invalid_grant"}}));
  const Reply next = token_request(
      c, "grant_type=refresh_token&refresh_token=" + first["refresh_token"].get<std::string>());
  ASSERT_EQ(next.status, 200);
  EXPECT_NE(next.js()["refresh_token"], first["refresh_token"]);
}

TEST(QboToken, WrongClientSecretIsInvalidClient) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = token_request(c, "grant_type=refresh_token&refresh_token=RT-start", basic("cid", "nope"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.js(), json({{"error", "invalid_client"}}));
  // The refresh token was not spent by the refused request.
  EXPECT_EQ(token_request(c, "grant_type=refresh_token&refresh_token=RT-start").status, 200);
}

TEST(QboToken, AuthorizationCodeFromAuthorizeEndpointExchangesOnce) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply auth = c.send("GET",
                            "/connect/oauth2?client_id=cid&response_type=code&scope=com.intuit."
                            "quickbooks.accounting&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=xyz");
  ASSERT_EQ(auth.status, 302) << auth.body;
  const Poco::URI loc(auth.headers.at("Location"));
  EXPECT_EQ(loc.getHost(), "app.example");
  std::map<std::string, std::string> q;
  for (const auto& [k, v] : loc.getQueryParameters()) q[k] = v;
  EXPECT_EQ(q["state"], "xyz");
  EXPECT_EQ(q["realmId"], kRealm);
  ASSERT_FALSE(q["code"].empty());
  std::string code;
  Poco::URI::encode(q["code"], "&=+", code);
  const std::string form = "grant_type=authorization_code&code=" + code +
                           "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb";
  const Reply first = token_request(c, form);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.js()["token_type"], "bearer");
  const Reply second = token_request(c, form);
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(second.js()["error"], "invalid_grant");
}

TEST(QboToken, AuthCodeFlagIsAcceptedOnce) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--auth-code", "CODE1"}));
  Client c(emu);
  EXPECT_EQ(token_request(c, "grant_type=authorization_code&code=CODE1&redirect_uri=x").status, 200);
  EXPECT_EQ(token_request(c, "grant_type=authorization_code&code=CODE1&redirect_uri=x").status, 400);
}

TEST(QboToken, ExpiredAccessTokenIs401) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--access-token-ttl", "1"}));
  Client c(emu);
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const Reply r = c.get(query_path("select count(*) from Invoice"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.js()["fault"]["error"][0]["detail"], "Token expired");
  const json t = token_request(c, "grant_type=refresh_token&refresh_token=RT-start").js();
  EXPECT_EQ(t["expires_in"], 1);
}

// ---------------------------------------------------------------- query

TEST(QboQuery, GetPagesFromStartPositionWithRowsReturnedAsMaxResults) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "30"}));
  Client c(emu);
  const Reply r = c.get(query_path("select * from Invoice startposition 11 maxresults 10"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.js();
  ASSERT_EQ(j["QueryResponse"]["Invoice"].size(), 10u);
  EXPECT_EQ(j["QueryResponse"]["startPosition"], 11);
  EXPECT_EQ(j["QueryResponse"]["maxResults"], 10);
  EXPECT_FALSE(j["QueryResponse"].contains("totalCount"));
  EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), kResponseTime)) << j["time"];
  // Id order, ascending, by default.
  int64_t prev = 0;
  for (const json& inv : j["QueryResponse"]["Invoice"]) {
    const int64_t id = std::stoll(inv["Id"].get<std::string>());
    EXPECT_GT(id, prev);
    prev = id;
  }
  // The last page holds what is left, and says so in maxResults.
  const json last = c.get(query_path("select * from Invoice startposition 25 maxresults 10")).js();
  EXPECT_EQ(last["QueryResponse"]["Invoice"].size(), 6u);
  EXPECT_EQ(last["QueryResponse"]["maxResults"], 6);
}

TEST(QboQuery, PostWithApplicationTextBody) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "5"}));
  Client c(emu);
  const Reply r = c.send("POST", api("query?minorversion=75"), "SELECT * FROM Invoice MAXRESULTS 2",
                         "application/text");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.js()["QueryResponse"]["Invoice"].size(), 2u);
}

TEST(QboQuery, KeywordsAndEntityNamesInAnyCase) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "20"}));
  Client c(emu);
  const json j = c.get(query_path("SeLeCt * FrOm creditMemo OrderBy Id DESC MaxResults 1")).js();
  ASSERT_EQ(j["QueryResponse"]["CreditMemo"].size(), 1u) << j.dump();
  const json all = c.get(query_path("select * from CREDITMEMO")).js();
  EXPECT_EQ(j["QueryResponse"]["CreditMemo"][0]["Id"], all["QueryResponse"]["CreditMemo"].back()["Id"]);
}

TEST(QboQuery, PagePastTheEndIsAnEmptyQueryResponse) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "5"}));
  Client c(emu);
  const Reply r = c.get(query_path("select * from Invoice startposition 6 maxresults 10"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.js()["QueryResponse"], json::object()) << r.body;
}

TEST(QboQuery, CountGivesTotalCountOnly) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "12"}));
  Client c(emu);
  const json j = c.get(query_path("select count(*) from Invoice")).js();
  EXPECT_EQ(j["QueryResponse"], json({{"totalCount", 12}}));
  const json p = c.get(query_path("select count(*) from Payment")).js();
  EXPECT_EQ(p["QueryResponse"]["totalCount"], 4);
}

TEST(QboQuery, DefaultPageIs100AndMaxResultsIsCappedAt1000) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "1100"}));
  Client c(emu);
  EXPECT_EQ(c.get(query_path("select * from Invoice")).js()["QueryResponse"]["maxResults"], 100);
  EXPECT_EQ(c.get(query_path("select * from Invoice maxresults 5000")).js()["QueryResponse"]["maxResults"], 1000);
}

TEST(QboQuery, WhereLastUpdatedTimeOrdersAndFilters) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "40"}));
  Client c(emu);
  const json all = c.get(query_path("select * from Invoice orderby MetaData.LastUpdatedTime")).js();
  const auto& rows = all["QueryResponse"]["Invoice"];
  ASSERT_EQ(rows.size(), 40u);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LE(*qbo::parse_instant(rows[i - 1]["MetaData"]["LastUpdatedTime"].get<std::string>()),
              *qbo::parse_instant(rows[i]["MetaData"]["LastUpdatedTime"].get<std::string>()));
  }
  const std::string pivot = rows[30]["MetaData"]["LastUpdatedTime"];
  const json later = c.get(query_path("select * from Invoice where Metadata.LastUpdatedTime > '" +
                                      pivot + "' orderby Metadata.LastUpdatedTime"))
                         .js();
  ASSERT_EQ(later["QueryResponse"]["Invoice"].size(), 9u) << later.dump();
  EXPECT_EQ(later["QueryResponse"]["Invoice"][0]["Id"], rows[31]["Id"]);
  const json ge = c.get(query_path("select count(*) from Invoice where MetaData.LastUpdatedTime >= '" +
                                   pivot + "' and MetaData.LastUpdatedTime <= '" +
                                   rows[35]["MetaData"]["LastUpdatedTime"].get<std::string>() + "'"))
                      .js();
  EXPECT_EQ(ge["QueryResponse"]["totalCount"], 6);
}

TEST(QboQuery, WhereIdInDocNumberLikeAndActive) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const json in = c.get(query_path("select * from Invoice where Id in ('130', '239')")).js();
  EXPECT_EQ(in["QueryResponse"]["maxResults"], 2);
  const json like = c.get(query_path("select * from Customer where DisplayName like '%bird%'")).js();
  ASSERT_EQ(like["QueryResponse"]["maxResults"], 1) << like.dump();
  EXPECT_EQ(like["QueryResponse"]["Customer"][0]["Id"], "1");
  const json doc = c.get(query_path("select * from Invoice where DocNumber = '1070'")).js();
  EXPECT_EQ(doc["QueryResponse"]["Invoice"][0]["Id"], "239");
  const json active = c.get(query_path("select count(*) from Customer where Active = true")).js();
  EXPECT_EQ(active["QueryResponse"]["totalCount"], 3);
  const json ref = c.get(query_path("select count(*) from Invoice where CustomerRef = '1'")).js();
  EXPECT_EQ(ref["QueryResponse"]["totalCount"], 2);
  const json date = c.get(query_path("select count(*) from Invoice where TxnDate >= '2015-07-24'")).js();
  EXPECT_EQ(date["QueryResponse"]["totalCount"], 3);
}

TEST(QboQuery, BackslashQuoteInsideALiteral) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const json j = c.get(query_path("select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'")).js();
  ASSERT_EQ(j["QueryResponse"]["maxResults"], 1) << j.dump();
}

TEST(QboQuery, OrIsAQueryParserError) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = c.get(query_path("select * from Invoice where Id = '1' or Id = '2'"));
  EXPECT_EQ(r.status, 400);
  const json e = r.js()["Fault"];
  EXPECT_EQ(e["type"], "ValidationFault");
  EXPECT_EQ(e["Error"][0]["code"], "4000");
  EXPECT_EQ(e["Error"][0]["Message"], "Error parsing query");
  EXPECT_NE(e["Error"][0]["Detail"].get<std::string>().find("QueryParserError: Encountered \" or \""),
            std::string::npos)
      << r.body;
}

TEST(QboQuery, MalformedQueryIsAQueryParserError) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  for (const char* bad : {"select from Invoice", "", "select * from Invoice where", "delete from Invoice"}) {
    const Reply r = c.get(query_path(bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.js()["Fault"]["Error"][0]["code"], "4000") << bad;
  }
}

TEST(QboQuery, RawPlusInATimestampLiteralIsAPlus) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "10"}));
  Client c(emu);
  // An hour ahead of now in UTC+01:00, sent with the '+' unescaped: nothing is newer.
  const std::string t = qbo::format_entity_time(qbo::now_ms() + 9 * 3'600'000 + 3'600'000).substr(0, 19) + "+01:00";
  const Reply r = c.get(api("query?query=select%20count(*)%20from%20Invoice%20where%20MetaData.LastUpdatedTime%20%3E%20%27" +
                            t + "%27&minorversion=75"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.js()["QueryResponse"]["totalCount"], 0);
  const std::string earlier = qbo::format_entity_time(qbo::now_ms() + 9 * 3'600'000 - 86'400'000).substr(0, 19) + "+01:00";
  const Reply all = c.get(api("query?query=select%20count(*)%20from%20Invoice%20where%20MetaData.LastUpdatedTime%20%3E%20%27" +
                              earlier + "%27"));
  EXPECT_EQ(all.js()["QueryResponse"]["totalCount"], 10);
}

// ---------------------------------------------------------------- generated data and fixtures

// Every invoice's TotalAmt is its lines' sum to the cent, and its Balance is
// TotalAmt less what the payments linking it apply.
TEST(QboGenerate, AmountsAreExactAndBalancesFollowPayments) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "300"}));
  Client c(emu);
  auto cents = [](const json& v) { return std::llround(v.get<double>() * 100); };
  std::map<std::string, int64_t> applied;
  for (int start = 1;; start += 1000) {
    const json p = c.get(query_path("select * from Payment startposition " + std::to_string(start) + " maxresults 1000")).js();
    if (!p["QueryResponse"].contains("Payment")) break;
    for (const json& pay : p["QueryResponse"]["Payment"]) {
      for (const json& line : pay["Line"]) applied[line["LinkedTxn"][0]["TxnId"]] += cents(line["Amount"]);
    }
  }
  EXPECT_EQ(applied.size(), 100u);
  const json inv = c.get(query_path("select * from Invoice maxresults 1000")).js()["QueryResponse"]["Invoice"];
  ASSERT_EQ(inv.size(), 300u);
  for (const json& i : inv) {
    int64_t sum = 0;
    for (const json& l : i["Line"]) {
      if (l["DetailType"] == "SalesItemLineDetail") sum += cents(l["Amount"]);
    }
    EXPECT_EQ(cents(i["TotalAmt"]), sum) << i["Id"];
    EXPECT_EQ(cents(i["Balance"]), sum - applied[i["Id"]]) << i["Id"];
    EXPECT_TRUE(std::regex_match(i["MetaData"]["LastUpdatedTime"].get<std::string>(), kEntityTime));
  }
}

TEST(QboGenerate, SameCountGivesTheSameDocuments) {
  auto docs = [] {
    EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "40"}));
    Client c(emu);
    json rows = c.get(query_path("select * from Invoice maxresults 1000")).js()["QueryResponse"]["Invoice"];
    for (json& r : rows) r.erase("MetaData");
    return rows;
  };
  EXPECT_EQ(docs(), docs());
}

TEST(QboFixtures, BadFixtureNamesTheFileEntityAndIndex) {
  const auto dir = std::filesystem::temp_directory_path() / ("qbo_fixture_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"Invoice":[{"Id":"1","MetaData":{"LastUpdatedTime":"2015-07-24T10:33:39-07:00"}},{"Id":"x"}]})";
  const auto r = arsync::testing::run_split(
      std::string(QBO_EMULATOR_BIN) + " --listen 127.0.0.1:0 --realm 1 --client-id a --client-secret b --fixtures " +
          dir.string(),
      dir / "stderr.txt");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad.json: Invoice[1]: Id missing or not a decimal string"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(QboFixtures, UnknownArgumentIsAUsageError) {
  const auto r = arsync::testing::run(std::string(QBO_EMULATOR_BIN) + " --listen 127.0.0.1:0 --bogus 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("unknown argument --bogus"), std::string::npos) << r.out;
}

// ---------------------------------------------------------------- read

TEST(QboRead, EntityByIdInItsEnvelope) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const Reply r = c.get(api("invoice/130?minorversion=75"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.js();
  EXPECT_EQ(j["Invoice"]["DocNumber"], "1037");
  EXPECT_EQ(j["Invoice"]["TotalAmt"].dump(), "362.07");
  EXPECT_EQ(j["Invoice"]["Line"][0]["Amount"].dump(), "275.0");
  EXPECT_EQ(j["Invoice"]["MetaData"]["LastUpdatedTime"], "2014-09-19T13:16:17-07:00");
  EXPECT_TRUE(j.contains("time"));
  EXPECT_EQ(c.get(api("creditmemo/73")).js()["CreditMemo"]["Balance"].dump(), "140.0");
}

TEST(QboRead, CompanyInfoByRealmId) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = c.get(api("companyinfo/" + kRealm + "?minorversion=75"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.js()["CompanyInfo"]["Country"], "US");
  EXPECT_EQ(c.get(api("companyinfo/1")).status, 400);
}

TEST(QboRead, UnknownIdIsObjectNotFound) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = c.get(api("invoice/999"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.js()["Fault"]["Error"][0]["code"], "610");
}

// ---------------------------------------------------------------- writes

TEST(QboWrite, CreateComputesTotalAmtBalanceAndMetaData) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const Reply r = c.post_json(api("invoice?minorversion=75"), invoice_body("1", {"100.10", "0.2", "1234.56"}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json inv = r.js()["Invoice"];
  EXPECT_EQ(inv["TotalAmt"].dump(), "1334.86");
  EXPECT_EQ(inv["Balance"].dump(), "1334.86");
  EXPECT_EQ(inv["SyncToken"], "0");
  EXPECT_EQ(inv["CurrencyRef"]["value"], "USD");
  EXPECT_EQ(inv["Line"].back()["DetailType"], "SubTotalLineDetail");
  EXPECT_TRUE(std::regex_match(inv["MetaData"]["CreateTime"].get<std::string>(), kEntityTime));
  EXPECT_EQ(inv["MetaData"]["CreateTime"], inv["MetaData"]["LastUpdatedTime"]);
  EXPECT_FALSE(inv["DocNumber"].get<std::string>().empty());
  EXPECT_EQ(c.get(api("invoice/" + inv["Id"].get<std::string>())).js()["Invoice"], inv);
}

TEST(QboWrite, ForeignCurrencyGetsHomeTotalAmt) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  json body = invoice_body("58", {"1000.00"});
  body["CurrencyRef"] = {{"value", "EUR"}};
  body["ExchangeRate"] = 1.0925;
  const json inv = c.post_json(api("invoice"), body).js()["Invoice"];
  EXPECT_EQ(inv["HomeTotalAmt"].dump(), "1092.5");
  EXPECT_EQ(inv["TotalAmt"].dump(), "1000.0");
}

TEST(QboWrite, SameRequestIdCreatesOnce) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const Reply a = c.post_json(api("invoice?requestid=r-42&minorversion=75"), invoice_body("1", {"10"}));
  const Reply b = c.post_json(api("invoice?requestid=r-42&minorversion=75"), invoice_body("1", {"10"}));
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).js()["QueryResponse"]["totalCount"], 5);
  const Reply other = c.post_json(api("invoice?requestid=r-43"), invoice_body("1", {"10"}));
  EXPECT_NE(other.js()["Invoice"]["Id"], a.js()["Invoice"]["Id"]);
}

TEST(QboWrite, SparseUpdateKeepsOtherFieldsAndBumpsSyncToken) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const Reply r = c.post_json(api("invoice"), {{"Id", "239"}, {"SyncToken", "0"}, {"sparse", true}, {"DueDate", "2015-09-30"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json inv = r.js()["Invoice"];
  EXPECT_EQ(inv["SyncToken"], "1");
  EXPECT_EQ(inv["DueDate"], "2015-09-30");
  EXPECT_EQ(inv["DocNumber"], "1070");
  EXPECT_EQ(inv["MetaData"]["CreateTime"], "2015-07-24T10:38:50-07:00");
  EXPECT_NE(inv["MetaData"]["LastUpdatedTime"], "2015-07-24T10:38:50-07:00");
}

TEST(QboWrite, FullUpdateReplacesWritableFields) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  json body = invoice_body("1", {"75.5"});
  body["Id"] = "239";
  body["SyncToken"] = "0";
  const json inv = c.post_json(api("invoice"), body).js()["Invoice"];
  EXPECT_EQ(inv["TotalAmt"].dump(), "75.5");
  EXPECT_FALSE(inv.contains("PrintStatus"));
}

TEST(QboWrite, StaleSyncTokenIsStaleObjectError) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  ASSERT_EQ(c.post_json(api("invoice"), {{"Id", "239"}, {"SyncToken", "0"}, {"sparse", true}, {"PrivateNote", "a"}}).status, 200);
  const Reply r = c.post_json(api("invoice"), {{"Id", "239"}, {"SyncToken", "0"}, {"sparse", true}, {"PrivateNote", "b"}});
  EXPECT_EQ(r.status, 400);
  const json f = r.js()["Fault"];
  EXPECT_EQ(f["type"], "ValidationFault");
  EXPECT_EQ(f["Error"][0]["code"], "5010");
  EXPECT_EQ(f["Error"][0]["Message"], "Stale Object Error");
}

TEST(QboWrite, PaymentLinkedTxnReducesInvoiceBalance) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const json pay = {{"TotalAmt", 40.25},
                    {"CustomerRef", {{"value", "1"}}},
                    {"Line", json::array({{{"Amount", 40.25},
                                           {"LinkedTxn", json::array({{{"TxnId", "239"}, {"TxnType", "Invoice"}}})}}})}};
  const Reply r = c.post_json(api("payment"), pay);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string pid = r.js()["Payment"]["Id"];
  EXPECT_EQ(r.js()["Payment"]["UnappliedAmt"].dump(), "0.0");
  const json inv = c.get(api("invoice/239")).js()["Invoice"];
  EXPECT_EQ(inv["Balance"].dump(), "109.75");
  EXPECT_EQ(inv["SyncToken"], "1");
  EXPECT_EQ(inv["LinkedTxn"], json::array({{{"TxnId", pid}, {"TxnType", "Payment"}}}));
  // Deleting the payment gives the balance back.
  const Reply d = c.post_json(api("payment?operation=delete"), {{"Id", pid}, {"SyncToken", "0"}});
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.js()["Payment"], json({{"status", "Deleted"}, {"domain", "QBO"}, {"Id", pid}}));
  EXPECT_EQ(c.get(api("invoice/239")).js()["Invoice"]["Balance"].dump(), "150.0");
}

TEST(QboWrite, PaymentToUnknownInvoiceIsInvalidReference) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const json pay = {{"TotalAmt", 1},
                    {"CustomerRef", {{"value", "1"}}},
                    {"Line", json::array({{{"Amount", 1},
                                           {"LinkedTxn", json::array({{{"TxnId", "9999"}, {"TxnType", "Invoice"}}})}}})}};
  const Reply r = c.post_json(api("payment"), pay);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.js()["Fault"]["Error"][0]["code"], "2500");
}

TEST(QboWrite, DeleteRemovesFromQueriesAndVoidZeroes) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  ASSERT_EQ(c.post_json(api("invoice?operation=delete"), {{"Id", "239"}, {"SyncToken", "0"}}).status, 200);
  EXPECT_EQ(c.get(api("invoice/239")).status, 400);
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).js()["QueryResponse"]["totalCount"], 3);
  const Reply v = c.post_json(api("invoice?operation=void"), {{"Id", "130"}, {"SyncToken", "0"}});
  ASSERT_EQ(v.status, 200) << v.body;
  const json inv = v.js()["Invoice"];
  EXPECT_EQ(inv["TotalAmt"].dump(), "0.0");
  EXPECT_EQ(inv["Balance"].dump(), "0.0");
  EXPECT_EQ(inv["PrivateNote"], "Voided");
  EXPECT_EQ(inv["SyncToken"], "1");
  // A paid invoice cannot be deleted while the payment links it.
  EXPECT_EQ(c.post_json(api("invoice?operation=delete"), {{"Id", "238"}, {"SyncToken", "1"}}).status, 400);
}

TEST(QboWrite, EveryEntityTypeCreatesReadsAndDeletesOrVoids) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  const json je = {{"Line", json::array({{{"Amount", 12.34}, {"DetailType", "JournalEntryLineDetail"},
                                          {"JournalEntryLineDetail", {{"PostingType", "Debit"}, {"AccountRef", {{"value", "84"}}}}}},
                                         {{"Amount", 12.34}, {"DetailType", "JournalEntryLineDetail"},
                                          {"JournalEntryLineDetail", {{"PostingType", "Credit"}, {"AccountRef", {{"value", "79"}}}}}}})}};
  const std::vector<std::pair<std::string, json>> kinds{
      {"SalesReceipt", invoice_body("1", {"35"})},
      {"RefundReceipt", invoice_body("1", {"20"})},
      {"CreditMemo", invoice_body("1", {"15"})},
      {"JournalEntry", je},
      {"Customer", {{"DisplayName", "O'Brien Plumbing"}}}};
  for (const auto& [name, body] : kinds) {
    std::string path = name;
    for (char& ch : path) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const Reply r = c.post_json(api(path), body);
    ASSERT_EQ(r.status, 200) << name << ": " << r.body;
    const json made = r.js()[name];
    EXPECT_EQ(c.get(api(path + "/" + made["Id"].get<std::string>())).js()[name], made) << name;
    const json q = c.get(query_path("select * from " + name + " where Id = '" + made["Id"].get<std::string>() + "'")).js();
    EXPECT_EQ(q["QueryResponse"][name][0], made) << name;
  }
  const json cm = c.get(query_path("select * from CreditMemo orderby Id desc maxresults 1")).js()["QueryResponse"]["CreditMemo"][0];
  EXPECT_EQ(cm["Balance"].dump(), "15.0");
  EXPECT_EQ(cm["RemainingCredit"].dump(), "15.0");
  const json sr = c.get(query_path("select * from SalesReceipt where DocNumber = '1052'")).js()["QueryResponse"]["SalesReceipt"][0];
  const Reply v = c.post_json(api("salesreceipt?operation=void"), {{"Id", sr["Id"]}, {"SyncToken", sr["SyncToken"]}});
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.js()["SalesReceipt"]["TotalAmt"].dump(), "0.0");
  EXPECT_EQ(c.post_json(api("journalentry?operation=delete"), {{"Id", "227"}, {"SyncToken", "0"}}).js()["JournalEntry"]["status"], "Deleted");
  EXPECT_EQ(c.post_json(api("creditmemo?operation=void"), {{"Id", "73"}, {"SyncToken", "0"}}).status, 400);
}

TEST(QboWrite, VoidingAPaymentGivesTheInvoiceBalanceBack) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  EXPECT_EQ(c.get(api("invoice/238")).js()["Invoice"]["Balance"].dump(), "0");
  const Reply v = c.post_json(api("payment?operation=void"), {{"Id", "241"}, {"SyncToken", "0"}});
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.js()["Payment"]["TotalAmt"].dump(), "0.0");
  const json inv = c.get(api("invoice/238")).js()["Invoice"];
  EXPECT_EQ(inv["Balance"].dump(), "100.0");
  EXPECT_EQ(inv["LinkedTxn"], json::array());
}

TEST(QboWrite, CustomerIsNotDeletedButMadeInactive) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  EXPECT_EQ(c.post_json(api("customer?operation=delete"), {{"Id", "1"}, {"SyncToken", "0"}}).status, 400);
  const Reply r = c.post_json(api("customer"), {{"Id", "1"}, {"SyncToken", "0"}, {"sparse", true}, {"Active", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c.get(query_path("select count(*) from Customer where Active = false")).js()["QueryResponse"]["totalCount"], 1);
}

TEST(QboWrite, MissingRequiredFieldAndBadJsonAreValidationFaults) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply missing = c.post_json(api("invoice"), {{"Line", json::array()}});
  EXPECT_EQ(missing.status, 400);
  const json e = missing.js()["Fault"]["Error"][0];
  EXPECT_EQ(e["code"], "2020");
  EXPECT_EQ(e["element"], "CustomerRef");
  EXPECT_EQ(c.send("POST", api("invoice"), "{not json", "application/json").status, 400);
}

// ---------------------------------------------------------------- CDC

TEST(QboCdc, ChangedAndDeletedEntitiesSinceATimestamp) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  Client c(emu);
  // changedSince with a raw '+' offset, as clients send it: one hour ago in UTC+01:00.
  const int64_t since = qbo::now_ms() - 1000;
  const std::string since_text = [&] {
    std::string s = qbo::format_entity_time(since + 9 * 3'600'000);  // -08:00 -> +01:00 wall clock
    return s.substr(0, 19) + "+01:00";
  }();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string created = c.post_json(api("invoice"), invoice_body("1", {"5"})).js()["Invoice"]["Id"];
  ASSERT_EQ(c.post_json(api("invoice?operation=delete"), {{"Id", "239"}, {"SyncToken", "0"}}).status, 200);
  const Reply r = c.get(api("cdc?entities=Invoice,Payment&changedSince=" + since_text + "&minorversion=75"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json groups = r.js()["CDCResponse"][0]["QueryResponse"];
  ASSERT_EQ(groups.size(), 2u) << r.body;
  const json inv = groups[0]["Invoice"];
  ASSERT_EQ(inv.size(), 2u) << r.body;
  EXPECT_EQ(inv[0]["Id"], created);
  EXPECT_EQ(inv[1]["status"], "Deleted");
  EXPECT_EQ(inv[1]["Id"], "239");
  EXPECT_EQ(inv[1]["domain"], "QBO");
  EXPECT_TRUE(std::regex_match(inv[1]["MetaData"]["LastUpdatedTime"].get<std::string>(), kEntityTime));
  EXPECT_EQ(groups[0]["startPosition"], 1);
  EXPECT_EQ(groups[0]["maxResults"], 2);
  EXPECT_EQ(groups[1], json::object());
}

TEST(QboCdc, ChangedSinceOlderThan30DaysIsRefused) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const std::string old = qbo::format_entity_time(qbo::now_ms() - 31LL * 86'400'000);
  std::string enc;
  Poco::URI::encode(old, "+", enc);
  const Reply r = c.get(api("cdc?entities=Invoice&changedSince=" + enc));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.js()["Fault"]["Error"][0]["Detail"].get<std::string>().find("older than"), std::string::npos);
}

TEST(QboCdc, AtMost1000ObjectsInOneResponse) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "900"}));
  Client c(emu);
  const std::string since = qbo::format_entity_time(qbo::now_ms() - 86'400'000);
  const Reply r = c.get(api("cdc?entities=Invoice,Payment&changedSince=" + since));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  const json groups = r.js()["CDCResponse"][0]["QueryResponse"];
  EXPECT_EQ(groups[0]["Invoice"].size(), 900u);
  EXPECT_EQ(groups[1]["Payment"].size(), 100u);
  EXPECT_EQ(groups[1]["maxResults"], 100);
}

// ---------------------------------------------------------------- errors

TEST(QboErrors, MissingOrWrongTokenIs401InTheLowerCaseFaultShape) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  for (const char* auth : {"", "Bearer wrong", "Bearer"}) {
    const Reply r = c.send("GET", query_path("select * from Invoice"), "", "",
                           {{"Authorization", auth}});
    EXPECT_EQ(r.status, 401) << auth;
    const json j = r.js();
    EXPECT_EQ(j["fault"]["type"], "AUTHENTICATION");
    EXPECT_EQ(j["fault"]["error"][0]["code"], "3200");
    EXPECT_EQ(j["fault"]["error"][0]["message"], "message=AuthenticationFailed; errorCode=003200; statusCode=401");
    EXPECT_TRUE(j["time"].is_number_integer());
  }
}

TEST(QboErrors, UnknownRealmIs403) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = c.get("/v3/company/1111/query?query=select%20*%20from%20Invoice");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.js()["fault"]["error"][0]["code"], "3100");
}

TEST(QboErrors, RateAboveLimitIs429ThrottleExceeded) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--rate", "3"}));
  Client c(emu);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).status, 200);
  const Reply r = c.get(query_path("select count(*) from Invoice"));
  EXPECT_EQ(r.status, 429);
  const json e = r.js()["Fault"]["Error"][0];
  EXPECT_EQ(e["code"], "3001");
  EXPECT_EQ(e["Message"], "message=ThrottleExceeded; errorCode=003001; statusCode=429");
  // The token endpoint is another host at Intuit and is not throttled with the API.
  EXPECT_EQ(token_request(c, "grant_type=refresh_token&refresh_token=RT-start").status, 200);
}

TEST(QboErrors, LatencyDelaysEveryAnswer) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--latency-ms", "300"}));
  Client c(emu);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
}

TEST(QboErrors, SigtermExitsZero) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  const int status = emu.terminate();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---------------------------------------------------------------- HTTP

TEST(QboHttp, KeepAliveServesManyRequestsOnOneConnection) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--invoices", "50"}));
  Client c(emu);
  ASSERT_EQ(c.get(query_path("select count(*) from Invoice")).status, 200);
  const uint16_t port = c.local_port();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.get(query_path("select * from Invoice startposition " + std::to_string(1 + 10 * i) +
                               " maxresults 10"))
                  .status,
              200);
    EXPECT_EQ(c.post_json(api("invoice"), invoice_body("1", {"1"})).status, 200);
    EXPECT_EQ(c.local_port(), port) << "the client had to reconnect";
  }
}

TEST(QboHttp, ParallelClientsWriteWithoutLosingAnything) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args({"--fixtures", QBO_FIXTURES_DIR}));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Client c(emu);
      for (int i = 0; i < 25; ++i) {
        const std::string rid = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (c.post_json(api("invoice?requestid=" + rid), invoice_body("1", {"1.01"})).status == 200) ++ok;
        c.get(query_path("select * from Invoice orderby MetaData.LastUpdatedTime desc maxresults 5"));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  Client c(emu);
  EXPECT_EQ(c.get(query_path("select count(*) from Invoice")).js()["QueryResponse"]["totalCount"], 104);
}

TEST(QboHttp, HeaderNamesAreCaseInsensitive) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  const Reply r = c.send("GET", query_path("select count(*) from Invoice"), "", "",
                         {{"authorization", "Bearer AT-start"}, {"request-id", "abc-1"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("Content-Type").rfind("application/json", 0), 0u);
  EXPECT_FALSE(r.headers.at("intuit_tid").empty());
}

// ---------------------------------------------------------------- report

TEST(QboReport, TrialBalanceHasTheArRowOfOpenItems) {
  EmulatorProcess emu(QBO_EMULATOR_BIN, emulator_args());
  Client c(emu);
  json customer = {{"DisplayName", "Acme"}};
  const std::string cid = c.post_json(api("customer"), customer).js()["Customer"]["Id"];
  const std::string inv = c.post_json(api("invoice"), invoice_body(cid, {"100.00"})).js()["Invoice"]["Id"];
  c.post_json(api("creditmemo"), invoice_body(cid, {"10.00"}));
  c.post_json(api("payment"), {{"TotalAmt", 40},
                               {"CustomerRef", {{"value", cid}}},
                               {"Line", json::array({{{"Amount", 40},
                                                      {"LinkedTxn", json::array({{{"TxnId", inv}, {"TxnType", "Invoice"}}})}}})}});
  const Reply r = c.get(api("reports/TrialBalance?date_macro=Today&minorversion=75"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.js();
  EXPECT_EQ(j["Header"]["ReportName"], "TrialBalance");
  EXPECT_EQ(j["Columns"]["Column"][1]["ColTitle"], "Debit");
  bool found = false;
  for (const json& row : j["Rows"]["Row"]) {
    if (!row.contains("ColData")) continue;
    if (row["ColData"][0]["value"] == "Accounts Receivable (A/R)") {
      found = true;
      EXPECT_EQ(row["ColData"][1]["value"], "50.00");
      EXPECT_EQ(row["ColData"][2]["value"], "");
    }
  }
  EXPECT_TRUE(found) << r.body;
  EXPECT_EQ(j["Rows"]["Row"].back()["group"], "GrandTotal");
  const json total = j["Rows"]["Row"].back()["Summary"]["ColData"];
  EXPECT_EQ(total[1]["value"], total[2]["value"]);
}

// ---------------------------------------------------------------- webhooks

// Poco 1.11's SHA2Engine lacks the constants HMACEngine wants.
struct Sha256Engine : Poco::SHA2Engine {
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

// Receives webhook POSTs in the test process.
class WebhookSink {
 public:
  WebhookSink() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~WebhookSink() { server_->stopAll(true); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/qbo"; }
  // Waits for the next delivery; returns false on timeout.
  bool next(std::string& body, std::string& signature) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !got_.empty(); })) return false;
    std::tie(body, signature) = got_.front();
    got_.erase(got_.begin());
    return true;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(WebhookSink& s) : sink(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      {
        std::lock_guard lock(sink.mu_);
        sink.got_.emplace_back(body, req.get("intuit-signature", ""));
      }
      sink.cv_.notify_all();
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      resp.send();
    }
    WebhookSink& sink;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(WebhookSink& s) : sink(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(sink);
    }
    WebhookSink& sink;
  };
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::string>> got_;
};

TEST(QboWebhook, CreatePostsASignedEventNotification) {
  WebhookSink sink;
  EmulatorProcess emu(QBO_EMULATOR_BIN,
                      emulator_args({"--webhook-url", sink.url(), "--verifier-token", "vt-secret"}));
  Client c(emu);
  ASSERT_EQ(c.post_json(api("invoice"), invoice_body("1", {"10"})).status, 200);
  std::string body, signature;
  ASSERT_TRUE(sink.next(body, signature));
  Poco::HMACEngine<Sha256Engine> hmac("vt-secret");
  hmac.update(body);
  std::ostringstream b64;
  Poco::Base64Encoder enc(b64);
  const auto& digest = hmac.digest();
  enc.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
  enc.close();
  EXPECT_EQ(signature, b64.str());
  const json n = json::parse(body)["eventNotifications"][0];
  EXPECT_EQ(n["realmId"], kRealm);
  const json e = n["dataChangeEvent"]["entities"][0];
  EXPECT_EQ(e["name"], "Invoice");
  EXPECT_EQ(e["operation"], "Create");
  EXPECT_TRUE(std::regex_match(e["lastUpdated"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d{4})")));
}

}  // namespace
