// The write path of a company: create, full and sparse update, delete and
// void, with the business rules Intuit's entity pages state (totals and
// balances are computed by QuickBooks, not taken from the request; a stale
// SyncToken is refused; a payment's Line[].LinkedTxn reduce the balances of
// the invoices and credit memos it names).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "company.h"
#include "intuit_time.h"

namespace arsync::emulators::quickbooks {
namespace {

Fault fault(std::string message, std::string detail, std::string code, std::string element = "") {
  Fault f;
  f.message = std::move(message);
  f.detail = std::move(detail);
  f.code = std::move(code);
  f.element = std::move(element);
  return f;
}

Fault required_missing(const std::string& name) {
  return fault("Required param missing, need to supply the required value for the API",
               "Required parameter " + name + " is missing in the request", "2020", name);
}

Fault not_found(const EntityKind& kind, const std::string& id) {
  return fault("Object Not Found",
               "Object Not Found : Something you're trying to use has been made inactive. Check "
               "the fields with accounts, customers, items, vendors or employees. (" +
                   std::string(kind.name) + " " + id + ")",
               "610");
}

Fault business(std::string detail) {
  return fault("A business validation error has occurred while processing your request",
               "Business Validation Error: " + detail, "6000");
}

std::optional<int64_t> id_of(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

std::string add_days(const std::string& date, int days) {
  const auto t = parse_instant(date + "T12:00:00");
  return t ? format_date(*t + int64_t{days} * 86'400'000) : date;
}

int64_t truncate_to_second(int64_t ms) { return ms / 1000 * 1000; }

// Home-currency amount: cents x ExchangeRate, rounded half away from zero.
// The rate is read to six decimals, as integers, so no double holds money.
int64_t to_home(int64_t cents, const Json& rate) {
  const int64_t micro = rate.is_number() ? std::llround(rate.get<double>() * 1'000'000.0) : 1'000'000;
  const int64_t p = cents * micro;
  return p >= 0 ? (p + 500'000) / 1'000'000 : -((-p + 500'000) / 1'000'000);
}

bool foreign(const Json& body) {
  auto it = body.find("CurrencyRef");
  return it != body.end() && it->is_object() && it->value("value", "USD") != "USD" &&
         body.contains("ExchangeRate");
}

bool has_balance(const EntityKind& k) { return k.name == "Invoice" || k.name == "CreditMemo"; }

}  // namespace

std::variant<WriteResult, Fault> Company::write(const EntityKind& kind, std::string_view operation,
                                                const Json& body, int64_t now_ms) {
  now_ms = truncate_to_second(now_ms);
  if (!body.is_object())
    return fault("Request has invalid or unsupported property",
                 "The request body is not a JSON object", "2010");
  if (operation.empty() && !body.contains("Id")) return create(kind, body, now_ms);

  if (!body.contains("Id")) return required_missing("Id");
  const auto id = id_of(body["Id"]);
  auto it = id ? live_.find(*id) : live_.end();
  if (it == live_.end() || it->second->kind != &kind)
    return not_found(kind, body["Id"].is_string() ? body["Id"].get<std::string>() : body["Id"].dump());
  Entity& e = *it->second;
  if (!body.contains("SyncToken")) return required_missing("SyncToken");
  if (body["SyncToken"] != Json(std::to_string(e.sync_token))) {
    return fault("Stale Object Error",
                 "Stale Object Error : You and QBO Emulator were working on this at the same "
                 "time. QBO Emulator finished before you did, so your work was not saved.",
                 "5010");
  }
  if (operation.empty()) return update(e, body, now_ms);
  if (operation == "delete") {
    if (!kind.can_delete)
      return fault("Operation Delete is not supported for " + std::string(kind.name),
                   "Make the " + std::string(kind.name) + " inactive instead (Active=false)",
                   "500");
    return remove(e, now_ms);
  }
  if (operation == "void") {
    if (!kind.can_void)
      return fault("Unsupported Operation",
                   "Operation void is not supported for " + std::string(kind.name), "500");
    return void_txn(e, now_ms);
  }
  return fault("Unsupported Operation",
               "Operation " + std::string(operation) + " is not supported", "500");
}

std::optional<Fault> Company::apply_rules(const EntityKind& kind, Json& body, int64_t entity_id,
                                          int64_t now_ms) {
  body["Id"] = std::to_string(entity_id);
  body["domain"] = "QBO";
  body["sparse"] = false;
  if (kind.name == "Customer") {
    if (!body.contains("DisplayName")) return required_missing("DisplayName");
    if (!body.contains("Active")) body["Active"] = true;
    if (!body.contains("Balance")) body["Balance"] = cents_to_json(0);
    return std::nullopt;
  }
  const bool sales_form = kind.name == "Invoice" || kind.name == "CreditMemo" ||
                          kind.name == "SalesReceipt" || kind.name == "RefundReceipt";
  if (kind.name != "JournalEntry" && !body.contains("CustomerRef"))
    return required_missing("CustomerRef");
  if (!body.contains("Line") || !body["Line"].is_array()) {
    if (kind.name != "Payment") return required_missing("Line");
    body["Line"] = Json::array();
  }
  if (!body.contains("TxnDate")) body["TxnDate"] = format_date(now_ms);
  if (!body.contains("CurrencyRef"))
    body["CurrencyRef"] = Json{{"value", "USD"}, {"name", "United States Dollar"}};
  if (sales_form && !body.contains("DocNumber")) body["DocNumber"] = std::to_string(next_doc_number_++);
  if (kind.name == "Invoice" && !body.contains("DueDate"))
    body["DueDate"] = add_days(body["TxnDate"].get<std::string>(), 30);

  int64_t total = 0;
  if (sales_form) {
    // QuickBooks computes the subtotal line and TotalAmt from the item lines.
    int64_t subtotal = 0;
    Json lines = Json::array();
    int n = 0;
    for (Json line : body["Line"]) {
      const std::string type = line.value("DetailType", "");
      if (type == "SubTotalLineDetail") continue;
      const int64_t amount = json_to_cents(line.value("Amount", Json(0)));
      subtotal += type == "DiscountLineDetail" ? -amount : amount;
      line["Amount"] = cents_to_json(amount);
      ++n;
      if (!line.contains("Id")) line["Id"] = std::to_string(n);
      if (!line.contains("LineNum") && type != "DiscountLineDetail") line["LineNum"] = n;
      lines.push_back(std::move(line));
    }
    lines.push_back(Json{{"Amount", cents_to_json(subtotal)},
                         {"DetailType", "SubTotalLineDetail"},
                         {"SubTotalLineDetail", Json::object()}});
    body["Line"] = std::move(lines);
    if (!body.contains("TxnTaxDetail")) body["TxnTaxDetail"] = Json{{"TotalTax", 0}};
    const int64_t tax = json_to_cents(body["TxnTaxDetail"].value("TotalTax", Json(0)));
    total = subtotal + tax;
    body["TotalAmt"] = cents_to_json(total);
  } else if (kind.name == "Payment") {
    if (!body.contains("TotalAmt")) return required_missing("TotalAmt");
    total = json_to_cents(body["TotalAmt"]);
    body["TotalAmt"] = cents_to_json(total);
    if (auto f = check_payment_targets(body)) return f;
    int64_t applied = 0;
    for (const Json& line : body["Line"]) {
      const int64_t amount = json_to_cents(line.value("Amount", Json(0)));
      for (const Json& link : line.value("LinkedTxn", Json::array()))
        applied += link.value("TxnType", "") == "CreditMemo" ? -amount : amount;
    }
    body["UnappliedAmt"] = cents_to_json(std::max<int64_t>(0, total - applied));
  } else if (body.contains("TotalAmt")) {
    total = json_to_cents(body["TotalAmt"]);
  }
  if (has_balance(kind)) {
    const int64_t balance = total - (applied_.count(entity_id) ? applied_[entity_id] : 0);
    body["Balance"] = cents_to_json(balance);
    if (kind.name == "CreditMemo") body["RemainingCredit"] = cents_to_json(balance);
  } else if (sales_form) {
    body["Balance"] = cents_to_json(0);
  }
  if (foreign(body)) {
    body["HomeTotalAmt"] = cents_to_json(to_home(total, body["ExchangeRate"]));
    if (has_balance(kind))
      body["HomeBalance"] = cents_to_json(to_home(json_to_cents(body["Balance"]), body["ExchangeRate"]));
  }
  return std::nullopt;
}

std::optional<Fault> Company::check_payment_targets(const Json& body) const {
  for (const Json& line : body["Line"]) {
    for (const Json& link : line.value("LinkedTxn", Json::array())) {
      const std::string type = link.value("TxnType", "");
      const auto target = id_of(link.value("TxnId", Json()));
      const EntityKind* k = find_kind(type);
      auto it = target ? live_.find(*target) : live_.end();
      if ((type != "Invoice" && type != "CreditMemo") || it == live_.end() ||
          it->second->kind != k) {
        return fault("Invalid Reference Id",
                     "Invalid Reference Id : " + type + " " + link.value("TxnId", Json("")).dump() +
                         " not found",
                     "2500", "Line.LinkedTxn.TxnId");
      }
    }
  }
  return std::nullopt;
}

void Company::touch(Entity& e, Json& body, int64_t now_ms) {
  Collection& c = collection(*e.kind);
  index_erase_time(c, &e);
  ++e.sync_token;
  e.updated_ms = std::max(now_ms, e.updated_ms);
  body["SyncToken"] = std::to_string(e.sync_token);
  body["MetaData"]["LastUpdatedTime"] = format_entity_time(e.updated_ms);
  index_insert(c, &e, false);
  store_body(e, body);
}

void Company::refresh_balance(Entity& target, int64_t now_ms, int64_t payment_id, bool link,
                              std::vector<Change>& changes) {
  Json body = Json::parse(target.text);
  const int64_t total = json_to_cents(body.value("TotalAmt", Json(0)));
  const int64_t balance = total - (applied_.count(target.id) ? applied_[target.id] : 0);
  body["Balance"] = cents_to_json(balance);
  if (target.kind->name == "CreditMemo") body["RemainingCredit"] = cents_to_json(balance);
  if (foreign(body)) body["HomeBalance"] = cents_to_json(to_home(balance, body["ExchangeRate"]));
  Json links = body.value("LinkedTxn", Json::array());
  const Json mine{{"TxnId", std::to_string(payment_id)}, {"TxnType", "Payment"}};
  links.erase(std::remove(links.begin(), links.end(), mine), links.end());
  if (link) links.push_back(mine);
  body["LinkedTxn"] = std::move(links);
  touch(target, body, now_ms);
  changes.push_back({std::string(target.kind->name), target.id, "Update", target.updated_ms});
}

void Company::apply_payment(int64_t payment_id, const Json& body, int64_t now_ms,
                            std::vector<Change>& changes) {
  for (const Json& line : body["Line"]) {
    const int64_t amount = json_to_cents(line.value("Amount", Json(0)));
    for (const Json& link : line.value("LinkedTxn", Json::array())) {
      const int64_t target = *id_of(link["TxnId"]);
      record_application(payment_id, target, amount);
      refresh_balance(*live_.at(target), now_ms, payment_id, true, changes);
    }
  }
}

void Company::unapply_payment(int64_t payment_id, int64_t now_ms, std::vector<Change>& changes) {
  auto it = applications_.find(payment_id);
  if (it == applications_.end()) return;
  const auto apps = std::move(it->second);
  applications_.erase(it);
  for (const auto& [target, cents] : apps) applied_[target] -= cents;
  for (const auto& [target, cents] : apps) {
    auto t = live_.find(target);
    if (t != live_.end()) refresh_balance(*t->second, now_ms, payment_id, false, changes);
  }
}

std::variant<WriteResult, Fault> Company::create(const EntityKind& kind, Json body, int64_t now_ms) {
  const int64_t id = next_id_;
  if (auto f = apply_rules(kind, body, id, now_ms)) return *f;
  ++next_id_;
  body["SyncToken"] = "0";
  body["MetaData"] = Json{{"CreateTime", format_entity_time(now_ms)},
                          {"LastUpdatedTime", format_entity_time(now_ms)}};
  auto owned = std::make_unique<Entity>();
  Entity& e = *owned;
  e.kind = &kind;
  e.id = id;
  e.created_ms = e.updated_ms = now_ms;
  store_body(e, body);
  live_.emplace(id, std::move(owned));
  index_insert(collection(kind), &e, true);
  WriteResult r;
  r.changes.push_back({std::string(kind.name), id, "Create", now_ms});
  if (kind.name == "Payment") apply_payment(id, body, now_ms, r.changes);
  r.body = "\"" + std::string(kind.name) + "\":" + e.text;
  return r;
}

std::variant<WriteResult, Fault> Company::update(Entity& e, const Json& request, int64_t now_ms) {
  const Json old = Json::parse(e.text);
  Json body;
  if (request.value("sparse", false)) {
    body = old;
    for (auto it = request.begin(); it != request.end(); ++it) body[it.key()] = it.value();
  } else {
    body = request;  // writable fields left out are cleared, as Intuit's full update does
  }
  body["MetaData"] = old.value("MetaData", Json::object());
  if (e.kind->name == "Payment" && !body.contains("TotalAmt")) body["TotalAmt"] = old["TotalAmt"];
  if (auto f = apply_rules(*e.kind, body, e.id, now_ms)) return *f;
  WriteResult r;
  if (e.kind->name == "Payment") unapply_payment(e.id, now_ms, r.changes);
  touch(e, body, now_ms);
  r.changes.insert(r.changes.begin(), {std::string(e.kind->name), e.id, "Update", e.updated_ms});
  if (e.kind->name == "Payment") apply_payment(e.id, body, now_ms, r.changes);
  r.body = "\"" + std::string(e.kind->name) + "\":" + e.text;
  return r;
}

std::variant<WriteResult, Fault> Company::remove(Entity& e, int64_t now_ms) {
  if (applied_.count(e.id) && applied_[e.id] != 0)
    return business("You must unlink any linked transactions associated with this " +
                    std::string(e.kind->name) + " before deleting it.");
  WriteResult r;
  const std::string name(e.kind->name);
  const int64_t id = e.id;
  if (name == "Payment") unapply_payment(id, now_ms, r.changes);
  Collection& c = collection(*e.kind);
  index_erase_time(c, &e);
  auto pos = std::lower_bound(c.by_id.begin(), c.by_id.end(), id,
                              [](const Entity* a, int64_t v) { return a->id < v; });
  if (pos != c.by_id.end() && (*pos)->id == id) c.by_id.erase(pos);
  c.tombstones.push_back({id, std::max(now_ms, e.updated_ms)});
  live_.erase(id);
  r.changes.insert(r.changes.begin(), {name, id, "Delete", now_ms});
  r.body = "\"" + name + "\":" +
           Json{{"status", "Deleted"}, {"domain", "QBO"}, {"Id", std::to_string(id)}}.dump();
  return r;
}

std::variant<WriteResult, Fault> Company::void_txn(Entity& e, int64_t now_ms) {
  if (e.kind->name != "Payment" && applied_.count(e.id) && applied_[e.id] != 0)
    return business("You must unlink any linked transactions associated with this " +
                    std::string(e.kind->name) + " before voiding it.");
  WriteResult r;
  if (e.kind->name == "Payment") unapply_payment(e.id, now_ms, r.changes);
  // Voiding keeps the transaction but zeroes every amount and quantity and
  // prepends "Voided" to PrivateNote.
  Json body = Json::parse(e.text);
  for (Json& line : body["Line"]) {
    line["Amount"] = cents_to_json(0);
    if (auto d = line.find("SalesItemLineDetail"); d != line.end() && d->contains("Qty"))
      (*d)["Qty"] = 0;
  }
  body["TotalAmt"] = cents_to_json(0);
  if (body.contains("Balance")) body["Balance"] = cents_to_json(0);
  if (body.contains("HomeTotalAmt")) body["HomeTotalAmt"] = cents_to_json(0);
  if (body.contains("HomeBalance")) body["HomeBalance"] = cents_to_json(0);
  if (body.contains("UnappliedAmt")) body["UnappliedAmt"] = cents_to_json(0);
  if (body.contains("TxnTaxDetail")) body["TxnTaxDetail"]["TotalTax"] = 0;
  const std::string note = body.value("PrivateNote", "");
  body["PrivateNote"] = note.empty() ? "Voided" : "Voided - " + note;
  touch(e, body, now_ms);
  r.changes.insert(r.changes.begin(), {std::string(e.kind->name), e.id, "Void", e.updated_ms});
  r.body = "\"" + std::string(e.kind->name) + "\":" + e.text;
  return r;
}

}  // namespace arsync::emulators::quickbooks
