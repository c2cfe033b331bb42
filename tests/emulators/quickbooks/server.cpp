#include "server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "intuit_time.h"

namespace arsync::emulators::quickbooks {
namespace {

constexpr int64_t kCdcWindowMs = 30LL * 86'400'000;
constexpr size_t kCdcCap = 1000;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits a raw query string. Values are %-decoded but a '+' stays a '+':
// clients send offsets such as changedSince=...T10:00:00+01:00 unescaped.
// Names are matched case-insensitively (kept lower-case here).
std::unordered_map<std::string, std::string> split_query(const std::string& raw) {
  std::unordered_map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t amp = raw.find('&', pos);
    if (amp == std::string::npos) amp = raw.size();
    const std::string pair = raw.substr(pos, amp - pos);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string name, value;
      Poco::URI::decode(pair.substr(0, eq), name);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value);
      out[lower(name)] = value;
    }
    pos = amp + 1;
  }
  return out;
}

std::string money_text(int64_t cents) {
  if (cents == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "",
                static_cast<long long>((cents < 0 ? -cents : cents) / 100),
                static_cast<long long>((cents < 0 ? -cents : cents) % 100));
  return buf;
}

std::string tid() {
  static std::atomic<uint64_t> n{0};
  char buf[64];
  std::snprintf(buf, sizeof buf, "1-%08llx-emulator%08llx",
                static_cast<unsigned long long>(now_ms() / 1000),
                static_cast<unsigned long long>(++n));
  return buf;
}

// The gateway's lower-case fault, with the time in epoch milliseconds, as
// Intuit answers a 401 or 403 (python-quickbooks issue #250).
std::string gateway_fault(const std::string& message, const std::string& detail,
                          const std::string& code, const std::string& type, int64_t now) {
  nlohmann::ordered_json body{
      {"warnings", nullptr},
      {"intuitObject", nullptr},
      {"fault",
       {{"error", nlohmann::ordered_json::array({{{"message", message},
                                                  {"detail", detail.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(detail)},
                                                  {"code", code},
                                                  {"element", nullptr}}})},
        {"type", type}}},
      {"report", nullptr},
      {"queryResponse", nullptr},
      {"batchItemResponse", nlohmann::ordered_json::array()},
      {"attachableResponse", nlohmann::ordered_json::array()},
      {"syncErrorResponse", nullptr},
      {"requestId", nullptr},
      {"time", now},
      {"status", nullptr},
      {"cdcresponse", nlohmann::ordered_json::array()}};
  return body.dump();
}

// GET companyinfo/<realm>: what a connector reads to check its connection.
std::string company_info(const std::string& realm, int64_t now) {
  const Json addr{{"Id", "1"}, {"Line1", "2500 Garcia Ave"}, {"City", "Mountain View"},
                  {"CountrySubDivisionCode", "CA"}, {"PostalCode", "94043"}, {"Country", "US"}};
  Json info{{"Id", "1"},
            {"SyncToken", "0"},
            {"domain", "QBO"},
            {"sparse", false},
            {"CompanyName", "arsync emulated company " + realm},
            {"LegalName", "arsync emulated company " + realm},
            {"CompanyAddr", addr},
            {"LegalAddr", addr},
            {"CustomerCommunicationAddr", addr},
            {"Country", "US"},
            {"SupportedLanguages", "en"},
            {"FiscalYearStartMonth", "January"},
            {"CompanyStartDate", "2014-09-11"},
            {"Email", {{"Address", "donotreply@intuit.com"}}},
            {"NameValue", Json::array({{{"Name", "OfferingSku"}, {"Value", "QuickBooks Online Plus"}},
                                       {{"Name", "SubscriptionStatus"}, {"Value", "PAID"}}})},
            {"MetaData", {{"CreateTime", "2014-09-11T16:48:43-07:00"},
                          {"LastUpdatedTime", "2014-09-11T16:48:43-07:00"}}}};
  return Json{{"CompanyInfo", std::move(info)}, {"time", format_response_time(now)}}.dump();
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Emulator& e) : emulator_(e) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    emulator_.handle(req, resp);
  }

 private:
  Emulator& emulator_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Emulator& e) : emulator_(e) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(emulator_);
  }

 private:
  Emulator& emulator_;
};

}  // namespace

