// QuickBooks Online webhooks: the route Intuit posts change notifications
// to, and the durable inbox that keeps them until a pull has covered them.
//
// A notification only says that an entity changed (realm, entity name, id,
// operation, time); the data itself comes from the next CDC pull. So the
// route verifies the post, writes its events to the inbox and wakes the
// pull; it makes no network call, and answers within Intuit's few seconds.
//
// Signature: intuit-signature = base64(HMAC-SHA256(verifier token, raw
// body)), compared in constant time. Missing or wrong is 401 (logged without
// the body), and nothing is queued; so is every post when no verifier
// token is configured (the empty key would let anyone sign).
//
// Bodies, both as Intuit documents them (the CloudEvents form replaces the
// legacy one during 2026; a sender may use either):
//   legacy       {"eventNotifications":[{"realmId":"310687","dataChangeEvent":
//                  {"entities":[{"name":"Invoice","id":"1","operation":"Update",
//                                "lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}
//   CloudEvents  [{"specversion":"1.0","id":"88cd52aa-...","source":"intuit.dsn...",
//                  "type":"qbo.invoice.updated.v1","datacontenttype":"application/json",
//                  "time":"2025-09-10T21:31:25.179851517Z","intuitentityid":"1234",
//                  "intuitaccountid":"310687","data":{}}]
// A body that is not JSON, or has neither shape, is 400. Events for another
// realm are logged and dropped (the answer is still 200: Intuit would only
// send them again).
//
// Durability: an accepted post is answered 200 only after its events are in
// a file of the inbox that was written, fsynced, renamed into place and
// whose folder was fsynced. If that fails the answer is 503 and Intuit
// retries. A crash after the answer keeps the events; a crash before it
// leaves at most a temporary file, removed when the inbox is opened again.
//
// Thread safety: WebhookInbox's members and the route's handler may be called
// from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/http_route.h"
#include "arsync/model/status.h"

namespace arsync::connectors::quickbooks {

// One change notification, normalized from either body shape.
struct WebhookEvent {
  std::string realm_id;
  std::string entity;        // "Invoice", "CreditMemo" (the API's entity name)
  std::string id;            // the entity's QuickBooks Id
  std::string operation;     // "Create", "Update", "Delete", "Merge", "Void", "Emailed"
  std::string last_updated;  // as sent: legacy lastUpdated, CloudEvents time; may be ""
  std::string deleted_id;    // legacy Merge: the id merged away; else ""

  friend bool operator==(const WebhookEvent&, const WebhookEvent&) = default;
};

// The events of a webhook body. kParseError (saying what is missing where,
// e.g. "eventNotifications[0].dataChangeEvent.entities[1]: no id") when it
// is not JSON or has neither shape. An empty list is a valid body.
Result<std::vector<WebhookEvent>> parse_webhook_body(std::string_view body);

// Whether `signature` (the intuit-signature header) is
// base64(HMAC-SHA256(verifier_token, body)); constant time in the content.
bool webhook_signature_valid(std::string_view verifier_token, std::string_view body,
                             std::string_view signature);

// What pending() found: the events of every inbox file up to `through`.
struct InboxSnapshot {
  std::vector<WebhookEvent> events;  // in arrival order
  std::uint64_t through = 0;         // the last file's sequence number; 0 when none
  std::size_t bad_files = 0;         // unreadable files set aside as *.bad
};

// A durable queue of accepted events: one file per accepted post in its
// folder, named by a sequence number, deleted by consume(). Open one inbox
// per folder and share it (the route and the pull): two objects over one
// folder would number files independently.
class WebhookInbox {
 public:
  // Opens (creating the folder if missing, not its parents) the inbox in
  // `dir`, removing temporary files a crash left. kIoError naming the
  // folder when it cannot be created or read.
  static Result<std::shared_ptr<WebhookInbox>> open(std::string dir);

  // Writes `events` as one file, durably (see the file comment), before it
  // returns OK. kIoError naming the file otherwise (nothing was queued).
  // An empty list writes nothing.
  Status add(const std::vector<WebhookEvent>& events);

  // Every queued event. A file that cannot be read is renamed to *.bad,
  // counted and logged, so that it cannot block the queue. kIoError when the
  // folder cannot be read.
  Result<InboxSnapshot> pending();

  // Deletes the files up to `through` (a snapshot's), and syncs the folder.
  // Call it only after a pull that began after that snapshot was taken has
  // completed: every change those events name is then committed. Files added
  // after the snapshot have larger numbers and stay.
  Status consume(std::uint64_t through);

  const std::string& dir() const { return dir_; }

 private:
  explicit WebhookInbox(std::string dir, std::uint64_t next);

  std::string dir_;
  // Held across add, pending and consume: a file becomes visible under its
  // number only in number order, so consume(through) never deletes a file
  // that was still being written when the snapshot was taken.
  std::mutex mu_;
  std::uint64_t next_;
};

struct WebhookOptions {
  std::string system;          // "qbo-us": the route is POST /quickbooks/webhook/<system>
  std::string realm_id;        // events for other realms are ignored (logged)
  std::string verifier_token;  // secrets: systems.<name>.webhook_verifier_token
  // Where accepted events go; the connector opens it once
  // (WebhookInbox::open(state_dir + "/webhooks")) and reads it when it pulls.
  std::shared_ptr<WebhookInbox> inbox;
  std::function<void()> wake;  // asks the host for a prompt pull; may be empty
};

// The route's path for `system`.
std::string webhook_path(const std::string& system);

// The webhook route (RouteAuth::kRoute: the handler checks the signature).
// Answers 200 (accepted, or nothing for this realm), 400 (not a webhook
// body), 401 (signature missing or wrong), 503 (the inbox could not be
// written: Intuit retries). `options.inbox` must be set.
HttpRoute webhook_route(WebhookOptions options);

}  // namespace arsync::connectors::quickbooks
