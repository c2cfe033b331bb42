#include "arsync/model/document_json.h"

namespace arsync {
namespace {

nlohmann::json money(const Money& m) {
  if (m.currency().empty()) return nullptr;
  return m.to_decimal();
}

}  // namespace

nlohmann::json to_json(const Document& doc) {
  nlohmann::json j;
  j["system"] = doc.system;
  j["kind"] = std::string(to_string(doc.kind));
  j["external_id"] = doc.external_id;
  j["version"] = doc.version;
  j["document_number"] = doc.document_number;
  j["match_key"] = doc.match_key;
  j["customer_key"] = doc.customer_key;
  j["customer_name"] = doc.customer_name;
  j["currency"] = std::string(doc.currency());
  j["amount"] = money(doc.amount);
  j["open_amount"] = money(doc.open_amount);
  j["tax_amount"] = money(doc.tax_amount);
  j["issue_date"] = doc.issue_date ? nlohmann::json(format_date(*doc.issue_date)) : nullptr;
  j["due_date"] = doc.due_date ? nlohmann::json(format_date(*doc.due_date)) : nullptr;
  j["status"] = std::string(to_string(doc.status));
  j["reference"] = doc.reference;
  j["terms"] = doc.terms;
  j["source_updated_at"] = doc.source_updated_at;
  if (!doc.cancels.empty()) j["cancels"] = doc.cancels;
  nlohmann::json apps = nlohmann::json::array();
  for (const Application& a : doc.applications) {
    apps.push_back({{"target_kind", std::string(to_string(a.target_kind))},
                    {"target_match_key", a.target_match_key},
                    {"target_number", a.target_number},
                    {"amount", money(a.amount)},
                    {"discount", money(a.discount)},
                    {"currency", std::string(a.amount.currency().code())}});
  }
  j["applications"] = apps;
  j["content_hash"] = content_hash(doc);
  if (!doc.raw_ref.file.empty()) {
    j["raw_ref"] = {{"file", doc.raw_ref.file},
                    {"offset", doc.raw_ref.offset},
                    {"length", doc.raw_ref.length},
                    {"sha256", doc.raw_ref.sha256}};
  }
  return j;
}

}  // namespace arsync
