// bench/idoc_http: SAP's XML-HTTP port as SAP uses it: single-IDoc posts to
// the real arsyncd, each sender waiting for its 200 before it posts again,
// with synchronous=FULL. The target: 16 concurrent senders reach at
// least 5x the throughput of one fsync per post.
//
// For each sender count (--senders, default 1,16) a fresh folder, a config
// (store.synchronous "full", an http section on 127.0.0.1:0, one sap_idoc
// system) and a secrets file with an HTTP Basic user; arsyncd runs as a
// child process. N posts (--posts), each one INVOIC02 IDoc-XML document with
// its own DOCNUM, are shared among the senders: threads of this process,
// each with a keep-alive Poco::Net::HTTPClientSession. Every post must be
// answered 200 "1 stored"; after the round the store must hold exactly N
// documents of the system (no loss, no duplicate) and nothing quarantined.
//
// The bound, measured in the same round and folder before and after the
// posts (their mean: a shared VM's disk drifts): one commit per post,
// serially: a store made by the real migrations, one document row INSERTed
// per transaction, WAL and synchronous=FULL (one WAL fsync per post). To say
// what a post costs it also reports the daemon's follow-up reconciliation
// during the posts (its reconcile_done lines: that work runs on the writer
// thread between commits) and the connector's archive step alone
// (temporary file, fsync, rename, folder fsync), serially and with as many
// threads as senders.
//
// usage: idoc_http [--posts N] [--senders LIST] [--bound-posts N] [--dir DIR]
//                  [--arsyncd PATH] [--keep]
#include <sys/stat.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "arsync/service/http_auth.h"
#include "bench_support.h"
#include "daemon_process.h"
#include "idoc_generator.h"

namespace fs = std::filesystem;
using namespace arsync::bench;

namespace {

constexpr char kSystem[] = "sap-http";
constexpr char kUser[] = "sap-po";

// N single-IDoc IDoc-XML documents, cut from one generated packet.
std::vector<std::string> make_posts(const fs::path& dir, std::uint64_t n) {
  const fs::path packet = dir / "packet.xml";
  write_invoic02_file(packet.string(), n, IdocFormat::kXml,
                      (fs::path(ARSYNC_SOURCE_DIR) / "mappings/sap_idoc/segments").string());
  const std::string text = read_file(packet);
  fs::remove(packet);
  std::vector<std::string> posts;
  const std::string open = "<IDOC BEGIN=\"1\">", close = "</IDOC>\n";
  for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
    const std::size_t end = text.find(close, at);
    if (end == std::string::npos) throw std::runtime_error("generated packet is cut short");
    posts.push_back("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n" +
                    text.substr(at, end + close.size() - at) + "</INVOIC02>\n");
    at = end;
  }
  if (posts.size() != n) throw std::runtime_error("generated packet holds the wrong number of IDocs");
  return posts;
}

void write_text(const fs::path& path, const std::string& text, fs::perms perms) {
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
  }
  fs::permissions(path, perms);
}

// Config and secrets for one round; returns the config's path.
fs::path write_config(const fs::path& dir, const std::string& password_hash) {
  fs::create_directories(dir / "inbound" / kSystem);
  nlohmann::json secrets = {{"http", {{"users", {{kUser, password_hash}}}}}};
  write_text(dir / "secrets.json", secrets.dump(2), fs::perms::owner_read | fs::perms::owner_write);
  nlohmann::json config = {
      {"store", {{"path", (dir / "var/arsync.db").string()}, {"synchronous", "full"}}},
      {"state_dir", (dir / "var").string()},
      {"mappings_dir", (fs::path(ARSYNC_SOURCE_DIR) / "mappings").string()},
      {"secrets_file", (dir / "secrets.json").string()},
      {"http", {{"listen", "127.0.0.1:0"}}},
      {"systems",
       {{kSystem,
         {{"type", "sap_idoc"}, {"settings", {{"inbound_dir", (dir / "inbound" / kSystem).string()}}}}}}},
      {"mail",
       {{"from", "arsync@bench.example"},
        {"to", {"ar@bench.example"}},
        {"transport", {{"type", "file"}, {"dir", (dir / "mail").string()}}}}}};
  write_text(dir / "arsync.json", config.dump(2), fs::perms::owner_read | fs::perms::owner_write);
  return dir / "arsync.json";
}

