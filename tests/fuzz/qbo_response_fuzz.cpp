// Fuzz target: a QuickBooks Online response body (responses.h) as the
// connector reads it: a query page, a CDC answer, one entity's read, a
// count, a fault; each entity read is mapped with the shipped mapping of its
// type, and each Payment gets its linked document numbers.
//
// Checked besides memory, stack depth and undefined behaviour:
// - the parsers never throw; a body they refuse is kParseError;
// - every row takes its place: rows() is the number of row times;
// - an entity read has an Id, and its data is UTF-8 throughout (a body with
//   bytes that are not UTF-8 costs the entities holding them, which are
//   rejected: what reaches the store and the mapping is always UTF-8);
// - an entity's kept JSON parses back to the same text;
// - a rejected entity's error text is UTF-8 (it goes to the log, the
//   quarantine's error column and `arsync quarantine list`);
// - mapping an entity keeps the mapping's promises (invariants.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/mapping/mapping.h"
#include "arsync/model/json_record.h"
#include "arsync/model/utf8.h"
#include "invariants.h"
#include "responses.h"

namespace {

using namespace arsync;
using namespace arsync::connectors::quickbooks;

const mapping::MappingSet& qbo_mappings() {
  static const mapping::MappingSet set = [] {
    Result<mapping::MappingSet> loaded =
        mapping::MappingSet::load_dir(std::string(ARSYNC_SOURCE_DIR) + "/mappings/quickbooks");
    if (!loaded.is_ok()) fuzz::invariant_failed("the QuickBooks mappings load", loaded.status().to_string());
    return std::move(loaded).value();
  }();
  return set;
}

void check_list(const EntityList& list, const std::string& entity) {
  ARSYNC_FUZZ_CHECK(list.rows() == list.row_times.size(), entity);
  for (const Entity& e : list.entities) {
    ARSYNC_FUZZ_CHECK(!e.id.empty(), e.json);
    if (fuzz::depth_of(e.data) <= fuzz::kMaxCheckedDepth) fuzz::check_dumps_strictly(e.data, entity + " " + e.id);
    Result<Record> again = parse_json_record(e.json, "kept json");
    ARSYNC_FUZZ_CHECK(again.is_ok() && again->to_json_text() == e.json, e.json);
    Record data = entity == "Payment"
                      ? with_linked_numbers(e.data, [](std::string_view, std::string_view id) {
                          return std::optional<std::string>("N" + std::string(id));
                        })
                      : e.data;
    if (const mapping::Mapping* m = qbo_mappings().find(entity)) {
      const mapping::RecordMeta meta{"qbo-fuzz", entity, e.id, e.sync_token, "fuzz-body.json"};
      (void)fuzz::map_checked(*m, data, meta);
    }
  }
  for (const BadEntity& b : list.bad) {
    const std::string text = b.error.to_string();
    ARSYNC_FUZZ_CHECK(first_invalid_utf8(text) == std::string_view::npos, text);
    ARSYNC_FUZZ_CHECK(b.error.code() == ErrorCode::kParseError, text);
  }
}

void check_refusal(const Status& st) { ARSYNC_FUZZ_CHECK(st.code() == ErrorCode::kParseError, st.to_string()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    for (const char* entity : {"Invoice", "Payment"}) {
      Result<QueryPage> page = parse_query_response(body, entity, "fuzz query");
      if (page.is_ok()) {
        check_list(page->list, entity);
      } else {
        check_refusal(page.status());
      }
      Result<Entity> one = parse_entity_response(body, entity, "fuzz read");
      if (one.is_ok()) {
        ARSYNC_FUZZ_CHECK(!one->id.empty(), one->json);
      } else {
        check_refusal(one.status());
      }
    }
    Result<CdcResult> cdc = parse_cdc_response(body, "fuzz cdc");
    if (cdc.is_ok()) {
      for (const auto& [entity, list] : cdc->by_entity) check_list(list, entity);
    } else {
      check_refusal(cdc.status());
    }
    Result<long long> count = parse_count_response(body, "fuzz count");
    if (count.is_ok()) ARSYNC_FUZZ_CHECK(*count >= 0, std::to_string(*count));
    const Status fault = read_fault(400, body);
    ARSYNC_FUZZ_CHECK(!fault.is_ok(), "a 400 is never OK");
    ARSYNC_FUZZ_CHECK(first_invalid_utf8(fault.to_string()) == std::string_view::npos, fault.to_string());
  } catch (const std::exception& e) {
    fuzz::invariant_failed("reading a QuickBooks response does not throw", e.what());
  }
  return 0;
}
