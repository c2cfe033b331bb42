#include "responses.h"

#include <cctype>
#include <optional>

#include "arsync/model/json_record.h"
#include "arsync/model/utf8.h"
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

// QuickBooks sends UTF-8. A body with bytes that are not (a damaged import,
// a proxy that rewrote text) must cost only the entities that hold them, not
// the page: each run of ill-formed bytes is written as marker, the bytes in
// hex, marker, where the marker is a noncharacter (U+FDD0..U+FDEF) that the
// body does not hold, raw or escaped. The marked body parses; an entity
// holding a marker is a BadEntity naming the field, and its kept JSON has
// the original bytes back.
struct Body {
  Result<Record> record;
  std::string marker;  // "" when the body was UTF-8
};

std::string encode_code_point(char32_t cp) {
  // U+FDD0..U+FDEF: three bytes.
  return {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
          static_cast<char>(0x80 | (cp & 0x3F))};
}

bool holds_escaped(std::string_view body, char32_t cp) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string escape = {'u', kHex[(cp >> 12) & 0xF], kHex[(cp >> 8) & 0xF], kHex[(cp >> 4) & 0xF],
                              kHex[cp & 0xF]};
  for (std::size_t i = body.find('\\'); i != std::string_view::npos; i = body.find('\\', i + 1)) {
    if (i + 6 > body.size()) break;
    bool same = true;
    for (std::size_t k = 0; k < 5 && same; ++k) {
      same = static_cast<char>(std::tolower(static_cast<unsigned char>(body[i + 1 + k]))) == escape[k];
    }
    if (same) return true;
  }
  return false;
}

Body parse_body(std::string_view body, const std::string& source) {
  std::size_t bad = first_invalid_utf8(body);
  if (bad == std::string_view::npos) return {parse_json_record(body, source), ""};
  std::string marker;
  for (char32_t cp = 0xFDD0; cp <= 0xFDEF && marker.empty(); ++cp) {
    std::string m = encode_code_point(cp);
    if (body.find(m) == std::string_view::npos && !holds_escaped(body, cp)) marker = std::move(m);
  }
  // Every candidate taken: a body no server writes; refused with the offset.
  if (marker.empty()) return {parse_json_record(body, source), ""};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string marked;
  marked.reserve(body.size() + 64);
  std::size_t done = 0;
  while (bad != std::string_view::npos) {
    marked.append(body.substr(done, bad - done));
    marked += marker;
    std::size_t i = bad;
    while (i < body.size() && static_cast<unsigned char>(body[i]) >= 0x80 && utf8_sequence_length(body, i) == 0) {
      const auto byte = static_cast<unsigned char>(body[i++]);
      marked += kHex[byte >> 4];
      marked += kHex[byte & 0xF];
    }
    marked += marker;
    done = i;
    const std::size_t next = first_invalid_utf8(body.substr(done));
    bad = next == std::string_view::npos ? next : done + next;
  }
  marked.append(body.substr(done));
  Result<Record> record = parse_json_record(marked, source);
  // Bytes outside a string break the JSON itself: the error names the
  // offset in the body as received.
  if (!record.is_ok()) return {parse_json_record(body, source), ""};
  return {std::move(record), std::move(marker)};
}

// The path of the first key or string under `v` that holds `marker`
// ("CustomerRef.name", "Line[1].Description"), and the hex of its bytes.
std::optional<std::pair<std::string, std::string>> find_marked(RecordValue v, const std::string& marker,
                                                               const std::string& path) {
  const auto hex_of = [&marker](std::string_view text) {
    const std::size_t from = text.find(marker) + marker.size();
    return std::string(text.substr(from, text.find(marker, from) - from));
  };
  if (v.is_object()) {
    for (RecordValue member : v) {
      const std::string here = path.empty() ? std::string(member.key()) : path + "." + std::string(member.key());
      if (member.key().find(marker) != std::string_view::npos) return std::pair{here, hex_of(member.key())};
      if (auto found = find_marked(member, marker, here)) return found;
    }
  } else if (v.is_array()) {
    std::size_t n = 0;
    for (RecordValue element : v) {
      if (auto found = find_marked(element, marker, path + "[" + std::to_string(n++) + "]")) return found;
    }
  } else if (v.is_text() && v.text().find(marker) != std::string_view::npos) {
    return std::pair{path, hex_of(v.text())};
  }
  return std::nullopt;
}

