// Fuzz target: a mapping's record path (path.h), parsed and resolved.
//
// Input: the path on the first line; the rest, when it is JSON, is one more
// record to resolve it against, besides the fixture IDocs' records.
//
// Checked besides memory and undefined behaviour:
// - parse() never throws; an error is kMappingError naming the path;
// - first() is all()'s first value, and null exactly when all() is empty;
// - the first-step memo changes nothing: first(node, memo) == first(node);
// - select() is complete: resolved in the record cut down to what the
//   path selects, the path finds the same values (what lets a connector
//   build only the fields a mapping reads).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/mapping/path.h"
#include "arsync/model/field_selection.h"
#include "arsync/model/json_record.h"
#include "fixtures.h"
#include "invariants.h"

namespace {

using namespace arsync;

std::string show(RecordValue v) { return v ? v.to_json_text() : "(nothing)"; }

void check_resolve(const mapping::Path& path, const Record& whole) {
  const RecordValue record = whole.root();
  const RecordValue first = path.first(record);
  std::vector<RecordValue> all;
  path.all(record, all);
  ARSYNC_FUZZ_CHECK(!first == all.empty(),
                    path.text() + ": first " + show(first) + ", all has " +
                        std::to_string(all.size()));
  if (first) {
    ARSYNC_FUZZ_CHECK(first == all.front(), path.text() + ": " + show(first) + " vs " +
                                                show(all.front()));
  }

  mapping::Path memoized = path;
  memoized.set_memo_slot(0);
  mapping::PathMemo memo(record, 1);
  ARSYNC_FUZZ_CHECK(memoized.first(record, &memo) == first, path.text());
  ARSYNC_FUZZ_CHECK(memoized.first(record, &memo) == first, path.text() + " (memo filled)");

  FieldSelection selection;
  path.select(selection).select_everything();
  const Record cut = cut_to_selection(whole, selection);
  std::vector<RecordValue> all_cut;
  path.all(cut.root(), all_cut);
  ARSYNC_FUZZ_CHECK(all_cut.size() == all.size(),
                    path.text() + " selects " + selection.to_string() + ": " +
                        std::to_string(all.size()) + " values, " +
                        std::to_string(all_cut.size()) + " in the cut record");
  for (std::size_t i = 0; i < all.size(); ++i) {
    ARSYNC_FUZZ_CHECK(all[i].to_json_text() == all_cut[i].to_json_text(), path.text() + " value " + std::to_string(i) +
                                                  ": " + show(all[i]) + " vs " +
                                                  show(all_cut[i]));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Fixtures& fx = fuzz::fixtures();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t eol = input.find('\n');
  const std::string_view text = input.substr(0, eol);
  try {
    Result<mapping::Path> path = mapping::Path::parse(text);
    if (!path) {
      ARSYNC_FUZZ_CHECK(path.status().code() == ErrorCode::kMappingError,
                        path.status().to_string());
      return 0;
    }
    for (const RawRecord& rec : fx.records) check_resolve(*path, rec.data);
    if (eol != std::string_view::npos) {
      Result<Record> record = parse_json_record(input.substr(eol + 1), "fuzz-input");
      if (record) check_resolve(*path, *record);
    }
  } catch (const std::exception& e) {
    fuzz::invariant_failed("paths do not throw", e.what());
  }
  return 0;
}
