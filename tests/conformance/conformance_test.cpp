// The connector conformance suite: one set of tests that every registered
// connector type passes, as RocksDB runs one suite against every Env. The
// connector is created through the registry and driven through the plugin
// interface only (Connector::pull, RecordSink, ConnectorContext::wake), so
// what is checked here is what the engine relies on:
//   - a full pull delivers every record exactly once and ends OK;
//   - after a batch the sink refuses, the pull stops with the sink's error,
//     and a pull from the last committed cursor delivers the rest: together
//     exactly the whole source (duplicates only where the fixture says a
//     resume may repeat, and then with the same key and content);
//   - a sink whose flush() fails keeps the source unacknowledged: the next
//     pull from the last committed cursor delivers what was lost;
//   - a pull from an earlier committed cursor yields the same records (key
//     and content) again, never fewer than from a later cursor;
//   - a bad record is rejected with its location while the rest goes on;
//   - deletions at the source arrive as DeletedRecords (types without them
//     are skipped, naming why);
//   - a record arriving at the source wakes the pull; a pull never wakes
//     itself.
//
// Adding a connector type (QuickBooks, NetSuite, ...): write
// tests/conformance/<type>_fixture.cpp, a ConformanceFixture over a source
// the test controls (a temp folder, the emulator in tests/emulators/) with
// a make_<type>_fixture() factory; add one line for it to
// conformance_fixtures() in fixtures.cpp and the file to this folder's
// CMakeLists.txt. EveryRegisteredTypeHasAFixture fails until a registered
// type has one. Run: ctest --test-dir build -R Conformance, or
// build/tests/conformance/connector_conformance_test --gtest_filter='*/sap_idoc'.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "conformance_fixture.h"
#include "connector/registry.h"
#include "recording_sink.h"
#include "wake_counter.h"

namespace arsync::conformance {

void PrintTo(const FixtureEntry& entry, std::ostream* os) { *os << entry.type_name; }

namespace {

using namespace std::chrono_literals;

constexpr const char* kSystem = "conformance";
constexpr int kGood = 5;   // records of create_source
constexpr int kAdded = 3;  // records of add_records, a second source unit
// How soon a woken pull must be asked for.
constexpr auto kWakeWithin = 1000ms;

std::vector<RecordKey> sorted(std::vector<RecordKey> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::set<RecordKey> key_set(const std::vector<RecordKey>& keys) {
  return std::set<RecordKey>(keys.begin(), keys.end());
}

std::string listed(const std::vector<RecordKey>& keys) {
  std::string out;
  for (const RecordKey& k : keys) out += (out.empty() ? "" : ", ") + to_string(k);
  return "[" + out + "]";
}

// Keys delivered more than once.
std::vector<RecordKey> repeated(const std::vector<RecordKey>& keys) {
  std::vector<RecordKey> s = sorted(keys), out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == s[i - 1] && (out.empty() || out.back() != s[i])) out.push_back(s[i]);
  }
  return out;
}

// What the suite knows of each record delivered: its content the first
// time. A record delivered again with the same key must carry the same.
class Deliveries {
 public:
  // Adds every record of `batches`; a mismatch is a test failure.
  void add(const std::vector<RecordBatch>& batches, const std::string& run) {
    for (const RecordBatch& b : batches) {
      for (const RawRecord& r : b.records) {
        const std::string content = r.data.to_json_text();
        auto [it, fresh] = content_.emplace(key_of(r), content);
        EXPECT_TRUE(fresh || it->second == content)
            << run << ": " << to_string(key_of(r)) << " delivered again with other content:\n"
            << it->second << "\nthen\n" << content;
      }
    }
  }

 private:
  std::map<RecordKey, std::string> content_;
};

class ConnectorConformance : public ::testing::TestWithParam<FixtureEntry> {
 protected:
  void SetUp() override {
    register_builtin_connectors(registry_);
    type_ = registry_.find(GetParam().type_name);
    ASSERT_NE(type_, nullptr) << "no connector type '" << GetParam().type_name
                              << "' is registered; fixtures.cpp names it";
    fixture_ = GetParam().make();
  }

