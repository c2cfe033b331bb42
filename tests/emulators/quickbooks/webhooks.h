// Webhook delivery as Intuit does it: after each write, a POST of the
// legacy eventNotifications body to the app's endpoint, signed with
// intuit-signature = base64(HMAC-SHA256(verifier token, body)).
//
// Thread safety: notify() may be called from any thread; one background
// thread delivers, in order, one POST per write. Delivery failures are
// printed to stderr and dropped (Intuit retries later; the emulator does not).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "company.h"

namespace arsync::emulators::quickbooks {

// The body Intuit posts for `changes` of `realm` (one eventNotification).
std::string event_notification_body(const std::string& realm, const std::vector<Change>& changes);

// base64(HMAC-SHA256(key, body)): the intuit-signature header value.
std::string intuit_signature(const std::string& verifier_token, const std::string& body);

class WebhookSender {
 public:
  WebhookSender(std::string url, std::string verifier_token);
  ~WebhookSender();
  void notify(const std::string& realm, const std::vector<Change>& changes);

 private:
  void run();

  std::string url_;
  std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace arsync::emulators::quickbooks
