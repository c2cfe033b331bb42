// Reconciliation configuration: which pairs of systems are compared on which
// document kinds, with what grace period and amount tolerance, and the
// severity of each rule.
//
// JSON form (the "reconcile" object of the daemon config):
//   {
//     "pairs": [
//       {"left": "sap-ecc", "right": "qbo-us",
//        "kinds": ["invoice", "credit_memo", "debit_memo", "payment"],  // default
//        "missing_grace": "24h",        // s, m, h or d; default 24h
//        "amount_tolerance": "0.00"}    // decimal text; default "0.00"
//     ],
//     "severities": {"amount_differs": "critical"}  // optional overrides
//   }
//
// Thread safety: plain value types; parse_reconcile_config is pure.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/currency.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/document.h"
#include "arsync/model/money.h"
#include "arsync/model/status.h"

namespace arsync::reconcile {

// Stable rule names: they appear in fingerprints, emails and config.
inline constexpr std::string_view kRuleMissingInSystem = "missing_in_system";
inline constexpr std::string_view kRuleAmountDiffers = "amount_differs";
inline constexpr std::string_view kRuleCurrencyDiffers = "currency_differs";
inline constexpr std::string_view kRuleCustomerDiffers = "customer_differs";
inline constexpr std::string_view kRuleDuplicateDocument = "duplicate_document";
inline constexpr std::string_view kRuleShortPayment = "short_payment";
inline constexpr std::string_view kRuleOverpayment = "overpayment";
inline constexpr std::string_view kRulePaymentUnknownInvoice = "payment_unknown_invoice";

// All rule names above, in a fixed order.
const std::vector<std::string_view>& all_rules();

// Default severity of a rule: critical for duplicate_document and
// overpayment (money may be paid out twice), warning for the others.
Severity default_severity(std::string_view rule);

struct PairConfig {
  std::string left;
  std::string right;
  std::vector<DocumentKind> kinds = {DocumentKind::kInvoice, DocumentKind::kCreditMemo,
                                     DocumentKind::kDebitMemo, DocumentKind::kPayment};
  // A document present in one system and absent in the other is a
  // discrepancy only once it has been known for at least this long.
  std::chrono::seconds missing_grace = std::chrono::hours(24);
  // Amounts that differ by no more than this are equal. Non-negative decimal
  // text, applied in each document's currency; decimals beyond a currency's
  // exponent are dropped ("0.50" is 0 JPY).
  std::string amount_tolerance = "0.00";

  bool covers(DocumentKind kind) const;
};

struct ReconcileConfig {
  std::vector<PairConfig> pairs;
  std::map<std::string, Severity> severities;  // rule -> severity override
  // A group whose check fails is retried after retry_first, the wait
  // doubling with each further failure up to retry_max (not read from the
  // config file).
  std::chrono::seconds retry_first = std::chrono::minutes(5);
  std::chrono::seconds retry_max = std::chrono::hours(6);

  // The override for `rule` if any, else default_severity(rule).
  Severity severity_of(std::string_view rule) const;
};

// The tolerance text in `currency`'s minor units (extra decimals dropped).
// Precondition: `tolerance` passed parse_reconcile_config's check.
Money tolerance_in(const std::string& tolerance, const Currency& currency);

// Parses the "reconcile" object. `known_systems` are the connector instance
// names of the config; a pair naming another system is an error. Errors are
// kInvalidArgument naming the key, e.g.
//   "reconcile.pairs[0].right: unknown system 'sap-s5'".
// Unknown keys are errors too (they are usually typos).
Result<ReconcileConfig> parse_reconcile_config(const nlohmann::json& reconcile,
                                               const std::vector<std::string>& known_systems);

}  // namespace arsync::reconcile
