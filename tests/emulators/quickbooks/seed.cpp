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

Json currency(bool eur) {
  return eur ? Json{{"value", "EUR"}, {"name", "Euro"}}
             : Json{{"value", "USD"}, {"name", "United States Dollar"}};
}

Json metadata(int64_t created, int64_t updated) {
  return Json{{"CreateTime", format_entity_time(created)},
              {"LastUpdatedTime", format_entity_time(updated)}};
}

// EUR at 1.0825 USD: cents x 10825 / 10000, half away from zero.
int64_t eur_home(int64_t cents) { return (cents * 10825 + 5000) / 10000; }

struct Customer {
  int64_t id = 0;
  std::string name;
  bool eur = false;
  int64_t balance = 0;
  int64_t created = 0;
};

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
    const uint64_t r = mix(static_cast<uint64_t>(i));
    const int64_t inv_id = company.allocate_id();
    const int64_t created = tick();
    const std::string txn_date = format_date(kFirstTxnDay + (i * 300 / invoices) * kMsPerDay);
    const std::string due_date =
        format_date(kFirstTxnDay + (i * 300 / invoices + 30) * kMsPerDay);

    Json lines = Json::array();
    int64_t total = 0;
    const int nlines = 1 + static_cast<int>(r % 3);
    for (int k = 0; k < nlines; ++k) {
      const uint64_t rk = mix(r + static_cast<uint64_t>(k));
      const int64_t qty = 1 + static_cast<int64_t>(rk % 10);
      const int64_t unit = 500 + static_cast<int64_t>((rk >> 8) % 49'501);
      total += qty * unit;
      lines.push_back(Json{
          {"Id", std::to_string(k + 1)},
          {"LineNum", k + 1},
          {"Description", k == 0 ? "Consulting services" : "Hardware"},
          {"Amount", cents_to_json(qty * unit)},
          {"DetailType", "SalesItemLineDetail"},
          {"SalesItemLineDetail",
           Json{{"ItemRef", Json{{"value", k == 0 ? "1" : "5"}, {"name", k == 0 ? "Services" : "Hardware"}}},
                {"UnitPrice", cents_to_json(unit)},
                {"Qty", qty},
                {"TaxCodeRef", Json{{"value", "NON"}}}}}});
    }
    lines.push_back(Json{{"Amount", cents_to_json(total)},
                         {"DetailType", "SubTotalLineDetail"},
                         {"SubTotalLineDetail", Json::object()}});

    // A credit memo for every tenth invoice, a payment for every third.
    const bool memo = i % 10 == 4;
    const bool paid = i % 3 == 0;
    const int64_t paid_cents = paid ? (i % 6 == 0 ? total : total / 2) : 0;
    int64_t memo_id = 0, memo_time = 0, pay_id = 0, pay_time = 0;
    if (memo) {
      memo_id = company.allocate_id();
      memo_time = tick();
    }
    if (paid) {
      pay_id = company.allocate_id();
      pay_time = tick();
    }
    const int64_t balance = total - paid_cents;

    Json inv{{"Id", std::to_string(inv_id)},
             {"SyncToken", paid ? "1" : "0"},
             {"domain", "QBO"},
             {"sparse", false},
             {"MetaData", metadata(created, paid ? pay_time : created)},
             {"DocNumber", std::to_string(100001 + i)},
             {"TxnDate", txn_date},
             {"DueDate", due_date},
             {"CurrencyRef", currency(c.eur)}};
    if (c.eur) inv["ExchangeRate"] = 1.0825;
    inv["CustomerRef"] = Json{{"value", std::to_string(c.id)}, {"name", c.name}};
    inv["SalesTermRef"] = Json{{"value", "3"}};
    inv["Line"] = std::move(lines);
    inv["TxnTaxDetail"] = Json{{"TotalTax", 0}};
    inv["TotalAmt"] = cents_to_json(total);
    inv["Balance"] = cents_to_json(balance);
    if (c.eur) {
      inv["HomeTotalAmt"] = cents_to_json(eur_home(total));
      inv["HomeBalance"] = cents_to_json(eur_home(balance));
    }
    inv["LinkedTxn"] = paid ? Json::array({Json{{"TxnId", std::to_string(pay_id)}, {"TxnType", "Payment"}}})
                            : Json::array();
    inv["EmailStatus"] = "NotSet";
    inv["PrintStatus"] = "NeedToPrint";
    inv["ApplyTaxAfterDiscount"] = false;
    inv["Deposit"] = 0;
    company.load(*find_kind("Invoice"), std::move(inv));
    c.balance += balance;

    if (memo) {
      const int64_t credit = std::max<int64_t>(100, total / 10 / 100 * 100);
      Json cm{{"Id", std::to_string(memo_id)},
              {"SyncToken", "0"},
              {"domain", "QBO"},
              {"sparse", false},
              {"MetaData", metadata(memo_time, memo_time)},
              {"DocNumber", "CM" + std::to_string(100001 + i)},
              {"TxnDate", txn_date},
              {"CurrencyRef", currency(c.eur)}};
      if (c.eur) cm["ExchangeRate"] = 1.0825;
      cm["CustomerRef"] = Json{{"value", std::to_string(c.id)}, {"name", c.name}};
      cm["Line"] = Json::array(
          {Json{{"Id", "1"},
                {"LineNum", 1},
                {"Description", "Credit for invoice " + std::to_string(100001 + i)},
                {"Amount", cents_to_json(credit)},
                {"DetailType", "SalesItemLineDetail"},
                {"SalesItemLineDetail",
                 Json{{"ItemRef", Json{{"value", "1"}, {"name", "Services"}}},
                      {"TaxCodeRef", Json{{"value", "NON"}}}}}},
           Json{{"Amount", cents_to_json(credit)},
                {"DetailType", "SubTotalLineDetail"},
                {"SubTotalLineDetail", Json::object()}}});
      cm["TxnTaxDetail"] = Json{{"TotalTax", 0}};
      cm["TotalAmt"] = cents_to_json(credit);
      cm["Balance"] = cents_to_json(credit);
      cm["RemainingCredit"] = cents_to_json(credit);
      if (c.eur) cm["HomeTotalAmt"] = cents_to_json(eur_home(credit));
      company.load(*find_kind("CreditMemo"), std::move(cm));
      c.balance -= credit;
    }

    if (paid) {
      Json pay{{"Id", std::to_string(pay_id)},
               {"SyncToken", "0"},
               {"domain", "QBO"},
               {"sparse", false},
               {"MetaData", metadata(pay_time, pay_time)},
               {"TxnDate", format_date(kFirstTxnDay + (i * 300 / invoices + 15) * kMsPerDay)},
               {"CurrencyRef", currency(c.eur)}};
      if (c.eur) pay["ExchangeRate"] = 1.0825;
      pay["CustomerRef"] = Json{{"value", std::to_string(c.id)}, {"name", c.name}};
      pay["DepositToAccountRef"] = Json{{"value", "4"}};
      pay["PaymentRefNum"] = "CHK" + std::to_string(50001 + i);
      pay["TotalAmt"] = cents_to_json(paid_cents);
      pay["UnappliedAmt"] = cents_to_json(0);
      pay["ProcessPayment"] = false;
      pay["Line"] = Json::array({Json{
          {"Amount", cents_to_json(paid_cents)},
          {"LinkedTxn", Json::array({Json{{"TxnId", std::to_string(inv_id)}, {"TxnType", "Invoice"}}})}}});
      company.load(*find_kind("Payment"), std::move(pay));
      company.record_application(pay_id, inv_id, paid_cents);
    }
  }

  for (const Customer& c : cust) {
    Json body{{"Id", std::to_string(c.id)},
              {"SyncToken", "0"},
              {"domain", "QBO"},
              {"sparse", false},
              {"MetaData", metadata(c.created, c.created)},
              {"DisplayName", c.name},
              {"CompanyName", c.name},
              {"PrintOnCheckName", c.name},
              {"Active", true},
              {"Job", false},
              {"BillWithParent", false},
              {"Taxable", false},
              {"CurrencyRef", currency(c.eur)},
              {"PreferredDeliveryMethod", "Print"},
              {"Balance", cents_to_json(c.balance)},
              {"BalanceWithJobs", cents_to_json(c.balance)}};
    company.load(*find_kind("Customer"), std::move(body));
  }
}

}  // namespace arsync::emulators::quickbooks
