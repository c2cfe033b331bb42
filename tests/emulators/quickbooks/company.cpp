// Storage, indexes, queries and CDC of one company. The write rules are in
// writes.cpp.
#include "company.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "intuit_time.h"

namespace arsync::emulators::quickbooks {
namespace {

// Delete and void as Intuit's entity pages list them; Customer is never
// deleted, only made inactive (Active=false).
constexpr std::array<EntityKind, 7> kKinds{{
    {"Invoice", true, true, true},
    {"Payment", true, true, true},
    {"CreditMemo", true, true, false},
    {"RefundReceipt", true, true, true},
    {"SalesReceipt", true, true, true},
    {"JournalEntry", true, true, false},
    {"Customer", false, false, false},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Looks up a dotted path with case-insensitive member names
// ("Metadata.LastUpdatedTime" finds "MetaData"). Returns null if absent.
const Json* find_path(const Json& root, std::string_view path) {
  const Json* cur = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (!cur->is_object()) return nullptr;
    const Json* found = nullptr;
    for (auto it = cur->begin(); it != cur->end(); ++it) {
      if (iequals(it.key(), part)) {
        found = &it.value();
        break;
      }
    }
    if (!found) return nullptr;
    // A reference (CustomerRef) compares by its value.
    if (path.empty() && found->is_object() && found->contains("value")) found = &(*found)["value"];
    cur = found;
  }
  return cur;
}

bool like_match(std::string_view text, std::string_view pattern) {
  // '%' is the only wildcard QuickBooks supports; matching ignores case.
  const std::string t = lower(text), p = lower(pattern);
  size_t ti = 0, pi = 0, star = std::string::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && p[pi] == t[ti]) {
      ++pi;
      ++ti;
    } else if (star != std::string::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

enum class Key { kId, kUpdated, kCreated, kDocNumber, kTxnDate, kCustomerRef, kActive, kOther };

Key key_of(std::string_view field) {
  const std::string f = lower(field);
  if (f == "id") return Key::kId;
  if (f == "metadata.lastupdatedtime") return Key::kUpdated;
  if (f == "metadata.createtime") return Key::kCreated;
  if (f == "docnumber") return Key::kDocNumber;
  if (f == "txndate") return Key::kTxnDate;
  if (f == "customerref") return Key::kCustomerRef;
  if (f == "active") return Key::kActive;
  return Key::kOther;
}

template <typename T>
bool compare(const T& a, CompareOp op, const T& b) {
  switch (op) {
    case CompareOp::kEq: case CompareOp::kIn: return a == b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
    case CompareOp::kLike: return false;
  }
  return false;
}

// A condition with its literals converted once, before the scan.
struct Predicate {
  Key key;
  std::string field;
  CompareOp op;
  std::vector<std::string> texts;
  std::vector<int64_t> numbers;  // ids or instants
};

bool text_matches(const std::string& value, const Predicate& p) {
  if (p.op == CompareOp::kLike) return like_match(value, p.texts[0]);
  for (const std::string& t : p.texts) {
    if (compare(value, p.op, t)) return true;
  }
  return false;
}

bool number_matches(int64_t value, const Predicate& p) {
  for (int64_t n : p.numbers) {
    if (compare(value, p.op, n)) return true;
  }
  return false;
}

bool json_matches(const Json& v, const Predicate& p) {
  if (v.is_string()) return text_matches(v.get<std::string>(), p);
  if (v.is_boolean()) {
    const std::string b = v.get<bool>() ? "true" : "false";
    for (const std::string& t : p.texts) {
      if (p.op == CompareOp::kEq || p.op == CompareOp::kIn) {
        if (iequals(t, b)) return true;
      }
    }
    return false;
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    for (const std::string& t : p.texts) {
      char* end = nullptr;
      const double lit = std::strtod(t.c_str(), &end);
      if (end && *end == '\0' && compare(d, p.op, lit)) return true;
    }
  }
  return false;
}

bool matches(const Entity& e, const Predicate& p) {
  switch (p.key) {
    case Key::kId: return number_matches(e.id, p);
    case Key::kUpdated: return number_matches(e.updated_ms, p);
    case Key::kCreated: return number_matches(e.created_ms, p);
    case Key::kDocNumber: return text_matches(e.doc_number, p);
    case Key::kTxnDate: return text_matches(e.txn_date, p);
    case Key::kCustomerRef: return text_matches(e.customer_ref, p);
    case Key::kActive: return e.active && json_matches(Json(*e.active), p);
    case Key::kOther: {
      const Json body = Json::parse(e.text);
      const Json* v = find_path(body, p.field);
      return v && json_matches(*v, p);
    }
  }
  return false;
}

Fault query_fault(std::string detail) {
  Fault f;
  f.message = "Error parsing query";
  f.detail = std::move(detail);
  f.code = "4000";
  return f;
}

bool by_time_less(const Entity* a, const Entity* b) {
  return a->updated_ms != b->updated_ms ? a->updated_ms < b->updated_ms : a->id < b->id;
}

}  // namespace

const EntityKind* find_kind(std::string_view name) {
  for (const EntityKind& k : kKinds) {
    if (iequals(k.name, name)) return &k;
  }
  return nullptr;
}

int64_t json_to_cents(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>() * 100;
  if (v.is_number()) return std::llround(v.get<double>() * 100.0);
  if (v.is_string()) {
    // Decimal text, exactly: "1234.5" -> 123450.
    const std::string s = v.get<std::string>();
    int64_t units = 0, frac = 0;
    int frac_digits = 0;
    bool neg = false, point = false;
    for (char c : s) {
      if (c == '-') neg = true;
      else if (c == '.') point = true;
      else if (c >= '0' && c <= '9') {
        if (!point) units = units * 10 + (c - '0');
        else if (frac_digits < 2) frac = frac * 10 + (c - '0'), ++frac_digits;
      }
    }
    while (frac_digits < 2) frac *= 10, ++frac_digits;
    return (neg ? -1 : 1) * (units * 100 + frac);
  }
  return 0;
}

// Intuit writes amounts as JSON numbers (275.0, 362.07). A double holding
// cents/100 prints back, shortest round-trip, as exactly those digits.
Json cents_to_json(int64_t cents) { return Json(static_cast<double>(cents) / 100.0); }

const Company::Collection* Company::find_collection(const EntityKind& kind) const {
  auto it = collections_.find(kind.name);
  return it == collections_.end() ? nullptr : &it->second;
}

void Company::store_body(Entity& e, const Json& body) {
  e.text = body.dump();
  e.doc_number = body.value("DocNumber", std::string{});
  e.txn_date = body.value("TxnDate", std::string{});
  e.customer_ref.clear();
  if (auto it = body.find("CustomerRef"); it != body.end() && it->is_object())
    e.customer_ref = it->value("value", std::string{});
  e.active.reset();
  if (auto it = body.find("Active"); it != body.end() && it->is_boolean())
    e.active = it->get<bool>();
}

std::string Company::load(const EntityKind& kind, Json body) {
  if (!body.is_object()) return "not an object";
  const auto id = body.contains("Id") && body["Id"].is_string()
                      ? to_int(body["Id"].get<std::string>())
                      : std::nullopt;
  if (!id) return "Id missing or not a decimal string";
  if (live_.count(*id)) return "Id " + std::to_string(*id) + " is used twice";
  const Json* updated = find_path(body, "MetaData.LastUpdatedTime");
  const Json* created = find_path(body, "MetaData.CreateTime");
  if (!updated || !updated->is_string() || !parse_instant(updated->get<std::string>()))
    return "MetaData.LastUpdatedTime missing or malformed";
  auto e = std::make_unique<Entity>();
  e->kind = &kind;
  e->id = *id;
  e->sync_token = to_int(body.value("SyncToken", std::string("0"))).value_or(0);
  e->updated_ms = *parse_instant(updated->get<std::string>());
  e->created_ms = created && created->is_string()
                      ? parse_instant(created->get<std::string>()).value_or(e->updated_ms)
                      : e->updated_ms;
  store_body(*e, body);
  Collection& c = collection(kind);
  c.by_time.push_back(e.get());
  c.by_id.push_back(e.get());
  next_id_ = std::max(next_id_, *id + 1);
  if (kind.transaction) {
    if (auto n = to_int(e->doc_number)) next_doc_number_ = std::max(next_doc_number_, *n + 1);
  }
  live_.emplace(*id, std::move(e));
  return {};
}

void Company::load_built(std::unique_ptr<Entity> e) {
  Collection& c = collection(*e->kind);
  c.by_time.push_back(e.get());
  c.by_id.push_back(e.get());
  next_id_ = std::max(next_id_, e->id + 1);
  const int64_t id = e->id;
  live_.emplace(id, std::move(e));
}

std::string cents_text(int64_t cents) {
  const int64_t a = cents < 0 ? -cents : cents;
  std::string out = (cents < 0 ? "-" : "") + std::to_string(a / 100) + ".";
  const int64_t frac = a % 100;
  if (frac == 0) out += '0';
  else if (frac % 10 == 0) out += static_cast<char>('0' + frac / 10);
  else out += (frac < 10 ? "0" : "") + std::to_string(frac);
  return out;
}

void Company::finish_load() {
  for (auto& [name, c] : collections_) {
    std::sort(c.by_time.begin(), c.by_time.end(), by_time_less);
    std::sort(c.by_id.begin(), c.by_id.end(),
              [](const Entity* a, const Entity* b) { return a->id < b->id; });
  }
}

void Company::record_application(int64_t payment_id, int64_t target_id, int64_t cents) {
  applications_[payment_id].emplace_back(target_id, cents);
  applied_[target_id] += cents;
}

void Company::index_insert(Collection& c, Entity* e, bool by_id_too) {
  c.by_time.insert(std::upper_bound(c.by_time.begin(), c.by_time.end(), e, by_time_less), e);
  if (by_id_too) {
    auto pos = std::upper_bound(c.by_id.begin(), c.by_id.end(), e,
                                [](const Entity* a, const Entity* b) { return a->id < b->id; });
    c.by_id.insert(pos, e);
  }
}

void Company::index_erase_time(Collection& c, const Entity* e) {
  auto it = std::lower_bound(c.by_time.begin(), c.by_time.end(), e, by_time_less);
  if (it != c.by_time.end() && *it == e) c.by_time.erase(it);
}

const Entity* Company::read(const EntityKind& kind, int64_t id) const {
  auto it = live_.find(id);
  if (it == live_.end() || it->second->kind != &kind) return nullptr;
  return it->second.get();
}

std::variant<QueryPage, Fault> Company::query(const Query& q) const {
  const EntityKind* kind = find_kind(q.entity);
  if (!kind) {
    Fault f;
    f.message = "Invalid query";
    f.detail = "QueryValidationError: Unsupported Entity: " + q.entity +
               " (the emulator serves Invoice, Payment, CreditMemo, RefundReceipt, "
               "SalesReceipt, JournalEntry, Customer)";
    f.code = "4001";
    return f;
  }
  std::vector<Predicate> preds;
  for (const Condition& c : q.where) {
    Predicate p{key_of(c.field), c.field, c.op, c.values, {}};
    if (p.key == Key::kId || p.key == Key::kUpdated || p.key == Key::kCreated) {
      if (c.op == CompareOp::kLike)
        return query_fault("QueryParserError: LIKE is not supported on " + c.field);
      for (const std::string& v : c.values) {
        const auto n = p.key == Key::kId ? to_int(v) : parse_instant(v);
        if (!n)
          return query_fault("QueryParserError: invalid value '" + v + "' for " + c.field);
        p.numbers.push_back(*n);
      }
    }
    preds.push_back(std::move(p));
  }

  QueryPage page;
  page.kind = kind;
  page.count = q.count;
  const int64_t start = std::max<int64_t>(1, q.start_position.value_or(1));
  // Intuit serves at most 1000 rows a page and 100 when MAXRESULTS is absent.
  const int64_t max = std::clamp<int64_t>(q.max_results.value_or(100), 0, 1000);
  page.start_position = start;
  const Collection* coll = find_collection(*kind);
  if (!coll) return page;

  // Pick the index: the first ORDERBY key if it is Id or LastUpdatedTime,
  // else Id (Intuit's default order is Id ascending).
  Key order_key = Key::kId;
  bool desc = false;
  bool generic_sort = false;
  if (!q.order_by.empty()) {
    order_key = key_of(q.order_by[0].field);
    desc = q.order_by[0].descending;
    if (order_key != Key::kId && order_key != Key::kUpdated) generic_sort = true;
  }
  const std::vector<Entity*>& index =
      !generic_sort && order_key == Key::kUpdated ? coll->by_time : coll->by_id;
  const Key index_key = &index == &coll->by_time ? Key::kUpdated : Key::kId;

  // Narrow [lo, hi) by the range conditions on the index key; the rest is residual.
  size_t lo = 0, hi = index.size();
  std::vector<const Predicate*> residual;
  for (const Predicate& p : preds) {
    if (p.key != index_key || p.op == CompareOp::kIn) {
      residual.push_back(&p);
      continue;
    }
    const int64_t n = p.numbers[0];
    auto key = [&](const Entity* e) { return index_key == Key::kId ? e->id : e->updated_ms; };
    auto first_ge = [&](int64_t v) {
      return static_cast<size_t>(
          std::partition_point(index.begin(), index.end(), [&](const Entity* e) { return key(e) < v; }) -
          index.begin());
    };
    auto first_gt = [&](int64_t v) {
      return static_cast<size_t>(
          std::partition_point(index.begin(), index.end(), [&](const Entity* e) { return key(e) <= v; }) -
          index.begin());
    };
    switch (p.op) {
      case CompareOp::kEq: lo = std::max(lo, first_ge(n)); hi = std::min(hi, first_gt(n)); break;
      case CompareOp::kGt: lo = std::max(lo, first_gt(n)); break;
      case CompareOp::kGe: lo = std::max(lo, first_ge(n)); break;
      case CompareOp::kLt: hi = std::min(hi, first_ge(n)); break;
      case CompareOp::kLe: hi = std::min(hi, first_gt(n)); break;
      default: break;
    }
  }
  if (lo >= hi) return page;
  auto passes = [&](const Entity* e) {
    for (const Predicate* p : residual) {
      if (!matches(*e, *p)) return false;
    }
    return true;
  };

  if (generic_sort) {
    std::vector<const Entity*> all;
    for (size_t i = lo; i < hi; ++i) {
      if (passes(index[i])) all.push_back(index[i]);
    }
    page.total_count = static_cast<int64_t>(all.size());
    if (q.count) return page;
    const Predicate sort_field{order_key, q.order_by[0].field, CompareOp::kEq, {}, {}};
    auto field_text = [&](const Entity* e) -> std::string {
      switch (sort_field.key) {
        case Key::kDocNumber: return e->doc_number;
        case Key::kTxnDate: return e->txn_date;
        case Key::kCustomerRef: return e->customer_ref;
        default: {
          const Json body = Json::parse(e->text);
          const Json* v = find_path(body, sort_field.field);
          return v ? (v->is_string() ? v->get<std::string>() : v->dump()) : std::string{};
        }
      }
    };
    std::vector<std::pair<std::string, const Entity*>> keyed;
    keyed.reserve(all.size());
    for (const Entity* e : all) keyed.emplace_back(field_text(e), e);
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      return desc ? a.first > b.first : a.first < b.first;
    });
    for (size_t i = static_cast<size_t>(start - 1);
         i < keyed.size() && static_cast<int64_t>(page.rows.size()) < max; ++i)
      page.rows.push_back(keyed[i].second);
    return page;
  }

