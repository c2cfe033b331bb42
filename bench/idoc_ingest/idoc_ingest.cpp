// bench/idoc_ingest: how fast do IDoc files become stored documents?
//
// Generates N INVOIC02 IDocs (XML or flat) in a temp drop folder, ingests
// them through the real path (sap_idoc connector -> mapping -> SQLite store,
// batch + cursor per transaction, synchronous=FULL), and measures, in the
// same run, the bare SQLite bound: the same N rows upserted into the store's
// own documents table with one prepared statement in one transaction.
// Both are timed --rounds times, alternating, each on a fresh store; it
// prints each round, the medians, their ratio and the process's peak RSS.
//
// Shared VMs are noisy: one vCPU can run at half the speed of the other for
// a while. The bench times a fixed loop on each CPU before and after, and
// says when they differ, since the real path needs both CPUs and the bound
// only one.
//
// usage: idoc_ingest [--count N] [--format xml|flat] [--batch N]
//                    [--commit-records N] [--dir DIR] [--rounds N] [--stages]
//   --batch: the connector's batch_size (default: its own default);
//   --commit-records: the engine's store.commit_records (default 500);
//   --stages: also time reading alone and reading + mapping
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "connector/registry.h"
#include "arsync/engine/mapping_sink.h"
#include "arsync/mapping/mapping.h"
#include "arsync/store/store.h"
#include "bench_support.h"
#include "idoc_generator.h"

namespace fs = std::filesystem;
using arsync::bench::IdocFormat;
using Clock = arsync::bench::SteadyClock;
using arsync::bench::bare_sqlite_seconds;
using arsync::bench::cpu_speeds;
using arsync::bench::median;
using arsync::bench::peak_rss_kb;
using arsync::bench::seconds_since;
using arsync::bench::thread_cpu_seconds;

namespace {

// Stage sinks, to see where the time goes: reading only, reading + mapping.
class CountingSink final : public arsync::RecordSink {
 public:
  explicit CountingSink(const arsync::mapping::MappingSet* mappings) : mappings_(mappings) {}
  arsync::Status accept(arsync::RecordBatch batch) override {
    for (const arsync::RawRecord& r : batch.records) {
      ++records;
      if (!mappings_) continue;
      arsync::mapping::RecordMeta meta{"bench", r.entity, r.external_id, r.version, r.source};
      auto doc = mappings_->find(r.entity)->apply(r.data, meta);
      if (doc) hashes += arsync::content_hash(*doc).size();
    }
    return arsync::Status::ok();
  }
  // As MappingSink: the connector builds only what the mapping reads.
  const arsync::FieldSelection* fields_read(const std::string& entity) const override {
    return mappings_ ? mappings_->fields_read(entity) : nullptr;
  }
  std::uint64_t records = 0;
  std::uint64_t hashes = 0;

 private:
  const arsync::mapping::MappingSet* mappings_;
};

// Moves `file` back from wherever under `state` the connector archived it.
void put_back(const fs::path& state, const fs::path& file) {
  for (const auto& e : fs::recursive_directory_iterator(state)) {
    if (e.is_regular_file() && e.path().filename() == file.filename()) {
      fs::rename(e.path(), file);
      return;
    }
  }
  throw std::runtime_error("the connector did not archive " + file.string());
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t count = 100000;
  std::string format_name = "xml";
  int batch = 0;  // 0: the connector's default
  std::size_t commit_records = arsync::engine::SinkLimits{}.commit_records;
  fs::path dir;
  bool stages = false;
  int rounds = 3;
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--stages") {
      stages = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) a = "--help";
    if (a == "--count") count = std::stoull(argv[i + 1]);
    else if (a == "--format") format_name = argv[i + 1];
    else if (a == "--batch") batch = std::stoi(argv[i + 1]);
    else if (a == "--commit-records") commit_records = std::stoul(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--rounds") rounds = std::max(1, std::stoi(argv[i + 1]));
    else {
      std::cerr << "usage: idoc_ingest [--count N] [--format xml|flat] [--batch N] "
                   "[--commit-records N] [--dir DIR] "
                   "[--rounds N] [--stages]\n";
      return 2;
    }
  }
  const IdocFormat format = format_name == "flat" ? IdocFormat::kFlat : IdocFormat::kXml;
  if (dir.empty()) dir = fs::temp_directory_path() / ("arsync-bench-" + std::to_string(std::random_device()()));
  fs::remove_all(dir);
  fs::create_directories(dir / "inbound");
  const fs::path src = ARSYNC_SOURCE_DIR;

  const fs::path file = dir / "inbound" / (format == IdocFormat::kXml ? "bench.xml" : "bench.idoc");
  const std::uint64_t bytes = arsync::bench::write_invoic02_file(
      file.string(), count, format, (src / "mappings/sap_idoc/segments").string());
  const long rss_after_generate = peak_rss_kb();

