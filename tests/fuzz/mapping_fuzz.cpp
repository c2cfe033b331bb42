// Fuzz target: a mapping file (mapping.h), compiled and applied to the
// fixture IDocs' records, as `arsync mapping check` and `mapping test` and
// the engine use it.
//
// Checked besides memory and undefined behaviour:
// - compile() and apply() never throw; a file that does not compile is a
//   kMappingError (or kParseError for text that is not JSON);
// - apply() gives the same document for a record cut down to fields_read()
//   as for the whole record (invariants.h), the promise that lets the
//   reader build only what a mapping reads;
// - a mapped document dumps as strict JSON, as the store writes it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/mapping/mapping.h"
#include "fixtures.h"
#include "invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace arsync;
  static const fuzz::Fixtures& fx = fuzz::fixtures();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Result<mapping::Mapping> m = mapping::Mapping::compile(text, "fuzz-mapping.json");
    if (!m) {
      const ErrorCode code = m.status().code();
      ARSYNC_FUZZ_CHECK(code == ErrorCode::kMappingError || code == ErrorCode::kParseError,
                        m.status().to_string());
      return 0;
    }
    (void)m->fields_read().to_string();
    for (const RawRecord& rec : fx.records) {
      const mapping::RecordMeta meta{"fuzz", rec.entity, rec.external_id, rec.version,
                                     rec.source};
      const nlohmann::json doc = fuzz::map_checked(*m, rec.data, meta);
      if (!doc.is_null()) fuzz::check_dumps_strictly(doc, rec.source + " " + rec.external_id);
    }
  } catch (const std::exception& e) {
    fuzz::invariant_failed("Mapping::compile does not throw", e.what());
  }
  return 0;
}
