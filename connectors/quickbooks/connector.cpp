// The quickbooks connector: factory, configuration keys and pull().
#include <algorithm>
#include <cctype>
#include <random>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "arsync/log/log.h"
#include "arsync/model/date.h"
#include "arsync/net/oauth2.h"
#include "push.h"
#include "qbo_api.h"
#include "quickbooks.h"
#include "responses.h"
#include "sync_cursor.h"
#include "webhook.h"

namespace arsync::connectors::quickbooks {
namespace {

// CDC answers at most this many objects per response (Intuit's limit).
constexpr std::size_t kCdcCap = 1000;
// CDC looks back 30 days; a cursor older than this falls back to a query.
constexpr std::chrono::hours kCdcWindow{24 * 29};
// Ids per lookup query of linked transactions.
constexpr std::size_t kIdsPerLookup = 100;

const std::vector<std::string> kDefaultEntities = {"Invoice", "CreditMemo", "RefundReceipt", "Payment"};
// What pull() can read (and mappings can name).
const std::set<std::string> kKnownEntities = {"Invoice",      "CreditMemo", "RefundReceipt", "SalesReceipt",
                                              "Payment",      "Customer",   "JournalEntry"};

struct Settings {
  std::string realm_id;
  std::vector<std::string> entities;
  std::size_t page_size = 1000;
  std::chrono::seconds overlap{300};
  PushSettings push;
};

std::string text_setting(const nlohmann::json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_setting(const nlohmann::json& s, const char* key, std::int64_t fallback) {
  auto it = s.find(key);
  return it != s.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

// "2026-11-05T09:55:00+00:00": what CDC's changedSince and query literals take.
std::string qbo_time(Instant t) {
  std::string s = format_instant(t);  // "...Z"
  if (!s.empty() && s.back() == 'Z') s.replace(s.size() - 1, 1, "+00:00");
  return s;
}

// `server_time` (the response's "time") minus the overlap; the local clock
// when the server gave none.
std::string moved_back(const std::string& server_time, std::chrono::seconds overlap, const Clock& clock) {
  // Whole seconds, rounded down, even without an overlap: entities carry
  // LastUpdatedTime in seconds, so one changed in the same second as the
  // answer (after it, to the millisecond) is not missed.
  Result<Instant> t = parse_instant(server_time);
  const Instant at = t.is_ok() ? t.value() : clock.now();
  return qbo_time(at - overlap);
}

bool same_time(const std::string& a, const std::string& b) {
  if (a == b) return true;
  Result<Instant> ta = parse_instant(a), tb = parse_instant(b);
  return ta.is_ok() && tb.is_ok() && ta.value() == tb.value();
}

class QuickBooksConnector final : public Connector {
 public:
  QuickBooksConnector(std::string system, Settings settings, ApiSettings api, net::OAuthSettings oauth,
                      net::RateLimits limits, CredentialHandle* credentials, const Clock* clock)
      : system_(std::move(system)),
        settings_(std::move(settings)),
        clock_(clock),
        tokens_(std::move(oauth), credentials, clock, api.http),
        // One budget per realm, whichever systems share it.
        api_(api, &tokens_, net::RateGovernor::shared("quickbooks:" + api.realm_id, limits)) {}

  net::TokenKeeper& tokens() { return tokens_; }

  // Serve the webhook route, queueing into `inbox` (pull() then consumes it).
  void serve_webhooks(WebhookOptions options) {
    inbox_ = options.inbox;
    routes_.push_back(webhook_route(std::move(options)));
  }

  std::vector<HttpRoute> routes() override { return routes_; }

  Status push(const Operation& op) override { return push_operation(api_, op, settings_.push); }

  Status pull(const std::string& cursor_text, RecordSink& sink) override {
    // Webhook events queued before this pull began are covered by it (CDC
    // reads every change since the cursor): consumed once it is committed.
    std::uint64_t events_through = 0;
    if (inbox_) {
      Result<InboxSnapshot> queued = inbox_->pending();
      if (queued.is_ok()) {
        events_through = queued.value().through;
        if (!queued.value().events.empty()) {
          log::debug(system_, "webhook_events", {{"events", std::to_string(queued.value().events.size())}});
        }
      }
    }
    ARSYNC_RETURN_IF_ERROR(pull_all(cursor_text, sink));
    if (inbox_ && events_through > 0) {
      if (Status s = inbox_->consume(events_through); !s) {
        log::warn(system_, "webhook_inbox", {{"error", s.to_string()}});
      }
    }
    return Status::ok();
  }

 private:
  Status pull_all(const std::string& cursor_text, RecordSink& sink) {
    Result<SyncCursor> parsed = SyncCursor::parse(cursor_text);
    if (!parsed.is_ok()) return parsed.status();
    SyncCursor cursor = std::move(parsed).value();
    for (const std::string& e : settings_.entities) cursor.entities.try_emplace(e);
    // A CDC cursor beyond the window can only catch up by query.
    for (auto& [name, c] : cursor.entities) {
      if (c.mode != EntityCursor::Mode::kCdc) continue;
      Result<Instant> since = parse_instant(c.since);
      if (!since.is_ok() || since.value() < clock_->now() - kCdcWindow) {
        log::warn(system_, "cdc_window_passed",
                  {{"entity", name}, {"since", c.since}, {"action", "catch-up by query"}});
        c = EntityCursor{EntityCursor::Mode::kQuery, since.is_ok() ? c.since : "", 0, "", ""};
      }
    }
    // Entities in CDC mode now; one that finishes its load in this pull
    // waits for the next pull's CDC (right after the load, CDC would only
    // read the overlap again).
    std::vector<std::string> cdc_entities;
    for (const std::string& e : settings_.entities) {
      if (cursor.entities[e].mode == EntityCursor::Mode::kCdc) cdc_entities.push_back(e);
    }
    for (const std::string& e : settings_.entities) {
      if (cursor.entities[e].mode == EntityCursor::Mode::kQuery) {
        ARSYNC_RETURN_IF_ERROR(load_by_query(e, cursor, sink));
      }
    }
    if (!cdc_entities.empty()) ARSYNC_RETURN_IF_ERROR(pull_changes(cdc_entities, cursor, sink));
    return sink.flush();
  }

  Status check() override {
    Result<std::string> token = tokens_.access_token();
    if (!token.is_ok()) return token.status();
    Result<long long> n = api_.count("select count(*) from Invoice");
    return n.status();
  }

 private:
  // One entity's full load (or catch-up) by keyset-paged query, each page a
  // batch with the cursor after it.
  Status load_by_query(const std::string& entity, SyncCursor& cursor, RecordSink& sink) {
    int page_no = 0;
    for (;;) {
      EntityCursor& c = cursor.entities[entity];
      // Asked one row early when resuming inside a timestamp: that row must
      // be the last one committed (see sync_cursor.h).
      const bool check_first = c.skip > 0 && !c.last_id.empty();
      const std::size_t start = check_first ? c.skip : c.skip + 1;
      std::string q = "select * from " + entity;
      if (!c.since.empty()) q += " where Metadata.LastUpdatedTime >= " + query_literal(c.since);
      q += " orderby Metadata.LastUpdatedTime startposition " + std::to_string(start) + " maxresults " +
           std::to_string(settings_.page_size);
      Result<QueryPage> page = api_.query(entity, q);
      if (!page.is_ok()) return page.status();
      ++page_no;
      QueryPage& p = page.value();
      if (c.load_started.empty()) c.load_started = p.time.empty() ? qbo_time(clock_->now()) : p.time;
      const std::size_t asked_rows = p.list.rows();
      std::size_t first_row = 0;
      if (check_first) {
        const bool in_place = !p.list.entities.empty() && p.list.entities.front().id == c.last_id &&
                              !p.list.row_times.empty() && same_time(p.list.row_times.front(), c.since);
        if (!in_place) {
          // A row at `since` moved: read that timestamp's rows again from the first.
          log::debug(system_, "query_keyset_moved", {{"entity", entity}, {"since", c.since}});
          c.skip = 0;
          c.last_id.clear();
          continue;
        }
        first_row = 1;
      }
      // The keyset after this page.
      for (std::size_t i = first_row; i < p.list.row_times.size(); ++i) {
        const std::string& t = p.list.row_times[i];
        if (!t.empty() && !same_time(t, c.since)) {
          c.since = t;
          c.skip = 0;
        }
        ++c.skip;
      }
      if (!p.list.entities.empty()) c.last_id = p.list.entities.back().id;
      const bool last_page = asked_rows < settings_.page_size;
      if (last_page) {
        // CDC takes over from the load's start, moved back by the overlap.
        const std::string started = c.load_started;
        c = EntityCursor{EntityCursor::Mode::kCdc, moved_back(started, settings_.overlap, *clock_), 0, "", ""};
      }
      RecordBatch batch;
      const std::string source = "QuickBooks realm " + settings_.realm_id + " " + entity + " page " +
                                 std::to_string(page_no);
      add_entities(entity, p.list, first_row, source, batch);
      batch.cursor = cursor.to_text();
      ARSYNC_RETURN_IF_ERROR(sink.accept(std::move(batch)));
      if (last_page) return Status::ok();
    }
  }

  // Increments for `entities` (all in CDC mode) in one request where CDC's
  // cap allows, else one request per entity, else a query catch-up.
  Status pull_changes(const std::vector<std::string>& entities, SyncCursor& cursor, RecordSink& sink) {
    // Entities are asked together when they share one `since`.
    std::map<std::string, std::vector<std::string>> by_since;
    for (const std::string& e : entities) by_since[cursor.entities[e].since].push_back(e);
    for (auto& [since, group] : by_since) {
      Result<CdcResult> changes = api_.cdc(group, since);
      if (!changes.is_ok()) return changes.status();
      if (changes.value().rows() >= kCdcCap) {
        if (group.size() > 1) {
          for (const std::string& e : group) ARSYNC_RETURN_IF_ERROR(pull_changes({e}, cursor, sink));
          continue;
        }
        // One entity alone fills a response: catch up by query instead.
        log::info(system_, "cdc_capped", {{"entity", group[0]}, {"since", since}, {"action", "catch-up by query"}});
        cursor.entities[group[0]] = EntityCursor{EntityCursor::Mode::kQuery, since, 0, "", ""};
        ARSYNC_RETURN_IF_ERROR(load_by_query(group[0], cursor, sink));
        continue;
      }
      const std::string next = moved_back(changes.value().time, settings_.overlap, *clock_);
      const std::string before = cursor.to_text();
      RecordBatch all;
      const std::string source = "QuickBooks realm " + settings_.realm_id + " cdc since " + since;
      // In configured order: invoices before the payments that name them.
      for (const std::string& e : settings_.entities) {
        if (std::find(group.begin(), group.end(), e) == group.end()) continue;
        cursor.entities[e].since = next;
        auto it = changes.value().by_entity.find(e);
        if (it == changes.value().by_entity.end()) continue;
        add_entities(e, it->second, 0, source, all);
        for (const std::string& id : it->second.deleted) all.deletions.push_back({e, id, source});
      }
      // Handed over in batches of page_size; only the last moves the
      // cursor, so a crash part-way reads this answer again.
      std::size_t at = 0;
      do {
        RecordBatch batch;
        const std::size_t end = std::min(all.records.size(), at + settings_.page_size);
        for (std::size_t i = at; i < end; ++i) batch.records.push_back(std::move(all.records[i]));
        at = end;
        const bool last = at >= all.records.size();
        if (last) {
          batch.rejected = std::move(all.rejected);
          batch.deletions = std::move(all.deletions);
        }
        batch.cursor = last ? cursor.to_text() : before;
        ARSYNC_RETURN_IF_ERROR(sink.accept(std::move(batch)));
      } while (at < all.records.size());
    }
    return Status::ok();
  }

  void add_entities(const std::string& entity, EntityList& list, std::size_t first_row, const std::string& source,
                    RecordBatch& batch) {
    // first_row counts rows; the checked first row is always an entity.
    std::size_t skip_entities = first_row;
    if (entity == "Payment") look_up_linked(list);
    for (Entity& e : list.entities) {
      if (skip_entities > 0) {
        --skip_entities;
        continue;
      }
      if (entity == "Invoice" || entity == "CreditMemo") {
        const RecordValue number = e.data.root().find("DocNumber");
        if (number.is_text()) numbers_[{entity, e.id}] = std::string(number.text());
      }
      RawRecord r;
      r.entity = entity;
      r.external_id = e.id;
      r.version = e.sync_token;
      r.source = source;
      if (entity == "Payment") {
        r.data = with_linked_numbers(e.data, [this](std::string_view type, std::string_view id) {
          auto it = numbers_.find({std::string(type), std::string(id)});
          return it == numbers_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
        });
      } else {
        r.data = std::move(e.data);
      }
      r.raw = std::move(e.json);
      batch.records.push_back(std::move(r));
    }
    for (BadEntity& b : list.bad) batch.rejected.push_back({entity, b.id, b.error, b.json});
  }

  // Fills numbers_ for the invoices and credit memos `payments` link to
  // that were not read in this process. A lookup that fails leaves them
  // out (the mapping then reports the application it cannot match).
  void look_up_linked(const EntityList& payments) {
    std::map<std::string, std::set<std::string>> missing;  // TxnType -> ids
    for (const Entity& p : payments.entities) {
      RecordValue lines = p.data.root().find("Line");
      for (RecordValue line : lines) {
        RecordValue linked = line.find("LinkedTxn");
        const auto note = [&](RecordValue l) {
          const std::string type(l.find("TxnType").text()), id(l.find("TxnId").text());
          if ((type == "Invoice" || type == "CreditMemo") && !id.empty() && !numbers_.count({type, id})) {
            missing[type].insert(id);
          }
        };
        if (linked.is_array()) {
          for (RecordValue l : linked) note(l);
        } else if (linked.is_object()) {
          note(linked);
        }
      }
    }
    for (const auto& [type, ids] : missing) {
      std::vector<std::string> all(ids.begin(), ids.end());
      for (std::size_t i = 0; i < all.size(); i += kIdsPerLookup) {
        std::string in;
        for (std::size_t j = i; j < std::min(all.size(), i + kIdsPerLookup); ++j) {
          in += (in.empty() ? "" : ",") + query_literal(all[j]);
        }
        Result<QueryPage> page =
            api_.query(type, "select * from " + type + " where Id in (" + in + ") maxresults 1000");
        if (!page.is_ok()) {
          log::warn(system_, "linked_lookup_failed", {{"entity", type}, {"error", page.status().to_string()}});
          continue;
        }
        for (const Entity& e : page.value().list.entities) {
          const RecordValue number = e.data.root().find("DocNumber");
          if (number.is_text()) numbers_[{type, e.id}] = std::string(number.text());
        }
      }
    }
  }

  std::string system_;
  Settings settings_;
  const Clock* clock_;
  net::TokenKeeper tokens_;
  QboApi api_;
  // (TxnType, Id) -> DocNumber of invoices and credit memos seen.
  std::map<std::pair<std::string, std::string>, std::string> numbers_;
  std::shared_ptr<WebhookInbox> inbox_;
  std::vector<HttpRoute> routes_;
};

std::string secret(const ConnectorContext& ctx, const std::string& key) {
  auto it = ctx.secrets.find(key);
  return it == ctx.secrets.end() ? std::string() : it->second;
}

// The API client's settings from the system's settings.
Result<ApiSettings> api_settings(const ConnectorContext& ctx, const std::string& where) {
  const nlohmann::json& s = ctx.settings;
  ApiSettings api;
  api.realm_id = text_setting(s, "realm_id");
  if (api.realm_id.empty()) return Status(ErrorCode::kInvalidArgument, where + ".realm_id must not be empty");
  api.minorversion = static_cast<int>(int_setting(s, "minorversion", 75));
  api.http.base_url = text_setting(s, "base_url");
  if (api.http.base_url.empty()) api.http.base_url = "https://quickbooks.api.intuit.com";
  api.http.timeout = std::chrono::seconds(std::max<std::int64_t>(1, int_setting(s, "timeout_seconds", 60)));
  api.http.ca_file = text_setting(s, "ca_file");
  api.http.verify_tls = !s.contains("verify_tls") || !s["verify_tls"].is_boolean() || s["verify_tls"].get<bool>();
  api.http.log_system = ctx.system;
  api.http.user_agent = "arsync-quickbooks";
  if (Status ok = net::HttpClient::check_options(api.http); !ok) return ok.with_context(where + ".base_url");
  return api;
}

// The OAuth client's settings: URLs from the settings, the client id from
// them or the secrets file, the client secret from the secrets file.
Result<net::OAuthSettings> oauth_settings(const ConnectorContext& ctx, const std::string& where) {
  const nlohmann::json& s = ctx.settings;
  net::OAuthSettings oauth;
  oauth.token_url = text_setting(s, "token_url");
  if (oauth.token_url.empty()) oauth.token_url = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";
  oauth.authorize_url = text_setting(s, "authorize_url");
  if (oauth.authorize_url.empty()) oauth.authorize_url = "https://appcenter.intuit.com/connect/oauth2";
  oauth.redirect_uri = text_setting(s, "redirect_uri");
  oauth.scope = "com.intuit.quickbooks.accounting";
  oauth.client_id = text_setting(s, "client_id");
  if (oauth.client_id.empty()) oauth.client_id = secret(ctx, "client_id");
  oauth.client_secret = secret(ctx, "client_secret");
  if (oauth.client_id.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ": client_id is required (in the settings, or as systems." + ctx.system +
                      ".client_id in the secrets file)");
  }
  if (oauth.client_secret.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "the secrets file has no systems." + ctx.system + ".client_secret (the app's OAuth client secret)");
  }
  net::ClientOptions token_http;
  token_http.base_url = oauth.token_url;
  if (Status ok = net::HttpClient::check_options(token_http); !ok) return ok.with_context(where + ".token_url");
  return oauth;
}

Result<std::unique_ptr<Connector>> create(const ConnectorContext& ctx) {
  const nlohmann::json& s = ctx.settings;
  const std::string where = "systems." + ctx.system + ".settings";
  Settings settings;
  settings.realm_id = text_setting(s, "realm_id");
  if (s.contains("entities") && s["entities"].is_array()) {
    for (const auto& e : s["entities"]) {
      if (!e.is_string() || !kKnownEntities.count(e.get<std::string>())) {
        std::string known;
        for (const std::string& k : kKnownEntities) known += (known.empty() ? "" : ", ") + k;
        return Status(ErrorCode::kInvalidArgument,
                      where + ".entities: '" + (e.is_string() ? e.get<std::string>() : e.dump()) +
                          "' is not an entity this connector reads (" + known + ")");
      }
      settings.entities.push_back(e.get<std::string>());
    }
  } else {
    settings.entities = kDefaultEntities;
  }
  // Payments name the invoices and credit memos they settle: read them last.
  std::stable_partition(settings.entities.begin(), settings.entities.end(),
                        [](const std::string& e) { return e != "Payment"; });
  const std::int64_t page = int_setting(s, "page_size", 1000);
  if (page < 1 || page > 1000) {
    return Status(ErrorCode::kInvalidArgument, where + ".page_size must be 1 to 1000 (QuickBooks' MAXRESULTS limit)");
  }
  settings.page_size = static_cast<std::size_t>(page);
  settings.overlap = std::chrono::seconds(std::max<std::int64_t>(0, int_setting(s, "overlap_seconds", 300)));
  settings.push.credit_memo_item_id = text_setting(s, "credit_memo_item_id");
  if (settings.push.credit_memo_item_id.empty()) settings.push.credit_memo_item_id = "1";

  Result<ApiSettings> api_or = api_settings(ctx, where);
  if (!api_or.is_ok()) return api_or.status();
  ApiSettings api = std::move(api_or).value();
  Result<net::OAuthSettings> oauth_or = oauth_settings(ctx, where);
  if (!oauth_or.is_ok()) return oauth_or.status();
  net::OAuthSettings oauth = std::move(oauth_or).value();
  // The server counts a request when it arrives, a little after the
  // governor counted its start: a window 2% longer keeps the two apart.
  const std::chrono::milliseconds window(std::max<std::int64_t>(1, int_setting(s, "rate_window_seconds", 60)) * 1020);
  const net::RateLimits limits{static_cast<int>(int_setting(s, "requests_per_window", 500)), window,
                               static_cast<int>(int_setting(s, "max_concurrent", 10))};
  static SystemClock system_clock;
  const Clock* clock = ctx.clock ? ctx.clock : &system_clock;
  auto connector = std::make_unique<QuickBooksConnector>(ctx.system, std::move(settings), std::move(api),
                                                         std::move(oauth), limits, ctx.credentials, clock);
  // An initial refresh token from the secrets file serves until the
  // credential store holds one (after that the store's rotated one wins).
  if (const std::string seed = secret(ctx, "refresh_token"); !seed.empty() && ctx.credentials) {
    Result<std::optional<net::TokenState>> have = connector->tokens().stored();
    if (have.is_ok() && !have.value()) {
      if (Status put = connector->tokens().seed(seed); !put) return put.with_context("storing the initial refresh token");
    }
  }
  // Webhooks: served when the secrets file gives the app's verifier token
  // and the connector has a state folder for the inbox.
  if (const std::string token = secret(ctx, "webhook_verifier_token"); !token.empty()) {
    if (ctx.state_dir.empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    "systems." + ctx.system + ": webhooks need the connector's state folder (state_dir)");
    }
    Result<std::shared_ptr<WebhookInbox>> inbox = WebhookInbox::open(ctx.state_dir + "/webhooks");
    if (!inbox.is_ok()) return inbox.status().with_context("systems." + ctx.system + " webhook inbox");
    connector->serve_webhooks(
        WebhookOptions{ctx.system, text_setting(s, "realm_id"), token, std::move(inbox).value(), ctx.wake});
  }
  return std::unique_ptr<Connector>(std::move(connector));
}

// `arsync auth quickbooks SYSTEM`: Intuit's authorization-code flow. The
// person opens the consent URL, connects the company, and pastes back the
// address the browser was redirected to (or its code); the code is exchanged
// for tokens, stored in the credential store.
Status authorize(const ConnectorContext& ctx, const std::function<std::string(const std::string&)>& interact) {
  const std::string where = "systems." + ctx.system + ".settings";
  Result<ApiSettings> api = api_settings(ctx, where);
  if (!api.is_ok()) return api.status();
  Result<net::OAuthSettings> oauth = oauth_settings(ctx, where);
  if (!oauth.is_ok()) return oauth.status();
  if (oauth.value().redirect_uri.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ".redirect_uri is required to authorize: the redirect URI registered for the app "
                          "(developer.intuit.com, Keys & credentials)");
  }
  if (ctx.credentials == nullptr) {
    return Status(ErrorCode::kInvalidArgument,
                  "no credential store: set store_key in the secrets file so the tokens can be kept");
  }
  static SystemClock system_clock;
  net::TokenKeeper keeper(oauth.value(), ctx.credentials, ctx.clock ? ctx.clock : &system_clock, api.value().http);
  std::random_device rd;
  std::ostringstream state;
  state << std::hex << rd() << rd() << rd() << rd();
  std::string answer = interact(
      "Open this address in a browser, sign in to QuickBooks and connect the company (realm " +
      api.value().realm_id + "):\n\n  " + keeper.consent_url(state.str()) +
      "\n\nThen paste the address the browser was sent to (or only its code):");
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) answer.pop_back();
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.front()))) answer.erase(0, 1);
  std::string code = answer;
  if (answer.find("code=") != std::string::npos || answer.find("error=") != std::string::npos) {
    std::map<std::string, std::string> params;
    const std::size_t q = answer.find('?');
    std::string query = q == std::string::npos ? answer : answer.substr(q + 1);
    query = query.substr(0, query.find('#'));
    std::size_t at = 0;
    while (at <= query.size()) {
      const std::size_t amp = std::min(query.find('&', at), query.size());
      const std::string pair = query.substr(at, amp - at);
      const std::size_t eq = pair.find('=');
      if (eq != std::string::npos) {
        params[pair.substr(0, eq)] = net::url_decode(pair.substr(eq + 1)).value_or("");
      }
      at = amp + 1;
    }
    if (params.count("error")) {
      return Status(ErrorCode::kAuthError, "QuickBooks did not grant access: " + params["error"]);
    }
    if (params.count("state") && params["state"] != state.str()) {
      return Status(ErrorCode::kAuthError,
                    "the pasted address belongs to another consent (its state differs); start again");
    }
    if (params.count("realmId") && params["realmId"] != api.value().realm_id) {
      return Status(ErrorCode::kInvalidArgument, "the company connected is realm " + params["realmId"] +
                                                     ", but " + where + ".realm_id is " + api.value().realm_id);
    }
    code = params["code"];
  }
  if (code.empty()) return Status(ErrorCode::kInvalidArgument, "no authorization code was given");
  return keeper.exchange_code(code);
}

