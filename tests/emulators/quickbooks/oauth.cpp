#include "oauth.h"

#include <Poco/Base64Decoder.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace arsync::emulators::quickbooks {
namespace {

// Splits an application/x-www-form-urlencoded body ('+' is a space here).
std::unordered_map<std::string, std::string> parse_form(const std::string& body) {
  std::unordered_map<std::string, std::string> out;
  std::istringstream in(body);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    const size_t eq = pair.find('=');
    std::string k = pair.substr(0, eq), v = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (char& c : k) c = c == '+' ? ' ' : c;
    for (char& c : v) c = c == '+' ? ' ' : c;
    std::string dk, dv;
    Poco::URI::decode(k, dk);
    Poco::URI::decode(v, dv);
    out[dk] = dv;
  }
  return out;
}

TokenAnswer oauth_error(int status, const char* error) {
  return {status, nlohmann::json{{"error", error}}.dump()};
}

}  // namespace

OAuthServer::OAuthServer(OAuthConfig config, int64_t now_ms) : config_(std::move(config)) {
  if (!config_.access_token.empty())
    access_[config_.access_token] = now_ms + config_.access_ttl_s * 1000;
  refresh_ = config_.refresh_token;
  if (!config_.auth_code.empty()) codes_[config_.auth_code] = "";
}

std::string OAuthServer::new_token(const char* prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream s;
  s << prefix << std::hex << rng() << rng() << "x" << ++serial_;
  return s.str();
}

TokenAnswer OAuthServer::issue(int64_t now_ms) {
  const std::string access = new_token("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..");
  refresh_ = new_token("AB11");
  access_[access] = now_ms + config_.access_ttl_s * 1000;
  nlohmann::ordered_json body{{"token_type", "bearer"},
                              {"expires_in", config_.access_ttl_s},
                              {"refresh_token", refresh_},
                              {"x_refresh_token_expires_in", config_.refresh_ttl_s},
                              {"access_token", access}};
  return {200, body.dump()};
}

TokenAnswer OAuthServer::token(const std::string& authorization, const std::string& form_body,
                               int64_t now_ms) {
  std::lock_guard lock(mu_);
  // Client authentication: HTTP Basic base64(client_id:client_secret).
  std::string creds;
  if (authorization.rfind("Basic ", 0) == 0) {
    std::istringstream in(authorization.substr(6));
    Poco::Base64Decoder dec(in);
    std::getline(dec, creds, '\0');
  }
  if (creds != config_.client_id + ":" + config_.client_secret)
    return oauth_error(401, "invalid_client");

  auto form = parse_form(form_body);
  const std::string grant = form["grant_type"];
  if (grant == "refresh_token") {
    if (form["refresh_token"].empty() || form["refresh_token"] != refresh_)
      return oauth_error(400, "invalid_grant");
    return issue(now_ms);
  }
  if (grant == "authorization_code") {
    auto it = codes_.find(form["code"]);
    if (it == codes_.end() || (!it->second.empty() && it->second != form["redirect_uri"]))
      return oauth_error(400, "invalid_grant");
    codes_.erase(it);  // a code is good for one exchange
    return issue(now_ms);
  }
  if (grant.empty()) return oauth_error(400, "invalid_request");
  return oauth_error(400, "unsupported_grant_type");
}

std::string OAuthServer::authorize(const std::string& client_id, const std::string& redirect_uri,
                                   const std::string& state, const std::string& realm) {
  std::lock_guard lock(mu_);
  if (client_id != config_.client_id || redirect_uri.empty()) return {};
  const std::string code = new_token("AB11code");
  codes_[code] = redirect_uri;
  std::string enc_state, enc_code;
  Poco::URI::encode(state, "&=+#?/", enc_state);
  Poco::URI::encode(code, "&=+#?/", enc_code);
  return redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&") +
         "code=" + enc_code + "&state=" + enc_state + "&realmId=" + realm;
}

OAuthServer::Bearer OAuthServer::check(const std::string& authorization, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  if (authorization.empty()) return Bearer::kMissing;
  if (authorization.rfind("Bearer ", 0) != 0 || authorization.size() <= 7) return Bearer::kMalformed;
  auto it = access_.find(authorization.substr(7));
  if (it == access_.end()) return Bearer::kUnknown;
  return now_ms < it->second ? Bearer::kValid : Bearer::kExpired;
}

}  // namespace arsync::emulators::quickbooks