  // A connector over `fixture`'s source, created as arsyncd creates it.
  std::unique_ptr<Connector> connect(ConformanceFixture& fixture, std::function<void()> wake = {}) {
    Result<nlohmann::json> settings = Registry::validate(*type_, fixture.settings(), kSystem);
    EXPECT_TRUE(settings.is_ok()) << settings.status().to_string();
    if (!settings.is_ok()) return nullptr;
    ConnectorContext ctx;
    ctx.system = kSystem;
    ctx.settings = *settings;
    ctx.clock = &clock_;
    ctx.wake = std::move(wake);
    fixture.complete_context(ctx);
    Result<std::unique_ptr<Connector>> c = type_->create(ctx);
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return c.is_ok() ? std::move(c).value() : nullptr;
  }
  std::unique_ptr<Connector> connect(std::function<void()> wake = {}) {
    return connect(*fixture_, std::move(wake));
  }

  // A pull as the host runs one: the connector's pull, then a flush of
  // whatever it left pending.
  static Status pull(Connector& c, const std::string& cursor, RecordingSink& sink) {
    Status s = c.pull(cursor, sink);
    if (!s.is_ok()) return s;
    return sink.flush();
  }

  // A fresh fixture whose source holds kGood records in one unit and kAdded
  // in a second.
  std::unique_ptr<ConformanceFixture> two_unit_source() {
    std::unique_ptr<ConformanceFixture> f = GetParam().make();
    f->create_source(kGood, /*with_bad=*/false);
    f->add_records(kAdded);
    return f;
  }

  // The sink's failure must have stopped the pull with the sink's error.
  static void expect_stopped_by_sink(const Status& s, const RecordingSink& sink,
                                     const std::string& round) {
    EXPECT_FALSE(s.is_ok()) << round << ": the pull ended OK although the sink failed";
    EXPECT_NE(s.to_string().find(RecordingSink::kRefusal), std::string::npos)
        << round << ": the pull's error is not the sink's: " << s.to_string();
    EXPECT_EQ(sink.calls_after_error(), 0) << round << ": the connector went on after the sink's error";
  }

  // `keys` (from a failed run and its resume) cover `expected` exactly,
  // repeating a key only where the fixture allows it.
  void expect_whole_source(const std::vector<RecordKey>& keys, const std::vector<RecordKey>& expected,
                           bool may_repeat, const std::string& round) {
    EXPECT_EQ(key_set(keys), key_set(expected)) << round << ": delivered (left), the source holds";
    if (!may_repeat) {
      EXPECT_TRUE(repeated(keys).empty()) << round << ": delivered twice: " << listed(repeated(keys));
    }
  }

  Registry registry_;
  const ConnectorType* type_ = nullptr;
  std::unique_ptr<ConformanceFixture> fixture_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 12 / 2} + 7h};
};

TEST_P(ConnectorConformance, FullPullDeliversEveryRecordOnceAndEndsOk) {
  fixture_->create_source(kGood, /*with_bad=*/false);
  fixture_->add_records(kAdded);
  auto c = connect();
  ASSERT_NE(c, nullptr);
  RecordingSink sink;
  Status s = pull(*c, "", sink);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(sorted(sink.keys()), sorted(fixture_->expected_keys()));
  EXPECT_TRUE(sink.rejected().empty());
  EXPECT_TRUE(sink.deletions().empty());
  for (const RecordBatch& b : sink.committed()) {
    EXPECT_LE(b.records.size(), 2u) << "the fixture's settings must make batches of at most 2";
  }
}

