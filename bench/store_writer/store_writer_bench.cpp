// bench/store_writer: what group commits buy concurrent senders.
//
// N sender threads each commit single-document batches one after another,
// each waiting for its commit before the next (as SAP's XML-HTTP port waits
// for the 200 before it posts again). Two ways, timed alternately on fresh
// stores with synchronous=FULL in one run:
//   writer: every sender submits to one StoreWriter and waits for its future;
//   bound:  every sender commits its batch in its own transaction (one fsync
//           per post) on the one write connection, taken in turn.
// It prints each round, the medians (batches/s) and their ratio; the issue
// asks for at least 5x with 16 senders.
//
// usage: store_writer_bench [--senders N] [--posts N] [--rounds N] [--dir DIR]
//   --posts: batches per sender (default 100)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "arsync/engine/store_writer.h"
#include "arsync/store/store.h"
#include "bench_support.h"

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using arsync::bench::median;

namespace {

arsync::Document invoice(const std::string& external_id) {
  const arsync::Currency usd = *arsync::Currency::find("USD");
  arsync::Document d;
  d.system = "sap-http";
  d.kind = arsync::DocumentKind::kInvoice;
  d.external_id = external_id;
  d.version = "1";
  d.document_number = "0090" + external_id;
  d.match_key = external_id;
  d.customer_key = "C100";
  d.customer_name = "Acme Corp";
  d.amount = arsync::Money(125000, usd);
  d.open_amount = arsync::Money(125000, usd);
  d.tax_amount = arsync::Money(10000, usd);
  d.status = arsync::DocumentStatus::kOpen;
  d.reference = "PO-4711";
  d.terms = "NET30";
  return d;
}

arsync::store::DocumentBatch post(int sender, int i) {
  arsync::store::DocumentBatch b;
  b.system = "sap-http";
  b.cursor_key = "http";
  b.documents.push_back(invoice(std::to_string(sender) + "-" + std::to_string(i)));
  return b;
}

std::unique_ptr<arsync::store::Store> open_store(const fs::path& path) {
  arsync::store::SqliteOptions o;
  o.path = path.string();
  o.synchronous_full = true;
  auto s = arsync::store::open_sqlite_store(o);
  if (!s) {
    std::cerr << s.status().to_string() << "\n";
    std::exit(1);
  }
  return std::move(s).value();
}

// Runs `senders` threads of `posts` calls of send(sender, i); returns the
// seconds from the start until the last returned. Exits if any failed.
template <typename Send>
double timed_senders(int senders, int posts, Send send) {
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  const auto t0 = Steady::now();
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < posts; ++i) {
        if (!send(s, i)) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  if (failed > 0) {
    std::cerr << failed << " commits failed\n";
    std::exit(1);
  }
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  int senders = 16;
  int posts = 100;
  int rounds = 3;
  fs::path dir;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (i + 1 < argc && a == "--senders") senders = std::max(1, std::stoi(argv[i + 1]));
    else if (i + 1 < argc && a == "--posts") posts = std::max(1, std::stoi(argv[i + 1]));
    else if (i + 1 < argc && a == "--rounds") rounds = std::max(1, std::stoi(argv[i + 1]));
    else if (i + 1 < argc && a == "--dir") dir = argv[i + 1];
    else {
      std::cerr << "usage: store_writer_bench [--senders N] [--posts N] [--rounds N] [--dir DIR]\n";
      return 2;
    }
  }
  if (dir.empty()) {
    dir = fs::temp_directory_path() / ("arsync-writer-bench-" + std::to_string(std::random_device()()));
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  arsync::SystemClock clock;
  const double batches = static_cast<double>(senders) * posts;

  std::vector<double> writer_rate, bound_rate, ratios;
  std::uint64_t transactions = 0;
  for (int r = 1; r <= rounds; ++r) {
    double writer_s = 0;
    {
      arsync::engine::StoreWriter writer(open_store(dir / ("writer-" + std::to_string(r) + ".db")),
                                         clock);
      writer_s = timed_senders(senders, posts, [&](int s, int i) {
        return writer.submit(post(s, i)).get().is_ok();
      });
      transactions = writer.stats().transactions;
    }
    double bound_s = 0;
    {
      auto store = open_store(dir / ("bound-" + std::to_string(r) + ".db"));
      std::mutex one_writer;
      bound_s = timed_senders(senders, posts, [&](int s, int i) {
        arsync::store::DocumentBatch b = post(s, i);
        std::lock_guard lock(one_writer);
        return store->commit_batch(b, clock.now()).is_ok();
      });
    }
    writer_rate.push_back(batches / writer_s);
    bound_rate.push_back(batches / bound_s);
    ratios.push_back(writer_rate.back() / bound_rate.back());
    std::cout << "  round " << r << ": writer " << static_cast<long>(writer_rate.back())
              << " batches/s (" << transactions << " transactions), one fsync per post "
              << static_cast<long>(bound_rate.back()) << " batches/s: " << ratios.back() << "x\n";
  }
  std::cout << "store_writer senders=" << senders << " posts=" << posts << " rounds=" << rounds
            << " synchronous=FULL dir=" << dir.string() << "\n"
            << "  writer:      " << static_cast<long>(median(writer_rate)) << " batches/s median\n"
            << "  bound:       " << static_cast<long>(median(bound_rate))
            << " batches/s median (one fsync'd transaction per post)\n"
            << "  ratio:       " << median(writer_rate) / median(bound_rate)
            << "x (medians; rounds " << *std::min_element(ratios.begin(), ratios.end()) << " to "
            << *std::max_element(ratios.begin(), ratios.end()) << "x)\n";
  fs::remove_all(dir);
  return 0;
}
