// What a connector type gives the conformance suite (conformance_test.cpp):
// a source it can fill, the settings of a connector over it, and what the
// suite may expect of that connector. The suite then drives the connector
// through the plugin interface only (Connector::pull, RecordSink,
// ConnectorContext), created through the registry as arsyncd creates it.
//
// To add a connector type: write <type>_fixture.cpp with a class derived
// from ConformanceFixture and a factory function, add one line to
// conformance_fixtures() in fixtures.cpp and the file to CMakeLists.txt
// (fixtures for every registered type must exist: the suite checks).
// sap_idoc_fixture.cpp is the example.
//
// Thread safety: a fixture is used by one test on one thread, except
// records arriving at a source (add_records) while a connector's own
// threads watch it.
#pragma once

#include <compare>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/connector.h"

namespace arsync::conformance {

// A record's identity as the store keys replays: a record delivered twice
// with one key is stored once.
struct RecordKey {
  std::string entity;
  std::string external_id;
  std::string version;
  auto operator<=>(const RecordKey&) const = default;
};

inline std::string to_string(const RecordKey& key) {
  return key.entity + "/" + key.external_id + "@" + key.version;
}
// How GoogleTest prints one.
inline void PrintTo(const RecordKey& key, std::ostream* os) { *os << to_string(key); }

// What the suite checks of the rejection of the source's bad record. Each
// member of `where` that is set must match the error's Location (`file` as
// a suffix: a connector may name the file by its archive path).
struct ExpectedRejection {
  std::string external_id;  // the rejected record's id, "" if the connector cannot know it
  Location where;
};

class ConformanceFixture {
 public:
  virtual ~ConformanceFixture() = default;

  // Fills a fresh source with `good` records that the connector reads
  // without error and, with `with_bad`, one record it must reject, placed
  // among the good ones (not first, not last). Called once per test, first.
  virtual void create_source(int good, bool with_bad) = 0;

  // Adds `n` more good records at the source, as the source would (for a
  // source that notifies, such as a webhook, including the notification).
  virtual void add_records(int n) = 0;

  // Settings for a connector over the source, before validation (the suite
  // validates them against the type's config keys). They must make batches
  // of at most 2 records, so that a pull of a few records has several
  // cursors to resume from.
  virtual nlohmann::json settings() const = 0;

  // Fills what else the connector is given (credentials, state_dir, ...).
  // `ctx` already holds the system name, settings, clock and wake.
  virtual void complete_context(ConnectorContext& ctx) { (void)ctx; }

  // Keys of every good record at the source now.
  virtual std::vector<RecordKey> expected_keys() const = 0;

  // The bad record of create_source(…, true).
  virtual ExpectedRejection expected_rejection() const = 0;

  // Why the source cannot hold one record the connector must reject while
  // it reads the others (its wire format carries whole pages), or nullopt
  // when create_source(…, true) places one. The suite then skips the bad
  // record test naming this reason.
  virtual std::optional<std::string> no_bad_record_reason() const { return std::nullopt; }

  // Whether a pull resumed from the last committed cursor may deliver again
  // records that were already committed (an API queried by modification
  // time from the cursor's instant, inclusive). Those duplicates must carry
  // the same key and content. False: a resume delivers nothing twice.
  virtual bool resume_may_repeat() const { return false; }

  // Why the connector type has no deletions at its source, or nullopt when
  // it has them. The suite skips the deletion test naming this reason.
  virtual std::optional<std::string> no_deletions_reason() const = 0;

  // Deletes the good record `index` (in expected_keys() order) at the
  // source; the next pull must deliver a DeletedRecord for it. Only called
  // when no_deletions_reason() is nullopt.
  virtual RecordKey delete_record(std::size_t index) {
    (void)index;
    return {};
  }

  // Why a connector of this type is never woken by its source, or nullopt
  // when add_records() makes it call ConnectorContext::wake.
  virtual std::optional<std::string> no_wake_reason() const { return std::nullopt; }
};

// A connector type the suite runs against: its name as registered
// ("sap_idoc", which also names the test instance) and a factory of fresh
// fixtures (one per test, or per round of a test that needs fresh sources).
struct FixtureEntry {
  std::string type_name;
  std::function<std::unique_ptr<ConformanceFixture>()> make;
};

// Every fixture of this build (fixtures.cpp).
std::vector<FixtureEntry> conformance_fixtures();

}  // namespace arsync::conformance
