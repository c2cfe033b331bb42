#include "seed.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "intuit_time.h"

namespace arsync::emulators::quickbooks {
namespace {

// splitmix64: a fixed, portable sequence (std::mt19937's distributions are
// not specified bit for bit across standard libraries).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr int64_t kMsPerDay = 86'400'000;
// 2026-01-05T12:00:00Z: the first generated TxnDate.
constexpr int64_t kFirstTxnDay = 1'767'614'400'000;

// EUR at 1.0825 USD: cents x 10825 / 10000, half up.
int64_t eur_home(int64_t cents) { return (cents * 10825 + 5000) / 10000; }

// Appends JSON text. The generator writes its entities as text, not as
// nlohmann trees: 150,000 entities of ~40 nodes each took seconds to build,
// dump and free. Every string written is ASCII the generator made, so no
// escaping is needed.
class Text {
 public:
  Text() : s_("{") {}
  Text& str(std::string_view k, std::string_view v) {
    key(k);
    s_ += '"';
    s_ += v;
    s_ += '"';
    return *this;
  }
  Text& raw(std::string_view k, std::string_view v) {
    key(k);
    s_ += v;
    return *this;
  }
  Text& money(std::string_view k, int64_t cents) { return raw(k, cents_text(cents)); }
  Text& open(std::string_view k, char bracket) {  // "k":{  or  "k":[
    key(k);
    s_ += bracket;
    return *this;
  }
  Text& element() {  // a new object inside an array
    if (s_.back() != '[') s_ += ',';
    s_ += '{';
    return *this;
  }
  Text& close(char bracket) {
    s_ += bracket;
    return *this;
  }
  Text& ref(std::string_view k, std::string_view value, std::string_view name) {
    open(k, '{').str("value", value);
    if (!name.empty()) str("name", name);
    return close('}');
  }
  Text& metadata(int64_t created, int64_t updated) {
    return open("MetaData", '{')
        .str("CreateTime", format_entity_time(created))
        .str("LastUpdatedTime", format_entity_time(updated))
        .close('}');
  }
  Text& currency(bool eur) {
    ref("CurrencyRef", eur ? "EUR" : "USD", eur ? "Euro" : "United States Dollar");
    if (eur) raw("ExchangeRate", "1.0825");
    return *this;
  }
  Text& head(int64_t id, int64_t sync_token) {
    return str("Id", std::to_string(id))
        .str("SyncToken", std::to_string(sync_token))
        .str("domain", "QBO")
        .raw("sparse", "false");
  }
  Text& sales_line(int n, std::string_view description, int64_t amount, std::string_view item,
                   std::string_view item_name, int64_t unit, int64_t qty) {
    element().str("Id", std::to_string(n)).raw("LineNum", std::to_string(n));
    str("Description", description).money("Amount", amount).str("DetailType", "SalesItemLineDetail");
    open("SalesItemLineDetail", '{').ref("ItemRef", item, item_name);
    if (unit > 0) money("UnitPrice", unit).raw("Qty", std::to_string(qty));
    return ref("TaxCodeRef", "NON", "").close('}').close('}');
  }
  Text& subtotal_line(int64_t amount) {
    return element()
        .money("Amount", amount)
        .str("DetailType", "SubTotalLineDetail")
        .raw("SubTotalLineDetail", "{}")
        .close('}');
  }
  std::string done() { return std::move(s_) + "}"; }