// `json` with every marked run turned back into its bytes.
std::string unmark(const std::string& json, const std::string& marker) {
  std::string out;
  out.reserve(json.size());
  std::size_t done = 0;
  for (std::size_t at = json.find(marker); at != std::string::npos; at = json.find(marker, done)) {
    out.append(json, done, at - done);
    const std::size_t from = at + marker.size();
    const std::size_t end = json.find(marker, from);
    if (end == std::string::npos) break;
    for (std::size_t i = from; i + 1 < end; i += 2) {
      out += static_cast<char>(std::stoi(json.substr(i, 2), nullptr, 16));
    }
    done = end + marker.size();
  }
  out.append(json, done, std::string::npos);
  return out;
}

Status bad_shape(const std::string& source, const std::string& what) {
  return Status(ErrorCode::kParseError, "QuickBooks response " + what, Location::in_file(source));
}

// One element of an entity array into `out`; `marker` as parse_body gave it.
void read_entity(RecordValue v, const std::string& entity, const std::string& source, const std::string& marker,
                 RecordBuilder& b, EntityList& out) {
  const RecordValue id = v.find("Id");
  // Every row takes its place in the page, a rejected one too.
  out.row_times.emplace_back(v.find("MetaData").find("LastUpdatedTime").text());
  const auto reject = [&](std::string bad_id, Location where, std::string message, std::string json) {
    out.bad.push_back({std::move(bad_id), Status(ErrorCode::kParseError, std::move(message), std::move(where)),
                       std::move(json)});
  };
  if (!marker.empty()) {
    if (auto marked = find_marked(v, marker, "")) {
      std::string bad_id;
      if (id.is_text() && id.text().find(marker) == std::string_view::npos) bad_id = std::string(id.text());
      Location where = Location::in_file(source);
      where.record = bad_id;
      where.segment = entity;
      where.field = marked->first;
      std::string message = entity + (bad_id.empty() ? "" : " " + bad_id) + ": " + marked->first +
                            " is not valid UTF-8 (bytes " + marked->second + "); the entity is kept as received";
      return reject(std::move(bad_id), std::move(where), std::move(message), unmark(v.to_json_text(), marker));
    }
  }
  if (!v.is_object() || !id.is_text() || id.text().empty()) {
    Location where = Location::in_file(source);
    where.segment = entity;
    where.field = "Id";
    return reject(std::string(id.is_text() ? id.text() : ""), std::move(where),
                  v.is_object() ? entity + " without an Id" : entity + " entry that is not an object",
                  v.to_json_text());
  }
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
void read_entities(RecordValue list, const std::string& entity, const std::string& source,
                   const std::string& marker, EntityList& out) {
  RecordBuilder b;
  if (list.is_array()) {
    for (RecordValue v : list) read_entity(v, entity, source, marker, b, out);
  } else {
    read_entity(list, entity, source, marker, b, out);
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
  Body parsed = parse_body(body, source);
  if (!parsed.record.is_ok()) return parsed.record.status();
  const Record& r = parsed.record.value();
  const RecordValue qr = r.root().find("QueryResponse");
  if (!qr.is_object()) return bad_shape(source, "has no QueryResponse object");
  QueryPage page;
  page.time = std::string(r.root().find("time").text());
  for (RecordValue member : qr) {
    if (is_page_member(member.key())) continue;
    if (member.key() != entity) {
      return bad_shape(source, "holds '" + std::string(member.key()) + "' rows, expected '" + entity + "'");
    }
    read_entities(member, entity, source, parsed.marker, page.list);
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
  Body parsed = parse_body(body, source);
  if (!parsed.record.is_ok()) return parsed.record.status();
  const Record& r = parsed.record.value();
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
        read_entities(member, entity, source, parsed.marker, out.by_entity[entity]);
      }
    }
  }
  return out;
}

Result<Entity> parse_entity_response(std::string_view body, const std::string& entity,
                                     const std::string& source) {
  Body parsed = parse_body(body, source);
  if (!parsed.record.is_ok()) return parsed.record.status();
  const RecordValue v = parsed.record.value().root().find(entity);
  if (!v.is_object()) return bad_shape(source, "has no " + entity + " object");
  EntityList list;
  RecordBuilder b;
  read_entity(v, entity, source, parsed.marker, b, list);
  if (!list.bad.empty()) return list.bad.front().error;
  if (!list.deleted.empty()) {
    Entity gone;
    gone.id = std::move(list.deleted.front());
    gone.deleted = true;
    return gone;
  }
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
