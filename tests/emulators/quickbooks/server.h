// The emulator's HTTP face: one Poco HTTPServer answering Intuit's paths
// (the OAuth 2.0 endpoints and /v3/company/<realm>/...) with Intuit's
// bodies, status codes and faults, over keep-alive connections.
//
// Thread safety: Poco serves requests on a thread pool; the company is
// guarded by one mutex, the token server and throttle by their own.
#pragma once

#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "company.h"
#include "oauth.h"

namespace arsync::emulators::quickbooks {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 0;       // 0: a free port
  int rate_per_minute = 0;  // 0: unthrottled; requests per rate window
  int rate_window_ms = 60'000;  // Intuit's window is a minute; tests shorten it
  int latency_ms = 0;
};

// Called after a committed write with the changes it made (webhooks).
using ChangeListener = std::function<void(const std::string& realm, const std::vector<Change>&)>;

class Emulator {
 public:
  Emulator(ServerConfig config, Company company, OAuthConfig oauth, int64_t now_ms);
  ~Emulator();

  void set_change_listener(ChangeListener listener) { listener_ = std::move(listener); }

  // Binds and starts serving. Returns the bound port; throws Poco::Exception
  // if the address cannot be bound.
  uint16_t start();
  void stop();

  // Answers one request (public for the handler; not for callers).
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

 private:
  struct Answer {
    Answer() = default;
    Answer(int s, std::string b, std::string type = "application/json;charset=UTF-8",
           std::string loc = "")
        : status(s), body(std::move(b)), content_type(std::move(type)), location(std::move(loc)) {}
    int status = 200;
    std::string body;
    std::string content_type = "application/json;charset=UTF-8";
    std::string location;
  };

  Answer route(Poco::Net::HTTPServerRequest& request, const std::string& body);
  Answer api(const std::string& method, const std::vector<std::string>& parts,
             const std::unordered_map<std::string, std::string>& params, const std::string& body,
             const std::string& content_type);
  Answer query(const std::string& text);
  Answer cdc(const std::unordered_map<std::string, std::string>& params);
  Answer trial_balance(const std::unordered_map<std::string, std::string>& params);
  Answer entity_write(const EntityKind& kind, const std::unordered_map<std::string, std::string>& params,
                      const std::string& body);
  bool throttled();

  ServerConfig config_;
  std::mutex company_mu_;
  Company company_;
  OAuthServer oauth_;
  ChangeListener listener_;
  std::mutex throttle_mu_;
  std::deque<int64_t> recent_;  // arrival times (ms) within the last rate window
  // What was served, for GET /__emulator/stats (tests assert on it).
  int64_t api_requests_ = 0;
  int64_t throttled_ = 0;
  // requestid -> the answer first given, so a retried create creates nothing.
  std::unordered_map<std::string, Answer> answered_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// Intuit's Fault body with the envelope time: {"Fault":{...},"time":"..."}.
std::string fault_body(const Fault& f, int64_t now_ms);

}  // namespace arsync::emulators::quickbooks
