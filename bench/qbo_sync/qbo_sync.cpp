// bench/qbo_sync: a full QuickBooks Online sync of N invoices (with the
// emulator's payments and credit memos) as a user runs it: the real
// `arsyncd --once` against the real qbo_emulator, a whole cycle (pull,
// store, reconcile, alert), in two modes, each with its bound measured in
// the same run:
//
//   throttled    the emulator allows R requests per sliding window W (500 a
//                minute is Intuit's limit; a shorter window at the same rate
//                keeps the bench short) and the connector is told the same.
//                Bound: the least time the limit allows for the requests
//                the sync made, floor((requests - 1) / R) * W. Ratio =
//                bound / cycle (goal >= 90%); 429s counted (goal: none
//                failed, few or none drawn).
//   unthrottled  no limit. Bound: the same pages fetched over one
//                keep-alive connection and parsed with the same JSON record
//                parser, then the same number of rows upserted by bare SQLite
//                (bench_support.h), in one loop. Ratio = bound / cycle
//                (goal >= 50%).
// Mail goes out per cycle (one summary email): the emulator's generated
// partial payments open thousands of short-payment discrepancies, and the
// cost of one email each is daemon_cycle's figure, not this bench's.
// Both ratios are printed for the whole cycle and for its pull stage.
// Peak RSS of arsyncd from wait4. The cycle's result is checked (every
// invoice stored) so that a broken sync cannot pass for a fast one.
//
// usage: qbo_sync [--invoices N] [--page N] [--rate R] [--window-ms W] [--mode both|throttled|unthrottled]
//                 [--dir DIR] [--arsyncd PATH] [--keep]
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../../tests/emulators/emulator_process.h"
#include "arsync/model/json_record.h"
#include "arsync/net/http_client.h"
#include "bench_support.h"
#include "daemon_process.h"

namespace fs = std::filesystem;
using namespace arsync::bench;

namespace {

constexpr const char* kRealm = "9130355424218596";
const std::vector<std::string> kEntities = {"Invoice", "CreditMemo", "RefundReceipt", "Payment"};

struct Options {
  long invoices = 100000;
  int page = 1000;
  int rate = 50;
  int window_ms = 6000;
  std::string mode = "both";
};

struct Emulator {
  std::unique_ptr<arsync::testing::EmulatorProcess> process;
  nlohmann::json get(const std::string& target) {
    Poco::Net::HTTPClientSession s(process->host(), process->port());
    Poco::Net::HTTPRequest req("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer AT");
    req.set("Accept", "application/json");
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(s.receiveResponse(resp), body);
    return nlohmann::json::parse(body.str());
  }
  long count(const std::string& entity) {
    return get(std::string("/v3/company/") + kRealm +
               "/query?query=" + arsync::net::url_encode("select count(*) from " + entity))["QueryResponse"]["totalCount"]
        .get<long>();
  }
};

Emulator start_emulator(const Options& o, bool throttled) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "AT",
                                   "--refresh-token", "RT", "--client-id", "bench", "--client-secret", "bench-secret",
                                   "--invoices", std::to_string(o.invoices)};
  if (throttled) {
    args.insert(args.end(), {"--rate", std::to_string(o.rate), "--rate-window-ms", std::to_string(o.window_ms)});
  }
  return Emulator{std::make_unique<arsync::testing::EmulatorProcess>(QBO_EMULATOR_PATH, args,
                                                                     std::chrono::seconds(120))};
}

