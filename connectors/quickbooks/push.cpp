#include "push.h"

#include <openssl/evp.h>

#include <functional>

#include <nlohmann/json.hpp>

namespace arsync::connectors::quickbooks {
namespace {

constexpr std::size_t kMaxRequestId = 50;

// A JSON string literal (quotes and escapes) for `s`.
std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

Status invalid(const Operation& op, const std::string& what) {
  Location where;
  where.record = op.document.external_id.empty() ? op.idempotency_key : op.document.external_id;
  return Status(ErrorCode::kInvalidArgument,
                "cannot push " + std::string(to_string(op.document.kind)) + " " +
                    (op.document.document_number.empty() ? op.idempotency_key : op.document.document_number) +
                    " to QuickBooks: " + what,
                where);
}

Result<std::string> entity_of(const Operation& op) {
  switch (op.document.kind) {
    case DocumentKind::kPayment:
      return std::string("Payment");
    case DocumentKind::kCreditMemo:
      return std::string("CreditMemo");
    default:
      return invalid(op, "only payments and credit memos are written back");
  }
}

// "select * from Invoice where DocNumber = 'X'".
std::string select_where(const std::string& entity, const std::string& field, const std::string& value) {
  return "select * from " + entity + " where " + field + " = " + query_literal(value);
}

// The QuickBooks Id of the `type` document numbered `number`.
Result<std::string> find_target(QboApi& api, const std::string& type, const std::string& number,
                                std::size_t index) {
  Result<QueryPage> page = api.query(type, select_where(type, "DocNumber", number));
  if (!page.is_ok()) return page.status().with_context("looking up " + type + " " + number);
  const auto& found = page.value().list.entities;
  const std::string which = "application " + std::to_string(index + 1) + " names " + type + " " + number;
  if (found.empty()) {
    Location where;
    where.field = "applications[" + std::to_string(index) + "].target_number";
    return Status(ErrorCode::kNotFound,
                  which + ", and QuickBooks realm " + api.realm() + " has no " + type +
                      " with DocNumber " + number + ": push it first, or correct the application",
                  where);
  }
  if (found.size() > 1) {
    return Status(ErrorCode::kConflict, which + ", and QuickBooks realm " + api.realm() + " has " +
                                            std::to_string(found.size()) + " of them (ids " +
                                            found[0].id + ", " + found[1].id +
                                            "): the number is ambiguous");
  }
  return found[0].id;
}

Status check_amount(const Operation& op, const Money& m, const std::string& field) {
  if (m.is_negative()) return invalid(op, field + " is negative (" + m.to_decimal() + ")");
  if (m.currency().code() != op.document.amount.currency().code())
    return invalid(op, field + " is in " + std::string(m.currency().code()) + ", the document in " +
                           std::string(op.document.currency()));
  return Status::ok();
}

// The entity's fields (without Id, SyncToken and sparse), as JSON members
// ending with a comma-free last member.
Result<std::string> fields_json(QboApi& api, const Operation& op, const PushSettings& settings) {
  const Document& d = op.document;
  if (d.customer_key.empty()) return invalid(op, "no customer_key (the QuickBooks Customer Id)");
  if (d.currency().empty()) return invalid(op, "no currency");
  ARSYNC_RETURN_IF_ERROR(check_amount(op, d.amount, "amount"));
  std::string out = "\"CustomerRef\":{\"value\":" + json_string(d.customer_key) + "}";
  out += ",\"CurrencyRef\":{\"value\":" + json_string(std::string(d.currency())) + "}";
  if (d.issue_date) out += ",\"TxnDate\":" + json_string(format_date(*d.issue_date));

  if (d.kind == DocumentKind::kPayment) {
    out += ",\"TotalAmt\":" + json_amount(d.amount);
    if (!d.reference.empty()) out += ",\"PaymentRefNum\":" + json_string(d.reference);
    out += ",\"Line\":[";
    for (std::size_t i = 0; i < d.applications.size(); ++i) {
      const Application& a = d.applications[i];
      ARSYNC_RETURN_IF_ERROR(check_amount(op, a.amount, "applications[" + std::to_string(i) + "].amount"));
      // A Payment line has no discount: dropping one would settle less than
      // the source did, without anyone seeing it.
      if (!a.discount.is_zero())
        return invalid(op, "applications[" + std::to_string(i) + "] takes a discount of " +
                               a.discount.to_decimal() +
                               ", which a QuickBooks Payment cannot carry: push the discount as a credit memo "
                               "and the payment without it");
      std::string type;
      if (a.target_kind == DocumentKind::kInvoice) type = "Invoice";
      else if (a.target_kind == DocumentKind::kCreditMemo) type = "CreditMemo";
      else
        return invalid(op, "applications[" + std::to_string(i) + "] settles a " +
                               std::string(to_string(a.target_kind)) +
                               "; QuickBooks links payments to invoices and credit memos only");
      const std::string& number = a.target_number.empty() ? a.target_match_key : a.target_number;
      if (number.empty()) return invalid(op, "applications[" + std::to_string(i) + "] names no document number");
      Result<std::string> id = find_target(api, type, number, i);
      if (!id.is_ok()) return id.status();
      if (i > 0) out += ",";
      out += "{\"Amount\":" + json_amount(a.amount) + ",\"LinkedTxn\":[{\"TxnId\":" + json_string(id.value()) +
             ",\"TxnType\":\"" + type + "\"}]}";
    }
    out += "]";
  } else {
    if (!d.document_number.empty()) out += ",\"DocNumber\":" + json_string(d.document_number);
    if (!d.reference.empty()) out += ",\"PrivateNote\":" + json_string(d.reference);
    out += ",\"Line\":[{\"Amount\":" + json_amount(d.amount) +
           ",\"DetailType\":\"SalesItemLineDetail\",\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":" +
           json_string(settings.credit_memo_item_id) + "}}}]";
  }
  return out;
}

PushResult result_of(const std::string& entity, const Entity& e) { return {entity, e.id, e.sync_token}; }

// Reads `entity` `id`, then writes `build(sync_token)` with a requestid of
// the key and that token; once more after a stale SyncToken.
Result<PushResult> write_current(QboApi& api, const Operation& op, const std::string& entity,
                                 const std::string& operation,
                                 const std::function<std::string(const std::string&)>& build) {
  const std::string& id = op.document.external_id;
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<Entity> current = api.read(entity, id);
    if (!current.is_ok()) return current.status();
    const std::string& token = current.value().sync_token;
    Result<Entity> written =
        api.write(entity, build(token), request_id_for(op.idempotency_key + "/" + token), operation);
    if (written.is_ok()) return result_of(entity, written.value());
    if (written.status().code() != ErrorCode::kConflict) return written.status();
    last = written.status();
  }
  return last.with_context("QuickBooks " + entity + " " + id +
                           " changed again while it was being updated (stale SyncToken twice)");
}

}  // namespace

