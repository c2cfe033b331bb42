// Canonical documents: what every ERP's records become after mapping.
//
// Identity in one system is (system, kind, external_id), where `system` is a
// connector instance's name from the config ("sap-ecc"), not a connector type.
// Identity across systems is (kind, match_key): a match group.
//
// Thread safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/model/date.h"
#include "arsync/model/money.h"

namespace arsync {

enum class DocumentKind {
  kCustomer,
  kInvoice,
  kCreditMemo,
  kDebitMemo,
  kPayment,
  kRefund,
  kWriteOff,
};

// "customer", "invoice", "credit_memo", "debit_memo", "payment", "refund",
// "write_off".
std::string_view to_string(DocumentKind kind);
std::optional<DocumentKind> parse_document_kind(std::string_view text);

enum class DocumentStatus { kOpen, kPartiallyPaid, kPaid, kVoid, kDeleted };

// "open", "partially_paid", "paid", "void", "deleted".
std::string_view to_string(DocumentStatus status);
std::optional<DocumentStatus> parse_document_status(std::string_view text);

// One settlement by a payment or credit: which document, how much.
struct Application {
  DocumentKind target_kind = DocumentKind::kInvoice;
  std::string target_match_key;  // match key of the settled document
  std::string target_number;     // its document number as the source wrote it
  Money amount;                  // amount applied (positive)
  Money discount;                // cash discount taken (zero if none)
};

// Where the raw bytes of a record are kept for audit: a byte range of an
// archived file (IDocs), or empty when the store keeps the payload itself.
struct RawRef {
  std::string file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string sha256;  // hex digest of those bytes; a connector that hands
                       // the bytes over (RawRecord::raw) may leave it empty
                       // and the engine computes it before storing
};

struct Document {
  // Identity.
  std::string system;
  DocumentKind kind = DocumentKind::kInvoice;
  std::string external_id;
  std::string version;  // source's own version (IDoc DOCNUM, SyncToken, ...)

  // Canonical fields (covered by content_hash).
  std::string document_number;
  std::string match_key;
  std::string customer_key;
  std::string customer_name;
  Money amount;       // gross amount; carries the document currency
  Money open_amount;  // still to be paid (invoices) or applied (payments)
  Money tax_amount;
  std::optional<Date> issue_date;
  std::optional<Date> due_date;
  DocumentStatus status = DocumentStatus::kOpen;
  std::string reference;  // PO, check or remittance number
  std::string terms;
  std::vector<Application> applications;
  std::string source_updated_at;  // ISO 8601 as the source gave it, or empty
  // A cancellation (SAP S1/S2): the external id of the document it cancels
  // in the same system, which the store then holds as void; else empty.
  std::string cancels;

  // Audit (not covered by content_hash).
  RawRef raw_ref;
  // The source record type it was mapped from ("INVOIC02", "Invoice"): a
  // deletion at the source names it with the external id.
  std::string entity;

  std::string_view currency() const { return amount.currency().code(); }
};

// A stable hex digest of the canonical fields: two documents with the same
// content hash need no write. Independent of raw_ref and version.
std::string content_hash(const Document& doc);

}  // namespace arsync
