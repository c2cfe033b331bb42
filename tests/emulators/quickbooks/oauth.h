// Intuit's OAuth 2.0 server as an app sees it: the authorization endpoint
// (which here consents at once and redirects with a code), the token
// endpoint (authorization_code and refresh_token grants, client credentials
// by HTTP Basic) and the check of bearer tokens on API calls.
//
// Refresh tokens rotate: every grant returns a new refresh token and the one
// presented stops working (invalid_grant). Access tokens live `access_ttl`
// seconds and stay valid until then even after a refresh.
//
// Thread safety: every member function locks; one instance is shared by the
// server's threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace arsync::emulators::quickbooks {

struct OAuthConfig {
  std::string client_id;
  std::string client_secret;
  std::string access_token;   // valid at start
  std::string refresh_token;  // valid at start
  std::string auth_code;      // optional: a code valid at start, for any redirect_uri
  int64_t access_ttl_s = 3600;
  int64_t refresh_ttl_s = 8'726'400;  // x_refresh_token_expires_in as Intuit sends it (101 days)
};

struct TokenAnswer {
  int status = 200;
  std::string body;  // JSON
};

class OAuthServer {
 public:
  OAuthServer(OAuthConfig config, int64_t now_ms);

  // POST /oauth2/v1/tokens/bearer with its Authorization header and form body.
  TokenAnswer token(const std::string& authorization, const std::string& form_body, int64_t now_ms);

  // GET /connect/oauth2?...: returns the redirect Location for a valid
  // request, or an empty string (the caller answers 400).
  std::string authorize(const std::string& client_id, const std::string& redirect_uri,
                        const std::string& state, const std::string& realm);

  enum class Bearer { kValid, kMissing, kMalformed, kExpired, kUnknown };
  Bearer check(const std::string& authorization, int64_t now_ms) const;

 private:
  std::string new_token(const char* prefix);
  TokenAnswer issue(int64_t now_ms);

  mutable std::mutex mu_;
  OAuthConfig config_;
  std::unordered_map<std::string, int64_t> access_;  // token -> expiry (epoch ms)
  std::string refresh_;                              // the one valid refresh token
  std::unordered_map<std::string, std::string> codes_;  // code -> redirect_uri ("" = any)
  uint64_t serial_ = 0;
};

}  // namespace arsync::emulators::quickbooks
