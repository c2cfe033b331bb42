// Fuzz target: a JSON record (json_record.h) as `arsync mapping test FILE
// RECORD.json` reads it: parsed into a Record, mapped with each shipped
// mapping, printed.
//
// Checked besides memory, stack depth and undefined behaviour:
// - parse_json_record() never throws; bad text is kParseError;
// - every number keeps its text: the record's JSON text parses back to the
//   same text (a double on the way would rewrite "0.10" or "1e2");
// - a parsed record is UTF-8 throughout (up to fuzz::kMaxCheckedDepth;
//   deeper records go through the product path only);
// - mapping it keeps the mapping's promises (invariants.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/model/json_record.h"
#include "fixtures.h"
#include "invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace arsync;
  static const fuzz::Fixtures& fx = fuzz::fixtures();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Result<Record> record = parse_json_record(text, "fuzz-record.json");
    if (!record) {
      ARSYNC_FUZZ_CHECK(record.status().code() == ErrorCode::kParseError,
                        record.status().to_string());
      return 0;
    }
    if (fuzz::depth_of(*record) <= fuzz::kMaxCheckedDepth) {
      fuzz::check_dumps_strictly(*record, "record");
      const std::string dumped = record->to_json_text();
      Result<Record> again = parse_json_record(dumped, "dumped");
      ARSYNC_FUZZ_CHECK(again.is_ok() && again->to_json_text() == dumped, dumped);
    }

    for (const char* entity : {"INVOIC02", "PEXR2002"}) {
      const mapping::Mapping* m = fx.mappings.find(entity);
      if (m == nullptr) continue;
      const mapping::RecordMeta meta{"mapping-test", entity, "fuzz-record", "", "fuzz-record.json"};
      const nlohmann::json doc = fuzz::map_checked(*m, *record, meta);
      if (!doc.is_null()) (void)doc.dump(2);  // what `mapping test` prints
    }
  } catch (const std::exception& e) {
    fuzz::invariant_failed("reading a JSON record does not throw", e.what());
  }
  return 0;
}
