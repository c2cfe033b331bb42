// Reading QuickBooks Online Accounting API v3 response bodies, as Intuit
// sends them, into arsync Records. Pure functions over bytes (no network),
// so tests feed them saved bodies and a fuzz target feeds them anything.
//
// Shapes (Intuit's developer documentation and real responses):
//   query     {"QueryResponse":{"Invoice":[{...}],"startPosition":1,"maxResults":2},"time":"..."}
//             maxResults is the number of rows returned, not the limit
//             asked; a page past the end is "QueryResponse":{} with neither.
//             count(*) gives {"QueryResponse":{"totalCount":5},...}.
//   cdc       {"CDCResponse":[{"QueryResponse":[{"Invoice":[...],"startPosition":1,"maxResults":2},
//                                               {"Payment":[...]}]}],"time":"..."}
//             a deleted entity is {"status":"Deleted","Id":"12","MetaData":{...}}.
//   read      {"Invoice":{...},"time":"..."}
//   fault     {"Fault":{"Error":[{"Message":"...","Detail":"...","code":"6240","element":""}],
//                       "type":"ValidationFault"},"time":"..."}
//             and, for 401s, the lowercase form
//             {"fault":{"error":[{"message":"...","detail":"...","code":"3200"}],"type":"AUTHENTICATION"},
//              "time":1700000000000}
// Amounts are JSON numbers ("TotalAmt": 1234.56); parse_json_record keeps
// each number's text, so they reach the mapping exactly as sent.
//
// Thread safety: no shared state.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync::connectors::quickbooks {

// One entity as it arrived: its own Record (a copy of the subtree), id,
// SyncToken and MetaData.LastUpdatedTime.
struct Entity {
  Record data;
  std::string id;
  std::string sync_token;
  std::string last_updated;  // MetaData.LastUpdatedTime as the server wrote it
  std::string json;          // the entity's compact JSON (kept for quarantine)
  // A {"status":"Deleted","Id":...} answer (a delete's result): only `id`
  // is set. Lists never hold one (their deletions are EntityList::deleted).
  bool deleted = false;
};

// An entity in a response that cannot be used (no Id, not an object).
struct BadEntity {
  std::string id;  // if it has one
  Status error;
  std::string json;
};

struct EntityList {
  std::vector<Entity> entities;
  std::vector<std::string> deleted;  // ids of {"status":"Deleted"} entries
  std::vector<BadEntity> bad;
  // Every row's MetaData.LastUpdatedTime ("" when it has none), in the
  // order the server sent the rows (paging resumes after the last one).
  std::vector<std::string> row_times;
  std::size_t rows() const { return entities.size() + deleted.size() + bad.size(); }
};

struct QueryPage {
  EntityList list;
  std::string time;  // the response's "time"
};

struct CdcResult {
  std::map<std::string, EntityList> by_entity;  // entity name -> its changes
  std::string time;
  std::size_t rows() const;
};

// A query response for `entity` ("Invoice"). kParseError naming `source`
// when the body is not JSON or has no QueryResponse object; a response
// with entities of another type is an error too (a query for the wrong
// entity).
Result<QueryPage> parse_query_response(std::string_view body, const std::string& entity,
                                       const std::string& source);

// totalCount of a count(*) query.
Result<long long> parse_count_response(std::string_view body, const std::string& source);

// A CDC response. Entities of types not asked for are ignored.
Result<CdcResult> parse_cdc_response(std::string_view body, const std::string& source);

// A single-entity read, a create/update answer: {"Invoice":{...}}, or a
// delete's answer: {"Invoice":{"status":"Deleted","Id":"42",...}}, which is
// an Entity with `deleted` set.
Result<Entity> parse_entity_response(std::string_view body, const std::string& entity,
                                     const std::string& source);

// `payment` (a Payment) with "TxnDocNumber" added to each
// Line[].LinkedTxn[] object whose transaction `number_of(TxnType, TxnId)`
// knows: LinkedTxn names the invoice or credit memo it settles by its
// QuickBooks Id only, and documents match across systems by number.
Record with_linked_numbers(
    const Record& payment,
    const std::function<std::optional<std::string>(std::string_view type, std::string_view id)>& number_of);

// What a Fault body (either shape) says, as a Status for `http_status`:
// kAuthError for 401/403 and AUTHENTICATION/AuthorizationFault, kConflict
// for a stale object (code 5010), kRateLimited (retryable) for 429 or
// ThrottleExceeded, kUnavailable (retryable) for 5xx, kNotFound for
// 404, kInvalidArgument for the rest (ValidationFault, QueryParserError).
// The message is "QuickBooks <type> <code>: <Message>: <Detail>" plus the
// element when named; a body that is no Fault gives the status line and
// the body's first bytes.
Status read_fault(int http_status, std::string_view body);

}  // namespace arsync::connectors::quickbooks
