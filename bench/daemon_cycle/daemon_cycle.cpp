// bench/daemon_cycle: how long does one whole daemon cycle take, as a user
// runs it: pull, store, reconcile, alert?
//
// Each round generates two SAP systems' INVOIC02 files in a fresh folder:
// sap-a sends N invoices as IDoc-XML, sap-b the same invoices as a flat file
// with planted differences (every 100th amount 1.00 EUR higher, every 250th
// invoice left out). It writes a config (file mail transport, one email per
// discrepancy, missing_grace 0s so the missing invoices are found in this
// cycle) and runs the real `arsyncd --config FILE --once` as a child
// process: wall time, CPU time and peak RSS from wait4, the stage times from
// its cycle_done log line. Then, in the same round, the bound: the same 2N
// documents upserted by bare SQLite (bench_support.h). The result is checked
// (discrepancies opened, emails written, exit status) so that a broken cycle
// cannot pass for a fast one.
//
// usage: daemon_cycle [--count N] [--rounds N] [--dir DIR] [--arsyncd PATH] [--keep]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "daemon_process.h"
#include "idoc_generator.h"

namespace fs = std::filesystem;
using namespace arsync::bench;

namespace {

bool amount_changed(std::uint64_t i) { return i % 100 == 7; }
bool left_out(std::uint64_t i) { return i % 250 == 3; }

void write_config(const fs::path& dir) {
  const fs::path src = ARSYNC_SOURCE_DIR;
  std::ofstream c(dir / "arsync.json");
  c << "{\n"
    << "  \"store\": {\"path\": \"" << (dir / "var/arsync.db").string() << "\"},\n"
    << "  \"state_dir\": \"" << (dir / "var").string() << "\",\n"
    << "  \"mappings_dir\": \"" << (src / "mappings").string() << "\",\n"
    << "  \"systems\": {\n"
    << "    \"sap-a\": {\"type\": \"sap_idoc\", \"settings\": {\"inbound_dir\": \""
    << (dir / "inbound/sap-a").string() << "\"}},\n"
    << "    \"sap-b\": {\"type\": \"sap_idoc\", \"settings\": {\"inbound_dir\": \""
    << (dir / "inbound/sap-b").string() << "\"}}\n"
    << "  },\n"
    << "  \"reconcile\": {\"pairs\": [{\"left\": \"sap-a\", \"right\": \"sap-b\","
    << " \"kinds\": [\"invoice\"], \"missing_grace\": \"0s\", \"amount_tolerance\": \"0.00\"}]},\n"
    << "  \"mail\": {\"from\": \"arsync@bench.example\", \"to\": [\"ar@bench.example\"],"
    << " \"mode\": \"per_discrepancy\", \"transport\": {\"type\": \"file\", \"dir\": \""
    << (dir / "mail").string() << "\"}}\n"
    << "}\n";
  if (!c) throw std::runtime_error("cannot write " + (dir / "arsync.json").string());
}

struct Round {
  ChildResult child;
  double wall_s = 0;
  double pull_s = 0, reconcile_s = 0, alert_s = 0, bound_s = 0;
  long emails = 0;
};

Round run_round(const fs::path& dir, std::uint64_t count, const std::string& arsyncd) {
  fs::remove_all(dir);
  fs::create_directories(dir / "inbound/sap-a");
  fs::create_directories(dir / "inbound/sap-b");
  const std::string segments = (fs::path(ARSYNC_SOURCE_DIR) / "mappings/sap_idoc/segments").string();
  write_invoic02_file((dir / "inbound/sap-a/ECC_INVOIC.xml").string(), count, IdocFormat::kXml,
                      segments);
  write_invoic02_file((dir / "inbound/sap-b/S4_INVOIC.idoc").string(), count, IdocFormat::kFlat,
                      segments, [](std::uint64_t i, InvoiceValues& v) {
                        if (left_out(i)) return false;
                        if (amount_changed(i)) {
                          const std::size_t dot = v.gross.find('.');
                          v.gross = std::to_string(std::stoull(v.gross.substr(0, dot)) + 1) +
                                    v.gross.substr(dot);
                        }
                        return true;
                      });
  write_config(dir);

  Round r;
  const OnceRun ran = run_once(arsyncd, dir / "arsync.json", dir / "arsyncd.log");
  r.child = ran.child;
  r.wall_s = ran.wall_s;
  const std::string& log = ran.log;
  const auto cycle = log_fields(log, "cycle_done");
  r.pull_s = log_number(cycle, "pull_seconds");
  r.reconcile_s = log_number(cycle, "reconcile_seconds");
  r.alert_s = log_number(cycle, "alert_seconds");

  std::uint64_t expected = 0;
  for (std::uint64_t i = 0; i < count; ++i) expected += amount_changed(i) || left_out(i);
  const auto reconciled = log_fields(log, "reconcile_done");
  if (log_number(reconciled, "opened") != static_cast<double>(expected)) {
    throw std::runtime_error("expected " + std::to_string(expected) + " discrepancies, arsyncd opened " +
                             reconciled.at("opened"));
  }
  for (const auto& e : fs::directory_iterator(dir / "mail")) r.emails += e.path().extension() == ".eml";
  if (r.emails != static_cast<long>(expected)) {
    throw std::runtime_error("expected " + std::to_string(expected) + " emails, found " +
                             std::to_string(r.emails));
  }
  r.bound_s = bare_sqlite_seconds(dir / "bound.db", count, {"sap-a", "sap-b"});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t count = 100000;
  int rounds = 3;
  DaemonBenchFlags flags;
  for (int i = 1; i < argc; ++i) {
    if (flags.take(argc, argv, i)) continue;
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--count" && has_value) {
      count = std::stoull(argv[++i]);
    } else if (a == "--rounds" && has_value) {
      rounds = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: daemon_cycle [--count N] [--rounds N] [--dir DIR] [--arsyncd PATH] [--keep]\n";
      return 2;
    }
  }
  const fs::path dir = flags.folder("arsync-cycle-");
  const std::string& arsyncd = flags.arsyncd;
  try {
    std::cout << "daemon_cycle: 2 systems x " << count << " INVOIC02 (sap-a IDoc-XML, sap-b flat), "
              << rounds << " rounds, " << arsyncd << "\n  before: " << cpu_speeds() << "\n";
    std::vector<double> cycle_s, pull_s, reconcile_s, alert_s, bound_s, ratio, cpu_s;
    long rss = 0, emails = 0;
    for (int k = 0; k < rounds; ++k) {
      const Round r = run_round(dir / ("round-" + std::to_string(k)), count, arsyncd);
      cycle_s.push_back(r.wall_s);
      pull_s.push_back(r.pull_s);
      reconcile_s.push_back(r.reconcile_s);
      alert_s.push_back(r.alert_s);
      bound_s.push_back(r.bound_s);
      cpu_s.push_back(r.child.cpu_seconds);
      ratio.push_back(100.0 * r.bound_s / r.wall_s);
      rss = std::max(rss, r.child.peak_rss_kb);
      emails = r.emails;
      std::printf("  round %d: cycle %.2f s (pull %.2f, reconcile %.2f, alert %.2f; CPU %.2f s, "
                  "peak RSS %ld MiB), bound %.2f s: %.1f %%\n",
                  k + 1, r.wall_s, r.pull_s, r.reconcile_s, r.alert_s, r.child.cpu_seconds,
                  r.child.peak_rss_kb / 1024, r.bound_s, ratio.back());
    }
    const double cycle = median(cycle_s);
    std::printf("  cycle:  %.2f s median (pull %.2f, reconcile %.2f, alert %.2f), %.0f documents/s,"
                " %ld discrepancies emailed, peak RSS %ld MiB\n",
                cycle, median(pull_s), median(reconcile_s), median(alert_s),
                static_cast<double>(2 * count - count / 250) / cycle, emails, rss / 1024);
    std::printf("  bound:  %.2f s median (bare SQLite upsert of the 2N documents)\n", median(bound_s));
    std::printf("  ratio:  %.1f %% of the bound (medians; rounds", 100.0 * median(bound_s) / cycle);
    for (double x : ratio) std::printf(" %.1f", x);
    std::printf(")\n  after:  %s\n", cpu_speeds().c_str());
    if (!flags.keep) fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "daemon_cycle: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
