// JSON form of a discrepancy and its history, as `arsync discrepancies list
// --json` and `show --json` print them for scripts and spreadsheets.
//
// Money in JSON is exact decimal text: no digit grouping, the currency's own
// number of decimals (JPY 0, EUR 2, KWD 3), a leading minus, and its currency
// in the same object: {"amount": "2380.00", "currency": "EUR"}. The
// reconciler stores details as display text for people ("2,380.00 EUR",
// reconcile/rules.h); money_details() turns it back into that form, so a
// store written by any earlier arsync prints the same way.
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "arsync/model/discrepancy.h"
#include "arsync/model/money.h"

namespace arsync {

// {"amount": "-12.50", "currency": "EUR"}; null for a Money without currency.
nlohmann::json money_json(const Money& m);

// `details` as the reconciler stores them, with each money value in the JSON
// form above: in a per-system object, "amount" and "open_amount" become
// decimal text beside that object's "currency"; the rule's own money keys
// ("difference", "tolerance", "paid", "shortfall", ...) become
// {"amount", "currency"} objects. Text that is not display money ("overflow")
// stays as it is.
nlohmann::json money_details(const nlohmann::json& details);

nlohmann::json to_json(const Discrepancy& d);
nlohmann::json to_json(const DiscrepancyEvent& e);

// `j` as text to print; bytes that are not UTF-8 (stored by an older arsync,
// or from a mis-declared source) become U+FFFD instead of an exception.
// indent < 0: one line.
std::string dump_for_output(const nlohmann::json& j, int indent = 2);

}  // namespace arsync
