#include "arsync/net/oauth2.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace arsync::net {
namespace {

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << text;
  enc.close();
  return out.str();
}

// The token endpoint's base URL and path.
std::pair<std::string, std::string> split_url(const std::string& url) {
  try {
    Poco::URI uri(url);
    std::string base = uri.getScheme() + "://" + uri.getHost();
    if (uri.getSpecifiedPort() != 0) base += ":" + std::to_string(uri.getSpecifiedPort());
    return {base, uri.getPathEtc()};
  } catch (const Poco::Exception&) {
    return {url, "/"};
  }
}

// RFC 6749 section 5.2 error bodies: {"error":"invalid_grant","error_description":...}.
Status token_error(const ClientResponse& r) {
  std::string error, description;
  try {
    const nlohmann::json j = nlohmann::json::parse(r.body);
    if (j.is_object()) {
      if (j.contains("error") && j["error"].is_string()) error = j["error"].get<std::string>();
      if (j.contains("error_description") && j["error_description"].is_string()) {
        description = j["error_description"].get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
  const std::string shown = error.empty() ? "HTTP " + std::to_string(r.status) : error;
  const std::string message =
      "the token endpoint refused the request (" + shown + (description.empty() ? "" : ": " + description) + ")";
  if (error == "invalid_grant") {
    return Status(ErrorCode::kAuthError,
                  message + ": the refresh token is revoked, expired or was already used; authorize again "
                            "(arsync auth)");
  }
  if (error == "invalid_client" || r.status == 401) {
    return Status(ErrorCode::kAuthError, message + ": check the client id and secret in the secrets file");
  }
  if (r.status == 429 || r.status >= 500) return Status(ErrorCode::kUnavailable, message, {}, true);
  return Status(ErrorCode::kAuthError, message);
}

Instant from_epoch(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

}  // namespace

TokenKeeper::TokenKeeper(OAuthSettings settings, CredentialHandle* credentials, const Clock* clock,
                         ClientOptions http)
    : settings_(std::move(settings)), credentials_(credentials), clock_(clock) {
  auto [base, path] = split_url(settings_.token_url);
  http.base_url = base;
  token_path_ = path;
  http_ = std::make_unique<HttpClient>(std::move(http), nullptr, token_error);
}

std::string TokenKeeper::to_text(const TokenState& s) {
  nlohmann::json j = {{"access_token", s.access_token},
                      {"access_expires_at", s.access_expires_at.time_since_epoch().count()},
                      {"refresh_token", s.refresh_token},
                      {"refresh_expires_at", s.refresh_expires_at.time_since_epoch().count()}};
  return j.dump();
}

Result<TokenState> TokenKeeper::from_text(const std::string& text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    TokenState s;
    s.access_token = j.at("access_token").get<std::string>();
    s.access_expires_at = from_epoch(j.at("access_expires_at").get<std::int64_t>());
    s.refresh_token = j.at("refresh_token").get<std::string>();
    s.refresh_expires_at = from_epoch(j.at("refresh_expires_at").get<std::int64_t>());
    return s;
  } catch (const nlohmann::json::exception&) {
    // The message would quote the text, which holds tokens.
    return Status(ErrorCode::kAuthError, "the stored OAuth tokens cannot be read; authorize again (arsync auth)");
  }
}

Result<std::optional<TokenState>> TokenKeeper::load_locked() {
  if (loaded_) return cached_;
  if (credentials_ == nullptr) {
    return Status(ErrorCode::kAuthError,
                  "no credential store: set store_key in the secrets file so OAuth tokens can be kept");
  }
  Result<std::optional<std::string>> got = credentials_->get(kCredentialName);
  if (!got.is_ok()) return got.status();
  if (got.value()) {
    Result<TokenState> s = from_text(*got.value());
    if (!s.is_ok()) return s.status();
    cached_ = std::move(s).value();
  } else {
    cached_.reset();
  }
  loaded_ = true;
  return cached_;
}

Result<std::optional<TokenState>> TokenKeeper::stored() {
  std::lock_guard<std::mutex> lock(mu_);
  return load_locked();
}

Result<std::string> TokenKeeper::access_token() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<std::optional<TokenState>> have = load_locked();
  if (!have.is_ok()) return have.status();
  if (!have.value()) {
    return Status(ErrorCode::kAuthError, "not authorized yet: run arsync auth to connect this system");
  }
  const TokenState& s = *have.value();
  if (!s.access_token.empty() && clock_->now() + settings_.refresh_margin < s.access_expires_at) {
    return s.access_token;
  }
  const auto refresh_with = [this](const std::string& token) {
    return grant(form_encode({{"grant_type", "refresh_token"}, {"refresh_token", token}}), token);
  };
  const std::string refresh = s.refresh_token;
  Result<TokenState> next = refresh_with(refresh);
  if (!next.is_ok() && next.status().code() == ErrorCode::kAuthError) {
    // Refused: someone may have authorized again since the tokens were read
    // (arsync auth writes the store beside this process). Read them again
    // and try once more if they changed.
    loaded_ = false;
    Result<std::optional<TokenState>> again = load_locked();
    if (again.is_ok() && again.value() && again.value()->refresh_token != refresh) {
      const TokenState& fresh = *again.value();
      if (!fresh.access_token.empty() && clock_->now() + settings_.refresh_margin < fresh.access_expires_at) {
        return fresh.access_token;
      }
      next = refresh_with(fresh.refresh_token);
    }
  }
  if (!next.is_ok()) return next.status();
  return next.value().access_token;
}

void TokenKeeper::refused(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && cached_->access_token == token) cached_->access_expires_at = Instant{};
}

