// Test records written as nlohmann::json literals (easy to edit in a test),
// turned into the Record a connector hands over. Numbers go through their
// dumped text, so a test that cares about a number's exact text writes it
// with parse_json_record instead.
#pragma once

#include <nlohmann/json.hpp>

#include "arsync/model/json_record.h"
#include "arsync/record.h"

namespace arsync {

inline Record record_of(const nlohmann::json& j) {
  return parse_json_record(j.dump(), "test record").value();
}

}  // namespace arsync
