// TokenKeeper: an OAuth 2.0 client's tokens for one system (RFC 6749,
// authorization-code grant with refresh-token rotation, as Intuit's and
// NetSuite's token endpoints do it).
//
// The tokens live in the connector's CredentialHandle under one name
// ("oauth2"), as one JSON value {access_token, access_expires_at,
// refresh_token, refresh_expires_at}, so they change together or not at
// all. Rotation is crash-safe in the order that matters: a refresh's answer
// (a new refresh token, which makes the old one unusable at the server) is
// put, and the put has returned OK, before the new access token is handed
// to anyone. A kill before that put loses the answer but not the stored
// token (the server has not seen the new one used); a kill after it finds
// the new one stored. An answer without a refresh token keeps the old one;
// an empty access or refresh token is never stored.
//
// A refused grant (`invalid_grant`: the refresh token was revoked, expired
// or already rotated away) is kAuthError and not retryable: refreshing again
// cannot help until someone authorizes again (consent_url, exchange_code).
// The keeper then reads the stored tokens again, so tokens another process
// stored (`arsync auth` beside a running daemon) are taken up without a
// restart.
// A client refused (`invalid_client`) is kAuthError too. Network failures
// and 5xx are kUnavailable, retryable.
//
// Thread safety: all members may be called from several threads; refreshes
// are serialized, so two callers never spend the same refresh token.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "arsync/credentials.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/net/http_client.h"

namespace arsync::net {

struct OAuthSettings {
  std::string authorize_url;  // "https://appcenter.intuit.com/connect/oauth2"
  std::string token_url;      // "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
  std::string client_id;
  std::string client_secret;
  std::string scope;          // "com.intuit.quickbooks.accounting"
  std::string redirect_uri;
  // An access token with less than this left is refreshed before use.
  std::chrono::seconds refresh_margin{120};
};

struct TokenState {
  std::string access_token;
  Instant access_expires_at{};
  std::string refresh_token;
  Instant refresh_expires_at{};  // epoch when the server gave no expiry
};

class TokenKeeper {
 public:
  // `credentials` and `clock` must outlive the keeper. `http` is used for
  // the token endpoint (its base URL is the token URL's scheme and host).
  TokenKeeper(OAuthSettings settings, CredentialHandle* credentials, const Clock* clock,
              ClientOptions http);

  // The credential name the tokens are kept under.
  static constexpr const char* kCredentialName = "oauth2";

  // A usable access token: the stored one while it has more than the
  // margin left, else a refreshed one (stored first). kAuthError when there
  // are no tokens yet ("not authorized: run arsync auth ...") or the grant
  // was refused; kUnavailable / kIoError when the endpoint or the store
  // cannot be reached.
  Result<std::string> access_token();

  // The server refused `token` (HTTP 401): the next access_token() refreshes
  // even if the token has not expired.
  void refused(const std::string& token);

  // The URL the user opens to consent; `state` is echoed back to redirect_uri.
  std::string consent_url(const std::string& state) const;

  // Exchanges an authorization code for tokens and stores them.
  Status exchange_code(const std::string& code);

  // Stores `refresh_token` as the current one (an initial token from the
  // vendor's playground), with no access token.
  Status seed(const std::string& refresh_token);

  // The stored tokens (no network); nullopt when there are none.
  Result<std::optional<TokenState>> stored();

  // Serialization of TokenState (exposed for tests): JSON text, and back.
  static std::string to_text(const TokenState& state);
  static Result<TokenState> from_text(const std::string& text);

 private:
  // POSTs `form` to the token endpoint; on success stores and returns the state.
  Result<TokenState> grant(const std::string& form, const std::string& old_refresh);
  Result<std::optional<TokenState>> load_locked();

  OAuthSettings settings_;
  CredentialHandle* credentials_;
  const Clock* clock_;
  std::string token_path_;
  std::unique_ptr<HttpClient> http_;
  std::mutex mu_;
  std::optional<TokenState> cached_;
  bool loaded_ = false;
};

}  // namespace arsync::net