struct Post {
  int status = 0;
  std::string body;
};

Post post(Poco::Net::HTTPClientSession& session, const std::string& body,
          const Poco::Net::HTTPBasicCredentials& credentials) {
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                 std::string("/sap/idoc/") + kSystem,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setKeepAlive(true);
  request.setContentType("application/x-sap.idoc");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  credentials.authenticate(request);
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Post p;
  p.status = response.getStatus();
  std::ostringstream text;
  text << in.rdbuf();  // read to the end, so the connection can be reused
  p.body = text.str();
  return p;
}

struct Sent {
  double seconds = 0;
  std::vector<double> latency_ms;
};

// `senders` threads share the posts; each waits for its answer before the next.
Sent send_all(int port, const std::vector<std::string>& posts, int senders,
              const Poco::Net::HTTPBasicCredentials& credentials) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> go{false};
  std::mutex mutex;
  std::string error;
  Sent sent;
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setKeepAlive(true);
        session.setTimeout(Poco::Timespan(120, 0));
        while (!go.load()) std::this_thread::yield();
        for (std::size_t i = next++; i < posts.size(); i = next++) {
          const auto t0 = SteadyClock::now();
          const Post p = post(session, posts[i], credentials);
          mine.push_back(seconds_since(t0) * 1000);
          if (p.status != 200 || p.body.rfind("OK: 1 IDocs received, 1 stored, 0 quarantined", 0) != 0) {
            throw std::runtime_error("post " + std::to_string(i) + " answered " +
                                     std::to_string(p.status) + ": " + p.body);
          }
        }
      } catch (const std::exception& e) {
        next = posts.size();
        std::lock_guard<std::mutex> lock(mutex);
        if (error.empty()) error = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex);
      sent.latency_ms.insert(sent.latency_ms.end(), mine.begin(), mine.end());
    });
  }
  const auto t0 = SteadyClock::now();
  go = true;
  for (std::thread& t : threads) t.join();
  sent.seconds = seconds_since(t0);
  if (!error.empty()) throw std::runtime_error(error);
  return sent;
}

// The store after the round: N documents of the system, each once, and
// nothing quarantined.
void check_store(const fs::path& db_path, std::size_t n) {
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT count(*), count(DISTINCT external_id) FROM documents WHERE system = ?");
  q.bind(1, kSystem);
  q.executeStep();
  const auto rows = static_cast<std::size_t>(q.getColumn(0).getInt64());
  const auto distinct = static_cast<std::size_t>(q.getColumn(1).getInt64());
  const auto quarantined = static_cast<std::size_t>(db.execAndGet("SELECT count(*) FROM quarantine").getInt64());
  if (rows != n || distinct != n || quarantined != 0) {
    throw std::runtime_error("the store holds " + std::to_string(rows) + " documents (" +
                             std::to_string(distinct) + " distinct) and " + std::to_string(quarantined) +
                             " quarantined records after " + std::to_string(n) + " posts");
  }
}

