#include "webhook.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "arsync/log/log.h"

namespace arsync::connectors::quickbooks {
namespace {

using Json = nlohmann::json;

constexpr const char* kSuffix = ".json";
constexpr const char* kTmpSuffix = ".tmp";
constexpr std::size_t kMaxBody = 1u << 20;

Status io_error(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(errno),
                Location::in_file(path), true);
}

Status parse_error(const std::string& where, const std::string& what) {
  return Status(ErrorCode::kParseError, "QuickBooks webhook body: " + where + ": " + what);
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Text of a string member, or nullopt.
std::optional<std::string> text(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Result<std::vector<WebhookEvent>> parse_legacy(const Json& root) {
  const Json& list = root["eventNotifications"];
  if (!list.is_array()) return parse_error("eventNotifications", "not an array");
  std::vector<WebhookEvent> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "eventNotifications[" + std::to_string(i) + "]";
    const Json& n = list[i];
    if (!n.is_object()) return parse_error(at, "not an object");
    const auto realm = text(n, "realmId");
    if (!realm) return parse_error(at, "no realmId");
    auto change = n.find("dataChangeEvent");
    if (change == n.end() || !change->is_object()) return parse_error(at, "no dataChangeEvent object");
    auto entities = change->find("entities");
    if (entities == change->end() || !entities->is_array())
      return parse_error(at + ".dataChangeEvent", "no entities array");
    for (std::size_t j = 0; j < entities->size(); ++j) {
      const std::string eat = at + ".dataChangeEvent.entities[" + std::to_string(j) + "]";
      const Json& e = (*entities)[j];
      if (!e.is_object()) return parse_error(eat, "not an object");
      WebhookEvent ev;
      ev.realm_id = *realm;
      for (auto [name, field] : {std::pair{"name", &ev.entity}, {"id", &ev.id}, {"operation", &ev.operation}}) {
        auto v = text(e, name);
        if (!v || v->empty()) return parse_error(eat, std::string("no ") + name);
        *field = *v;
      }
      ev.last_updated = text(e, "lastUpdated").value_or("");
      ev.deleted_id = text(e, "deletedId").value_or("");
      out.push_back(std::move(ev));
    }
  }
  return out;
}

// CloudEvents "type" is "qbo.<entity>.<operation in past tense>.v1", the
// entity in lower case; the API's own names come back from this table.
std::string entity_name(const std::string& lower) {
  static const char* const kNames[] = {
      "Account",   "Bill",          "BillPayment",   "Budget",         "Class",        "CreditMemo",
      "Currency",  "Customer",      "Department",    "Deposit",        "Employee",     "Estimate",
      "Invoice",   "Item",          "JournalCode",   "JournalEntry",   "Payment",      "PaymentMethod",
      "Preferences", "Purchase",    "PurchaseOrder", "RefundReceipt",  "SalesReceipt", "TaxAgency",
      "Term",      "TimeActivity",  "Transfer",      "Vendor",         "VendorCredit"};
  for (const char* n : kNames) {
    std::string l = n;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (l == lower) return n;
  }
  std::string s = lower;
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string operation_name(const std::string& past) {
  static const std::pair<const char*, const char*> kOps[] = {
      {"created", "Create"}, {"updated", "Update"}, {"deleted", "Delete"},
      {"merged", "Merge"},   {"voided", "Void"},    {"emailed", "Emailed"}};
  for (auto [p, op] : kOps) {
    if (past == p) return op;
  }
  std::string s = past;
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

Result<std::vector<WebhookEvent>> parse_cloudevents(const Json& root) {
  std::vector<WebhookEvent> out;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    const Json& e = root[i];
    if (!e.is_object()) return parse_error(at, "not an object");
    if (!text(e, "specversion")) return parse_error(at, "no specversion (not a CloudEvent)");
    const auto type = text(e, "type");
    if (!type) return parse_error(at, "no type");
    // "qbo.invoice.updated.v1"
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t dot; (dot = type->find('.', start)) != std::string::npos; start = dot + 1)
      parts.push_back(type->substr(start, dot - start));
    parts.push_back(type->substr(start));
    if (parts.size() < 3 || parts[0] != "qbo" || parts[1].empty() || parts[2].empty())
      return parse_error(at + ".type", "\"" + *type + "\" is not qbo.<entity>.<operation>.v<N>");
    WebhookEvent ev;
    ev.entity = entity_name(parts[1]);
    ev.operation = operation_name(parts[2]);
    const auto id = text(e, "intuitentityid");
    if (!id || id->empty()) return parse_error(at, "no intuitentityid");
    const auto realm = text(e, "intuitaccountid");
    if (!realm || realm->empty()) return parse_error(at, "no intuitaccountid");
    ev.id = *id;
    ev.realm_id = *realm;
    ev.last_updated = text(e, "time").value_or("");
    out.push_back(std::move(ev));
  }
  return out;
}

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string file_name(std::uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return buf;
}

// The sequence number of an inbox file name ("00000000000000000042.json"), or 0.
std::uint64_t sequence_of(std::string_view name) {
  if (!ends_with(name, kSuffix) || name.size() != 20 + std::strlen(kSuffix)) return 0;
  std::uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return io_error("cannot read webhook inbox", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open webhook inbox", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("cannot sync webhook inbox", dir);
  return Status::ok();
}

Status write_durably(const std::string& tmp, const std::string& path, const std::string& content) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = io_error("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = io_error("cannot sync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = io_error("cannot rename into place", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::ok();
}

Result<std::string> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = io_error("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Json to_json(const WebhookEvent& e) {
  Json j{{"realm_id", e.realm_id}, {"entity", e.entity}, {"id", e.id}, {"operation", e.operation},
         {"last_updated", e.last_updated}};
  if (!e.deleted_id.empty()) j["deleted_id"] = e.deleted_id;
  return j;
}

std::optional<WebhookEvent> from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  WebhookEvent e;
  for (auto [name, field] : {std::pair{"realm_id", &e.realm_id}, {"entity", &e.entity}, {"id", &e.id},
                             {"operation", &e.operation}}) {
    auto v = text(j, name);
    if (!v) return std::nullopt;
    *field = *v;
  }
  e.last_updated = text(j, "last_updated").value_or("");
  e.deleted_id = text(j, "deleted_id").value_or("");
  return e;
}

HttpResponse answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

}  // namespace

Result<std::vector<WebhookEvent>> parse_webhook_body(std::string_view body) {
  const Json root = Json::parse(body.begin(), body.end(), nullptr, false);
  if (root.is_discarded()) return parse_error("body", "not JSON");
  if (root.is_object() && root.contains("eventNotifications")) return parse_legacy(root);
  if (root.is_array()) return parse_cloudevents(root);
  return parse_error("body", "neither an eventNotifications object nor a CloudEvents array");
}

bool webhook_signature_valid(std::string_view verifier_token, std::string_view body,
                             std::string_view signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), verifier_token.data(), static_cast<int>(verifier_token.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len))
    return false;
  const std::string expected = base64(mac, len);
  // The length of a valid signature is public (44); only the content must
  // not leak through timing.
  return signature.size() == expected.size() &&
         CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

WebhookInbox::WebhookInbox(std::string dir, std::uint64_t next) : dir_(std::move(dir)), next_(next) {}

Result<std::shared_ptr<WebhookInbox>> WebhookInbox::open(std::string dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create webhook inbox", dir);
  Result<std::vector<std::string>> names = list_dir(dir);
  if (!names.is_ok()) return names.status();
  std::uint64_t last = 0;
  for (const std::string& n : names.value()) {
    // A temporary file is a post that was never answered 200: Intuit sends
    // it again, so it is dropped.
    if (ends_with(n, kTmpSuffix)) {
      ::unlink((dir + "/" + n).c_str());
      continue;
    }
    std::string_view base = n;
    if (ends_with(base, ".bad")) base.remove_suffix(4);
    last = std::max(last, sequence_of(base));
  }
  return std::shared_ptr<WebhookInbox>(new WebhookInbox(std::move(dir), last + 1));
}

Status WebhookInbox::add(const std::vector<WebhookEvent>& events) {
  if (events.empty()) return Status::ok();
  Json list = Json::array();
  for (const WebhookEvent& e : events) list.push_back(to_json(e));
  const std::string content = Json{{"events", std::move(list)}}.dump() + "\n";
  std::lock_guard lock(mu_);
  const std::string name = file_name(next_);
  const std::string path = dir_ + "/" + name + kSuffix;
  ARSYNC_RETURN_IF_ERROR(write_durably(dir_ + "/" + name + kTmpSuffix, path, content));
  ++next_;
  // Until the folder is synced the rename may not survive a power loss, so
  // the post is not acknowledged before this returns.
  return sync_dir(dir_);
}

Result<InboxSnapshot> WebhookInbox::pending() {
  std::lock_guard lock(mu_);
  Result<std::vector<std::string>> names = list_dir(dir_);
  if (!names.is_ok()) return names.status();
  InboxSnapshot snap;
  for (const std::string& n : names.value()) {
    const std::uint64_t seq = sequence_of(n);
    if (seq == 0) continue;
    const std::string path = dir_ + "/" + n;
    Result<std::string> content = read_whole(path);
    if (!content.is_ok()) return content.status();
    const Json j = Json::parse(content.value(), nullptr, false);
    std::vector<WebhookEvent> events;
    bool good = j.is_object() && j.contains("events") && j["events"].is_array();
    if (good) {
      for (const Json& e : j["events"]) {
        auto ev = from_json(e);
        if (!ev) {
          good = false;
          break;
        }
        events.push_back(std::move(*ev));
      }
    }
    if (!good) {
      // Only a disk fault or a hand edit makes one; set aside, it must not
      // stop every later event from reaching the pull.
      ++snap.bad_files;
      log::error("", "webhook_inbox_bad_file", {{"file", path}});
      if (::rename(path.c_str(), (path + ".bad").c_str()) != 0) return io_error("cannot set aside", path);
      continue;
    }
    for (WebhookEvent& e : events) snap.events.push_back(std::move(e));
    snap.through = seq;
  }
  return snap;
}

Status WebhookInbox::consume(std::uint64_t through) {
  std::lock_guard lock(mu_);
  Result<std::vector<std::string>> names = list_dir(dir_);
  if (!names.is_ok()) return names.status();
  bool removed = false;
  for (const std::string& n : names.value()) {
    const std::uint64_t seq = sequence_of(n);
    if (seq == 0 || seq > through) continue;
    const std::string path = dir_ + "/" + n;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot delete", path);
    removed = true;
  }
  // A deletion lost to a crash only replays events whose pull is done.
  return removed ? sync_dir(dir_) : Status::ok();
}

std::string webhook_path(const std::string& system) { return "/quickbooks/webhook/" + system; }

HttpRoute webhook_route(WebhookOptions options) {
  HttpRoute route;
  route.method = "POST";
  route.path = webhook_path(options.system);
  route.auth = RouteAuth::kRoute;
  route.max_body_bytes = kMaxBody;
  auto opts = std::make_shared<const WebhookOptions>(std::move(options));
  route.handle = [opts](const HttpRequest& req) -> HttpResponse {
    const WebhookOptions& o = *opts;
    // Without a token anyone could sign with the empty key: refuse all.
    if (o.verifier_token.empty()) {
      log::error(o.system, "webhook_no_verifier_token",
                 {{"remote", req.remote_address},
                  {"fix", "set systems." + o.system + ".webhook_verifier_token in the secrets file"}});
      return answer(401, "webhook verifier token not configured\n");
    }
    const auto signature = req.header("intuit-signature");
    if (!signature || !webhook_signature_valid(o.verifier_token, req.body, *signature)) {
      log::warn(o.system, "webhook_signature_refused",
                {{"remote", req.remote_address},
                 {"reason", signature ? "wrong intuit-signature" : "no intuit-signature header"},
                 {"bytes", std::to_string(req.body.size())}});
      return answer(401, "intuit-signature missing or wrong\n");
    }
    Result<std::vector<WebhookEvent>> events = parse_webhook_body(req.body);
    if (!events.is_ok()) {
      log::warn(o.system, "webhook_body_refused",
                {{"remote", req.remote_address}, {"error", events.status().message()}});
      return answer(400, events.status().message() + "\n");
    }
    std::vector<WebhookEvent> mine;
    for (WebhookEvent& e : events.value()) {
      if (e.realm_id == o.realm_id) {
        mine.push_back(std::move(e));
      } else {
        log::info(o.system, "webhook_other_realm",
                  {{"realm", e.realm_id}, {"entity", e.entity}, {"id", e.id}});
      }
    }
    if (mine.empty()) return answer(200, "nothing for this realm\n");
    if (Status s = o.inbox->add(mine); !s.is_ok()) {
      log::error(o.system, "webhook_inbox_write_failed", {{"error", s.message()}});
      return answer(503, "cannot queue the events; send again later\n");
    }
    log::debug(o.system, "webhook_accepted", {{"events", std::to_string(mine.size())}});
    if (o.wake) o.wake();
    return answer(200, "accepted\n");
  };
  return route;
}

}  // namespace arsync::connectors::quickbooks