std::string fault_body(const Fault& f, int64_t now) {
  Json body{{"Fault",
             {{"Error", Json::array({{{"Message", f.message},
                                      {"Detail", f.detail},
                                      {"code", f.code},
                                      {"element", f.element}}})},
              {"type", f.type}}},
            {"time", format_response_time(now)}};
  return body.dump();
}

Emulator::Emulator(ServerConfig config, Company company, OAuthConfig oauth, int64_t now_ms)
    : config_(std::move(config)), company_(std::move(company)), oauth_(std::move(oauth), now_ms) {}

Emulator::~Emulator() { stop(); }

uint16_t Emulator::start() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(config_.host, config_.port), 64);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(60, 0));
  params->setMaxThreads(16);
  params->setMaxQueued(256);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
  server_->start();
  return socket.address().port();
}

void Emulator::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

void Emulator::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);
  Answer a;
  try {
    a = route(request, body);
  } catch (const std::exception& e) {
    Fault f;
    f.http_status = 500;
    f.type = "SystemFault";
    f.message = "An application error has occurred while processing your request";
    f.detail = std::string("System Failure Error: ") + e.what();
    f.code = "10000";
    a = Answer(500, fault_body(f, now_ms()));
  }
  if (config_.latency_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.latency_ms));
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
  response.setContentType(a.content_type);
  response.set("intuit_tid", tid());
  if (!a.location.empty()) response.set("Location", a.location);
  response.sendBuffer(a.body.data(), a.body.size());
}

bool Emulator::throttled() {
  std::lock_guard lock(throttle_mu_);
  ++api_requests_;
  if (config_.rate_per_minute <= 0) return false;
  const int64_t now = now_ms();
  while (!recent_.empty() && recent_.front() <= now - config_.rate_window_ms) recent_.pop_front();
  if (static_cast<int>(recent_.size()) >= config_.rate_per_minute) {
    ++throttled_;
    return true;
  }
  recent_.push_back(now);
  return false;
}

