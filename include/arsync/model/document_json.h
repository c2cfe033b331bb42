// JSON form of a canonical Document, as `arsync mapping test` and
// `arsync show` print it. Money is printed as exact decimal text ("2380.00",
// no grouping, the currency's decimals, a leading minus) with the currency in
// the same object: the document's "currency", and each application's own
// (never a JSON number, which readers may turn into floating point).
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "arsync/model/document.h"

namespace arsync {

nlohmann::json to_json(const Document& doc);

}  // namespace arsync
