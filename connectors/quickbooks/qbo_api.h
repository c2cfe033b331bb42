// QboApi: the QuickBooks Online Accounting API v3 calls the connector makes,
// over the shared net::HttpClient with the realm's rate governor and the
// system's OAuth tokens.
//
// Every request carries "Authorization: Bearer <token>", "Accept:
// application/json" and minorversion=<pinned>. A 401 makes the token keeper
// drop the access token and the request is sent once more with a fresh one;
// a second 401 is kAuthError. Fault bodies become Statuses through
// read_fault (responses.h). Long queries (an Id IN list) are POSTed with
// Content-Type application/text, as Intuit allows.
//
// Thread safety: all members may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/net/http_client.h"
#include "arsync/net/oauth2.h"
#include "responses.h"

namespace arsync::connectors::quickbooks {

// `value` as a string literal of Intuit's query language: in quotes, with a
// backslash before each ' and \ ("O'Neil" -> 'O\'Neil').
std::string query_literal(std::string_view value);

struct ApiSettings {
  std::string realm_id;
  int minorversion = 75;
  net::ClientOptions http;  // base_url: "https://quickbooks.api.intuit.com"
};

class QboApi {
 public:
  QboApi(ApiSettings settings, net::TokenKeeper* tokens, std::shared_ptr<net::RateGovernor> governor);

  // A page of `select ...` for `entity` ("Invoice").
  Result<QueryPage> query(const std::string& entity, const std::string& statement);
  // totalCount of `select count(*) ...`.
  Result<long long> count(const std::string& statement);
  // Changes to `entities` since `changed_since` (ISO 8601 with offset).
  Result<CdcResult> cdc(const std::vector<std::string>& entities, const std::string& changed_since);
  // One entity by id.
  Result<Entity> read(const std::string& entity, const std::string& id);
  // POSTs `json` to the entity's endpoint (create, or update with SyncToken)
  // with requestid=`request_id` (Intuit then creates nothing twice).
  Result<Entity> write(const std::string& entity, const std::string& json, const std::string& request_id,
                       const std::string& operation = "");

  net::ClientStats stats() const { return http_.stats(); }
  void cancel() { http_.cancel(); }
  const std::string& realm() const { return settings_.realm_id; }

 private:
  Result<net::ClientResponse> send(net::ClientRequest request);
  std::string company_path(const std::string& rest) const;

  ApiSettings settings_;
  net::TokenKeeper* tokens_;
  net::HttpClient http_;
};

}  // namespace arsync::connectors::quickbooks
