// Fuzz target: a JSON record (json_record.h) as `arsync mapping test FILE
// RECORD.json` reads it: parsed without doubles, mapped with each shipped
// mapping, printed, and freed with release_json.
//
// Checked besides memory, stack depth and undefined behaviour:
// - parse_json_record() never throws; bad text is kParseError;
// - no number with a fraction or exponent reaches the tree as a double;
// - a parsed record dumps as strict JSON, and parses back to itself (up to
//   fuzz::kMaxCheckedDepth; deeper records go through the product path only);
// - mapping it keeps the mapping's promises (invariants.h);
// - release_json() leaves null.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/model/json_record.h"
#include "fixtures.h"
#include "invariants.h"

namespace {

using nlohmann::json;

// Iterative, so that a deep record cannot make the check itself overflow.
bool has_double(const json& root) {
  std::vector<const json*> todo{&root};
  while (!todo.empty()) {
    const json* v = todo.back();
    todo.pop_back();
    if (v->is_number_float()) return true;
    if (v->is_structured()) {
      for (const json& child : *v) todo.push_back(&child);
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace arsync;
  static const fuzz::Fixtures& fx = fuzz::fixtures();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Result<json> record = parse_json_record(text, "fuzz-record.json");
    if (!record) {
      ARSYNC_FUZZ_CHECK(record.status().code() == ErrorCode::kParseError,
                        record.status().to_string());
      return 0;
    }
    ARSYNC_FUZZ_CHECK(!has_double(*record), std::string(text));
    if (fuzz::depth_of(*record) <= fuzz::kMaxCheckedDepth) {
      fuzz::check_dumps_strictly(*record, "record");
      const std::string dumped = record->dump(-1, ' ', false, json::error_handler_t::replace);
      Result<json> again = parse_json_record(dumped, "dumped");
      ARSYNC_FUZZ_CHECK(again.is_ok() && *again == *record, dumped);
    }

    for (const char* entity : {"INVOIC02", "PEXR2002"}) {
      const mapping::Mapping* m = fx.mappings.find(entity);
      if (m == nullptr) continue;
      const mapping::RecordMeta meta{"mapping-test", entity, "fuzz-record", "", "fuzz-record.json"};
      const json doc = fuzz::map_checked(*m, *record, meta);
      if (!doc.is_null()) (void)doc.dump(2);  // what `mapping test` prints
    }
    release_json(*record);
    ARSYNC_FUZZ_CHECK(record->is_null(), "release_json left a value");
  } catch (const std::exception& e) {
    fuzz::invariant_failed("reading a JSON record does not throw", e.what());
  }
  return 0;
}