  if (residual.empty()) {
    page.total_count = static_cast<int64_t>(hi - lo);
    if (q.count) return page;
    const size_t skip = static_cast<size_t>(start - 1);
    for (size_t k = skip; k < hi - lo && static_cast<int64_t>(page.rows.size()) < max; ++k)
      page.rows.push_back(desc ? index[hi - 1 - k] : index[lo + k]);
    return page;
  }
  int64_t seen = 0;
  for (size_t k = 0; k < hi - lo; ++k) {
    const Entity* e = desc ? index[hi - 1 - k] : index[lo + k];
    if (!passes(e)) continue;
    ++seen;
    if (q.count) continue;
    if (seen < start) continue;
    page.rows.push_back(e);
    if (static_cast<int64_t>(page.rows.size()) >= max) break;
  }
  page.total_count = seen;
  return page;
}

std::vector<CdcGroup> Company::cdc(const std::vector<const EntityKind*>& kinds, int64_t since_ms,
                                   size_t cap) const {
  std::vector<CdcGroup> out;
  size_t total = 0;
  for (const EntityKind* kind : kinds) {
    CdcGroup g;
    g.kind = kind;
    if (const Collection* c = find_collection(*kind)) {
      auto it = std::partition_point(c->by_time.begin(), c->by_time.end(),
                                     [&](const Entity* e) { return e->updated_ms < since_ms; });
      for (; it != c->by_time.end() && total < cap; ++it, ++total) g.changed.push_back(*it);
      for (const Tombstone& t : c->tombstones) {
        if (total >= cap) break;
        if (t.deleted_ms >= since_ms) {
          g.deleted.push_back(t);
          ++total;
        }
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<TrialBalanceRow> Company::trial_balance(const std::string& end_date) const {
  // A/R carries every invoice less every credit memo and payment (the
  // applications cancel out); Undeposited Funds takes the cash in, Sales
  // the income. Debits equal credits by construction.
  int64_t invoices = 0, credits = 0, payments = 0, receipts = 0, refunds = 0;
  for (const auto& [id, e] : live_) {
    if (!e->kind->transaction || e->txn_date > end_date) continue;
    const Json body = Json::parse(e->text);
    int64_t amount = body.contains("HomeTotalAmt") ? json_to_cents(body["HomeTotalAmt"])
                                                   : json_to_cents(body.value("TotalAmt", Json(0)));
    const std::string_view k = e->kind->name;
    if (k == "Invoice") invoices += amount;
    else if (k == "CreditMemo") credits += amount;
    else if (k == "Payment") payments += amount;
    else if (k == "SalesReceipt") receipts += amount;
    else if (k == "RefundReceipt") refunds += amount;
  }
  std::vector<TrialBalanceRow> rows;
  auto add = [&](std::string name, std::string id, int64_t net_debit) {
    TrialBalanceRow r{std::move(name), std::move(id), 0, 0};
    (net_debit >= 0 ? r.debit_cents : r.credit_cents) = net_debit >= 0 ? net_debit : -net_debit;
    rows.push_back(std::move(r));
  };
  add("Undeposited Funds", "4", payments + receipts - refunds);
  add("Accounts Receivable (A/R)", "84", invoices - credits - payments);
  add("Sales of Product Income", "79", -(invoices - credits + receipts - refunds));
  return rows;
}

}  // namespace arsync::emulators::quickbooks