// `arsync mapping test FILE BODY`: every entity of a saved response body (a
// query page, a CDC response or one entity's read).
Status read_file(const ConnectorContext& ctx, const std::string& path,
                 const std::function<void(RawRecord)>& on_record,
                 const std::function<void(RejectedRecord)>& on_rejected) {
  (void)ctx;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIoError, "cannot open " + path, Location::in_file(path));
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string body = buf.str();
  std::vector<std::pair<std::string, EntityList>> lists;
  if (body.find("\"CDCResponse\"") != std::string::npos) {
    Result<CdcResult> cdc = parse_cdc_response(body, path);
    if (!cdc.is_ok()) return cdc.status();
    for (auto& [name, list] : cdc.value().by_entity) lists.emplace_back(name, std::move(list));
  } else if (body.find("\"QueryResponse\"") != std::string::npos) {
    // The entity is the QueryResponse's array member.
    for (const std::string& e : kKnownEntities) {
      if (body.find("\"" + e + "\"") == std::string::npos) continue;
      Result<QueryPage> page = parse_query_response(body, e, path);
      if (page.is_ok()) {
        lists.emplace_back(e, std::move(page.value().list));
        break;
      }
    }
    if (lists.empty()) {
      Result<QueryPage> any = parse_query_response(body, "", path);
      if (!any.is_ok()) return any.status();
    }
  } else {
    for (const std::string& e : kKnownEntities) {
      if (body.find("\"" + e + "\"") == std::string::npos) continue;
      Result<Entity> one = parse_entity_response(body, e, path);
      if (!one.is_ok()) continue;
      EntityList list;
      if (one.value().deleted) {
        list.deleted.push_back(std::move(one.value().id));
      } else {
        list.entities.push_back(std::move(one).value());
      }
      lists.emplace_back(e, std::move(list));
      break;
    }
    if (lists.empty()) {
      return Status(ErrorCode::kParseError,
                    "not a QuickBooks response body (no QueryResponse, CDCResponse or entity object)",
                    Location::in_file(path));
    }
  }
  for (auto& [entity, list] : lists) {
    for (Entity& e : list.entities) {
      RawRecord r;
      r.entity = entity;
      r.external_id = e.id;
      r.version = e.sync_token;
      r.data = std::move(e.data);
      r.source = path;
      r.raw = std::move(e.json);
      on_record(std::move(r));
    }
    for (BadEntity& b : list.bad) on_rejected({entity, b.id, b.error, b.json});
  }
  return Status::ok();
}

}  // namespace

