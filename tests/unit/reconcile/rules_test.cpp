#include "arsync/reconcile/rules.h"

#include <gtest/gtest.h>

#include "test_documents.h"

namespace arsync::reconcile {
namespace {

using testing::invoice;
using testing::payment;
using testing::two_system_config;

const Instant kNow = *parse_instant("2026-11-25T12:00:00Z");

GroupInput invoice_group(std::vector<Document> docs, std::vector<Document> settlements = {}) {
  GroupInput g;
  g.kind = DocumentKind::kInvoice;
  g.match_key = docs.empty() ? "90001234" : docs.front().match_key;
  g.documents = std::move(docs);
  g.settlements = std::move(settlements);
  return g;
}

TEST(MissingInSystem, OpensForDocumentOnlyInOneSystem) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00")}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "missing_in_system");
  EXPECT_EQ(f.kind, DocumentKind::kInvoice);
  EXPECT_EQ(f.match_key, "90001234");
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu", "sap-ecc"}));
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.customer_key, "C1000");
  EXPECT_EQ(f.summary, "invoice 0090001234 (customer C1000) is in sap-ecc but missing in qbo-eu");
  EXPECT_EQ(f.details["present_in"], "sap-ecc");
  EXPECT_EQ(f.details["missing_in"], "qbo-eu");
  EXPECT_EQ(f.details["sap-ecc"]["amount"], "1,250.00 EUR");
  EXPECT_EQ(f.details["sap-ecc"]["external_id"], "0090001234");
  EXPECT_EQ(f.details["sap-ecc"]["issue_date"], "2026-10-15");
  EXPECT_EQ(f.details["sap-ecc"]["status"], "open");
  EXPECT_EQ(fingerprint(f), "missing_in_system|invoice|90001234|qbo-eu,sap-ecc");
  EXPECT_FALSE(e.recheck_at.has_value());
}

TEST(MissingInSystem, ReportsTheOtherDirectionToo) {
  auto e = evaluate_group(invoice_group({invoice("qbo-eu", "90001234", "1250.00")}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].details["present_in"], "qbo-eu");
  EXPECT_EQ(e.findings[0].details["missing_in"], "sap-ecc");
}

TEST(MissingInSystem, WaitsForGraceAndSaysWhenToRecheck) {
  GroupInput g = invoice_group({invoice("sap-ecc", "90001234", "1250.00")});
  g.known_since["sap-ecc"] = kNow - std::chrono::hours(2);
  auto e = evaluate_group(g, two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
  ASSERT_TRUE(e.recheck_at.has_value());
  EXPECT_EQ(format_instant(*e.recheck_at), "2026-11-26T10:00:00Z");

  auto later = evaluate_group(g, two_system_config(), *e.recheck_at);
  ASSERT_EQ(later.findings.size(), 1u);
  EXPECT_EQ(later.findings[0].rule, "missing_in_system");
  EXPECT_FALSE(later.recheck_at.has_value());
}

TEST(MissingInSystem, VoidDocumentDoesNotCountAsPresent) {
  Document voided = invoice("qbo-eu", "90001234", "1250.00");
  voided.status = DocumentStatus::kVoid;
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"), voided}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].rule, "missing_in_system");
  EXPECT_EQ(e.findings[0].details["missing_in"], "qbo-eu");
}

TEST(MissingInSystem, VoidInBothSystemsIsNotReported) {
  Document a = invoice("sap-ecc", "90001234", "1250.00");
  a.status = DocumentStatus::kDeleted;
  Document b = invoice("qbo-eu", "90001234", "1250.00");
  b.status = DocumentStatus::kVoid;
  auto e = evaluate_group(invoice_group({a, b}), two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(MissingInSystem, IgnoresKindsThePairDoesNotCover) {
  ReconcileConfig c = two_system_config();
  c.pairs[0].kinds = {DocumentKind::kPayment};
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00")}), c, kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(MatchedGroup, EqualDocumentsHaveNoFindings) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1250.00")}),
                          two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(AmountDiffers, OpensWithDifference) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1000.00")}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "amount_differs");
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu", "sap-ecc"}));
  EXPECT_EQ(f.details["difference"], "250.00 EUR");
  EXPECT_EQ(f.details["sap-ecc"]["amount"], "1,250.00 EUR");
  EXPECT_EQ(f.details["qbo-eu"]["amount"], "1,000.00 EUR");
  EXPECT_EQ(f.summary,
            "invoice 0090001234 (customer C1000): amount 1,250.00 EUR in sap-ecc vs "
            "1,000.00 EUR in qbo-eu, difference 250.00 EUR");
}

