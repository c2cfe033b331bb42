// UTF-8 at the connector's edge: IDoc text and file names are checked here
// before they reach a record, a log line or the store, whose JSON output
// cannot carry bytes that are not UTF-8.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "arsync/model/utf8.h"

namespace arsync::connectors::sap_idoc {

// The offset of the first byte of `text` that is not part of valid UTF-8,
// or npos when all of it is valid (one validator for the whole program).
using arsync::first_invalid_utf8;

// True when every byte of `text` is below 0x80.
bool is_ascii(std::string_view text);

// `text` with each byte that is not valid UTF-8, and each control character,
// written as \xHH: safe to put in a log line, a message or the store.
std::string printable(std::string_view text);

}  // namespace arsync::connectors::sap_idoc
