#include "arsync/service/http_config.h"

#include <set>

namespace arsync::service {
namespace {

Status bad(const std::string& path, const std::string& what) {
  Location at;
  at.field = path;
  return Status(ErrorCode::kInvalidArgument, path + ": " + what, at);
}

// JSON text of a value, cut short: an error shows what was written, not a page of it.
std::string shown(const nlohmann::json& v) {
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > 60 ? text.substr(0, 60) + "..." : text;
}

Status check_keys(const nlohmann::json& obj, const std::string& path,
                  const std::set<std::string>& known) {
  for (const auto& [key, value] : obj.items()) {
    if (known.count(key)) continue;
    std::string names;
    for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
    return bad(path + "." + key, "unknown key (known keys here: " + names + ")");
  }
  return Status::ok();
}

Status read_string(const nlohmann::json& obj, const char* key, const std::string& path,
                   std::string& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_string()) return bad(path, "expected a string, got " + shown(*it));
  out = it->get<std::string>();
  if (out.empty()) return bad(path, "must not be empty (leave the key out instead)");
  return Status::ok();
}

// A whole number in [min, max]; "10", 10.5 and 1e3 are refused, as the rest
// of the config refuses them.
Status read_integer(const nlohmann::json& obj, const char* key, const std::string& path,
                    long long min, long long max, long long& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const bool in_range = it->is_number_integer() &&
                        (it->is_number_unsigned() ? it->get<unsigned long long>() <=
                                                        static_cast<unsigned long long>(max)
                                                  : it->get<long long>() <= max) &&
                        it->get<long long>() >= min;
  if (!in_range) {
    return bad(path, "expected a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", got " + shown(*it));
  }
  out = it->get<long long>();
  return Status::ok();
}

Status parse_tls(const nlohmann::json& tls, HttpTlsOptions& out) {
  if (!tls.is_object()) return bad("http.tls", "expected an object, got " + shown(tls));
  ARSYNC_RETURN_IF_ERROR(check_keys(tls, "http.tls", {"cert", "key", "client_ca"}));
  ARSYNC_RETURN_IF_ERROR(read_string(tls, "cert", "http.tls.cert", out.cert));
  ARSYNC_RETURN_IF_ERROR(read_string(tls, "key", "http.tls.key", out.key));
  ARSYNC_RETURN_IF_ERROR(read_string(tls, "client_ca", "http.tls.client_ca", out.client_ca));
  if (out.cert.empty() != out.key.empty()) {
    return bad(out.cert.empty() ? "http.tls.cert" : "http.tls.key",
               "is missing: TLS needs both http.tls.cert and http.tls.key");
  }
  if (!out.client_ca.empty() && out.cert.empty()) {
    return bad("http.tls.client_ca",
               "needs TLS: set http.tls.cert and http.tls.key as well");
  }
  return Status::ok();
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string& text) {
  const auto fail = [&] {
    return Status(ErrorCode::kInvalidArgument,
                  "expected host:port or [v6]:port (e.g. 127.0.0.1:8089, [::1]:8089, "
                  "0.0.0.0:8089), got " + shown(nlohmann::json(text)));
  };
  ListenAddress out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail();
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (out.host.find(':') == std::string::npos) return fail();  // brackets are for IPv6
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) return fail();
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return fail();  // IPv6 needs brackets
  }
  if (out.host.empty() || port.empty() || port.size() > 5) return fail();
  for (const char c : out.host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '[' || c == ']') return fail();
  }
  for (const char c : port) {
    if (c < '0' || c > '9') return fail();
  }
  out.port = std::stoi(port);
  if (out.port > 65535) return fail();
  return out;
}

Result<HttpOptions> parse_http_options(const nlohmann::json& http) {
  HttpOptions o;
  if (http.is_null()) return o;
  if (!http.is_object()) return bad("http", "expected an object, got " + shown(http));
  ARSYNC_RETURN_IF_ERROR(check_keys(
      http, "http",
      {"listen", "tls", "max_body_bytes", "max_header_bytes", "max_concurrent_requests",
       "read_timeout_seconds"}));

  ARSYNC_RETURN_IF_ERROR(read_string(http, "listen", "http.listen", o.listen));
  Result<ListenAddress> address = parse_listen_address(o.listen);
  if (!address.is_ok()) return bad("http.listen", address.status().message());
  o.host = address->host;
  o.port = address->port;

  if (const auto tls = http.find("tls"); tls != http.end()) {
    ARSYNC_RETURN_IF_ERROR(parse_tls(*tls, o.tls));
  }

  long long n = static_cast<long long>(o.max_body_bytes);
  ARSYNC_RETURN_IF_ERROR(read_integer(http, "max_body_bytes", "http.max_body_bytes", 1,
                                      1LL << 30, n));
  o.max_body_bytes = static_cast<std::size_t>(n);
  n = static_cast<long long>(o.max_header_bytes);
  // Below 1 KiB ordinary clients' heads would be refused.
  ARSYNC_RETURN_IF_ERROR(read_integer(http, "max_header_bytes", "http.max_header_bytes", 1024,
                                      1LL << 20, n));
  o.max_header_bytes = static_cast<std::size_t>(n);
  n = o.max_concurrent_requests;
  ARSYNC_RETURN_IF_ERROR(read_integer(http, "max_concurrent_requests",
                                      "http.max_concurrent_requests", 1, 256, n));
  o.max_concurrent_requests = static_cast<int>(n);
  n = o.read_timeout.count();
  ARSYNC_RETURN_IF_ERROR(read_integer(http, "read_timeout_seconds", "http.read_timeout_seconds",
                                      1, 3600, n));
  o.read_timeout = std::chrono::seconds(n);
  return o;
}

}  // namespace arsync::service