std::string TokenKeeper::consent_url(const std::string& state) const {
  return settings_.authorize_url + "?" +
         form_encode({{"client_id", settings_.client_id},
                      {"response_type", "code"},
                      {"scope", settings_.scope},
                      {"redirect_uri", settings_.redirect_uri},
                      {"state", state}});
}

Status TokenKeeper::exchange_code(const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<TokenState> next = grant(
      form_encode({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", settings_.redirect_uri}}),
      "");
  return next.status();
}

Status TokenKeeper::seed(const std::string& refresh_token) {
  if (refresh_token.empty()) return Status(ErrorCode::kInvalidArgument, "the refresh token is empty");
  std::lock_guard<std::mutex> lock(mu_);
  if (credentials_ == nullptr) {
    return Status(ErrorCode::kAuthError,
                  "no credential store: set store_key in the secrets file so OAuth tokens can be kept");
  }
  TokenState s;
  s.refresh_token = refresh_token;
  ARSYNC_RETURN_IF_ERROR(credentials_->put(kCredentialName, to_text(s)));
  cached_ = std::move(s);
  loaded_ = true;
  return Status::ok();
}

Result<TokenState> TokenKeeper::grant(const std::string& form, const std::string& old_refresh) {
  if (credentials_ == nullptr) {
    return Status(ErrorCode::kAuthError,
                  "no credential store: set store_key in the secrets file so OAuth tokens can be kept");
  }
  ClientRequest req;
  req.method = "POST";
  req.target = token_path_;
  req.headers = {{"Accept", "application/json"},
                 {"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Basic " + base64(settings_.client_id + ":" + settings_.client_secret)}};
  req.body = form;
  // A refresh the server carried out rotates the token: sending it again
  // after a timeout would spend the old one twice.
  req.idempotent = false;
  const Instant asked = clock_->now();
  Result<ClientResponse> r = http_->send(req);
  if (!r.is_ok()) return r.status();

  TokenState s;
  try {
    const nlohmann::json j = nlohmann::json::parse(r.value().body);
    if (j.contains("access_token") && j["access_token"].is_string()) s.access_token = j["access_token"];
    if (j.contains("refresh_token") && j["refresh_token"].is_string()) s.refresh_token = j["refresh_token"];
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
      s.access_expires_at = asked + std::chrono::seconds(j["expires_in"].get<std::int64_t>());
    }
    if (j.contains("x_refresh_token_expires_in") && j["x_refresh_token_expires_in"].is_number_integer()) {
      s.refresh_expires_at = asked + std::chrono::seconds(j["x_refresh_token_expires_in"].get<std::int64_t>());
    } else if (cached_) {
      s.refresh_expires_at = cached_->refresh_expires_at;
    }
  } catch (const nlohmann::json::exception&) {
    return Status(ErrorCode::kUnavailable, "the token endpoint's answer is not JSON", {}, true);
  }
  if (s.access_token.empty()) {
    return Status(ErrorCode::kUnavailable, "the token endpoint's answer has no access_token", {}, true);
  }
  if (s.refresh_token.empty()) {
    if (old_refresh.empty()) {
      return Status(ErrorCode::kAuthError, "the token endpoint's answer has no refresh_token");
    }
    s.refresh_token = old_refresh;  // not rotated this time
  }
  // Stored before anyone sees the access token: see the file comment.
  Status put = credentials_->put(kCredentialName, to_text(s));
  if (!put) return put.with_context("storing the refreshed OAuth tokens");
  cached_ = s;
  loaded_ = true;
  return s;
}

}  // namespace arsync::net
