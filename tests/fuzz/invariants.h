// What every fuzz target checks beyond "does not crash": properties a
// user relies on, stated once here so that the targets check them alike.
//
// A broken invariant aborts with what broke and the values involved, which
// libFuzzer reports as a crash and saves the input.
//
// Thread safety: free functions; waived() reads the environment once.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "arsync/record.h"

#include "arsync/mapping/mapping.h"

namespace arsync::fuzz {

[[noreturn]] void invariant_failed(const char* what, const std::string& detail);

#define ARSYNC_FUZZ_CHECK(cond, detail)                               \
  do {                                                                \
    if (!(cond)) ::arsync::fuzz::invariant_failed(#cond, (detail));  \
  } while (0)

// Whether invariant `name` is waived for this run: ARSYNC_FUZZ_WAIVE holds a
// comma-separated list of names. A known, reported defect that breaks an
// invariant at once would stop a fuzzer from finding anything else until it
// is fixed; waive it to explore past it, never in a check run.
bool waived(const char* name);

// Nesting depth of `value` (a scalar is 0), found without recursion.
std::size_t depth_of(const Record& value);

// The deepest value the checks themselves handle: nlohmann's dump() and
// operator== and cut_to_selection() (the tests' reference, on no product
// path) recurse once per level. Deeper values go only through the product
// path; 512 is the nesting limit readers and mappings are to enforce.
constexpr std::size_t kMaxCheckedDepth = 512;

// Invariant "record_utf8": `value` can be written as JSON text with the
// strict error handler, as the store writes a record's data and a
// discrepancy's details (invalid UTF-8 there throws type_error.316 and
// stops reconciliation of that group).
void check_dumps_strictly(const nlohmann::json& value, const std::string& where);
// The same for a record: every key and string is UTF-8, so its JSON text
// needs no replacement character.
void check_dumps_strictly(const Record& value, const std::string& where);

// Maps `record` with `m` as the engine does, and checks what a mapping
// promises: apply() does not throw, and gives the same result for the
// record cut down to m.fields_read() (what a connector honouring the
// selection builds) as for the whole record (up to kMaxCheckedDepth). Returns the document's JSON,
// or null when the record does not map.
nlohmann::json map_checked(const mapping::Mapping& m, const Record& record,
                           const mapping::RecordMeta& meta);

}  // namespace arsync::fuzz
