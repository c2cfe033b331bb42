#include "arsync/model/document.h"

#include <gtest/gtest.h>

#include "arsync/model/discrepancy.h"

namespace arsync {
namespace {

Document sample() {
  Document d;
  d.system = "sap-ecc";
  d.kind = DocumentKind::kInvoice;
  d.external_id = "90001234";
  d.version = "0000000000451234";
  d.document_number = "0090001234";
  d.match_key = "90001234";
  d.amount = *Money::parse("1250.00", "EUR");
  d.open_amount = d.amount;
  d.issue_date = *parse_date("2026-11-01");
  return d;
}

TEST(DocumentKind, RoundTripsNames) {
  for (auto k : {DocumentKind::kCustomer, DocumentKind::kInvoice, DocumentKind::kCreditMemo,
                 DocumentKind::kDebitMemo, DocumentKind::kPayment, DocumentKind::kRefund,
                 DocumentKind::kWriteOff}) {
    EXPECT_EQ(parse_document_kind(to_string(k)), k);
  }
  EXPECT_FALSE(parse_document_kind("bill").has_value());
}

TEST(ContentHash, IgnoresVersionAndRawRefButNotFields) {
  Document a = sample();
  Document b = sample();
  b.version = "0000000000459999";
  b.raw_ref.file = "/archive/x.xml";
  EXPECT_EQ(content_hash(a), content_hash(b));
  b.amount = *Money::parse("1250.01", "EUR");
  EXPECT_NE(content_hash(a), content_hash(b));
  Document c = sample();
  c.applications.push_back({DocumentKind::kInvoice, "1", "1", c.amount, Money()});
  EXPECT_NE(content_hash(a), content_hash(c));
}

TEST(ContentHash, FieldBoundariesMatter) {
  Document a = sample();
  Document b = sample();
  a.reference = "ab";
  a.terms = "c";
  b.reference = "a";
  b.terms = "bc";
  EXPECT_NE(content_hash(a), content_hash(b));
}

TEST(Fingerprint, StableAndOrderIndependent) {
  Finding f;
  f.rule = "amount_differs";
  f.kind = DocumentKind::kInvoice;
  f.match_key = "90001234";
  f.systems = {"sap-s4", "sap-ecc"};
  EXPECT_EQ(fingerprint(f), "amount_differs|invoice|90001234|sap-ecc,sap-s4");
  f.details = {{"x", 1}};
  EXPECT_EQ(fingerprint(f), "amount_differs|invoice|90001234|sap-ecc,sap-s4");
}

}  // namespace
}  // namespace arsync
