// QuarantineEntry: a record that failed to parse or map, with its bytes.
// Shared by the documents role (a batch carries the records it rejected)
// and the operations role (quarantine listings).
//
// Thread safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "arsync/model/clock.h"

namespace arsync::store {

struct QuarantineEntry {
  std::int64_t id = 0;  // set by the store
  std::string system;
  std::string entity;
  std::string external_id;
  std::string source;    // file name or URL it came from
  std::string error;     // Status::to_string() of the failure
  std::string location;  // Location::to_string() of the failure
  std::string raw;       // raw bytes as received (not filled by list_quarantine)
  Instant at{};
  std::size_t raw_size = 0;  // bytes in raw as stored (filled when read back)
};

}  // namespace arsync::store
