// The QuickBooks Online query language, as the /query endpoint accepts it:
//
//   SELECT * | COUNT(*) FROM Entity [WHERE cond [AND cond]...]
//     [ORDERBY field [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]
//
// where cond is `field op literal` with op one of = < <= > >= LIKE, or
// `field IN (literal, ...)`. Keywords and entity names are case-insensitive;
// string literals are single-quoted with \' for a quote. QuickBooks has no OR,
// no projections, no GROUP BY or JOIN: each is a parse error here as there.
// A '+' outside a literal is a space (form-encoded query strings); inside a
// literal it is kept ('2026-11-01T10:00:00+01:00').
//
// Thread safety: parse_query is a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arsync::emulators::quickbooks {

enum class CompareOp { kEq, kLt, kLe, kGt, kGe, kIn, kLike };

struct Condition {
  std::string field;                // as written: "MetaData.LastUpdatedTime"
  CompareOp op = CompareOp::kEq;
  std::vector<std::string> values;  // unquoted literal texts; one unless kIn
};

struct OrderTerm {
  std::string field;
  bool descending = false;
};

struct Query {
  bool count = false;       // SELECT COUNT(*)
  std::string entity;       // as written: "invoice", "CreditMemo"
  std::vector<Condition> where;
  std::vector<OrderTerm> order_by;
  std::optional<int64_t> start_position;  // 1-based, as written
  std::optional<int64_t> max_results;
};

struct ParseOutcome {
  std::optional<Query> query;  // set on success
  std::string error;           // on failure: Intuit-style "QueryParserError: ..." detail
};

// Parses one statement. Never throws; a malformed statement yields an error
// naming the offending token and its column (1-based), as Intuit's does.
ParseOutcome parse_query(std::string_view text);

}  // namespace arsync::emulators::quickbooks