TEST_P(ConnectorConformance, PullFromTheLastCursorDeliversOnlyNewRecords) {
  fixture_->create_source(kGood, /*with_bad=*/false);
  auto c = connect();
  ASSERT_NE(c, nullptr);
  RecordingSink first;
  ASSERT_TRUE(pull(*c, "", first).is_ok());
  const std::vector<RecordKey> before = fixture_->expected_keys();

  RecordingSink idle;
  Status s = pull(*c, first.committed_cursor(""), idle);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  if (fixture_->resume_may_repeat()) {
    for (const RecordKey& k : idle.keys()) {
      EXPECT_TRUE(key_set(first.keys()).count(k)) << "nothing changed, yet delivered " << to_string(k);
    }
  } else {
    EXPECT_TRUE(idle.keys().empty()) << "nothing changed, yet delivered " << listed(idle.keys());
  }

  fixture_->add_records(2);
  RecordingSink next;
  s = pull(*c, idle.committed_cursor(first.committed_cursor("")), next);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  std::vector<RecordKey> added = fixture_->expected_keys();
  added.erase(added.begin(), added.begin() + static_cast<std::ptrdiff_t>(before.size()));
  if (fixture_->resume_may_repeat()) {
    // The added ones, and at most some of the earlier ones again.
    const std::set<RecordKey> got = key_set(next.keys());
    for (const RecordKey& k : added) EXPECT_TRUE(got.count(k)) << "not delivered: " << to_string(k);
    for (const RecordKey& k : got) {
      EXPECT_TRUE(key_set(added).count(k) || key_set(before).count(k)) << "unknown: " << to_string(k);
    }
  } else {
    EXPECT_EQ(sorted(next.keys()), sorted(added));
  }
}

TEST_P(ConnectorConformance, ResumeAfterEachRefusedBatchDeliversTheRest) {
  // A clean run says how many batches there are to refuse.
  int accepts = 0;
  {
    auto f = two_unit_source();
    auto c = connect(*f);
    ASSERT_NE(c, nullptr);
    RecordingSink sink;
    ASSERT_TRUE(pull(*c, "", sink).is_ok());
    accepts = sink.accepts();
  }
  ASSERT_GE(accepts, 3) << "too few batches to resume from";
  for (int k = 1; k <= accepts; ++k) {
    const std::string round = "batch " + std::to_string(k) + " refused";
    auto f = two_unit_source();
    auto c = connect(*f);
    ASSERT_NE(c, nullptr);
    RecordingSink failing;
    failing.fail_accept = k;
    expect_stopped_by_sink(pull(*c, "", failing), failing, round);

    // The next cycle, on the same instance, from what was committed.
    RecordingSink rest;
    Status s = pull(*c, failing.committed_cursor(""), rest);
    ASSERT_TRUE(s.is_ok()) << round << ": " << s.to_string();
    std::vector<RecordKey> keys = failing.keys();
    for (const RecordKey& key : rest.keys()) keys.push_back(key);
    expect_whole_source(keys, f->expected_keys(), f->resume_may_repeat(), round);
    Deliveries seen;
    seen.add(failing.committed(), round);
    seen.add(rest.committed(), round + ", resumed");
  }
}

TEST_P(ConnectorConformance, FailedFlushLeavesTheSourceForTheNextPull) {
  int flushes = 0;
  {
    auto f = two_unit_source();
    auto c = connect(*f);
    ASSERT_NE(c, nullptr);
    RecordingSink sink(RecordingSink::Commit::kOnFlush);
    ASSERT_TRUE(pull(*c, "", sink).is_ok());
    EXPECT_EQ(sorted(sink.keys()), sorted(f->expected_keys()));
    flushes = sink.flushes();
  }
  for (int j = 1; j <= flushes; ++j) {
    const std::string round = "flush " + std::to_string(j) + " failed";
    auto f = two_unit_source();
    RecordingSink failing(RecordingSink::Commit::kOnFlush);
    failing.fail_flush = j;
    {
      auto c = connect(*f);
      ASSERT_NE(c, nullptr);
      expect_stopped_by_sink(pull(*c, "", failing), failing, round);
    }
    // As after a restart: a new instance, from what was committed.
    auto c = connect(*f);
    ASSERT_NE(c, nullptr);
    RecordingSink rest(RecordingSink::Commit::kOnFlush);
    Status s = pull(*c, failing.committed_cursor(""), rest);
    ASSERT_TRUE(s.is_ok()) << round << ": " << s.to_string();
    std::vector<RecordKey> keys = failing.keys();
    for (const RecordKey& key : rest.keys()) keys.push_back(key);
    expect_whole_source(keys, f->expected_keys(), f->resume_may_repeat(), round);
  }
}