Emulator::Answer Emulator::route(Poco::Net::HTTPServerRequest& request, const std::string& body) {
  const Poco::URI uri(request.getURI());
  const std::string path = uri.getPath();
  const auto params = split_query(uri.getRawQuery());
  const std::string& method = request.getMethod();
  const int64_t now = now_ms();

  // Not Intuit's: what this emulator served, for tests to assert on.
  if (path == "/__emulator/stats") {
    std::lock_guard lock(throttle_mu_);
    return {200, "{\"api_requests\":" + std::to_string(api_requests_) + ",\"throttled\":" +
                     std::to_string(throttled_) + "}"};
  }
  if (path == "/oauth2/v1/tokens/bearer") {
    if (method != "POST") return {405, R"({"error":"invalid_request"})"};
    const TokenAnswer t = oauth_.token(request.get("Authorization", ""), body, now);
    return {t.status, t.body};
  }
  if (path == "/connect/oauth2") {
    auto get = [&](const char* k) {
      auto it = params.find(k);
      return it == params.end() ? std::string{} : it->second;
    };
    if (get("response_type") != "code") return {400, R"({"error":"unsupported_response_type"})"};
    const std::string location =
        oauth_.authorize(get("client_id"), get("redirect_uri"), get("state"), company_.realm());
    if (location.empty()) return {400, R"({"error":"invalid_client"})"};
    return {302, "", "text/plain", location};
  }

  const std::string prefix = "/v3/company/";
  if (path.rfind(prefix, 0) != 0) return {404, "Not Found", "text/plain", ""};
  std::vector<std::string> parts;
  std::istringstream segs(path.substr(prefix.size()));
  for (std::string s; std::getline(segs, s, '/');) {
    if (!s.empty()) parts.push_back(s);
  }

  switch (oauth_.check(request.get("Authorization", ""), now)) {
    case OAuthServer::Bearer::kValid: break;
    case OAuthServer::Bearer::kMissing:
      return {401, gateway_fault("message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "Authorization header missing", "3200", "AUTHENTICATION", now)};
    case OAuthServer::Bearer::kMalformed:
      return {401, gateway_fault("message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "Malformed bearer token: too short or too long", "3200",
                                 "AUTHENTICATION", now)};
    case OAuthServer::Bearer::kExpired:
      return {401, gateway_fault("message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "Token expired", "3200", "AUTHENTICATION", now)};
    case OAuthServer::Bearer::kUnknown:
      return {401, gateway_fault("message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "Token invalid", "3200", "AUTHENTICATION", now)};
  }
  if (throttled()) {
    Fault f;
    f.http_status = 429;
    f.type = "SERVICE";
    f.message = "message=ThrottleExceeded; errorCode=003001; statusCode=429";
    f.detail = "The request limit was reached.  Try again later";
    f.code = "3001";
    return {429, fault_body(f, now)};
  }
  if (parts.empty() || parts[0] != company_.realm()) {
    return {403, gateway_fault("message=AuthorizationFailed; errorCode=003100; statusCode=403", "",
                               "3100", "SERVICE", now)};
  }
  return api(method, parts, params, body, request.getContentType());
}

Emulator::Answer Emulator::api(const std::string& method, const std::vector<std::string>& parts,
                               const std::unordered_map<std::string, std::string>& params,
                               const std::string& body, const std::string& content_type) {
  const int64_t now = now_ms();
  auto unsupported = [&] {
    Fault f;
    f.message = "Unsupported Operation";
    std::string rel = "/v3/company";
    for (const std::string& p : parts) rel += "/" + p;
    f.detail = "Operation Could not find resource for relative : " + rel + " is not supported.";
    f.code = "500";
    return Answer{400, fault_body(f, now)};
  };
  if (parts.size() < 2) return unsupported();
  const std::string endpoint = lower(parts[1]);
  if (endpoint == "query" && parts.size() == 2) {
    if (method == "POST") {
      (void)content_type;  // Intuit documents application/text; any is taken
      return query(body);
    }
    if (method == "GET") {
      auto it = params.find("query");
      return query(it == params.end() ? std::string{} : it->second);
    }
    return unsupported();
  }
  if (endpoint == "cdc" && parts.size() == 2 && method == "GET") return cdc(params);
  if (endpoint == "reports" && parts.size() == 3 && method == "GET" && parts[2] == "TrialBalance")
    return trial_balance(params);
  if (endpoint == "companyinfo" && parts.size() == 3 && method == "GET" && parts[2] == parts[0])
    return {200, company_info(parts[0], now)};
  const EntityKind* kind = find_kind(parts[1]);
  if (!kind) return unsupported();
  if (method == "GET" && parts.size() == 3) {
    int64_t id = 0;
    auto [p, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), id);
    std::lock_guard lock(company_mu_);
    const Entity* e = ec == std::errc() && p == parts[2].data() + parts[2].size()
                          ? company_.read(*kind, id)
                          : nullptr;
    if (!e) {
      Fault f;
      f.message = "Object Not Found";
      f.detail = "Object Not Found : Something you're trying to use has been made inactive. "
                 "Check the fields with accounts, customers, items, vendors or employees.";
      f.code = "610";
      return {400, fault_body(f, now)};
    }
    return {200, "{\"" + std::string(kind->name) + "\":" + e->text + ",\"time\":\"" +
                     format_response_time(now) + "\"}"};
  }
  if (method == "POST" && parts.size() == 2) return entity_write(*kind, params, body);
  return unsupported();
}

Emulator::Answer Emulator::query(const std::string& text) {
  const int64_t now = now_ms();
  ParseOutcome parsed = parse_query(text);
  if (!parsed.query) {
    Fault f;
    f.message = "Error parsing query";
    f.detail = parsed.error;
    f.code = "4000";
    return {400, fault_body(f, now)};
  }
  std::lock_guard lock(company_mu_);
  auto result = company_.query(*parsed.query);
  if (auto* f = std::get_if<Fault>(&result)) return {f->http_status, fault_body(*f, now)};
  const QueryPage& page = std::get<QueryPage>(result);
  std::string out = "{\"QueryResponse\":{";
  if (page.count) {
    out += "\"totalCount\":" + std::to_string(page.total_count);
  } else if (!page.rows.empty()) {
    size_t bytes = 0;
    for (const Entity* e : page.rows) bytes += e->text.size() + 1;
    out.reserve(bytes + 256);
    out += "\"" + std::string(page.kind->name) + "\":[";
    for (size_t i = 0; i < page.rows.size(); ++i) {
      if (i) out += ',';
      out += page.rows[i]->text;
    }
    out += "],\"startPosition\":" + std::to_string(page.start_position) +
           ",\"maxResults\":" + std::to_string(page.rows.size());
  }
  out += "},\"time\":\"" + format_response_time(now) + "\"}";
  return {200, std::move(out)};
}

Emulator::Answer Emulator::cdc(const std::unordered_map<std::string, std::string>& params) {
  const int64_t now = now_ms();
  auto missing = [&](const char* name) {
    Fault f;
    f.message = "Required param missing, need to supply the required value for the API";
    f.detail = std::string("Required parameter ") + name + " is missing in the request";
    f.code = "2020";
    f.element = name;
    return Answer{400, fault_body(f, now)};
  };
  auto ents = params.find("entities");
  auto since_it = params.find("changedsince");
  if (ents == params.end() || ents->second.empty()) return missing("entities");
  if (since_it == params.end() || since_it->second.empty()) return missing("changedSince");
  std::vector<const EntityKind*> kinds;
  std::istringstream names(ents->second);
  for (std::string n; std::getline(names, n, ',');) {
    n.erase(0, n.find_first_not_of(' '));
    n.erase(n.find_last_not_of(' ') + 1);
    const EntityKind* k = find_kind(n);
    if (!k) {
      Fault f;
      f.message = "Unsupported Operation";
      f.detail = "Operation cdc is not supported for entity " + n;
      f.code = "500";
      return {400, fault_body(f, now)};
    }
    kinds.push_back(k);
  }
  const auto since = parse_instant(since_it->second);
  if (!since) {
    Fault f;
    f.message = "Invalid Date";
    f.detail = "changedSince is not a date-time: " + since_it->second;
    f.code = "2040";
    f.element = "changedSince";
    return {400, fault_body(f, now)};
  }
  if (*since < now - kCdcWindowMs) {
    Fault f;
    f.message = "Unsupported Operation";
    f.detail = "Operation cdc with changedSince date " + since_it->second +
               " which is older than fixed days is not supported.";
    f.code = "500";
    return {400, fault_body(f, now)};
  }
  std::lock_guard lock(company_mu_);
  const std::vector<CdcGroup> groups = company_.cdc(kinds, *since, kCdcCap);
  std::string out = "{\"CDCResponse\":[{\"QueryResponse\":[";
  for (size_t g = 0; g < groups.size(); ++g) {
    if (g) out += ',';
    const CdcGroup& grp = groups[g];
    const size_t n = grp.changed.size() + grp.deleted.size();
    if (n == 0) {
      out += "{}";
      continue;
    }
    out += "{\"" + std::string(grp.kind->name) + "\":[";
    bool first = true;
    for (const Entity* e : grp.changed) {
      if (!first) out += ',';
      first = false;
      out += e->text;
    }
    for (const Tombstone& t : grp.deleted) {
      if (!first) out += ',';
      first = false;
      out += Json{{"status", "Deleted"},
                  {"domain", "QBO"},
                  {"Id", std::to_string(t.id)},
                  {"MetaData", {{"LastUpdatedTime", format_entity_time(t.deleted_ms)}}}}
                 .dump();
    }
    out += "],\"startPosition\":1,\"maxResults\":" + std::to_string(n) + "}";
  }
  out += "]}],\"time\":\"" + format_response_time(now) + "\"}";
  return {200, std::move(out)};
}

Emulator::Answer Emulator::entity_write(const EntityKind& kind,
                                        const std::unordered_map<std::string, std::string>& params,
                                        const std::string& body) {
  const int64_t now = now_ms();
  auto op_it = params.find("operation");
  std::string operation = op_it == params.end() ? "" : lower(op_it->second);
  if (operation == "update") operation.clear();
  auto rid = params.find("requestid");
  std::lock_guard lock(company_mu_);
  // Intuit: a request repeated with the same requestid gets the first answer.
  const std::string key = rid == params.end() ? "" : company_.realm() + "/" + rid->second;
  if (!key.empty()) {
    if (auto it = answered_.find(key); it != answered_.end()) return it->second;
  }
  Answer a;
  const Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    Fault f;
    f.message = "Request has invalid or unsupported property";
    f.detail = "Error parsing object: the request body is not valid JSON";
    f.code = "2010";
    a = {400, fault_body(f, now)};
  } else {
    auto result = company_.write(kind, operation, parsed, now);
    if (auto* f = std::get_if<Fault>(&result)) {
      a = {f->http_status, fault_body(*f, now)};
    } else {
      const WriteResult& w = std::get<WriteResult>(result);
      a = {200, "{" + w.body + ",\"time\":\"" + format_response_time(now) + "\"}"};
      if (listener_) listener_(company_.realm(), w.changes);
    }
  }
  if (!key.empty()) answered_[key] = a;
  return a;
}

Emulator::Answer Emulator::trial_balance(const std::unordered_map<std::string, std::string>& params) {
  const int64_t now = now_ms();
  auto get = [&](const char* k) {
    auto it = params.find(k);
    return it == params.end() ? std::string{} : it->second;
  };
  const std::string today = format_date(now);
  std::string start = get("start_date"), end = get("end_date"), macro = lower(get("date_macro"));
  if (start.empty() && end.empty()) {
    if (macro.empty()) macro = "this month-to-date";
    if (macro == "today") start = end = today;
    else if (macro == "this month-to-date") start = today.substr(0, 8) + "01", end = today;
    else if (macro == "this month") start = today.substr(0, 8) + "01", end = today;
    else if (macro == "this fiscal year-to-date" || macro == "this calendar year-to-date")
      start = today.substr(0, 5) + "01-01", end = today;
    else if (macro == "this fiscal year" || macro == "this calendar year")
      start = today.substr(0, 5) + "01-01", end = today.substr(0, 5) + "12-31";
    else {
      Fault f;
      f.message = "Invalid Date Macro";
      f.detail = "date_macro " + get("date_macro") + " is not supported by the emulator";
      f.code = "2040";
      f.element = "date_macro";
      return {400, fault_body(f, now)};
    }
  } else {
    if (end.empty()) end = today;
    if (start.empty()) start = end.substr(0, 5) + "01-01";
    macro.clear();
  }
  std::vector<TrialBalanceRow> rows;
  {
    std::lock_guard lock(company_mu_);
    rows = company_.trial_balance(end);
  }
  Json header{{"Time", format_entity_time(now)},
              {"ReportName", "TrialBalance"}};
  if (!macro.empty()) header["DateMacro"] = macro;
  header["ReportBasis"] = "Accrual";
  header["StartPeriod"] = start;
  header["EndPeriod"] = end;
  header["Currency"] = "USD";
  int64_t debit = 0, credit = 0;
  Json row_list = Json::array();
  for (const TrialBalanceRow& r : rows) {
    if (r.debit_cents == 0 && r.credit_cents == 0) continue;
    debit += r.debit_cents;
    credit += r.credit_cents;
    row_list.push_back({{"ColData", Json::array({{{"value", r.account}, {"id", r.account_id}},
                                                 {{"value", money_text(r.debit_cents)}},
                                                 {{"value", money_text(r.credit_cents)}}})}});
  }
  header["Option"] = Json::array({{{"Name", "NoReportData"}, {"Value", row_list.empty() ? "true" : "false"}}});
  row_list.push_back({{"Summary", {{"ColData", Json::array({{{"value", "TOTAL"}},
                                                            {{"value", money_text(debit)}},
                                                            {{"value", money_text(credit)}}})}}},
                      {"type", "Section"},
                      {"group", "GrandTotal"}});
  Json report{{"Header", std::move(header)},
              {"Columns", {{"Column", Json::array({{{"ColTitle", ""}, {"ColType", "Account"}},
                                                   {{"ColTitle", "Debit"}, {"ColType", "Money"}},
                                                   {{"ColTitle", "Credit"}, {"ColType", "Money"}}})}}},
              {"Rows", {{"Row", std::move(row_list)}}}};
  return {200, report.dump()};
}

}  // namespace arsync::emulators::quickbooks