 private:
  void key(std::string_view k) {
    if (s_.back() != '{' && s_.back() != '[') s_ += ',';
    s_ += '"';
    s_ += k;
    s_ += "\":";
  }
  std::string s_;
};

struct Customer {
  int64_t id = 0;
  std::string name;
  bool eur = false;
  int64_t balance = 0;
  int64_t created = 0;
};

std::unique_ptr<Entity> built(const char* kind, int64_t id, int64_t sync_token, int64_t created,
                              int64_t updated, std::string text) {
  auto e = std::make_unique<Entity>();
  e->kind = find_kind(kind);
  e->id = id;
  e->sync_token = sync_token;
  e->created_ms = created;
  e->updated_ms = updated;
  e->text = std::move(text);
  return e;
}

}  // namespace

std::string load_fixtures(Company& company, const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return dir.string() + ": " + ec.message();
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    Json doc = Json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return file.string() + ": not a JSON object of entity arrays";
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const EntityKind* kind = find_kind(it.key());
      if (!kind || !it.value().is_array())
        return file.string() + ": member \"" + it.key() + "\" is not an entity array the emulator knows";
      size_t index = 0;
      for (const Json& body : it.value()) {
        const std::string err = company.load(*kind, body);
        if (!err.empty())
          return file.string() + ": " + it.key() + "[" + std::to_string(index) + "]: " + err;
        // Payments apply to what their lines link.
        if (kind->name == "Payment") {
          for (const Json& line : body.value("Line", Json::array())) {
            const int64_t cents = json_to_cents(line.value("Amount", Json(0)));
            for (const Json& link : line.value("LinkedTxn", Json::array()))
              company.record_application(std::stoll(body["Id"].get<std::string>()),
                                         std::stoll(link.value("TxnId", "0")), cents);
          }
        }
        ++index;
      }
    }
  }
  return {};
}

