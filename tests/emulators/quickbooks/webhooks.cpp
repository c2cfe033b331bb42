#include "webhooks.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>

#include <iostream>

#include "intuit_time.h"

namespace arsync::emulators::quickbooks {

std::string event_notification_body(const std::string& realm, const std::vector<Change>& changes) {
  Json entities = Json::array();
  for (const Change& c : changes) {
    // Intuit's webhook operations are Create, Update, Delete, Merge (and Void).
    entities.push_back({{"name", c.entity},
                        {"id", std::to_string(c.id)},
                        {"operation", c.operation},
                        {"lastUpdated", format_webhook_time(c.at_ms)}});
  }
  Json body{{"eventNotifications",
             Json::array({{{"realmId", realm}, {"dataChangeEvent", {{"entities", entities}}}}})}};
  return body.dump();
}

std::string intuit_signature(const std::string& verifier_token, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), verifier_token.data(), static_cast<int>(verifier_token.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

WebhookSender::WebhookSender(std::string url, std::string verifier_token)
    : url_(std::move(url)), token_(std::move(verifier_token)), thread_([this] { run(); }) {}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WebhookSender::notify(const std::string& realm, const std::vector<Change>& changes) {
  if (changes.empty()) return;
  std::string body = event_notification_body(realm, changes);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(body));
  }
  cv_.notify_one();
}

void WebhookSender::run() {
  const Poco::URI uri(url_);
  for (;;) {
    std::string body;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      body = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
      session.setTimeout(Poco::Timespan(5, 0));
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.setContentType("application/json; charset=utf-8");
      req.set("intuit-signature", intuit_signature(token_, body));
      req.set("intuit-created-time", format_webhook_time(now_ms()));
      req.set("intuit-notification-schema-version", "0.1");
      req.set("User-Agent", "intuit_notification_server/0.1");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      session.sendRequest(req) << body;
      Poco::Net::HTTPResponse resp;
      session.receiveResponse(resp).ignore(std::numeric_limits<std::streamsize>::max());
    } catch (const std::exception& e) {
      std::cerr << "qbo_emulator: webhook to " << url_ << " failed: " << e.what() << "\n";
    }
  }
}

}  // namespace arsync::emulators::quickbooks