TEST(AmountDiffers, WithinToleranceIsEqual) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1249.95")}),
                          two_system_config("0.05"), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(AmountDiffers, JustBeyondToleranceIsReported) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1249.94")}),
                          two_system_config("0.05"), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].details["difference"], "0.06 EUR");
}

TEST(CurrencyDiffers, SuppressesAmountDiffers) {
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00", "EUR"),
                                         invoice("qbo-eu", "90001234", "1400.00", "USD")}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].rule, "currency_differs");
  EXPECT_EQ(e.findings[0].summary,
            "invoice 0090001234 (customer C1000): currency EUR in sap-ecc vs USD in qbo-eu");
  EXPECT_EQ(e.findings[0].details["qbo-eu"]["currency"], "USD");
}

TEST(CustomerDiffers, OpensForDifferentCustomerKeys) {
  Document q = invoice("qbo-eu", "90001234", "1250.00");
  q.customer_key = "C2000";
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"), q}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].rule, "customer_differs");
  EXPECT_EQ(e.findings[0].summary,
            "invoice 0090001234: customer C1000 in sap-ecc vs C2000 in qbo-eu");
  EXPECT_EQ(e.findings[0].details["qbo-eu"]["customer_key"], "C2000");
}

TEST(DuplicateDocument, OpensForTwoExternalIdsInOneSystem) {
  Document dup = invoice("qbo-eu", "90001234", "1250.00");
  dup.external_id = "qb-777";
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1250.00"), dup}),
                          two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "duplicate_document");
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu"}));
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.summary,
            "invoice 90001234 (customer C1000) appears 2 times in qbo-eu "
            "(external ids qb-777, qb-90001234)");
  EXPECT_EQ(f.details["documents"].size(), 2u);
}

TEST(DuplicateDocument, VoidedCopyIsNotADuplicate) {
  Document dup = invoice("qbo-eu", "90001234", "1250.00");
  dup.external_id = "qb-777";
  dup.status = DocumentStatus::kVoid;
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                                         invoice("qbo-eu", "90001234", "1250.00"), dup}),
                          two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(DuplicateDocument, SummaryListsAtMostFiveExternalIds) {
  std::vector<Document> docs;
  for (int i = 1; i <= 7; ++i) {
    Document d = invoice("qbo-eu", "90001234", "1250.00");
    d.external_id = "qb-" + std::to_string(i);
    docs.push_back(d);
  }
  ReconcileConfig c = two_system_config();
  c.pairs[0].kinds = {DocumentKind::kPayment};
  auto e = evaluate_group(invoice_group(docs), c, kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].summary,
            "invoice 90001234 (customer C1000) appears 7 times in qbo-eu (external ids qb-1, "
            "qb-2, qb-3, qb-4, qb-5 and 2 more)");
  EXPECT_EQ(e.findings[0].details["documents"].size(), 7u);
}

TEST(ShortPayment, IgnoresVoidedPayments) {
  Document voided = payment("qbo-eu", "P-2", "90001234", "250.00");
  voided.status = DocumentStatus::kVoid;
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "1250.00"), voided}),
      two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(ShortPayment, SkipsPaymentsInAnotherCurrency) {
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "100.00", "0.00", "USD")}),
      two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(ShortPayment, OpensWhenPaymentsCoverLessThanTheAmount) {
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "1000.00", "25.00")}),
      two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "short_payment");
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu"}));
  EXPECT_EQ(f.details["invoice_amount"], "1,250.00 EUR");
  EXPECT_EQ(f.details["paid"], "1,000.00 EUR");
  EXPECT_EQ(f.details["discount"], "25.00 EUR");
  EXPECT_EQ(f.details["shortfall"], "225.00 EUR");
  EXPECT_EQ(f.summary,
            "invoice 90001234 (customer C1000) in qbo-eu: paid 1,000.00 EUR + discount "
            "25.00 EUR of 1,250.00 EUR, short 225.00 EUR");
}