void generate(Company& company, int64_t invoices, int64_t end_ms) {
  if (invoices <= 0) return;
  const int64_t customers = std::max<int64_t>(1, invoices / 20);
  const int64_t payments = (invoices + 2) / 3;
  const int64_t memos = (invoices + 9) / 10;
  const int64_t events = customers + invoices + payments + memos;
  int64_t clock = end_ms / 1000 * 1000 - events * 1000;
  auto tick = [&] { return clock += 1000; };

  std::vector<Customer> cust(static_cast<size_t>(customers));
  for (int64_t j = 0; j < customers; ++j) {
    Customer& c = cust[static_cast<size_t>(j)];
    c.id = company.allocate_id();
    char name[64];
    std::snprintf(name, sizeof name, "Customer %05lld Ltd", static_cast<long long>(j + 1));
    c.name = name;
    c.eur = j % 10 == 9;
    c.created = tick();
  }

  for (int64_t i = 0; i < invoices; ++i) {
    Customer& c = cust[static_cast<size_t>((i * 7) % customers)];
    const std::string cust_id = std::to_string(c.id);
    const uint64_t r = mix(static_cast<uint64_t>(i));
    const int64_t inv_id = company.allocate_id();
    const int64_t created = tick();
    const int64_t day = i * 300 / invoices;
    const std::string txn_date = format_date(kFirstTxnDay + day * kMsPerDay);
    const std::string doc = std::to_string(100001 + i);

    // A credit memo for every tenth invoice, a payment for every third
    // (in full for every sixth, half otherwise).
    const bool memo = i % 10 == 4;
    const bool paid = i % 3 == 0;
    int64_t memo_id = 0, memo_time = 0, pay_id = 0, pay_time = 0;
    if (memo) {
      memo_id = company.allocate_id();
      memo_time = tick();
    }
    if (paid) {
      pay_id = company.allocate_id();
      pay_time = tick();
    }

    Text inv;
    inv.head(inv_id, paid ? 1 : 0).metadata(created, paid ? pay_time : created);
    inv.str("DocNumber", doc).str("TxnDate", txn_date);
    inv.str("DueDate", format_date(kFirstTxnDay + (day + 30) * kMsPerDay)).currency(c.eur);
    inv.ref("CustomerRef", cust_id, c.name).ref("SalesTermRef", "3", "").open("Line", '[');
    int64_t total = 0;
    const int nlines = 1 + static_cast<int>(r % 3);
    for (int k = 0; k < nlines; ++k) {
      const uint64_t rk = mix(r + static_cast<uint64_t>(k));
      const int64_t qty = 1 + static_cast<int64_t>(rk % 10);
      const int64_t unit = 500 + static_cast<int64_t>((rk >> 8) % 49'501);
      total += qty * unit;
      inv.sales_line(k + 1, k == 0 ? "Consulting services" : "Hardware", qty * unit,
                     k == 0 ? "1" : "5", k == 0 ? "Services" : "Hardware", unit, qty);
    }
    const int64_t paid_cents = paid ? (i % 6 == 0 ? total : total / 2) : 0;
    const int64_t balance = total - paid_cents;
    inv.subtotal_line(total).close(']');
    inv.raw("TxnTaxDetail", R"({"TotalTax":0})").money("TotalAmt", total).money("Balance", balance);
    if (c.eur) inv.money("HomeTotalAmt", eur_home(total)).money("HomeBalance", eur_home(balance));
    inv.open("LinkedTxn", '[');
    if (paid) inv.element().str("TxnId", std::to_string(pay_id)).str("TxnType", "Payment").close('}');
    inv.close(']').str("EmailStatus", "NotSet").str("PrintStatus", "NeedToPrint");
    inv.raw("ApplyTaxAfterDiscount", "false").raw("Deposit", "0");
    auto e = built("Invoice", inv_id, paid ? 1 : 0, created, paid ? pay_time : created, inv.done());
    e->doc_number = doc;
    e->txn_date = txn_date;
    e->customer_ref = cust_id;
    company.load_built(std::move(e));
    c.balance += balance;

    if (memo) {
      const int64_t credit = std::max<int64_t>(100, total / 10 / 100 * 100);
      Text cm;
      cm.head(memo_id, 0).metadata(memo_time, memo_time);
      cm.str("DocNumber", "CM" + doc).str("TxnDate", txn_date).currency(c.eur);
      cm.ref("CustomerRef", cust_id, c.name).open("Line", '[');
      cm.sales_line(1, "Credit for invoice " + doc, credit, "1", "Services", 0, 0);
      cm.subtotal_line(credit).close(']').raw("TxnTaxDetail", R"({"TotalTax":0})");
      cm.money("TotalAmt", credit).money("Balance", credit).money("RemainingCredit", credit);
      if (c.eur) cm.money("HomeTotalAmt", eur_home(credit));
      auto m = built("CreditMemo", memo_id, 0, memo_time, memo_time, cm.done());
      m->doc_number = "CM" + doc;
      m->txn_date = txn_date;
      m->customer_ref = cust_id;
      company.load_built(std::move(m));
      c.balance -= credit;
    }

    if (paid) {
      const std::string pay_date = format_date(kFirstTxnDay + (day + 15) * kMsPerDay);
      Text pay;
      pay.head(pay_id, 0).metadata(pay_time, pay_time).str("TxnDate", pay_date).currency(c.eur);
      pay.ref("CustomerRef", cust_id, c.name).ref("DepositToAccountRef", "4", "");
      pay.str("PaymentRefNum", "CHK" + std::to_string(50001 + i)).money("TotalAmt", paid_cents);
      pay.money("UnappliedAmt", 0).raw("ProcessPayment", "false").open("Line", '[');
      pay.element().money("Amount", paid_cents).open("LinkedTxn", '[').element();
      pay.str("TxnId", std::to_string(inv_id)).str("TxnType", "Invoice").close('}').close(']');
      pay.close('}').close(']');
      auto p = built("Payment", pay_id, 0, pay_time, pay_time, pay.done());
      p->txn_date = pay_date;
      p->customer_ref = cust_id;
      company.load_built(std::move(p));
      company.record_application(pay_id, inv_id, paid_cents);
    }
  }

  for (const Customer& c : cust) {
    Text body;
    body.head(c.id, 0).metadata(c.created, c.created);
    body.str("DisplayName", c.name).str("CompanyName", c.name).str("PrintOnCheckName", c.name);
    body.raw("Active", "true").raw("Job", "false").raw("BillWithParent", "false").raw("Taxable", "false");
    body.ref("CurrencyRef", c.eur ? "EUR" : "USD", c.eur ? "Euro" : "United States Dollar");
    body.str("PreferredDeliveryMethod", "Print");
    body.money("Balance", c.balance).money("BalanceWithJobs", c.balance);
    auto e = built("Customer", c.id, 0, c.created, c.created, body.done());
    e->active = true;
    company.load_built(std::move(e));
  }
}

}  // namespace arsync::emulators::quickbooks