void write_config(const fs::path& dir, const Options& o, const Emulator& e, bool throttled) {
  const std::string base = e.process->base_url();
  std::ofstream c(dir / "arsync.json");
  c << "{\n"
    << "  \"store\": {\"path\": \"" << (dir / "var/arsync.db").string() << "\"},\n"
    << "  \"state_dir\": \"" << (dir / "var").string() << "\",\n"
    << "  \"secrets_file\": \"" << (dir / "secrets.json").string() << "\",\n"
    << "  \"mappings_dir\": \"" << (fs::path(ARSYNC_SOURCE_DIR) / "mappings").string() << "\",\n"
    << "  \"systems\": {\"qbo\": {\"type\": \"quickbooks\", \"settings\": {\"realm_id\": \"" << kRealm
    << "\", \"base_url\": \"" << base << "\", \"token_url\": \"" << base << "/oauth2/v1/tokens/bearer\","
    << " \"client_id\": \"bench\", \"page_size\": " << o.page << ", \"requests_per_window\": "
    << (throttled ? o.rate : 0) << ", \"rate_window_seconds\": " << (throttled ? (o.window_ms + 999) / 1000 : 60)
    << "}}},\n"
    << "  \"mail\": {\"from\": \"arsync@bench.example\", \"to\": [\"ar@bench.example\"],"
    << " \"mode\": \"per_cycle\", \"transport\": {\"type\": \"file\", \"dir\": \"" << (dir / "mail").string()
    << "\"}}\n"
    << "}\n";
  std::ofstream s(dir / "secrets.json");
  s << R"({"store_key": ")" << std::string(64, 'b')
    << R"(", "systems": {"qbo": {"client_secret": "bench-secret", "refresh_token": "RT"}}})";
  s.close();
  ::chmod((dir / "secrets.json").c_str(), 0600);
  if (!c) throw std::runtime_error("cannot write the config in " + dir.string());
}

struct Cycle {
  ChildResult child;
  double wall_s = 0, pull_s = 0;
  double records = 0, inserted = 0;
  long requests = 0, throttled = 0;
};

Cycle run_cycle(const fs::path& dir, const Options& o, Emulator& e, bool throttled, const std::string& arsyncd) {
  fs::create_directories(dir);
  write_config(dir, o, e, throttled);
  Cycle r;
  const OnceRun ran = run_once(arsyncd, dir / "arsync.json", dir / "arsyncd.log");
  r.child = ran.child;
  r.wall_s = ran.wall_s;
  const std::string& log = ran.log;
  const auto pull = log_fields(log, "pull_done");
  r.records = log_number(pull, "records");
  r.inserted = log_number(pull, "inserted");
  r.pull_s = log_number(log_fields(log, "cycle_done"), "pull_seconds");
  long expected = 0;
  for (const std::string& entity : kEntities) expected += e.count(entity);
  // Records read include the overlap (the last minutes read again by CDC
  // after the load); every entity must have become one document.
  if (static_cast<long>(r.inserted) != expected) {
    throw std::runtime_error("the sync stored " + std::to_string(static_cast<long>(r.inserted)) +
                             " documents, the company has " + std::to_string(expected));
  }
  const nlohmann::json stats = e.get("/__emulator/stats");
  r.requests = stats["api_requests"].get<long>() - static_cast<long>(kEntities.size());  // minus our counts
  r.throttled = stats["throttled"].get<long>();
  return r;
}

