// HTTP routes a connector (or the service) serves on the daemon's listener:
// SAP's XML-HTTP port posting IDocs, a QuickBooks webhook, later an API.
//
// This header is part of the plugin side of the connector interface
// (connector.h includes it): a connector declares its routes as data, the
// service's listener mounts them. It depends on the model only.
//
// The listener reads the whole request (within its limits: body size, header
// size, read time), authenticates it as the route asks, then calls
// `handle` on one of its threads. Routes are called concurrently: a handler
// must be thread-safe, and it may block (an IDoc post is answered only after
// its IDocs are committed).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arsync {

struct HttpHeader {
  std::string name;   // as sent
  std::string value;
};

// Whether `a` and `b` are equal ignoring ASCII case (header names, tokens
// such as "gzip").
inline bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The value of the first header named `name` (case-insensitive), or nullopt.
inline std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                                   std::string_view name) {
  for (const HttpHeader& h : headers) {
    if (ascii_iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

struct HttpRequest {
  std::string method;  // "POST"
  std::string path;    // without the query: "/sap/idoc/sap-ecc"
  std::string query;   // raw, without '?'; "" when none
  std::vector<HttpHeader> headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  // Who the listener authenticated (an HTTP user, a token's name, a client
  // certificate's subject); "" for routes with RouteAuth::kRoute.
  std::string principal;

  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

struct HttpResponse {
  int status = 200;
  std::vector<HttpHeader> headers;  // Content-Length is set by the listener
  std::string body;
};

enum class RouteAuth {
  kListener,  // HTTP Basic, bearer token or client certificate, checked by the
              // listener before the handler runs (401 otherwise)
  kRoute,     // the handler checks the request itself (a webhook signature)
};

struct HttpRoute {
  std::string method;  // "POST"
  // Exact path; a path ending in '/' matches every path below it.
  std::string path;
  RouteAuth auth = RouteAuth::kListener;
  // Largest body this route takes; 0: the listener's http.max_body_bytes.
  std::size_t max_body_bytes = 0;
  std::function<HttpResponse(const HttpRequest&)> handle;
};

}  // namespace arsync
