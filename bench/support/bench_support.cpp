#include "bench_support.h"

#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>

#include "arsync/store/store.h"
#include "idoc_generator.h"

namespace arsync::bench {

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

SQLite::Database open_bound_store(const std::filesystem::path& db_path) {
  {
    arsync::store::SqliteOptions so;
    so.path = db_path.string();
    auto created = arsync::store::open_sqlite_store(so);
    if (!created) throw std::runtime_error(created.status().to_string());
  }
  SQLite::Database db(db_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  return db;
}

double bare_sqlite_seconds(const std::filesystem::path& db_path, std::uint64_t count,
                           const std::vector<std::string>& systems) {
  SQLite::Database db = open_bound_store(db_path);
  auto t0 = SteadyClock::now();
  SQLite::Transaction tx(db);
  SQLite::Statement upsert(
      db,
      "INSERT INTO documents (system, kind, external_id, version, content_hash, document_number,"
      " match_key, customer_key, customer_name, amount, currency, open_amount, open_currency,"
      " tax_amount, tax_currency, issue_date, due_date, status, reference, terms,"
      " source_updated_at, raw_file, raw_offset, raw_length, raw_sha256, updated_at)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
      " ON CONFLICT(system, kind, external_id) DO UPDATE SET version=excluded.version,"
      " content_hash=excluded.content_hash, amount=excluded.amount"
      " WHERE content_hash <> excluded.content_hash");
  for (std::uint64_t k = 0; k < count * systems.size(); ++k) {
    const std::string& system = systems[k / count];
    const std::uint64_t i = k % count;
    const auto v = invoice_values(i);
    const std::string key = v.billing_number.substr(v.billing_number.find_first_not_of('0'));
    int n = 1;
    upsert.bind(n++, system);
    upsert.bind(n++, "invoice");
    upsert.bind(n++, v.billing_number);
    upsert.bind(n++, v.docnum);
    upsert.bind(n++, "0123456789abcdef0123456789abcdef");
    upsert.bind(n++, v.billing_number);
    upsert.bind(n++, key);
    upsert.bind(n++, v.customer.substr(v.customer.find_first_not_of('0')));
    upsert.bind(n++, v.customer_name);
    upsert.bind(n++, static_cast<int64_t>(i));
    upsert.bind(n++, "EUR");
    upsert.bind(n++, static_cast<int64_t>(i));
    upsert.bind(n++, "EUR");
    upsert.bind(n++, static_cast<int64_t>(i));
    upsert.bind(n++, "EUR");
    upsert.bind(n++, "2026-11-01");
    upsert.bind(n++, "2026-12-01");
    upsert.bind(n++, "open");
    upsert.bind(n++, "PO-" + v.billing_number);
    upsert.bind(n++, "ZN30");
    upsert.bind(n++, "");
    upsert.bind(n++, "/var/lib/arsync/systems/bench/archive/2026/11/25/bench.xml");
    upsert.bind(n++, static_cast<int64_t>(i * 1600));
    upsert.bind(n++, static_cast<int64_t>(1600));
    upsert.bind(n++, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    upsert.bind(n++, "2026-11-25T12:00:00Z");
    upsert.exec();
    upsert.reset();
  }
  tx.commit();
  return seconds_since(t0);
}

namespace {

// Milliseconds a fixed integer loop takes on CPU `cpu` (the calling thread
// pinned there for the loop), or -1 when it cannot be pinned.
double spin_ms_on_cpu(int cpu) {
  cpu_set_t old_set;
  if (sched_getaffinity(0, sizeof old_set, &old_set) != 0) return -1;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return -1;
  const auto t0 = SteadyClock::now();
  volatile std::uint64_t x = 0;
  for (std::uint64_t i = 0; i < 100'000'000; ++i) x = x + i * i;
  const double ms = seconds_since(t0) * 1000;
  sched_setaffinity(0, sizeof old_set, &old_set);
  return ms;
}

}  // namespace

std::string cpu_speeds() {
  std::vector<double> ms;
  for (int cpu = 0; cpu < CPU_SETSIZE && static_cast<int>(ms.size()) < 8; ++cpu) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || !CPU_ISSET(cpu, &set)) continue;
    ms.push_back(spin_ms_on_cpu(cpu));
  }
  std::string out;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    out += (i ? ", cpu" : "cpu") + std::to_string(i) + " " + std::to_string(static_cast<long>(ms[i])) + " ms";
  }
  if (!ms.empty() && *std::max_element(ms.begin(), ms.end()) > 1.25 * *std::min_element(ms.begin(), ms.end())) {
    out += "  (uneven: a CPU is busy with another tenant; these figures are unreliable)";
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace arsync::bench