// The unthrottled bound: every page the connector reads, fetched on one
// keep-alive connection and parsed by parse_json_record, then the rows
// upserted by bare SQLite.
double unthrottled_bound(const fs::path& dir, const Options& o, Emulator& e, long* rows_out) {
  Poco::Net::HTTPClientSession s(e.process->host(), e.process->port());
  s.setKeepAlive(true);
  long rows = 0;
  const auto t0 = SteadyClock::now();
  for (const std::string& entity : kEntities) {
    for (long start = 1;; start += o.page) {
      const std::string q = "select * from " + entity + " orderby Metadata.LastUpdatedTime startposition " +
                            std::to_string(start) + " maxresults " + std::to_string(o.page);
      Poco::Net::HTTPRequest req("GET", std::string("/v3/company/") + kRealm + "/query?query=" +
                                            arsync::net::url_encode(q) + "&minorversion=75",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("Authorization", "Bearer AT");
      req.set("Accept", "application/json");
      req.setKeepAlive(true);
      s.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::ostringstream body;
      Poco::StreamCopier::copyStream(s.receiveResponse(resp), body);
      arsync::Result<arsync::Record> page = arsync::parse_json_record(body.str(), "bound");
      if (!page.is_ok()) throw std::runtime_error(page.status().to_string());
      const long n = static_cast<long>(page.value().root().find("QueryResponse").find(entity).size());
      rows += n;
      if (n < o.page) break;
    }
  }
  const double fetch_s = seconds_since(t0);
  *rows_out = rows;
  return fetch_s + bare_sqlite_seconds(dir / "bound.db", static_cast<std::uint64_t>(rows), {"qbo"});
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  DaemonBenchFlags flags;
  for (int i = 1; i < argc; ++i) {
    if (flags.take(argc, argv, i)) continue;
    const std::string a = argv[i];
    const bool v = i + 1 < argc;
    if (a == "--invoices" && v) o.invoices = std::stol(argv[++i]);
    else if (a == "--page" && v) o.page = std::stoi(argv[++i]);
    else if (a == "--rate" && v) o.rate = std::stoi(argv[++i]);
    else if (a == "--window-ms" && v) o.window_ms = std::stoi(argv[++i]);
    else if (a == "--mode" && v) o.mode = argv[++i];
    else {
      std::cerr << "usage: qbo_sync [--invoices N] [--page N] [--rate R] [--window-ms W] "
                   "[--mode both|throttled|unthrottled] [--dir DIR] [--arsyncd PATH] [--keep]\n";
      return 2;
    }
  }
  const fs::path dir = flags.folder("arsync-qbo-sync-");
  try {
    std::cout << "qbo_sync: " << o.invoices << " invoices, pages of " << o.page << ", " << flags.arsyncd
              << "\n  before: " << cpu_speeds() << "\n";
    if (o.mode == "both" || o.mode == "throttled") {
      Emulator e = start_emulator(o, true);
      const Cycle c = run_cycle(dir / "throttled", o, e, true, flags.arsyncd);
      const double window_s = o.window_ms / 1000.0;
      const double bound_s = static_cast<double>((c.requests - 1) / o.rate) * window_s;
      std::printf("  throttled (%d requests per %.1f s = %.0f/min): cycle %.2f s (pull %.2f s), %.0f records,"
                  " %.0f records/s (%.0f documents); %ld requests, %ld answered 429 (all retried; the sync succeeded);"
                  " bound %.2f s (%.0f records/s): %.1f %% of the cycle, %.1f %% of the pull; peak RSS %ld MiB\n",
                  o.rate, window_s, o.rate * 60.0 / window_s, c.wall_s, c.pull_s, c.records, c.records / c.wall_s,
                  c.inserted, c.requests, c.throttled, bound_s, bound_s > 0 ? c.records / bound_s : 0.0,
                  bound_s > 0 ? 100.0 * bound_s / c.wall_s : 0.0, bound_s > 0 ? 100.0 * bound_s / c.pull_s : 0.0,
                  c.child.peak_rss_kb / 1024);
      if (bound_s <= 0) std::printf("  (the limit does not bind at this size: use a smaller --page)\n");
    }
    if (o.mode == "both" || o.mode == "unthrottled") {
      Emulator e = start_emulator(o, false);
      const Cycle c = run_cycle(dir / "unthrottled", o, e, false, flags.arsyncd);
      long rows = 0;
      const double bound_s = unthrottled_bound(dir / "unthrottled", o, e, &rows);
      std::printf("  unthrottled: cycle %.2f s (pull %.2f s, CPU %.2f s), %.0f records, %.0f records/s; %ld requests;"
                  " bound %.2f s (%ld rows fetched, parsed, upserted by bare SQLite): %.1f %% of the cycle, %.1f %% of the"
                  " pull; peak RSS %ld MiB\n",
                  c.wall_s, c.pull_s, c.child.cpu_seconds, c.records, c.records / c.wall_s, c.requests, bound_s, rows,
                  100.0 * bound_s / c.wall_s, 100.0 * bound_s / c.pull_s, c.child.peak_rss_kb / 1024);
    }
    std::printf("  after:  %s\n", cpu_speeds().c_str());
    if (!flags.keep) fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "qbo_sync: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
