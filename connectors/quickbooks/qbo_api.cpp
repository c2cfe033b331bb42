#include "qbo_api.h"

#include <cctype>

namespace arsync::connectors::quickbooks {
namespace {

// Queries longer than this are POSTed instead of sent in the URL.
constexpr std::size_t kMaxQueryInUrl = 2000;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string query_literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

QboApi::QboApi(ApiSettings settings, net::TokenKeeper* tokens, std::shared_ptr<net::RateGovernor> governor)
    : settings_(std::move(settings)),
      tokens_(tokens),
      http_(settings_.http, std::move(governor),
            [](const net::ClientResponse& r) { return read_fault(r.status, r.body); }) {}

std::string QboApi::company_path(const std::string& rest) const {
  return "/v3/company/" + net::url_encode(settings_.realm_id) + "/" + rest;
}

Result<net::ClientResponse> QboApi::send(net::ClientRequest request) {
  request.headers.push_back({"Accept", "application/json"});
  request.target += (request.target.find('?') == std::string::npos ? "?" : "&");
  request.target += "minorversion=" + std::to_string(settings_.minorversion);
  for (int attempt = 0;; ++attempt) {
    Result<std::string> token = tokens_->access_token();
    if (!token.is_ok()) return token.status();
    net::ClientRequest r = request;
    r.headers.push_back({"Authorization", "Bearer " + token.value()});
    Result<net::ClientResponse> got = http_.send(r);
    if (got.is_ok() || got.status().where().http_status != 401 || attempt > 0) return got;
    // An access token revoked or expired early: one more try with a new one.
    tokens_->refused(token.value());
  }
}

Result<QueryPage> QboApi::query(const std::string& entity, const std::string& statement) {
  net::ClientRequest r;
  const std::string encoded = net::url_encode(statement);
  if (encoded.size() <= kMaxQueryInUrl) {
    r.target = company_path("query?query=" + encoded);
  } else {
    r.method = "POST";
    r.target = company_path("query");
    r.headers.push_back({"Content-Type", "application/text"});
    r.body = statement;
  }
  Result<net::ClientResponse> got = send(std::move(r));
  if (!got.is_ok()) return got.status().with_context("query " + entity);
  return parse_query_response(got.value().body, entity,
                              "QuickBooks realm " + settings_.realm_id + " query " + entity);
}

Result<long long> QboApi::count(const std::string& statement) {
  net::ClientRequest r;
  r.target = company_path("query?query=" + net::url_encode(statement));
  Result<net::ClientResponse> got = send(std::move(r));
  if (!got.is_ok()) return got.status().with_context("count");
  return parse_count_response(got.value().body, "QuickBooks realm " + settings_.realm_id + " count");
}

Result<CdcResult> QboApi::cdc(const std::vector<std::string>& entities, const std::string& changed_since) {
  std::string list;
  for (const std::string& e : entities) list += (list.empty() ? "" : ",") + e;
  net::ClientRequest r;
  r.target = company_path("cdc?entities=" + net::url_encode(list) + "&changedSince=" + net::url_encode(changed_since));
  Result<net::ClientResponse> got = send(std::move(r));
  if (!got.is_ok()) return got.status().with_context("cdc " + list);
  return parse_cdc_response(got.value().body, "QuickBooks realm " + settings_.realm_id + " cdc " + list);
}

Result<Entity> QboApi::read(const std::string& entity, const std::string& id) {
  net::ClientRequest r;
  r.target = company_path(lower(entity) + "/" + net::url_encode(id));
  Result<net::ClientResponse> got = send(std::move(r));
  if (!got.is_ok()) return got.status().with_context("read " + entity + " " + id);
  return parse_entity_response(got.value().body, entity,
                               "QuickBooks realm " + settings_.realm_id + " " + entity + " " + id);
}

Result<Entity> QboApi::write(const std::string& entity, const std::string& json, const std::string& request_id,
                             const std::string& operation) {
  net::ClientRequest r;
  r.method = "POST";
  // An empty requestid would be one key for every write: left out instead.
  std::string params;
  if (!request_id.empty()) params += "requestid=" + net::url_encode(request_id);
  if (!operation.empty()) params += (params.empty() ? "" : "&") + ("operation=" + net::url_encode(operation));
  r.target = company_path(lower(entity) + (params.empty() ? "" : "?" + params));
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = json;
  // Intuit answers a repeated requestid with the first request's result.
  r.idempotent = !request_id.empty();
  Result<net::ClientResponse> got = send(std::move(r));
  if (!got.is_ok()) return got.status().with_context("write " + entity);
  return parse_entity_response(got.value().body, entity, "QuickBooks realm " + settings_.realm_id + " " + entity);
}

}  // namespace arsync::connectors::quickbooks
