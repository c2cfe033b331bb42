// The shipped data every fuzz target maps against: the sap_idoc mapping
// files and segment layouts under mappings/sap_idoc/, and the records of
// the IDoc fixtures (tests/fixtures/idoc, packaging/demo/inbound).
//
// Loaded once, on first use, from the source tree the fuzzers were built
// from (ARSYNC_SOURCE_DIR). A file that does not load aborts the fuzzer
// with its error: a target that silently fuzzed against nothing would
// report coverage it does not have.
//
// Thread safety: fixtures() may be called from any thread; the result is
// immutable.
#pragma once

#include <string>
#include <vector>

#include "arsync/connector.h"
#include "arsync/mapping/mapping.h"
#include "segment_definitions.h"

namespace arsync::fuzz {

struct Fixtures {
  connectors::sap_idoc::SegmentDefinitions segments;
  mapping::MappingSet mappings;
  std::vector<RawRecord> records;  // every readable fixture IDoc, built whole
};

const Fixtures& fixtures();

}  // namespace arsync::fuzz