TEST_P(ConnectorConformance, ReplayFromAnEarlierCursorYieldsTheSameRecords) {
  auto f = two_unit_source();
  // A first run refused at its last batch with records: several cursors
  // committed, the source not yet wholly acknowledged.
  int last_with_records = 0;
  {
    auto c = connect(*f);
    ASSERT_NE(c, nullptr);
    RecordingSink probe(RecordingSink::Commit::kOnFlush);
    probe.fail_every_flush = true;  // acknowledges nothing
    (void)pull(*c, "", probe);
    for (std::size_t i = 0; i < probe.offered().size(); ++i) {
      if (!probe.offered()[i].records.empty()) last_with_records = static_cast<int>(i) + 1;
    }
  }
  ASSERT_GE(last_with_records, 2);
  auto c = connect(*f);
  ASSERT_NE(c, nullptr);
  RecordingSink first;
  first.fail_accept = last_with_records;
  expect_stopped_by_sink(pull(*c, "", first), first, "first run");
  Deliveries seen;
  seen.add(first.offered(), "first run");
  const std::vector<RecordBatch>& offered = first.offered();
  const std::set<RecordKey> refused = [&] {
    std::set<RecordKey> out;
    for (const RawRecord& r : offered.back().records) out.insert(key_of(r));
    return out;
  }();
  const std::set<RecordKey> expected = key_set(f->expected_keys());

  // Each committed cursor, the latest first; each replay by a new instance
  // whose sink acknowledges nothing, so each finds the source as it was.
  std::vector<std::string> cursors = first.committed_cursors("");
  std::reverse(cursors.begin(), cursors.end());
  std::set<RecordKey> later;
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    const std::string round = "replay from committed cursor " + std::to_string(cursors.size() - 1 - i) +
                              " '" + cursors[i] + "'";
    auto replayer = connect(*f);
    ASSERT_NE(replayer, nullptr);
    RecordingSink replay(RecordingSink::Commit::kOnFlush);
    replay.fail_every_flush = true;
    (void)pull(*replayer, cursors[i], replay);
    seen.add(replay.offered(), round);
    std::set<RecordKey> got;
    for (const RecordBatch& b : replay.offered()) {
      for (const RawRecord& r : b.records) got.insert(key_of(r));
    }
    for (const RecordKey& k : got) {
      EXPECT_TRUE(expected.count(k)) << round << ": " << to_string(k) << " is not at the source";
    }
    const std::set<RecordKey>& must = i == 0 ? refused : later;
    for (const RecordKey& k : must) {
      EXPECT_TRUE(got.count(k)) << round << ": " << to_string(k)
                                << " is missing (a later cursor yields it)";
    }
    later = got;
  }
}

TEST_P(ConnectorConformance, BadRecordIsRejectedWithItsLocationAndTheRestGoesOn) {
  if (std::optional<std::string> why = fixture_->no_bad_record_reason()) {
    GTEST_SKIP() << GetParam().type_name << " has no single bad record at its source: " << *why;
  }
  fixture_->create_source(kGood, /*with_bad=*/true);
  auto c = connect();
  ASSERT_NE(c, nullptr);
  RecordingSink sink;
  Status s = pull(*c, "", sink);
  ASSERT_TRUE(s.is_ok()) << "a bad record must not stop the pull: " << s.to_string();
  EXPECT_EQ(sorted(sink.keys()), sorted(fixture_->expected_keys()));
  ASSERT_EQ(sink.rejected().size(), 1u);
  const RejectedRecord& r = *sink.rejected()[0];
  const ExpectedRejection want = fixture_->expected_rejection();
  const Location& at = r.error.where();
  const std::string error = r.error.to_string();
  EXPECT_FALSE(r.error.is_ok());
  EXPECT_EQ(r.external_id, want.external_id) << error;
  EXPECT_FALSE(r.raw.empty()) << "a rejected record is quarantined with its bytes";
  EXPECT_TRUE(at.file.ends_with(want.where.file)) << error;
  // Each part of the location the fixture names must be there.
  auto part = [&](const std::string& want_part, const std::string& got, const char* what) {
    EXPECT_TRUE(want_part.empty() || got == want_part)
        << what << " '" << got << "', expected '" << want_part << "': " << error;
  };
  part(want.where.record, at.record, "record");
  part(want.where.segment, at.segment, "segment");
  part(want.where.field, at.field, "field");
  EXPECT_TRUE(want.where.http_status == 0 || at.http_status == want.where.http_status) << error;
}

