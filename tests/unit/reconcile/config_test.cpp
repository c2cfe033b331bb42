#include "arsync/reconcile/config.h"

#include <gtest/gtest.h>

namespace arsync::reconcile {
namespace {

const std::vector<std::string> kSystems = {"sap-ecc", "qbo-eu", "ns-us"};

std::string error_of(const char* text) {
  auto r = parse_reconcile_config(nlohmann::json::parse(text), kSystems);
  EXPECT_FALSE(r.is_ok());
  return r.is_ok() ? "" : r.status().message();
}

TEST(ReconcileConfig, ParsesPairWithDefaults) {
  auto r = parse_reconcile_config(
      nlohmann::json::parse(R"({"pairs": [{"left": "sap-ecc", "right": "qbo-eu"}]})"), kSystems);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->pairs.size(), 1u);
  const PairConfig& p = r->pairs[0];
  EXPECT_EQ(p.left, "sap-ecc");
  EXPECT_EQ(p.right, "qbo-eu");
  EXPECT_EQ(p.kinds, (std::vector<DocumentKind>{DocumentKind::kInvoice, DocumentKind::kCreditMemo,
                                                DocumentKind::kDebitMemo, DocumentKind::kPayment}));
  EXPECT_EQ(p.missing_grace, std::chrono::hours(24));
  EXPECT_EQ(p.amount_tolerance, "0.00");
}

TEST(ReconcileConfig, ParsesEveryKey) {
  auto r = parse_reconcile_config(nlohmann::json::parse(R"({
      "pairs": [{"left": "sap-ecc", "right": "ns-us", "kinds": ["invoice", "payment"],
                 "missing_grace": "90m", "amount_tolerance": "0.05"}],
      "severities": {"amount_differs": "critical", "short_payment": "info"}})"),
                                  kSystems);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->pairs[0].kinds,
            (std::vector<DocumentKind>{DocumentKind::kInvoice, DocumentKind::kPayment}));
  EXPECT_EQ(r->pairs[0].missing_grace, std::chrono::minutes(90));
  EXPECT_EQ(r->pairs[0].amount_tolerance, "0.05");
  EXPECT_EQ(r->severity_of("amount_differs"), Severity::kCritical);
  EXPECT_EQ(r->severity_of("short_payment"), Severity::kInfo);
  EXPECT_EQ(r->severity_of("overpayment"), Severity::kCritical);
  EXPECT_EQ(r->severity_of("customer_differs"), Severity::kWarning);
}

TEST(ReconcileConfig, UnknownSystemNamesTheKey) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "sap-ecc", "right": "sap-s5"}]})"),
            "reconcile.pairs[0].right: unknown system 'sap-s5'");
}

TEST(ReconcileConfig, SameSystemTwiceIsAnError) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "qbo-eu", "right": "qbo-eu"}]})"),
            "reconcile.pairs[0]: left and right are the same system 'qbo-eu'");
}

TEST(ReconcileConfig, MissingRightIsAnError) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "qbo-eu"}]})"), "reconcile.pairs[0].right: missing");
}

TEST(ReconcileConfig, UnknownKindNamesTheElement) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "sap-ecc", "right": "qbo-eu",
                                   "kinds": ["invoice", "bill"]}]})"),
            "reconcile.pairs[0].kinds[1]: unknown document kind 'bill' (invoice, credit_memo, "
            "debit_memo, payment, refund, write_off)");
}

TEST(ReconcileConfig, BadDurationIsAnError) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "sap-ecc", "right": "qbo-eu",
                                   "missing_grace": 24}]})"),
            "reconcile.pairs[0].missing_grace: expected a duration such as \"24h\", \"30m\", "
            "\"90s\" or \"2d\", got 24");
}

TEST(ReconcileConfig, NegativeToleranceIsAnError) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "sap-ecc", "right": "qbo-eu",
                                   "amount_tolerance": "-0.05"}]})"),
            "reconcile.pairs[0].amount_tolerance: expected a non-negative decimal text such as "
            "\"0.05\", got \"-0.05\"");
}

TEST(ReconcileConfig, MisspelledKeyIsAnError) {
  EXPECT_EQ(error_of(R"({"pairs": [{"left": "sap-ecc", "right": "qbo-eu", "tolerance": "1"}]})"),
            "reconcile.pairs[0].tolerance: unknown key (expected left, right, kinds, "
            "missing_grace, amount_tolerance)");
}

TEST(ReconcileConfig, UnknownRuleInSeveritiesIsAnError) {
  EXPECT_EQ(error_of(R"({"severities": {"amount_differ": "critical"}})"),
            "reconcile.severities.amount_differ: unknown rule 'amount_differ'");
}

TEST(ReconcileConfig, BadSeverityIsAnError) {
  EXPECT_EQ(error_of(R"({"severities": {"amount_differs": "high"}})"),
            "reconcile.severities.amount_differs: expected \"info\", \"warning\" or "
            "\"critical\", got \"high\"");
}

TEST(Tolerance, IsAppliedInTheCurrencysMinorUnits) {
  EXPECT_EQ(tolerance_in("0.05", *Currency::find("EUR")).minor_units(), 5);
  EXPECT_EQ(tolerance_in("1", *Currency::find("EUR")).minor_units(), 100);
  EXPECT_EQ(tolerance_in("0.50", *Currency::find("JPY")).minor_units(), 0);
  EXPECT_EQ(tolerance_in("0.5", *Currency::find("KWD")).minor_units(), 500);
}

}  // namespace
}  // namespace arsync::reconcile
