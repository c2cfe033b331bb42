// What every benchmark under bench/ shares: timing, the CPU-evenness check,
// medians and the bare-SQLite bound each bench reports its ratio to.
//
// Thread safety: every function is safe to call from any thread, except
// spin_ms_on_cpu / cpu_speeds, which move the calling thread between CPUs.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

namespace arsync::bench {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t0);

// CPU time of the calling thread: less noisy than wall time on a shared VM.
double thread_cpu_seconds();

// The process's peak resident set so far, in KiB.
long peak_rss_kb();

double median(std::vector<double> v);

// "cpu0 62 ms, cpu1 63 ms": a fixed loop timed on each CPU, with a warning
// when the slowest took more than 1.25 times the fastest (another tenant on
// a shared VM), which makes the run's figures unreliable.
std::string cpu_speeds();

// A fresh store at `db_path`, made by the real migrations (so the same
// columns and indexes), and a connection to it opened as the store opens
// its own (NOMUTEX, WAL, synchronous=FULL): where a bench measures what
// SQLite alone costs. Throws std::runtime_error on failure.
SQLite::Database open_bound_store(const std::filesystem::path& db_path);

// The bound: `count` invoices (bench::invoice_values) per system in
// `systems` upserted into the store's own documents table (created by the
// real migrations, so the same columns and indexes) with one prepared
// statement in one transaction, synchronous=FULL: what SQLite alone costs.
// Returns the seconds it took; throws std::runtime_error on failure.
double bare_sqlite_seconds(const std::filesystem::path& db_path, std::uint64_t count,
                           const std::vector<std::string>& systems = {"bench"});

}  // namespace arsync::bench
