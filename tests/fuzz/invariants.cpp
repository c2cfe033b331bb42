#include "invariants.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "arsync/model/document_json.h"
#include "arsync/model/utf8.h"
#include "arsync/model/field_selection.h"

namespace arsync::fuzz {
namespace {

using nlohmann::json;

std::string dump_for_people(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string dump_for_people(const Record& value) { return value.to_json_text(); }

// {"document": its JSON} or {"error": the error's text}.
json apply_or_error(const mapping::Mapping& m, const Record& record,
                    const mapping::RecordMeta& meta) {
  try {
    Result<Document> doc = m.apply(record, meta);
    if (!doc) return json{{"error", doc.status().to_string()}};
    return json{{"document", to_json(*doc)}};
  } catch (const std::exception& e) {
    invariant_failed("Mapping::apply does not throw",
                     std::string(e.what()) + "\nrecord: " + dump_for_people(record));
  }
}

}  // namespace

void invariant_failed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

bool waived(const char* name) {
  static const std::string list = [] {
    const char* env = std::getenv("ARSYNC_FUZZ_WAIVE");
    return "," + std::string(env ? env : "") + ",";
  }();
  return list.find("," + std::string(name) + ",") != std::string::npos;
}

std::size_t depth_of(const Record& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<RecordValue, std::size_t>> todo{{value.root(), 0}};
  while (!todo.empty()) {
    const auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v.is_object() && !v.is_array()) continue;
    deepest = std::max(deepest, depth + 1);
    for (RecordValue child : v) todo.emplace_back(child, depth + 1);
  }
  return deepest;
}

void check_dumps_strictly(const Record& value, const std::string& where) {
  if (waived("record_utf8")) return;
  std::vector<RecordValue> todo{value.root()};
  while (!todo.empty()) {
    const RecordValue v = todo.back();
    todo.pop_back();
    if (!v) continue;
    ARSYNC_FUZZ_CHECK(first_invalid_utf8(v.key()) == std::string_view::npos &&
                          first_invalid_utf8(v.text()) == std::string_view::npos,
                      "record_utf8: what is stored is UTF-8\n" + where + ": " +
                          dump_for_people(value));
    for (RecordValue child : v) todo.push_back(child);
  }
}

void check_dumps_strictly(const json& value, const std::string& where) {
  if (waived("record_utf8")) return;
  try {
    (void)value.dump();
  } catch (const json::exception& e) {
    invariant_failed("record_utf8: what is stored dumps as JSON",
                     where + ": " + e.what() + "\nvalue: " + dump_for_people(value));
  }
}

json map_checked(const mapping::Mapping& m, const Record& record,
                 const mapping::RecordMeta& meta) {
  const json whole = apply_or_error(m, record, meta);
  if (depth_of(record) > kMaxCheckedDepth) {
    return whole.contains("document") ? whole["document"] : json();
  }
  const json cut = apply_or_error(m, cut_to_selection(record, m.fields_read()), meta);
  ARSYNC_FUZZ_CHECK(whole == cut,
                    "selection " + m.fields_read().to_string() + "\nwhole record: " +
                        dump_for_people(whole) + "\ncut record: " + dump_for_people(cut));
  return whole.contains("document") ? whole["document"] : json();
}

}  // namespace arsync::fuzz