ConnectorType connector_type() {
  ConnectorType t;
  t.name = "quickbooks";
  t.description =
      "QuickBooks Online (Accounting API v3): invoices, payments, credit memos and refunds by query and "
      "Change Data Capture, with OAuth 2.0 refresh-token rotation";
  t.config_keys = {
      {"realm_id", "string", nullptr, true, "the QuickBooks company's realm id (Company ID)"},
      {"base_url", "string", "https://quickbooks.api.intuit.com", false,
       "Accounting API base URL: production, https://sandbox-quickbooks.api.intuit.com, or an emulator"},
      {"token_url", "string", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", false,
       "OAuth 2.0 token endpoint"},
      {"authorize_url", "string", "https://appcenter.intuit.com/connect/oauth2", false,
       "OAuth 2.0 consent page (arsync auth)"},
      {"redirect_uri", "string", nullptr, false,
       "the redirect URI registered for the app (arsync auth); required to authorize"},
      {"client_id", "string", nullptr, false,
       "the app's OAuth client id (or systems.<name>.client_id in the secrets file)"},
      {"minorversion", "integer", 75, false, "the API minor version every request pins"},
      {"entities", "array", nlohmann::json(kDefaultEntities), false,
       "entities to read, in order (Payments are read last): Invoice, CreditMemo, RefundReceipt, "
       "SalesReceipt, Payment, Customer, JournalEntry"},
      {"page_size", "integer", 1000, false, "rows per query page (MAXRESULTS, at most 1000)"},
      {"requests_per_window", "integer", 500, false,
       "requests to this realm per rate window (Intuit allows 500 a minute); callers wait instead of "
       "drawing 429s; 0: no limit"},
      {"rate_window_seconds", "integer", 60, false, "the rate window's length"},
      {"max_concurrent", "integer", 10, false, "requests in flight to this realm at once (Intuit's limit is 10)"},
      {"overlap_seconds", "integer", 300, false,
       "each cursor is moved back this far, so late-committed changes are read again"},
      {"timeout_seconds", "integer", 60, false, "connect, send and receive timeout of each request"},
      {"ca_file", "path", nullptr, false, "PEM CA bundle to trust instead of the system store"},
      {"verify_tls", "boolean", true, false, "verify the server's certificate (never turn off in production)"},
      {"credit_memo_item_id", "string", "1", false,
       "the Item (QuickBooks Id) the line of a credit memo written back names"},
  };
  t.create = create;
  t.read_file = read_file;
  t.read_file_takes_json = true;
  t.authorize = authorize;
  return t;
}

}  // namespace arsync::connectors::quickbooks
