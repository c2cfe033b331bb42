// Write-back to QuickBooks Online: a canonical payment becomes a Payment, a
// canonical credit memo a CreditMemo, created, sparsely updated or deleted.
//
// Idempotency: every write carries requestid, and QuickBooks answers a
// repeated requestid with the first answer instead of writing again. A
// create uses the operation's idempotency key (a stable SHA-256 digest of it
// when longer than Intuit's 50 characters), so a retry after a timeout
// creates nothing twice. An update or delete uses a digest of the key and
// the SyncToken it read: a retry against the same state is answered from
// QuickBooks' memory, and a retry after a stale SyncToken (whose first
// answer was the Fault) gets a fresh id instead of that Fault again.
//
// Fields written (Intuit's Payment and CreditMemo entity pages):
//   Payment     CustomerRef.value = customer_key (the QuickBooks Customer Id),
//               TotalAmt = amount, CurrencyRef.value = currency, TxnDate =
//               issue_date, PaymentRefNum = reference, and per application one
//               Line {Amount, LinkedTxn:[{TxnId, TxnType}]}, TxnType "Invoice"
//               or "CreditMemo", TxnId the Id of the document of that type
//               whose DocNumber is the application's target_number (or, when
//               empty, its target_match_key), found by a query.
//   CreditMemo  CustomerRef, CurrencyRef, TxnDate, DocNumber = document_number
//               (when set), PrivateNote = reference (when set), one Line
//               {Amount, DetailType SalesItemLineDetail, SalesItemLineDetail:
//               {ItemRef: {value: PushSettings::credit_memo_item_id}}}.
//               A canonical credit memo names no item, and QuickBooks wants
//               one on every sales line: the item is a setting of the system.
// Amounts are written as the exact decimal text of the Money (1100.00,
// 0.10), never through a double.
//
// Updates ("update"): the entity (external_id) is read for its SyncToken and
// the fields above are sent as a sparse update. A stale SyncToken (Fault
// 5010, kConflict) is read again and retried once; a second one is
// returned as kConflict. "delete" reads and deletes the same way; since
// QboApi::write refuses a delete's {"Payment":{"status":"Deleted",...}}
// answer as a parse error, that answer is confirmed by a query for the Id.
//
// Thread safety: no state of its own; as safe as the QboApi passed in.
#pragma once

#include <string>
#include <string_view>

#include "arsync/connector.h"
#include "arsync/model/status.h"
#include "qbo_api.h"

namespace arsync::connectors::quickbooks {

struct PushSettings {
  // The Item (its QuickBooks Id) a credit memo's line names.
  std::string credit_memo_item_id = "1";
};

// What a write left in QuickBooks.
struct PushResult {
  std::string entity;      // "Payment", "CreditMemo"
  std::string id;          // its QuickBooks Id
  std::string sync_token;  // after the write ("" after a delete)
};

// Carries out `op`. kInvalidArgument for a document kind or action that
// cannot be pushed, a field that is missing (customer_key, a currency, the
// external_id of an update), a negative amount or an application with a
// discount (a Payment line has none); kNotFound naming the
// number when an application's target is not in QuickBooks; kConflict after
// a second stale SyncToken; and what the API returned otherwise (read_fault:
// retryable for 429 and 5xx).
Result<PushResult> push(QboApi& api, const Operation& op, const PushSettings& settings = {});

// push() without the result: the shape Connector::push wants.
Status push_operation(QboApi& api, const Operation& op, const PushSettings& settings = {});

// The requestid for `key`: the key itself when it has at most 50
// characters, else "h" followed by the first 49 hex digits of its SHA-256.
std::string request_id_for(std::string_view key);

// `money` as a JSON number's text: "1100.00", "-0.10", "1000" (JPY).
std::string json_amount(const Money& money);

}  // namespace arsync::connectors::quickbooks