std::string json_amount(const Money& money) { return money.to_decimal(); }

std::string request_id_for(std::string_view key) {
  if (key.size() <= kMaxRequestId) return std::string(key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "h";
  for (unsigned int i = 0; i < len && out.size() < kMaxRequestId; ++i) {
    out += kHex[md[i] >> 4];
    if (out.size() < kMaxRequestId) out += kHex[md[i] & 15];
  }
  return out;
}

Result<PushResult> push(QboApi& api, const Operation& op, const PushSettings& settings) {
  Result<std::string> entity = entity_of(op);
  if (!entity.is_ok()) return entity.status();
  if (op.idempotency_key.empty()) return invalid(op, "the operation has no idempotency key");

  if (op.action == "create") {
    Result<std::string> fields = fields_json(api, op, settings);
    if (!fields.is_ok()) return fields.status();
    Result<Entity> created = api.write(entity.value(), "{" + fields.value() + "}",
                                       request_id_for(op.idempotency_key));
    if (!created.is_ok()) return created.status();
    return result_of(entity.value(), created.value());
  }
  if (op.action == "update" || op.action == "delete") {
    const std::string& id = op.document.external_id;
    if (id.empty()) return invalid(op, op.action + " needs the QuickBooks Id (external_id)");
    std::string fields;
    if (op.action == "update") {
      // Built once: the application lookups do not depend on the SyncToken.
      Result<std::string> f = fields_json(api, op, settings);
      if (!f.is_ok()) return f.status();
      fields = "," + f.value() + ",\"sparse\":true";
    }
    return write_current(api, op, entity.value(), op.action == "delete" ? "delete" : "",
                         [&](const std::string& token) {
                           return "{\"Id\":" + json_string(id) + ",\"SyncToken\":" + json_string(token) + fields + "}";
                         });
  }
  return invalid(op, "unknown action \"" + op.action + "\" (create, update or delete)");
}

Status push_operation(QboApi& api, const Operation& op, const PushSettings& settings) {
  return push(api, op, settings).status();
}

}  // namespace arsync::connectors::quickbooks
