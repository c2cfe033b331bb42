// Reconciliation rules: a pure function from one match group (and the
// documents around it) to that group's current findings.
//
// The rules (names in config.h) and the systems each finding names:
//   missing_in_system  for each configured pair covering the group's kind: a
//                      document in one system and none in the other, known
//                      for at least the pair's missing_grace. Void and
//                      deleted documents do not count as present. Before the
//                      grace ends, Evaluation::recheck_at says when to look
//                      again. systems: both; details name "present_in" and
//                      "missing_in".
//   currency_differs   both systems of a pair have the document, in different
//                      currencies (amount_differs is then not reported).
//   amount_differs     same currency, amounts differ by more than the pair's
//                      tolerance. details: "difference", "tolerance".
//   customer_differs   both have a customer_key and they differ.
//   duplicate_document two or more present documents of the group in ONE
//                      system with different external ids. systems: that one.
//                      details: "documents" (each one described).
//   short_payment      invoices and debit memos: in one system, the
//                      applications (amount + discount) of that system's
//                      payments and credits to this document sum to more
//                      than zero and less than its amount (beyond the
//                      tolerance of a pair naming the system; zero if none).
//                      details: "invoice_amount", "paid", "discount",
//                      "shortfall", "settled_by" (one line per application).
//                      systems: that one.
//   overpayment        that sum exceeds the amount; details: "excess".
//   payment_unknown_invoice
//                      payment groups: an application whose target (kind,
//                      match key) exists in no system. systems: the payment's.
//                      details: "unknown_targets".
// Customer groups produce no findings.
//
// Finding::systems is sorted (the fingerprint sorts it anyway). details is an
// object keyed by system name -> {field: display text} for every document
// the finding is about, plus the rule-specific keys above. The summary is one
// line; text from source records is stripped of control characters first.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "arsync/model/date.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/document.h"
#include "arsync/reconcile/config.h"

namespace arsync::reconcile {

struct GroupInput {
  DocumentKind kind = DocumentKind::kInvoice;
  std::string match_key;
  // The match group: every document of `kind` with `match_key`, all systems.
  std::vector<Document> documents;
  // Payments and credits (all systems) with an application to this group.
  std::vector<Document> settlements;
  // Payment groups: the application targets (kind, match key) that exist in
  // at least one system. Targets not in the set are unknown.
  std::set<std::pair<DocumentKind, std::string>> known_targets;
  // Per system: since when the group's document there has been known. A
  // system without an entry is treated as known long ago (no grace).
  std::map<std::string, Instant> known_since;
};

struct Evaluation {
  std::vector<Finding> findings;     // all current findings of the group
  std::optional<Instant> recheck_at;  // earliest end of a running grace period
};

// Evaluates every rule on `group` at `now`. Never fails: documents that cannot
// be compared (a settlement in another currency than the invoice) are skipped
// by the rule that cannot compare them.
Evaluation evaluate_group(const GroupInput& group, const ReconcileConfig& config, Instant now);

// v1 estimate of when the store first saw `doc`, until the store records it
// (documents.first_seen_at): the earlier of the issue date (00:00 UTC) and
// source_updated_at. Issue date comes first because it does not move when the
// source touches the record again, so a grace period cannot restart and make
// an open discrepancy flap. nullopt when the document has neither.
std::optional<Instant> estimate_known_since(const Document& doc);

// True unless the document is void or deleted.
bool counts_as_present(const Document& doc);

}  // namespace arsync::reconcile