// The bound: posts/s of one commit per post, serially (see the top comment).
double one_commit_per_post_rate(const fs::path& db_path, const std::vector<std::string>& posts,
                                std::size_t count) {
  SQLite::Database db = open_bound_store(db_path);
  SQLite::Statement insert(
      db,
      "INSERT INTO documents (system, kind, external_id, version, content_hash, document_number,"
      " match_key, customer_key, customer_name, amount, currency, open_amount, open_currency,"
      " tax_amount, tax_currency, issue_date, due_date, status, reference, terms,"
      " source_updated_at, raw_file, raw_offset, raw_length, raw_sha256, updated_at)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  const auto t0 = SteadyClock::now();
  for (std::size_t i = 0; i < count; ++i) {
    const InvoiceValues v = invoice_values(i);
    const auto size = static_cast<std::int64_t>(posts[i % posts.size()].size());
    const std::vector<std::string> text = {
        kSystem, "invoice", v.billing_number, v.docnum, "0123456789abcdef0123456789abcdef",
        v.billing_number, v.billing_number, v.customer, v.customer_name};
    int k = 1;
    for (const std::string& t : text) insert.bind(k++, t);
    insert.bind(k++, static_cast<std::int64_t>(i));
    insert.bind(k++, "EUR");
    insert.bind(k++, static_cast<std::int64_t>(i));
    insert.bind(k++, "EUR");
    insert.bind(k++, static_cast<std::int64_t>(i));
    insert.bind(k++, "EUR");
    for (const char* t : {"2026-11-01", "2026-12-01", "open", "PO", "ZN30", ""}) insert.bind(k++, t);
    insert.bind(k++, "/var/lib/arsync/systems/sap-http/archive/2026/12/02/idoc-post-x.xml");
    insert.bind(k++, static_cast<std::int64_t>(0));
    insert.bind(k++, size);
    insert.bind(k++, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    insert.bind(k++, "2026-12-02T08:00:00Z");
    SQLite::Transaction tx(db);
    insert.exec();
    insert.reset();
    tx.commit();
  }
  return static_cast<double>(count) / seconds_since(t0);
}

int fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc;
}

// Posts/s of the connector's archive step alone: each post's bytes to a
// temporary file, fsync, rename, fsync of the folder, by `threads` threads
// at once (one folder, as the connector's day folder).
double archive_rate(const fs::path& dir, const std::vector<std::string>& posts, std::size_t count,
                    int threads) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  const auto t0 = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < count && !failed; i = next++) {
        const std::string& body = posts[i % posts.size()];
        const fs::path temp = dir / (".post-" + std::to_string(i) + ".tmp");
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        bool ok = fd >= 0 && ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
                  ::fsync(fd) == 0;
        if (fd >= 0) ok = ::close(fd) == 0 && ok;
        ok = ok && ::rename(temp.c_str(), (dir / ("post-" + std::to_string(i) + ".xml")).c_str()) == 0;
        if (!ok || fsync_path(dir) != 0) failed = true;
      }
    });
  }
  for (std::thread& t : workers) t.join();
  if (failed) throw std::runtime_error("cannot write an archive file in " + dir.string());
  return static_cast<double>(count) / seconds_since(t0);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(at, v.size() - 1)];
}

struct Round {
  int senders = 0;
  double posts_per_s = 0, p50_ms = 0, p99_ms = 0;
  // One commit per post, serially, before and after the posts; the bound is
  // their mean (the disk's speed drifts on a shared VM).
  double bound_before = 0, bound_after = 0, bound_per_s = 0;
  double archive_serial = 0, archive_parallel = 0;  // posts/s of the archive step alone
  double seconds = 0;
  // The daemon's follow-up reconciliation while the posts were sent (its
  // reconcile_done lines): it runs on the writer thread, between commits.
  std::size_t reconciles = 0, reconciled_groups = 0;
  double reconcile_seconds = 0;
  double daemon_cpu_ms_per_post = 0;  // while the posts were sent
  double sender_cpu_ms_per_post = 0;  // this process's, the senders'
  long daemon_peak_rss_kb = 0;
};

