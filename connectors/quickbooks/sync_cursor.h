// The quickbooks connector's cursor: where each entity's reading stands, in
// the one opaque string the engine stores after each committed batch.
//
// An entity is in one of two modes:
//   query  a full load (or a catch-up) by query, keyset-paged on
//          MetaData.LastUpdatedTime: rows with LastUpdatedTime >= `since`,
//          of which the first `skip` (those at exactly `since`, the last
//          being `last_id`) are already committed. A row changed during the
//          load moves behind the keyset and is read again there. If it was
//          one of the `skip` rows, those after it move one place forward:
//          the next page is asked from position `skip` (one early) and must
//          start with `last_id`, else the rows at `since` are read again
//          from the first (re-reading is free: unchanged content writes
//          nothing). `load_started` (server time of the load's first page)
//          is where CDC takes over after the load.
//   cdc    increments by Change Data Capture since `since` (server time,
//          already moved back by the overlap).
// Text form: {"v":1,"entities":{"Invoice":{"mode":"query","since":"...","skip":3,
// "last_id":"130","load_started":"..."},"Payment":{"mode":"cdc","since":"..."}}}.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "arsync/model/status.h"

namespace arsync::connectors::quickbooks {

struct EntityCursor {
  enum class Mode { kQuery, kCdc };
  Mode mode = Mode::kQuery;
  std::string since;  // "" with kQuery: from the beginning
  std::size_t skip = 0;
  std::string last_id;
  std::string load_started;
};

struct SyncCursor {
  std::map<std::string, EntityCursor> entities;

  std::string to_text() const;
  // "" gives an empty cursor. kParseError for anything that is not a cursor
  // this connector wrote (the message says to reset the system's cursor).
  static Result<SyncCursor> parse(std::string_view text);
};

}  // namespace arsync::connectors::quickbooks
