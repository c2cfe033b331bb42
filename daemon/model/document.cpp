#include "arsync/model/document.h"

#include <array>

#include "arsync/model/sha256.h"

namespace arsync {
namespace {

constexpr std::array<std::string_view, 7> kKindNames = {
    "customer", "invoice", "credit_memo", "debit_memo", "payment", "refund", "write_off"};
constexpr std::array<std::string_view, 5> kStatusNames = {
    "open", "partially_paid", "paid", "void", "deleted"};

// Appends a length-prefixed field so that ("ab","c") and ("a","bc") differ.
void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

void put_money(std::string& out, const Money& m) {
  put(out, m.currency().code());
  put(out, std::to_string(m.minor_units()));
}

void put_date(std::string& out, const std::optional<Date>& d) {
  put(out, d ? format_date(*d) : std::string());
}

}  // namespace

std::string_view to_string(DocumentKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

std::optional<DocumentKind> parse_document_kind(std::string_view text) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<DocumentKind>(i);
  }
  return std::nullopt;
}

std::string_view to_string(DocumentStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::optional<DocumentStatus> parse_document_status(std::string_view text) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<DocumentStatus>(i);
  }
  return std::nullopt;
}

std::string content_hash(const Document& doc) {
  std::string buf;
  buf.reserve(256);
  put(buf, to_string(doc.kind));
  put(buf, doc.document_number);
  put(buf, doc.match_key);
  put(buf, doc.customer_key);
  put(buf, doc.customer_name);
  put_money(buf, doc.amount);
  put_money(buf, doc.open_amount);
  put_money(buf, doc.tax_amount);
  put_date(buf, doc.issue_date);
  put_date(buf, doc.due_date);
  put(buf, to_string(doc.status));
  put(buf, doc.reference);
  put(buf, doc.terms);
  put(buf, std::to_string(doc.applications.size()));
  for (const Application& a : doc.applications) {
    put(buf, to_string(a.target_kind));
    put(buf, a.target_match_key);
    put(buf, a.target_number);
    put_money(buf, a.amount);
    put_money(buf, a.discount);
  }
  put(buf, doc.source_updated_at);
  // Only when set, so that the hashes of every other document stay as they were.
  if (!doc.cancels.empty()) put(buf, doc.cancels);

  return sha256_hex(buf, 16);  // 128 bits is plenty
}

}  // namespace arsync
