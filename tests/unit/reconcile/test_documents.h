// Builders for the reconciler tests: realistic invoices and payments of the
// two demo systems, "sap-ecc" (EUR, IDoc numbers) and "qbo-eu" (QuickBooks).
#pragma once

#include <string>

#include "arsync/model/document.h"
#include "arsync/reconcile/config.h"

namespace arsync::reconcile::testing {

inline Document invoice(const std::string& system, const std::string& key,
                        const std::string& amount, const std::string& currency = "EUR") {
  Document d;
  d.system = system;
  d.kind = DocumentKind::kInvoice;
  d.external_id = (system == "sap-ecc" ? "00" : "qb-") + key;
  d.version = "1";
  d.document_number = (system == "sap-ecc" ? "00" : "") + key;
  d.match_key = key;
  d.customer_key = "C1000";
  d.customer_name = "Hansen Maschinenbau GmbH";
  d.amount = *Money::parse(amount, currency);
  d.open_amount = d.amount;
  d.issue_date = *parse_date("2026-10-15");
  d.due_date = *parse_date("2026-11-14");
  return d;
}

inline Document payment(const std::string& system, const std::string& key,
                        const std::string& invoice_key, const std::string& applied,
                        const std::string& discount = "0.00",
                        const std::string& currency = "EUR") {
  Document d;
  d.system = system;
  d.kind = DocumentKind::kPayment;
  d.external_id = "pay-" + key;
  d.version = "1";
  d.document_number = key;
  d.match_key = key;
  d.customer_key = "C1000";
  d.amount = *Money::parse(applied, currency);
  d.open_amount = *Money::parse("0", currency);
  d.issue_date = *parse_date("2026-11-10");
  d.status = DocumentStatus::kPaid;
  Application a;
  a.target_kind = DocumentKind::kInvoice;
  a.target_match_key = invoice_key;
  a.target_number = invoice_key;
  a.amount = *Money::parse(applied, currency);
  a.discount = *Money::parse(discount, currency);
  d.applications.push_back(a);
  return d;
}

inline ReconcileConfig two_system_config(const std::string& tolerance = "0.00") {
  ReconcileConfig c;
  PairConfig p;
  p.left = "sap-ecc";
  p.right = "qbo-eu";
  p.amount_tolerance = tolerance;
  c.pairs.push_back(p);
  return c;
}

}  // namespace arsync::reconcile::testing