Round run_round(const fs::path& dir, const std::vector<std::string>& posts, int senders,
                std::size_t bound_posts, const std::string& arsyncd, const std::string& password,
                const std::string& password_hash) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path config = write_config(dir, password_hash);
  Round r;
  r.bound_before = one_commit_per_post_rate(dir / "bound-before.db", posts, bound_posts);
  DaemonProcess daemon({arsyncd, "--config", config.string()}, dir / "arsyncd.log");
  const int port = static_cast<int>(
      log_number(daemon.wait_for("http_listening", 1, std::chrono::seconds(30)).front(), "port"));
  daemon.wait_for("pull_done", 1, std::chrono::seconds(30));  // the start's pull, out of the way

  const Poco::Net::HTTPBasicCredentials credentials(kUser, password);
  {
    // The listener runs PBKDF2 once for these credentials and remembers the
    // success: an empty post (answered 400, nothing stored) pays it here.
    Poco::Net::HTTPClientSession warm("127.0.0.1", static_cast<Poco::UInt16>(port));
    warm.setTimeout(Poco::Timespan(60, 0));
    const Post p = post(warm, "", credentials);
    if (p.status != 400) {
      throw std::runtime_error("the warm-up post answered " + std::to_string(p.status) + ": " + p.body);
    }
  }
  std::printf("  %d sender%s: arsyncd pid %d, port %d\n", senders, senders == 1 ? "" : "s",
              static_cast<int>(daemon.pid()), port);
  std::fflush(stdout);
  const double daemon_cpu0 = process_cpu_seconds(daemon.pid());
  const double own_cpu0 = process_cpu_seconds(::getpid());
  const Sent sent = send_all(port, posts, senders, credentials);
  const double daemon_cpu = process_cpu_seconds(daemon.pid()) - daemon_cpu0;
  const double own_cpu = process_cpu_seconds(::getpid()) - own_cpu0;
  const ChildResult exited = daemon.stop();
  if (exited.exit_status != 0) {
    throw std::runtime_error("arsyncd exited " + std::to_string(exited.exit_status) + " after SIGTERM; see " +
                             daemon.log_path().string());
  }
  check_store(dir / "var/arsync.db", posts.size());
  const std::string log = read_file(daemon.log_path());
  for (const LogFields& f : log_events(log, "reconcile_done")) {
    ++r.reconciles;
    r.reconciled_groups += static_cast<std::size_t>(log_number(f, "groups"));
    r.reconcile_seconds += log_number(f, "seconds");
  }
  if (log_events(log, "records_committed").size() != posts.size()) {
    throw std::runtime_error("arsyncd logged " + std::to_string(log_events(log, "records_committed").size()) +
                             " commits for " + std::to_string(posts.size()) + " posts");
  }

  r.senders = senders;
  r.posts_per_s = static_cast<double>(posts.size()) / sent.seconds;
  r.p50_ms = percentile(sent.latency_ms, 50);
  r.p99_ms = percentile(sent.latency_ms, 99);
  r.seconds = sent.seconds;
  r.daemon_cpu_ms_per_post = 1000 * daemon_cpu / static_cast<double>(posts.size());
  r.sender_cpu_ms_per_post = 1000 * own_cpu / static_cast<double>(posts.size());
  r.daemon_peak_rss_kb = exited.peak_rss_kb;
  r.bound_after = one_commit_per_post_rate(dir / "bound-after.db", posts, bound_posts);
  r.bound_per_s = (r.bound_before + r.bound_after) / 2;
  r.archive_serial = archive_rate(dir / "archive-bound", posts, bound_posts, 1);
  r.archive_parallel = senders == 1 ? r.archive_serial
                                    : archive_rate(dir / "archive-bound", posts, bound_posts, senders);
  return r;
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const int n = std::stoi(item);
    if (n < 1) throw std::invalid_argument("a sender count must be at least 1");
    out.push_back(n);
  }
  if (out.empty()) throw std::invalid_argument("no sender counts");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 2000;
  std::vector<int> sender_counts = {1, 16};
  std::size_t bound_posts = 300;
  DaemonBenchFlags flags;
  const char* usage =
      "usage: idoc_http [--posts N] [--senders 1,16] [--bound-posts N] [--dir DIR] [--arsyncd PATH] [--keep]\n";
  try {
    for (int i = 1; i < argc; ++i) {
      if (flags.take(argc, argv, i)) continue;
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--posts" && has_value) {
        n = std::stoull(argv[++i]);
      } else if (a == "--senders" && has_value) {
        sender_counts = parse_list(argv[++i]);
      } else if (a == "--bound-posts" && has_value) {
        bound_posts = std::stoull(argv[++i]);
      } else {
        std::cerr << usage;
        return 2;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "idoc_http: " << e.what() << "\n" << usage;
    return 2;
  }
  if (n == 0 || bound_posts == 0) {
    std::cerr << usage;
    return 2;
  }
  const fs::path dir = flags.folder("arsync-idoc-http-");
  const std::string& arsyncd = flags.arsyncd;
  try {
    fs::create_directories(dir);
    struct statfs fsinfo {};
    if (::statfs(dir.c_str(), &fsinfo) == 0 && fsinfo.f_type == 0x01021994 /* TMPFS_MAGIC */) {
      std::cout << "  warning: " << dir << " is on tmpfs, where fsync costs nothing; use --dir on a disk\n";
    }
    const std::vector<std::string> posts = make_posts(dir, n);
    std::size_t bytes = 0;
    for (const std::string& p : posts) bytes += p.size();
    // The default PBKDF2 cost: the listener remembers a verified credential,
    // so only the warm-up pays it.
    const std::string password = "bench-" + std::to_string(std::random_device{}());
    auto hashed = arsync::service::hash_password(password);
    if (!hashed) throw std::runtime_error(hashed.status().to_string());
    std::cout << "idoc_http: " << n << " single-IDoc INVOIC02 posts (" << bytes / n
              << " bytes each), synchronous=full, " << arsyncd << "\n  before: " << cpu_speeds() << "\n";
    std::vector<Round> rounds;
    for (int senders : sender_counts) {
      const Round r = run_round(dir / ("senders-" + std::to_string(senders)), posts, senders,
                                bound_posts, arsyncd, password, *hashed);
      std::printf("  %2d sender%s: %7.1f posts/s (%.2f s), latency p50 %.2f ms, p99 %.2f ms;"
                  " CPU per post: arsyncd %.2f ms, senders %.2f ms (%.0f%% of the CPUs busy); arsyncd peak RSS"
                  " %ld MiB\n",
                  senders, senders == 1 ? " " : "s", r.posts_per_s, r.seconds, r.p50_ms, r.p99_ms,
                  r.daemon_cpu_ms_per_post, r.sender_cpu_ms_per_post,
                  100.0 * (r.daemon_cpu_ms_per_post + r.sender_cpu_ms_per_post) * r.posts_per_s / 1000 /
                      static_cast<double>(std::thread::hardware_concurrency()),
                  r.daemon_peak_rss_kb / 1024);
      std::printf("             bound (one commit per post, serial): %.1f posts/s (%.1f before, %.1f after):"
                  " %.2fx the bound\n",
                  r.bound_per_s, r.bound_before, r.bound_after, r.posts_per_s / r.bound_per_s);
      std::printf("             arsyncd's follow-up reconciliation: %zu runs, %zu match groups, %.2f s"
                  " (%.0f%% of the %.2f s of posts, on the writer thread)\n",
                  r.reconciles, r.reconciled_groups, r.reconcile_seconds,
                  100.0 * r.reconcile_seconds / r.seconds, r.seconds);
      std::printf("             the archive step alone (file fsync + folder fsync): %.1f posts/s serially,"
                  " %.1f with %d threads\n",
                  r.archive_serial, r.archive_parallel, senders);
      rounds.push_back(r);
    }
    for (const Round& r : rounds) {
      if (r.senders == 16) {
        std::printf("  target: 16 senders >= 5x one fsync per post: %.2fx, %s\n", r.posts_per_s / r.bound_per_s,
                    r.posts_per_s >= 5 * r.bound_per_s ? "met" : "NOT met");
      }
    }
    std::printf("  after:  %s\n", cpu_speeds().c_str());
    if (!flags.keep) fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "idoc_http: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
