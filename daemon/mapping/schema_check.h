// Internal to daemon/mapping: checking the names a mapping file writes
// (entities, path steps, filter fields) against a connector's RecordSchema,
// and the "did you mean" suggestions its errors carry.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/model/record_schema.h"
#include "arsync/model/status.h"
#include "field_spec.h"

namespace arsync::mapping {

struct NamesToCheck {
  std::string file;
  std::string connector;
  const std::vector<std::string>* entities = nullptr;
  const std::vector<CompileContext::PathUse>* paths = nullptr;
  const CompileContext::PathUse* each = nullptr;  // null without "applications"
};

// One kMappingError per unknown name, in the order the file writes them.
std::vector<Status> check_names(const NamesToCheck& names, const RecordSchema& schema);

// Edit distance between `a` and `b` (case-sensitive): insertions,
// deletions, substitutions and swaps of two neighbours count one each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean X?)" / " (did you mean X or Y?)" for the names within a
// small edit distance of `name`, else " (known here: A, B, ...)", at most a
// dozen, else "".
std::string nearby_names(std::string_view name, const std::vector<std::string>& known);

}  // namespace arsync::mapping