  arsync::Registry registry;
  arsync::register_builtin_connectors(registry);
  const arsync::ConnectorType* type = registry.find("sap_idoc");
  nlohmann::json given = {{"inbound_dir", (dir / "inbound").string()}};
  if (batch > 0) given["batch_size"] = batch;
  auto settings = arsync::Registry::validate(*type, given, "bench");
  if (!settings) {
    std::cerr << settings.status().to_string() << "\n";
    return 1;
  }
  arsync::SystemClock clock;
  arsync::ConnectorContext ctx;
  ctx.system = "bench";
  ctx.settings = *settings;
  ctx.mappings_dir = (src / "mappings/sap_idoc").string();
  ctx.clock = &clock;
  // Each pull gets its own state folder; the file is put back from its
  // archive there afterwards.
  auto connector_in = [&](const fs::path& state) {
    arsync::ConnectorContext c = ctx;
    c.state_dir = state.string();
    return type->create(c);
  };
  auto mappings = arsync::mapping::MappingSet::load_dir((src / "mappings/sap_idoc").string());
  if (!mappings) {
    std::cerr << mappings.status().to_string() << "\n";
    return 1;
  }
  const std::string cpus_before = cpu_speeds();

  if (stages) {
    const arsync::mapping::MappingSet* stage_mappings[] = {nullptr, &*mappings};
    for (const arsync::mapping::MappingSet* m : stage_mappings) {
      auto state = dir / "stage-state";
      fs::remove_all(state);
      auto stage_connector = connector_in(state);
      CountingSink counting(m);
      auto ts = Clock::now();
      arsync::Status st = (*stage_connector)->pull("", counting);
      const double secs = seconds_since(ts);
      std::cout << (m ? "  read+map:    " : "  read only:   ") << secs << " s, "
                << static_cast<long>(static_cast<double>(counting.records) / secs)
                << " IDocs/s" << (st ? "" : " (" + st.to_string() + ")") << "\n";
      put_back(state, file);
    }
  }

  // Rounds: the real path on a fresh store and state, then the bound.
  std::vector<double> ingest_s, bound_s, ratios, reader_cpu_s;
  std::size_t transactions = 0;
  arsync::engine::SinkTotals totals;
  for (int r = 1; r <= rounds; ++r) {
    const fs::path round_dir = dir / ("round-" + std::to_string(r));
    fs::create_directories(round_dir);
    auto connector = connector_in(round_dir / "state");
    arsync::store::SqliteOptions so;
    so.path = (round_dir / "arsync.db").string();
    auto store = arsync::store::open_sqlite_store(so);
    if (!connector || !store) {
      std::cerr << "setup failed: "
                << (connector ? store.status() : connector.status()).to_string() << "\n";
      return 1;
    }
    auto t0 = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    arsync::Status s;
    {
      arsync::engine::SinkLimits limits;
      limits.commit_records = commit_records;
      arsync::engine::StoreWriter writer(**store, clock);
      arsync::engine::MappingSink sink("bench", "pull", *mappings, writer, clock, nullptr, limits);
      s = (*connector)->pull("", sink);
      reader_cpu_s.push_back(thread_cpu_seconds() - cpu0);
      if (s) s = sink.flush();
      ingest_s.push_back(seconds_since(t0));
      totals = sink.totals();
      transactions = writer.stats().transactions;
    }
    if (!s || totals.inserted != count) {
      std::cerr << "ingest failed: " << s.to_string() << " (" << totals.inserted << " of " << count
                << " stored)\n";
      return 1;
    }
    store->reset();
    connector->reset();
    put_back(round_dir / "state", file);
    bound_s.push_back(bare_sqlite_seconds(round_dir / "bound.db", count));
    ratios.push_back(100.0 * bound_s.back() / ingest_s.back());
    fs::remove_all(round_dir);
    std::cout << "  round " << r << ": real path " << ingest_s.back() << " s (reader CPU "
              << reader_cpu_s.back() << " s), bound "
              << bound_s.back() << " s: " << ratios.back() << " %\n";
  }
  const long rss_after_ingest = peak_rss_kb();
  const std::string cpus_after = cpu_speeds();

  const double ingest = median(ingest_s);
  const double bound = median(bound_s);
  std::cout << "idoc_ingest format=" << format_name << " count=" << count
            << " file_mb=" << static_cast<double>(bytes) / 1e6
            << " batch=" << (*settings)["batch_size"].get<int>() << " commit_records=" << commit_records
            << " rounds=" << rounds << " stored=" << count << " quarantined=" << totals.quarantined
            << "\n"
            << "  real path:   " << ingest << " s median, " << static_cast<long>(count / ingest)
            << " docs/s\n    reader thread (read, map) CPU " << median(reader_cpu_s)
            << " s; the store writer committed in " << transactions << " transactions\n"
            << "  SQLite bound: " << bound << " s median, " << static_cast<long>(count / bound)
            << " rows/s\n"
            << "  ratio:       " << 100.0 * bound / ingest << " % of the bound (medians; rounds "
            << *std::min_element(ratios.begin(), ratios.end()) << " to "
            << *std::max_element(ratios.begin(), ratios.end()) << " %)\n"
            << "  peak RSS:    " << rss_after_ingest / 1024 << " MiB after ingest ("
            << rss_after_generate / 1024 << " MiB after generating)\n"
            << "  CPU check:   before " << cpus_before << "; after " << cpus_after << "\n";
  fs::remove_all(dir);
  return 0;
}
