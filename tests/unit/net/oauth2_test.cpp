// TokenKeeper against a real token endpoint on loopback (RFC 6749 shapes,
// as Intuit's answers them): rotation stored before use, refusals, expiry,
// no empty token ever stored.
#include "arsync/net/oauth2.h"

#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "script_server.h"

namespace arsync::net {
namespace {

using testing::answer;
using testing::ScriptServer;
using namespace std::chrono_literals;

// The credential store's contract, in memory; records every put.
class MemoryCredentials final : public CredentialHandle {
 public:
  Result<std::optional<std::string>> get(const std::string& name) override {
    auto it = values.find(name);
    if (it == values.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status put(const std::string& name, const std::string& value) override {
    if (fail_puts) return Status(ErrorCode::kIoError, "disk full");
    values[name] = value;
    puts.push_back(value);
    return Status::ok();
  }
  std::map<std::string, std::string> values;
  std::vector<std::string> puts;
  bool fail_puts = false;
};

// A token endpoint that rotates: refresh token "r<N>" gives access "a<N+1>"
// and refresh "r<N+1>"; any other refresh token is invalid_grant.
class Endpoint {
 public:
  Endpoint()
      : server_([this](int, const testing::SeenRequest& req, Poco::Net::HTTPServerResponse& resp) {
          handle(req, resp);
        }) {}
  std::string url() const { return server_.base_url() + "/oauth2/v1/tokens/bearer"; }
  std::vector<testing::SeenRequest> seen() const { return server_.seen(); }
  int current = 0;
  bool omit_refresh = false;

 private:
  void handle(const testing::SeenRequest& req, Poco::Net::HTTPServerResponse& resp) {
    // "Basic base64(id:secret)" for id "client", secret "s3cret".
    if (req.header("Authorization") != "Basic Y2xpZW50OnMzY3JldA==") {
      return answer(resp, 401, R"({"error":"invalid_client"})");
    }
    const std::string want = "grant_type=refresh_token&refresh_token=r" + std::to_string(current);
    if (req.body == "grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fexample.com%2Fcb") {
      current = 0;
    } else if (req.body != want) {
      return answer(resp, 400, R"({"error":"invalid_grant","error_description":"Token invalid"})");
    } else {
      ++current;
    }
    nlohmann::json j = {{"token_type", "bearer"},
                        {"expires_in", 3600},
                        {"x_refresh_token_expires_in", 8726400},
                        {"access_token", "a" + std::to_string(current)}};
    if (!omit_refresh) j["refresh_token"] = "r" + std::to_string(current);
    answer(resp, 200, j.dump());
  }
  ScriptServer server_;
};

class TokenKeeperTest : public ::testing::Test {
 protected:
  TokenKeeper keeper(const std::string& secret = "s3cret") {
    OAuthSettings s;
    s.authorize_url = "https://appcenter.intuit.com/connect/oauth2";
    s.token_url = endpoint_.url();
    s.client_id = "client";
    s.client_secret = secret;
    s.scope = "com.intuit.quickbooks.accounting";
    s.redirect_uri = "https://example.com/cb";
    ClientOptions http;
    http.backoff_base = 10ms;
    return TokenKeeper(s, &creds_, &clock_, http);
  }
  TokenState stored_state() { return TokenKeeper::from_text(creds_.values.at("oauth2")).value(); }

  Endpoint endpoint_;
  MemoryCredentials creds_;
  ManualClock clock_{Instant(std::chrono::seconds(1'800'000'000))};
};

TEST_F(TokenKeeperTest, WithoutTokensItSaysToAuthorize) {
  TokenKeeper k = keeper();
  Result<std::string> t = k.access_token();
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kAuthError);
  EXPECT_NE(t.status().message().find("arsync auth"), std::string::npos);
}

TEST_F(TokenKeeperTest, EachRefreshStoresTheRotatedTokenBeforeReturningTheAccessToken) {
  TokenKeeper k = keeper();
  ASSERT_TRUE(k.seed("r0").is_ok());
  Result<std::string> t = k.access_token();
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t.value(), "a1");
  EXPECT_EQ(stored_state().refresh_token, "r1");
  EXPECT_EQ(stored_state().access_expires_at, clock_.now() + 3600s);
  EXPECT_EQ(stored_state().refresh_expires_at, clock_.now() + 8726400s);
  // Still valid: no new request.
  EXPECT_EQ(k.access_token().value(), "a1");
  EXPECT_EQ(endpoint_.seen().size(), 1u);
  // Near expiry: refreshed with the rotated token.
  clock_.advance(3500s);
  EXPECT_EQ(k.access_token().value(), "a2");
  EXPECT_EQ(stored_state().refresh_token, "r2");
  EXPECT_EQ(endpoint_.seen().size(), 2u);
}

TEST_F(TokenKeeperTest, ANewKeeperResumesFromTheStoredTokens) {
  {
    TokenKeeper k = keeper();
    ASSERT_TRUE(k.seed("r0").is_ok());
    ASSERT_EQ(k.access_token().value(), "a1");
  }
  TokenKeeper again = keeper();
  EXPECT_EQ(again.access_token().value(), "a1") << "the stored access token is still valid";
  again.refused("a1");
  EXPECT_EQ(again.access_token().value(), "a2") << "a refused token is refreshed with the stored r1";
}

TEST_F(TokenKeeperTest, AFailedPutHandsOutNoAccessToken) {
  TokenKeeper k = keeper();
  ASSERT_TRUE(k.seed("r0").is_ok());
  creds_.fail_puts = true;
  Result<std::string> t = k.access_token();
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kIoError);
  EXPECT_NE(t.status().message().find("storing the refreshed OAuth tokens"), std::string::npos);
}

TEST_F(TokenKeeperTest, InvalidGrantIsAnAuthErrorThatIsNotRetried) {
  TokenKeeper k = keeper();
  ASSERT_TRUE(k.seed("r7").is_ok());
  Result<std::string> t = k.access_token();
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kAuthError);
  EXPECT_FALSE(t.status().retryable());
  EXPECT_NE(t.status().message().find("invalid_grant"), std::string::npos) << t.status().message();
  EXPECT_EQ(endpoint_.seen().size(), 1u);
  EXPECT_EQ(stored_state().refresh_token, "r7") << "a refusal stores nothing";
  EXPECT_EQ(creds_.puts.size(), 1u);
}

TEST_F(TokenKeeperTest, AWrongClientSecretIsInvalidClient) {
  TokenKeeper k = keeper("wrong");
  ASSERT_TRUE(k.seed("r0").is_ok());
  Result<std::string> t = k.access_token();
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kAuthError);
  EXPECT_NE(t.status().message().find("client id and secret"), std::string::npos) << t.status().message();
}

TEST_F(TokenKeeperTest, AnAnswerWithoutARefreshTokenKeepsTheOldOne) {
  TokenKeeper k = keeper();
  ASSERT_TRUE(k.seed("r0").is_ok());
  endpoint_.omit_refresh = true;
  ASSERT_EQ(k.access_token().value(), "a1");
  EXPECT_EQ(stored_state().refresh_token, "r0");
}

TEST_F(TokenKeeperTest, TheCodeExchangeStoresTokensAndTheConsentUrlCarriesTheSettings) {
  TokenKeeper k = keeper();
  ASSERT_TRUE(k.exchange_code("the-code").is_ok());
  EXPECT_EQ(stored_state().access_token, "a0");
  EXPECT_EQ(stored_state().refresh_token, "r0");
  EXPECT_EQ(k.consent_url("xyz"),
            "https://appcenter.intuit.com/connect/oauth2?client_id=client&response_type=code&scope=com.intuit."
            "quickbooks.accounting&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&state=xyz");
  EXPECT_FALSE(k.seed("").is_ok()) << "an empty token is never stored";
}

TEST_F(TokenKeeperTest, StoredTokensThatCannotBeReadDoNotQuoteThem) {
  creds_.values["oauth2"] = "{\"access_token\":\"SECRET\"";
  TokenKeeper k = keeper();
  Result<std::string> t = k.access_token();
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().message().find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace arsync::net
