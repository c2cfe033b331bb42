#include "responses.h"

#include "arsync/model/json_record.h"
#include "arsync/net/http_client.h"

namespace arsync::connectors::quickbooks {
namespace {

// A copy of `v` (a whole subtree) into `b`. Depth is bounded by
// parse_json_record's kMaxJsonDepth.
void copy_value(RecordBuilder& b, RecordValue v) {
  switch (v.type()) {
    case RecordType::kObject:
      b.begin_object();
      for (RecordValue member : v) {
        b.key(member.key());
        copy_value(b, member);
      }
      b.end();
      break;
    case RecordType::kArray:
      b.begin_array();
      for (RecordValue element : v) copy_value(b, element);
      b.end();
      break;
    case RecordType::kString: b.string(v.text()); break;
    case RecordType::kNumber: b.number(v.text()); break;
    case RecordType::kBoolean: b.boolean(v.text() == "true"); break;
    case RecordType::kNull: b.null(); break;
  }
}

// copy_value, adding TxnDocNumber inside Line[].LinkedTxn[] objects.
void copy_payment(RecordBuilder& b, RecordValue v, int depth_in_line,
                  const std::function<std::optional<std::string>(std::string_view, std::string_view)>& number_of) {
  // depth_in_line: 0 outside Line, 1 in a Line element, 2 in a LinkedTxn element.
  if (!v.is_object() && !v.is_array()) return copy_value(b, v);
  if (v.is_array()) {
    b.begin_array();
    for (RecordValue e : v) copy_payment(b, e, depth_in_line, number_of);
    b.end();
    return;
  }
  b.begin_object();
  for (RecordValue member : v) {
    b.key(member.key());
    if (depth_in_line == 0 && member.key() == "Line") {
      copy_payment(b, member, 1, number_of);
    } else if (depth_in_line == 1 && member.key() == "LinkedTxn") {
      copy_payment(b, member, 2, number_of);
    } else {
      copy_value(b, member);
    }
  }
  if (depth_in_line == 2 && !v.find("TxnDocNumber")) {
    if (auto number = number_of(v.find("TxnType").text(), v.find("TxnId").text())) {
      b.key("TxnDocNumber").string(*number);
    }
  }
  b.end();
}

Status bad_shape(const std::string& source, const std::string& what) {
  return Status(ErrorCode::kParseError, "QuickBooks response " + what, Location::in_file(source));
}

// One element of an entity array into `out`.
void read_entity(RecordValue v, const std::string& entity, const std::string& source, RecordBuilder& b,
                 EntityList& out) {
  const RecordValue id = v.find("Id");
  if (!v.is_object() || !id.is_text() || id.text().empty()) {
    BadEntity bad;
    bad.id = std::string(id.is_text() ? id.text() : "");
    Location where = Location::in_file(source);
    where.segment = entity;
    where.field = "Id";
    bad.error = Status(ErrorCode::kParseError,
                       v.is_object() ? entity + " without an Id" : entity + " entry that is not an object", where);
    bad.json = v.to_json_text();
    out.bad.push_back(std::move(bad));
    out.row_times.emplace_back(v.find("MetaData").find("LastUpdatedTime").text());
    return;
  }
  out.row_times.emplace_back(v.find("MetaData").find("LastUpdatedTime").text());
  if (v.find("status").text() == "Deleted") {
    out.deleted.emplace_back(id.text());
    return;
  }
  Entity e;
  e.id = std::string(id.text());
  e.sync_token = std::string(v.find("SyncToken").text());
  e.last_updated = std::string(v.find("MetaData").find("LastUpdatedTime").text());
  copy_value(b, v);
  e.data = b.finish();
  e.json = e.data.to_json_text();
  out.entities.push_back(std::move(e));
}

// An array (or a single object, as some answers give one) of `entity`.
void read_entities(RecordValue list, const std::string& entity, const std::string& source, EntityList& out) {
  RecordBuilder b;
  if (list.is_array()) {
    for (RecordValue v : list) read_entity(v, entity, source, b, out);
  } else {
    read_entity(list, entity, source, b, out);
  }
}

bool is_page_member(std::string_view key) {
  return key == "startPosition" || key == "maxResults" || key == "totalCount";
}

}  // namespace

std::size_t CdcResult::rows() const {
  std::size_t n = 0;
  for (const auto& [name, list] : by_entity) n += list.rows();
  return n;
}

Result<QueryPage> parse_query_response(std::string_view body, const std::string& entity,
                                       const std::string& source) {
  Result<Record> parsed = parse_json_record(body, source);
  if (!parsed.is_ok()) return parsed.status();
  const Record& r = parsed.value();
  const RecordValue qr = r.root().find("QueryResponse");
  if (!qr.is_object()) return bad_shape(source, "has no QueryResponse object");
  QueryPage page;
  page.time = std::string(r.root().find("time").text());
  for (RecordValue member : qr) {
    if (is_page_member(member.key())) continue;
    if (member.key() != entity) {
      return bad_shape(source, "holds '" + std::string(member.key()) + "' rows, expected '" + entity + "'");
    }
    read_entities(member, entity, source, page.list);
  }
  return page;
}

Result<long long> parse_count_response(std::string_view body, const std::string& source) {
  Result<Record> parsed = parse_json_record(body, source);
  if (!parsed.is_ok()) return parsed.status();
  const RecordValue total = parsed.value().root().find("QueryResponse").find("totalCount");
  if (!total.is_number()) return bad_shape(source, "has no QueryResponse.totalCount number");
  long long n = 0;
  for (char c : total.text()) {
    if (c < '0' || c > '9' || n > 1'000'000'000'000LL) return bad_shape(source, "totalCount is not a count");
    n = n * 10 + (c - '0');
  }
  return n;
}

Result<CdcResult> parse_cdc_response(std::string_view body, const std::string& source) {
  Result<Record> parsed = parse_json_record(body, source);
  if (!parsed.is_ok()) return parsed.status();
  const Record& r = parsed.value();
  const RecordValue cdc = r.root().find("CDCResponse");
  if (!cdc.is_array()) return bad_shape(source, "has no CDCResponse array");
  CdcResult out;
  out.time = std::string(r.root().find("time").text());
  for (RecordValue part : cdc) {
    const RecordValue responses = part.find("QueryResponse");
    if (!responses) continue;
    if (!responses.is_array()) return bad_shape(source, "CDCResponse[].QueryResponse is not an array");
    for (RecordValue qr : responses) {
      if (!qr.is_object()) return bad_shape(source, "CDCResponse[].QueryResponse[] entry is not an object");
      for (RecordValue member : qr) {
        if (is_page_member(member.key())) continue;
        const std::string entity(member.key());
        read_entities(member, entity, source, out.by_entity[entity]);
      }
    }
  }
  return out;
}

Result<Entity> parse_entity_response(std::string_view body, const std::string& entity,
                                     const std::string& source) {
  Result<Record> parsed = parse_json_record(body, source);
  if (!parsed.is_ok()) return parsed.status();
  const RecordValue v = parsed.value().root().find(entity);
  if (!v.is_object()) return bad_shape(source, "has no " + entity + " object");
  EntityList list;
  RecordBuilder b;
  read_entity(v, entity, source, b, list);
  if (!list.bad.empty()) return list.bad.front().error;
  if (list.entities.empty()) return bad_shape(source, "holds a deleted " + entity);
  return std::move(list.entities.front());
}

Record with_linked_numbers(
    const Record& payment,
    const std::function<std::optional<std::string>(std::string_view type, std::string_view id)>& number_of) {
  RecordBuilder b;
  b.reserve(payment.node_count() + 8, payment.text_bytes() + 64);
  copy_payment(b, payment.root(), 0, number_of);
  return b.finish();
}

Status read_fault(int http_status, std::string_view body) {
  std::string type, code, message, detail, element;
  Result<Record> parsed = parse_json_record(body, "response");
  if (parsed.is_ok()) {
    const RecordValue root = parsed.value().root();
    // Intuit writes "Fault"/"Error"/"Message" for most faults and
    // "fault"/"error"/"message" for authentication ones.
    RecordValue fault = root.find("Fault");
    if (!fault) fault = root.find("fault");
    RecordValue errors = fault.find("Error");
    if (!errors) errors = fault.find("error");
    const RecordValue first = errors.is_array() ? errors.at(0) : errors;
    const auto member = [&first](const char* upper, const char* lower) {
      RecordValue v = first.find(upper);
      if (!v) v = first.find(lower);
      return std::string(v.text());
    };
    type = std::string(fault.find("type").text());
    code = member("code", "code");
    message = member("Message", "message");
    detail = member("Detail", "detail");
    element = member("element", "element");
  }
  std::string text;
  if (!message.empty() || !code.empty()) {
    text = "QuickBooks " + (type.empty() ? std::string("fault") : type) + (code.empty() ? "" : " " + code) +
           ": " + message + (detail.empty() || detail == message ? "" : ": " + detail) +
           (element.empty() ? "" : " (element " + element + ")");
  } else {
    const std::string excerpt = net::body_excerpt(body);
    text = "QuickBooks answered HTTP " + std::to_string(http_status) + (excerpt.empty() ? "" : ": " + excerpt);
  }
  Location where;
  where.http_status = http_status;
  where.field = element;
  if (http_status == 401 || http_status == 403 || type == "AUTHENTICATION" || type == "AuthenticationFault" ||
      type == "AuthorizationFault") {
    return Status(ErrorCode::kAuthError, text, where);
  }
  // Intuit writes the throttle code as "3001" or "003001", and has sent the
  // fault as XML to JSON clients: the HTTP status decides first.
  if (http_status == 429 || code == "003001" || code == "3001" ||
      message.find("ThrottleExceeded") != std::string::npos) {
    return Status(ErrorCode::kRateLimited, text, where, true);
  }
  if (code == "5010") return Status(ErrorCode::kConflict, text, where);
  if (http_status >= 500) return Status(ErrorCode::kUnavailable, text, where, true);
  if (http_status == 404) return Status(ErrorCode::kNotFound, text, where);
  return Status(ErrorCode::kInvalidArgument, text, where);
}

}  // namespace arsync::connectors::quickbooks