TEST_P(ConnectorConformance, DeletionAtTheSourceArrivesAsADeletedRecord) {
  if (std::optional<std::string> why = fixture_->no_deletions_reason()) {
    GTEST_SKIP() << GetParam().type_name << " has no deletions: " << *why;
  }
  fixture_->create_source(kGood, /*with_bad=*/false);
  auto c = connect();
  ASSERT_NE(c, nullptr);
  RecordingSink first;
  ASSERT_TRUE(pull(*c, "", first).is_ok());
  const RecordKey gone = fixture_->delete_record(1);
  RecordingSink next;
  Status s = pull(*c, first.committed_cursor(""), next);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_EQ(next.deletions().size(), 1u);
  EXPECT_EQ(next.deletions()[0]->entity, gone.entity);
  EXPECT_EQ(next.deletions()[0]->external_id, gone.external_id);
  if (fixture_->resume_may_repeat()) {
    // Only records already delivered may come again, unchanged.
    for (const RecordKey& k : next.keys()) {
      EXPECT_TRUE(key_set(first.keys()).count(k)) << "new or changed after the deletion: " << to_string(k);
      EXPECT_NE(k, gone) << "the deleted record came back";
    }
  } else {
    EXPECT_TRUE(next.keys().empty()) << listed(next.keys());
  }
}

TEST_P(ConnectorConformance, ArrivalWakesThePull) {
  if (std::optional<std::string> why = fixture_->no_wake_reason()) {
    GTEST_SKIP() << GetParam().type_name << " is never woken by its source: " << *why;
  }
  fixture_->create_source(2, /*with_bad=*/false);
  testing::WakeCounter wakes;
  auto c = connect(wakes.fn());
  ASSERT_NE(c, nullptr);
  RecordingSink first;
  ASSERT_TRUE(pull(*c, "", first).is_ok());
  const int before = wakes.count();
  fixture_->add_records(1);
  ASSERT_TRUE(wakes.wait_for(before + 1, kWakeWithin))
      << "no wake within " << kWakeWithin.count() << " ms of a record's arrival";
  RecordingSink woken;
  Status s = pull(*c, first.committed_cursor(""), woken);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(woken.keys(), std::vector<RecordKey>{fixture_->expected_keys().back()});
}

TEST_P(ConnectorConformance, PullDoesNotWakeItself) {
  fixture_->create_source(kGood, /*with_bad=*/true);
  testing::WakeCounter wakes;
  auto c = connect(wakes.fn());
  ASSERT_NE(c, nullptr);
  RecordingSink sink;
  ASSERT_TRUE(pull(*c, "", sink).is_ok());
  // What the pull moved (claims, archives, quarantines, cursors) is no event.
  EXPECT_FALSE(wakes.wait_for(1, 300ms)) << wakes.count() << " wakes from the pull's own work";
}

INSTANTIATE_TEST_SUITE_P(Connectors, ConnectorConformance, ::testing::ValuesIn(conformance_fixtures()),
                         [](const ::testing::TestParamInfo<FixtureEntry>& info) {
                           return info.param.type_name;
                         });

TEST(ConnectorConformanceCoverage, EveryRegisteredTypeHasAFixture) {
  Registry registry;
  register_builtin_connectors(registry);
  std::set<std::string> with_fixture;
  for (const FixtureEntry& e : conformance_fixtures()) with_fixture.insert(e.type_name);
  for (const std::string& name : registry.names()) {
    EXPECT_TRUE(with_fixture.count(name))
        << "connector type '" << name << "' is registered but has no conformance fixture: add "
        << "tests/conformance/" << name << "_fixture.cpp and a line in fixtures.cpp";
  }
}

}  // namespace
}  // namespace arsync::conformance