TEST(ShortPayment, FullPaymentWithDiscountIsNotShort) {
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "1225.00", "25.00")}),
      two_system_config(), kNow);
  EXPECT_TRUE(e.findings.empty());
}

TEST(ShortPayment, CountsOnlyPaymentsOfTheSameSystem) {
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "1250.00"),
                     payment("sap-ecc", "P-1", "90001234", "600.00")}),
      two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].rule, "short_payment");
  EXPECT_EQ(e.findings[0].systems, (std::vector<std::string>{"sap-ecc"}));
  EXPECT_EQ(e.findings[0].details["shortfall"], "650.00 EUR");
}

TEST(Overpayment, OpensWhenPaymentsExceedTheAmount) {
  auto e = evaluate_group(
      invoice_group({invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("qbo-eu", "90001234", "1250.00")},
                    {payment("qbo-eu", "P-1", "90001234", "1000.00"),
                     payment("qbo-eu", "P-2", "90001234", "500.00")}),
      two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "overpayment");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu"}));
  EXPECT_EQ(f.details["paid"], "1,500.00 EUR");
  EXPECT_EQ(f.details["excess"], "250.00 EUR");
}

TEST(PaymentUnknownInvoice, OpensForApplicationToMissingInvoice) {
  GroupInput g;
  g.kind = DocumentKind::kPayment;
  g.match_key = "P-1";
  g.documents = {payment("qbo-eu", "P-1", "90009999", "100.00")};
  ReconcileConfig c = two_system_config();
  c.pairs[0].kinds = {DocumentKind::kInvoice};  // no missing_in_system for the payment
  auto e = evaluate_group(g, c, kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.rule, "payment_unknown_invoice");
  EXPECT_EQ(f.kind, DocumentKind::kPayment);
  EXPECT_EQ(f.systems, (std::vector<std::string>{"qbo-eu"}));
  EXPECT_EQ(f.details["unknown_targets"], nlohmann::json::array({"invoice 90009999"}));
  EXPECT_EQ(f.summary,
            "payment P-1 (customer C1000) in qbo-eu is applied to invoice 90009999, which no "
            "system has");

  g.known_targets.insert({DocumentKind::kInvoice, "90009999"});
  EXPECT_TRUE(evaluate_group(g, c, kNow).findings.empty());
}

TEST(Summary, StripsControlCharactersFromSourceText) {
  Document s = invoice("sap-ecc", "90001234", "1250.00");
  s.customer_key = "C1000\r\nBcc: x@evil";
  auto e = evaluate_group(invoice_group({s}), two_system_config(), kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].summary.find_first_of("\r\n"), std::string::npos);
}

TEST(Severity, ConfigOverridesDefault) {
  ReconcileConfig c = two_system_config();
  c.severities["missing_in_system"] = Severity::kCritical;
  auto e = evaluate_group(invoice_group({invoice("sap-ecc", "90001234", "1250.00")}), c, kNow);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].severity, Severity::kCritical);
}

TEST(KnownSince, IsTheEarlierOfIssueDateAndSourceUpdate) {
  Document d = invoice("qbo-eu", "90001234", "1250.00");
  d.source_updated_at = "2026-11-20T08:00:00-08:00";
  EXPECT_EQ(format_instant(*estimate_known_since(d)), "2026-10-15T00:00:00Z");
  d.issue_date.reset();
  EXPECT_EQ(format_instant(*estimate_known_since(d)), "2026-11-20T16:00:00Z");
  d.source_updated_at.clear();
  EXPECT_FALSE(estimate_known_since(d).has_value());
}

}  // namespace
}  // namespace arsync::reconcile
