// JSON form of a canonical Document, as `arsync mapping test` and
// `arsync show` print it. Money is printed as decimal text with its currency
// (never a JSON number, which readers may turn into floating point).
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "arsync/model/document.h"

namespace arsync {

nlohmann::json to_json(const Document& doc);

}  // namespace arsync
