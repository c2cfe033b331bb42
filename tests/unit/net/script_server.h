// A real HTTP(S) server on 127.0.0.1 (port 0) whose answers a test scripts:
// each request is handed to the test's handler with its number, and every
// request (method, URI, headers, body, the client's port) is recorded.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace arsync::net::testing {

struct SeenRequest {
  std::string method, uri, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint16_t client_port = 0;
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (Poco::icompare(n, name) == 0) return v;
    }
    return "";
  }
};

class ScriptServer {
 public:
  // (request number from 0, the request, the response to fill in)
  using Handler = std::function<void(int, const SeenRequest&, Poco::Net::HTTPServerResponse&)>;

  explicit ScriptServer(Handler handler, Poco::Net::Context::Ptr tls = nullptr)
      : handler_(std::move(handler)) {
    Poco::Net::ServerSocket socket;
    if (tls) {
      socket = Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, tls);
    } else {
      socket = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    }
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
    server_->start();
  }
  ~ScriptServer() { server_->stopAll(true); }

  std::string base_url(bool https = false) const {
    return std::string(https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<SeenRequest> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  class Handler_ : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler_(ScriptServer* s) : s_(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      SeenRequest seen;
      seen.method = req.getMethod();
      seen.uri = req.getURI();
      for (const auto& [n, v] : req) seen.headers.emplace_back(n, v);
      std::ostringstream body;
      Poco::StreamCopier::copyStream(req.stream(), body);
      seen.body = body.str();
      seen.client_port = req.clientAddress().port();
      int n;
      {
        std::lock_guard<std::mutex> lock(s_->mu_);
        n = static_cast<int>(s_->seen_.size());
        s_->seen_.push_back(seen);
      }
      s_->handler_(n, seen, resp);
    }

   private:
    ScriptServer* s_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(ScriptServer* s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler_(s_);
    }

   private:
    ScriptServer* s_;
  };

  Handler handler_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

// Sends `body` with `status` (and Content-Length).
inline void answer(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body,
                   const std::string& type = "application/json") {
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType(type);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

}  // namespace arsync::net::testing
