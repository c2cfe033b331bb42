// The crash harness: a seeded stream of IDoc files (XML and flat, bad IDocs,
// unreadable files, planted discrepancies between sap-ecc and sap-s4)
// arrives in the drop folders while the built arsyncd runs (a real process,
// interval_seconds 1, the file mail transport), and the daemon is killed
// with SIGKILL again and again. Some kills come at random times; others are
// aimed: the harness freezes the daemon (SIGSTOP) at random moments,
// inspects the store, the write-ahead log and the folders while it is
// frozen, and kills it once it is inside a commit (frames in the WAL after
// its last commit frame), after a file's last commit but before its archive
// rename, inside the quarantine of an unreadable file, or while it writes
// an email. What each kill really interrupted is read back after it.
// Then a clean run drains everything, and the result is compared with what
// was sent:
//   - every good IDoc is stored exactly once, with the amount, currency,
//     customer and match key sent, and refers to its bytes in the archive;
//     every bad IDoc and unreadable file has exactly one quarantine row;
//   - every planted discrepancy is open once and mailed once (one .eml per
//     discrepancy, counted by the Subject of each file on disk and by
//     Message-ID against the outbox), nothing else is mailed;
//   - every file is archived (or quarantined) exactly once, nothing stays in
//     the drop or processing folders, no temporary file survives;
//   - the audit trail is consistent: one 'opened' and one 'notified' event
//     per discrepancy and nothing else, no audit_log row twice.
// Every failed check is reported with its count and examples.
//
// Environment: ARSYNC_CRASH_SEED (default: random, printed), ARSYNC_CRASH_KILLS
// (default 220), ARSYNC_CRASH_FILES (files per system, default 100),
// ARSYNC_CRASH_KEEP=1 keeps the folder (it is kept on failure anyway).
// The seed fixes the stream, the drop schedule and every kill's aim and
// timing parameters; where exactly a SIGKILL lands still depends on the
// scheduler, which is why each kill's effect is observed, not assumed.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "arsync/model/sha256.h"
#include "daemon_process.h"
#include "demo_env.h"
#include "idoc_stream.h"
#include "wal_frames.h"

namespace arsync::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

const std::vector<std::string> kSystems = {"sap-ecc", "sap-s4"};

enum class Aim { kRandom, kCommit, kArchive, kQuarantine, kMail };
const char* aim_name(Aim a) {
  switch (a) {
    case Aim::kRandom: return "random time";
    case Aim::kCommit: return "inside a commit";
    case Aim::kArchive: return "after last commit, before archive rename";
    case Aim::kQuarantine: return "inside a whole-file quarantine";
    case Aim::kMail: return "while writing an email";
  }
  return "?";
}

// What the daemon was in the middle of, read while it is frozen or dead.
// Each field names what it found, so that a state left by an earlier kill
// (a stale temporary file, garbage frames in the log) is not counted again.
struct Observation {
  WalState wal;
  std::set<std::string> archive_pending;       // last IDoc committed, file still in processing/
  std::set<std::string> quarantine_committed;  // unreadable file's row committed, file in processing/
  std::set<std::string> quarantine_moved;      // file in quarantine/, its .error missing or empty
  std::set<std::string> quarantine_claimed;    // unreadable file in processing/
  std::set<std::string> mail_temp;             // .tmp-*.eml being written
  std::set<std::string> mail_unmarked;         // .eml in place, its outbox row still pending
};

// What `now` shows that `base` (the state when the daemon started) did not.
struct News {
  bool commit_in_flight = false;  // WAL frames after the last commit frame
  bool archive_pending = false, quarantine_committed = false, quarantine_moved = false,
       quarantine_in_commit = false, mail_temp = false, mail_unmarked = false;

  News(const Observation& base, const Observation& now) {
    auto grew = [](const std::set<std::string>& b, const std::set<std::string>& n) {
      for (const std::string& x : n) {
        if (!b.count(x)) return true;
      }
      return false;
    };
    commit_in_flight = now.wal.uncommitted() > 0 &&
                       (now.wal.frames != base.wal.frames ||
                        now.wal.committed_frames != base.wal.committed_frames || now.wal.tail != base.wal.tail);
    archive_pending = grew(base.archive_pending, now.archive_pending);
    quarantine_committed = grew(base.quarantine_committed, now.quarantine_committed);
    quarantine_moved = grew(base.quarantine_moved, now.quarantine_moved);
    // A transaction cut off while an unreadable file is claimed: its
    // quarantine row's commit, or the other system's.
    quarantine_in_commit = commit_in_flight && !now.quarantine_claimed.empty();
    mail_temp = grew(base.mail_temp, now.mail_temp);
    mail_unmarked = grew(base.mail_unmarked, now.mail_unmarked);
  }
  bool quarantine() const { return quarantine_committed || quarantine_moved || quarantine_in_commit; }
  bool mail() const { return mail_temp || mail_unmarked; }
  bool hits(Aim a) const {
    switch (a) {
      case Aim::kRandom: return false;
      case Aim::kCommit: return commit_in_flight;
      case Aim::kArchive: return archive_pending;
      case Aim::kQuarantine: return quarantine();
      case Aim::kMail: return mail();
    }
    return false;
  }
};

class CrashHarness {
 public:
  CrashHarness(std::uint64_t seed, int kills, int files_per_system)
      : seed_(seed), kills_(kills), rng_(seed ^ 0x5eedc0ffeeULL) {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("arsync-crash-" + std::to_string(seed) + "-" + std::to_string(rd()));
    const fs::path src(ARSYNC_SOURCE_DIR);
    auto defs = connectors::sap_idoc::SegmentDefinitions::load_directory(
        (src / "mappings/sap_idoc/segments").string());
    if (!defs.is_ok()) throw std::runtime_error(defs.status().to_string());
    stream_ = make_idoc_stream(seed, files_per_system, *defs);
    for (const StreamFile& f : stream_.files) files_by_name_[{f.system, f.name}] = &f;
    for (const std::string& s : kSystems) fs::create_directories(root_ / "inbound" / s);
    write_file(root_ / "arsync.json", R"({
      "store": {"path": "var/arsync.db", "commit_records": 8},
      "state_dir": "var",
      "mappings_dir": ")" + (src / "mappings").string() + R"(",
      "interval_seconds": 1,
      "log_level": "info",
      "systems": {
        "sap-ecc": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-ecc", "batch_size": 3}},
        "sap-s4": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-s4", "batch_size": 3}}
      },
      "reconcile": {"pairs": [{"left": "sap-ecc", "right": "sap-s4",
                               "kinds": ["invoice", "credit_memo", "debit_memo"],
                               "missing_grace": "24h"}]},
      "mail": {"from": "arsync@test.example", "to": ["ar@test.example"],
               "transport": {"type": "file", "dir": "mail"}}
    })");
  }

  ~CrashHarness() {
    db_.reset();
    if (!keep_) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  void keep() { keep_ = true; }
  const fs::path& root() const { return root_; }

  // The kills, then the clean drain. Returns false (with failures_ filled)
  // if the daemon misbehaved on its own.
  void run() {
    const auto started = SteadyClock::now();
    // File j is dropped during life j * (0.8 kills) / files.
    const std::size_t n = stream_.files.size();
    const int feeding_lives = std::max(1, kills_ * 4 / 5);
    for (int life = 0; life < kills_; ++life) {
      std::vector<const StreamFile*> before, during;
      while (next_file_ < n && static_cast<int>(next_file_ * feeding_lives / n) <= life) {
        (below(2) ? before : during).push_back(&stream_.files[next_file_++]);
      }
      for (const StreamFile* f : before) drop(*f);
      one_life(during);
    }
    while (next_file_ < n) drop(stream_.files[next_file_++]);
    kill_seconds_ = std::chrono::duration<double>(SteadyClock::now() - started).count();
    drain();
    total_seconds_ = std::chrono::duration<double>(SteadyClock::now() - started).count();
  }

  void check() {
    db_.reset();
    SQLite::Database db((root_ / "var/arsync.db").string(), SQLite::OPEN_READONLY);
    check_documents(db);
    check_quarantine(db);
    check_files();
    check_mail(db);
    check_audit(db);
    check_coverage();
  }

  std::string summary() const {
    std::ostringstream s;
    s << "crash harness: seed=" << seed_ << " kills=" << kills_done_ << " files=" << stream_.files.size()
      << " idocs=" << stream_.documents.size() + stream_.quarantined_idocs.size()
      << " planted_discrepancies=" << stream_.discrepancies.size() << "\n  kill loop "
      << kill_seconds_ << " s, total " << total_seconds_ << " s\n  aims:";
    for (const auto& [aim, count] : aims_) {
      const auto hit = aim_hits_.find(aim);
      s << " [" << aim_name(aim) << ": " << count << " kills";
      if (aim != Aim::kRandom) {
        s << ", " << (hit == aim_hits_.end() ? 0 : hit->second) << " reached their target";
      }
      s << "]";
    }
    s << "\n  what the kills interrupted (observed after each):"
      << " commit cut off (WAL frames after the last commit)=" << died_.commit_in_flight
      << ", last commit done but file not archived=" << died_.archive_pending
      << ", quarantine row committed but file not moved=" << died_.quarantine_committed
      << ", file quarantined without its .error=" << died_.quarantine_moved
      << ", commit cut off while an unreadable file was claimed=" << died_.quarantine_in_commit
      << ", email temp file being written=" << died_.mail_temp
      << ", email written but not marked sent=" << died_.mail_unmarked;
    return s.str();
  }

  const std::vector<std::string>& failures() const { return failures_; }

 private:
  struct Died {
    int commit_in_flight = 0, archive_pending = 0, quarantine_committed = 0, quarantine_moved = 0,
        quarantine_in_commit = 0, mail_temp = 0, mail_unmarked = 0;
  };

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  void fail(const std::string& check, std::size_t count, const std::vector<std::string>& examples) {
    std::string text = check + ": " + std::to_string(count);
    for (std::size_t i = 0; i < examples.size() && i < 8; ++i) text += (i ? ", " : " (") + examples[i];
    if (!examples.empty()) text += examples.size() > 8 ? ", ...)" : ")";
    failures_.push_back(text);
  }

  fs::path system_dir(const std::string& system) const { return root_ / "var/systems" / system; }

  void drop(const StreamFile& f) {
    const fs::path dir = root_ / "inbound" / f.system;
    write_file(dir / (f.name + ".tmp"), f.bytes);
    fs::rename(dir / (f.name + ".tmp"), dir / f.name);
  }

  std::vector<std::string> daemon_args() const {
    return {"--config", (root_ / "arsync.json").string()};
  }
  std::string binary() const { return std::string(ARSYNC_BINARY_DIR) + "/daemon/main/arsyncd"; }

  void one_life(std::vector<const StreamFile*> during) {
    const Aim aim = pick_aim();
    ++aims_[aim];
    const auto drop_at = SteadyClock::now() + microseconds(below(300000));
    // Random kills: a third early (start-up, first claims), the rest over
    // the first cycle and the pause before the next. Aimed kills give up
    // after about one interval and kill wherever the daemon is.
    const auto deadline =
        SteadyClock::now() + (aim == Aim::kRandom ? (below(3) == 0 ? microseconds(below(40000))
                                                                   : microseconds(40000 + below(700000)))
                                                  : microseconds(250000 + below(800000)));
    const Observation base = observe();
    // The daemon must be the first to read the store after a kill, so that
    // it recovers the log itself: the harness reads only once it has.
    db_.reset();
    std::error_code ec;
    log_offset_ = fs::exists(root_ / "daemon.log") ? fs::file_size(root_ / "daemon.log", ec) : 0;
    DaemonProcess d(binary(), daemon_args(), (root_ / "daemon.log").string());
    daemon_ = &d;
    daemon_has_store_ = false;
    bool hit = false;
    while (SteadyClock::now() < deadline) {
      if (!during.empty() && SteadyClock::now() >= drop_at) {
        for (const StreamFile* f : during) drop(*f);
        during.clear();
      }
      if (aim == Aim::kRandom) {
        std::this_thread::sleep_for(microseconds(500));
        if (d.exited()) break;
        continue;
      }
      // The windows around a rename are tens of microseconds wide: aim at
      // them with short steps.
      const bool narrow = aim == Aim::kArchive || aim == Aim::kQuarantine;
      std::this_thread::sleep_for(microseconds(narrow ? below(40) : 30 + below(400)));
      if (!d.stop()) break;
      if (News(base, observe()).hits(aim)) {
        hit = true;
        break;
      }
      d.resume();
    }
    if (d.exited()) {
      daemon_ = nullptr;
      fail("daemon exited by itself during the kill loop (wait status " + std::to_string(d.kill_now()) +
               ", see daemon.log)", 1, {});
      for (const StreamFile* f : during) drop(*f);
      return;
    }
    const int status = d.kill_now();
    daemon_ = nullptr;
    ++kills_done_;
    if (hit) ++aim_hits_[aim];
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      fail("daemon did not die of SIGKILL (wait status " + std::to_string(status) + ")", 1, {});
    }
    for (const StreamFile* f : during) drop(*f);
    // What the kill interrupted, read before the next start recovers it.
    const News o(base, observe());
    db_.reset();
    died_.commit_in_flight += o.commit_in_flight;
    died_.archive_pending += o.archive_pending;
    died_.quarantine_committed += o.quarantine_committed;
    died_.quarantine_moved += o.quarantine_moved;
    died_.quarantine_in_commit += o.quarantine_in_commit;
    died_.mail_temp += o.mail_temp;
    died_.mail_unmarked += o.mail_unmarked;
  }

  // An aim whose work is not pending (no unreadable file waiting, say)
  // becomes a commit aim.
  Aim pick_aim() {
    const std::uint64_t r = below(100);
    Aim aim = r < 30 ? Aim::kRandom : r < 50 ? Aim::kCommit : r < 68 ? Aim::kArchive
            : r < 86 ? Aim::kQuarantine : Aim::kMail;
    if (aim == Aim::kQuarantine) {
      bool pending = false;
      for (const std::string& system : kSystems) {
        for (const fs::path& dir : {root_ / "inbound" / system, system_dir(system) / "processing"}) {
          for (const fs::path& p : files_in(dir)) {
            auto it = files_by_name_.find({system, p.filename().string()});
            pending = pending || (it != files_by_name_.end() && it->second->unreadable);
          }
        }
      }
      if (!pending) aim = Aim::kCommit;
    }
    return aim;
  }

  // The store as a reader sees it (the daemon may be frozen mid-write; a
  // busy store reads as "not known").
  SQLite::Database* db() {
    if (daemon_ && !daemon_has_store_) {
      // Not before the daemon logged that it started: until then it may be
      // recovering the log, and a reader would wait for it (frozen) for
      // seconds.
      std::ifstream log(root_ / "daemon.log", std::ios::binary);
      log.seekg(static_cast<std::streamoff>(log_offset_));
      std::string tail((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      daemon_has_store_ = tail.find("event=started") != std::string::npos;
      if (!daemon_has_store_) return nullptr;
    }
    if (!db_) {
      try {
        db_ = std::make_unique<SQLite::Database>((root_ / "var/arsync.db").string(), SQLite::OPEN_READONLY);
        db_->setBusyTimeout(0);
      } catch (const std::exception&) {
        db_.reset();
      }
    }
    return db_.get();
  }

  Observation observe() {
    Observation o;
    o.wal = wal_.read();
    for (const std::string& system : kSystems) {
      for (const fs::path& p : files_in(system_dir(system) / "processing")) {
        auto it = files_by_name_.find({system, p.filename().string()});
        if (it == files_by_name_.end()) continue;
        const StreamFile& f = *it->second;
        if (f.unreadable) o.quarantine_claimed.insert(f.name);
        try {
          SQLite::Database* d = db();
          if (!d) continue;
          if (f.unreadable) {
            SQLite::Statement q(*d, "SELECT count(*) FROM quarantine WHERE system = ?1 AND source LIKE ?2");
            q.bind(1, system);
            q.bind(2, "%/" + f.name);
            if (q.executeStep() && q.getColumn(0).getInt64() > 0) o.quarantine_committed.insert(f.name);
          } else {
            SQLite::Statement q(*d, "SELECT value FROM cursors WHERE system = ?1 AND cursor_key = 'pull'");
            q.bind(1, system);
            if (q.executeStep()) {
              auto c = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
              if (c.is_object() && c.value("file", "") == f.name && c.value("idocs", 0ull) == f.idocs) {
                o.archive_pending.insert(f.name);
              }
            }
          }
        } catch (const std::exception&) {
          db_.reset();  // busy or mid-recovery: not known this time
        }
      }
      for (const fs::path& p : files_in(system_dir(system) / "quarantine")) {
        if (p.extension() == ".error") continue;
        std::error_code ec;
        const fs::path err = p.string() + ".error";
        if (!fs::exists(err, ec) || fs::file_size(err, ec) == 0) o.quarantine_moved.insert(p.string());
      }
    }
    std::set<std::string> eml;
    for (const fs::path& p : files_in(root_ / "mail")) {
      const std::string name = p.filename().string();
      if (name.starts_with(".tmp-")) o.mail_temp.insert(name);
      eml.insert(name);
    }
    if (!eml.empty()) {
      try {
        if (SQLite::Database* d = db()) {
          SQLite::Statement q(*d, "SELECT message_id FROM mail_outbox WHERE state = 'pending'");
          while (q.executeStep()) {
            std::string id = q.getColumn(0).getString();
            std::string name;
            for (char c : id) {
              if (c != '<' && c != '>') name += c;
            }
            if (eml.count(name + ".eml")) o.mail_unmarked.insert(name);
          }
        }
      } catch (const std::exception&) {
        db_.reset();
      }
    }
    return o;
  }

  // One run of arsyncd --once, which must succeed.
  void run_once(const char* what) {
    db_.reset();
    std::vector<std::string> args = daemon_args();
    args.push_back("--once");
    DaemonProcess d(binary(), args, (root_ / "daemon.log").string());
    const int status = d.wait_exit();
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      fail(std::string(what) + ": arsyncd --once did not exit 0 (wait status " + std::to_string(status) +
               ", see daemon.log)", 1, {});
    }
  }

  struct Totals {
    std::int64_t documents = 0, quarantined = 0, mails = 0, discrepancies = 0;
    std::size_t eml = 0;
    bool operator==(const Totals&) const = default;
  };
  Totals totals() {
    Totals t;
    SQLite::Database d((root_ / "var/arsync.db").string(), SQLite::OPEN_READONLY);
    t.documents = d.execAndGet("SELECT count(*) FROM documents").getInt64();
    t.quarantined = d.execAndGet("SELECT count(*) FROM quarantine").getInt64();
    t.mails = d.execAndGet("SELECT count(*) FROM mail_outbox").getInt64();
    t.discrepancies = d.execAndGet("SELECT count(*) FROM discrepancies").getInt64();
    t.eml = files_in(root_ / "mail").size();
    return t;
  }

  // The clean run drains the backlog; a second one must change nothing.
  void drain() {
    run_once("final clean run");
    const Totals after_first = totals();
    run_once("second clean run");
    if (!(totals() == after_first)) {
      fail("a second clean run changed the store or the mail folder", 1, {});
    }
  }

  void check_documents(SQLite::Database& db) {
    std::map<std::pair<std::string, std::string>, const ExpectedDocument*> expected;
    for (const ExpectedDocument& e : stream_.documents) expected[{e.system, e.external_id}] = &e;
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<std::string> unexpected, wrong, bad_raw, dup;
    SQLite::Statement q(db,
                        "SELECT system, kind, external_id, match_key, customer_key, amount, currency,"
                        " raw_file, raw_offset, raw_length, raw_sha256 FROM documents");
    while (q.executeStep()) {
      const std::string system = q.getColumn(0).getString(), id = q.getColumn(2).getString();
      const std::string name = system + "/" + id;
      if (!seen.insert({system, id}).second) dup.push_back(name);
      auto it = expected.find({system, id});
      if (it == expected.end()) {
        unexpected.push_back(name);
        continue;
      }
      const ExpectedDocument& e = *it->second;
      if (q.getColumn(1).getString() != "invoice" || q.getColumn(3).getString() != e.match_key ||
          q.getColumn(4).getString() != e.customer_key || q.getColumn(5).getInt64() != e.amount_minor ||
          q.getColumn(6).getString() != e.currency) {
        wrong.push_back(name);
      }
      const std::string raw_file = q.getColumn(7).getString();
      const std::string bytes = read_file(raw_file);
      const auto off = static_cast<std::size_t>(q.getColumn(8).getInt64());
      const auto len = static_cast<std::size_t>(q.getColumn(9).getInt64());
      if (!raw_file.starts_with((system_dir(system) / "archive").string()) || off + len > bytes.size() ||
          sha256_hex(std::string_view(bytes).substr(off, len)) != q.getColumn(10).getString()) {
        bad_raw.push_back(name + " -> " + raw_file);
      }
    }
    std::vector<std::string> lost;
    for (const auto& [key, e] : expected) {
      if (!seen.count(key)) lost.push_back(key.first + "/" + key.second);
    }
    if (!lost.empty()) fail("documents lost (sent, not stored)", lost.size(), lost);
    if (!dup.empty()) fail("documents stored twice", dup.size(), dup);
    if (!unexpected.empty()) fail("documents stored that were never sent", unexpected.size(), unexpected);
    if (!wrong.empty()) fail("documents stored with other values than sent", wrong.size(), wrong);
    if (!bad_raw.empty()) {
      fail("documents whose raw reference is not their bytes in the archive", bad_raw.size(), bad_raw);
    }
  }

  // A whole-file row's source is its quarantine path (name, or name.N when
  // the name was taken).
  std::optional<std::string> junk_name(const std::string& system, const std::string& source) const {
    std::string base = fs::path(source).filename().string();
    for (int strip = 0; strip < 2; ++strip) {
      if (stream_.quarantined_files.count({system, base})) return base;
      const auto dot = base.rfind('.');
      if (dot == std::string::npos) break;
      base = base.substr(0, dot);
    }
    return std::nullopt;
  }

  void check_quarantine(SQLite::Database& db) {
    std::map<std::pair<std::string, std::string>, int> idocs, files;
    std::vector<std::string> unexpected;
    SQLite::Statement q(db, "SELECT system, external_id, source, error FROM quarantine ORDER BY id");
    while (q.executeStep()) {
      const std::string system = q.getColumn(0).getString(), id = q.getColumn(1).getString();
      const std::string source = q.getColumn(2).getString();
      if (stream_.quarantined_idocs.count({system, id})) {
        ++idocs[{system, id}];
      } else if (auto junk = junk_name(system, source)) {
        ++files[{system, *junk}];
      } else {
        unexpected.push_back(system + "/" + id + " " + source + ": " + q.getColumn(3).getString());
      }
    }
    std::vector<std::string> lost_idocs, dup_idocs, lost_files, dup_files;
    for (const auto& key : stream_.quarantined_idocs) {
      const int n = idocs[key];
      if (n == 0) lost_idocs.push_back(key.first + " IDoc " + key.second);
      if (n > 1) dup_idocs.push_back(key.first + " IDoc " + key.second + " x" + std::to_string(n));
    }
    for (const auto& key : stream_.quarantined_files) {
      const int n = files[key];
      if (n == 0) lost_files.push_back(key.first + "/" + key.second);
      if (n > 1) dup_files.push_back(key.first + "/" + key.second + " x" + std::to_string(n));
    }
    if (!lost_idocs.empty()) fail("bad IDocs not quarantined", lost_idocs.size(), lost_idocs);
    if (!dup_idocs.empty()) fail("bad IDocs quarantined more than once", dup_idocs.size(), dup_idocs);
    if (!lost_files.empty()) fail("unreadable files without a quarantine row", lost_files.size(), lost_files);
    if (!dup_files.empty()) {
      fail("unreadable files with more than one quarantine row (duplicate quarantine rows)",
           dup_files.size(), dup_files);
    }
    if (!unexpected.empty()) fail("quarantine rows for nothing bad that was sent", unexpected.size(), unexpected);
  }

  void check_files() {
    std::vector<std::string> left, archived_twice, not_archived, misplaced, quarantined_twice,
        no_error, stale;
    for (const std::string& system : kSystems) {
      for (const fs::path& p : files_in(root_ / "inbound" / system)) left.push_back(p.string());
      for (const fs::path& p : files_in(system_dir(system) / "processing")) left.push_back(p.string());
      std::map<std::string, int> archived, quarantined;
      for (const fs::path& p : files_in(system_dir(system) / "archive")) {
        std::string name = p.filename().string();
        if (!files_by_name_.count({system, name})) {
          const auto dot = name.rfind('.');
          name = name.substr(0, dot);
        }
        ++archived[name];
      }
      for (const fs::path& p : files_in(system_dir(system) / "quarantine")) {
        if (p.extension() == ".error") continue;
        std::string name = junk_name(system, p.string()).value_or(p.filename().string());
        ++quarantined[name];
        std::error_code ec;
        const fs::path err = p.string() + ".error";
        if (!fs::exists(err, ec) || fs::file_size(err, ec) == 0) no_error.push_back(p.string());
      }
      for (const StreamFile& f : stream_.files) {
        if (f.system != system) continue;
        const int a = archived[f.name], qn = quarantined[f.name];
        if (f.unreadable) {
          if (a) misplaced.push_back(f.name + " archived");
          if (qn > 1) quarantined_twice.push_back(f.name + " x" + std::to_string(qn));
          if (qn == 0) not_archived.push_back(f.name + " not in quarantine/");
        } else {
          if (qn) misplaced.push_back(f.name + " in quarantine/");
          if (a > 1) archived_twice.push_back(f.name + " x" + std::to_string(a));
          if (a == 0) not_archived.push_back(f.name + " not in archive/");
        }
      }
    }
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(".tmp") || name.ends_with(".tmp") || name.ends_with(".part") ||
          name.ends_with("-journal")) {
        stale.push_back(fs::relative(e.path(), root_).string());
      }
    }
    if (!left.empty()) fail("files left in inbound/ or processing/", left.size(), left);
    if (!not_archived.empty()) fail("files neither archived nor quarantined", not_archived.size(), not_archived);
    if (!archived_twice.empty()) fail("files archived more than once", archived_twice.size(), archived_twice);
    if (!quarantined_twice.empty()) {
      fail("files moved to quarantine/ more than once", quarantined_twice.size(), quarantined_twice);
    }
    if (!misplaced.empty()) fail("files in the wrong place", misplaced.size(), misplaced);
    if (!no_error.empty()) fail("quarantined files without their .error", no_error.size(), no_error);
    if (!stale.empty()) fail("stale temporary files", stale.size(), stale);
  }

  // Subject and Message-ID of an .eml as written (headers end at the first
  // empty line; folded lines continue with white space).
  static std::map<std::string, std::string> headers(const std::string& eml) {
    std::map<std::string, std::string> out;
    std::istringstream in(eml);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) break;
      if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {
        out[last] += line;
        continue;
      }
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      last = line.substr(0, colon);
      out[last] = line.substr(colon + 1 + (colon + 1 < line.size() && line[colon + 1] == ' '));
    }
    return out;
  }

  void check_mail(SQLite::Database& db) {
    // The store's side: each discrepancy open, planted, told in one message.
    std::set<std::pair<std::string, std::string>> found;
    std::vector<std::string> unexpected, not_open, mails_per;
    SQLite::Statement d(db,
                        "SELECT d.rule, d.match_key, d.status, d.fingerprint,"
                        " (SELECT count(*) FROM mail_discrepancies m WHERE m.discrepancy_id = d.id)"
                        " FROM discrepancies d");
    while (d.executeStep()) {
      const std::pair<std::string, std::string> key{d.getColumn(0).getString(), d.getColumn(1).getString()};
      found.insert(key);
      if (!stream_.discrepancies.count(key)) unexpected.push_back(d.getColumn(3).getString());
      if (d.getColumn(2).getString() != "open") {
        not_open.push_back(d.getColumn(3).getString() + " " + d.getColumn(2).getString());
      }
      if (d.getColumn(4).getInt64() != 1) {
        mails_per.push_back(d.getColumn(3).getString() + " in " + std::to_string(d.getColumn(4).getInt64()) +
                            " outbox messages");
      }
    }
    std::vector<std::string> missing;
    for (const auto& key : stream_.discrepancies) {
      if (!found.count(key)) missing.push_back(key.first + " " + key.second);
    }
    if (!missing.empty()) fail("planted discrepancies not found", missing.size(), missing);
    if (!unexpected.empty()) fail("discrepancies found that were not planted", unexpected.size(), unexpected);
    if (!not_open.empty()) fail("discrepancies not open", not_open.size(), not_open);
    if (!mails_per.empty()) fail("discrepancies queued in other than one message", mails_per.size(), mails_per);

    std::map<std::string, std::string> outbox;  // Message-ID -> state
    SQLite::Statement m(db, "SELECT message_id, state FROM mail_outbox");
    while (m.executeStep()) outbox[m.getColumn(0).getString()] = m.getColumn(1).getString();
    std::vector<std::string> not_sent;
    for (const auto& [id, state] : outbox) {
      if (state != "sent") not_sent.push_back(id + " " + state);
    }
    if (!not_sent.empty()) fail("outbox messages not sent after the drain", not_sent.size(), not_sent);

    // The mail folder's side, read from the files: one per discrepancy.
    static const std::regex subject_re(R"(^\S+ ([a-z_]+): [a-z_]+ (\S+) )");
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_discrepancy;
    std::map<std::string, int> by_message_id;
    std::vector<std::string> unparsed, unknown_id;
    for (const fs::path& p : files_in(root_ / "mail", ".eml")) {
      if (p.filename().string().starts_with(".")) continue;  // temporaries: check_files
      auto h = headers(read_file(p));
      const std::string id = h["Message-ID"];
      ++by_message_id[id];
      if (!outbox.count(id)) unknown_id.push_back(p.filename().string() + " " + id);
      std::smatch sm;
      const std::string subject = h["Subject"];
      if (!std::regex_search(subject, sm, subject_re)) {
        unparsed.push_back(p.filename().string() + ": " + subject);
        continue;
      }
      by_discrepancy[{sm[1].str(), sm[2].str()}].push_back(id);
    }
    std::vector<std::string> twice, never, not_planted, id_twice, no_file;
    for (const auto& key : stream_.discrepancies) {
      auto it = by_discrepancy.find(key);
      if (it == by_discrepancy.end()) {
        never.push_back(key.first + " " + key.second);
      } else if (it->second.size() > 1) {
        std::string ids;
        for (const std::string& id : it->second) ids += " " + id;
        twice.push_back(key.first + " " + key.second + " x" + std::to_string(it->second.size()) + ":" + ids);
      }
    }
    for (const auto& [key, ids] : by_discrepancy) {
      if (!stream_.discrepancies.count(key)) not_planted.push_back(key.first + " " + key.second);
    }
    for (const auto& [id, n] : by_message_id) {
      if (n > 1) id_twice.push_back(id + " x" + std::to_string(n));
    }
    for (const auto& [id, state] : outbox) {
      if (!by_message_id.count(id)) no_file.push_back(id);
    }
    if (!never.empty()) fail("planted discrepancies never mailed", never.size(), never);
    if (!twice.empty()) fail("discrepancies mailed more than once", twice.size(), twice);
    if (!not_planted.empty()) fail("emails about discrepancies not planted", not_planted.size(), not_planted);
    if (!id_twice.empty()) fail("Message-IDs in more than one .eml", id_twice.size(), id_twice);
    if (!no_file.empty()) fail("outbox messages with no .eml file", no_file.size(), no_file);
    if (!unknown_id.empty()) fail(".eml files not in the outbox", unknown_id.size(), unknown_id);
    if (!unparsed.empty()) fail(".eml files with an unexpected Subject", unparsed.size(), unparsed);
  }

  void check_audit(SQLite::Database& db) {
    std::vector<std::string> events, audit;
    // Each planted discrepancy: opened once, its notification queued once.
    SQLite::Statement e(db,
                        "SELECT d.fingerprint,"
                        " (SELECT count(*) FROM discrepancy_events e WHERE e.discrepancy_id = d.id"
                        "  AND e.event = 'opened'),"
                        " (SELECT count(*) FROM discrepancy_events e WHERE e.discrepancy_id = d.id"
                        "  AND e.event = 'notified'),"
                        " (SELECT count(*) FROM discrepancy_events e WHERE e.discrepancy_id = d.id)"
                        " FROM discrepancies d");
    while (e.executeStep()) {
      const std::int64_t opened = e.getColumn(1).getInt64(), notified = e.getColumn(2).getInt64(),
                         all = e.getColumn(3).getInt64();
      if (opened != 1 || notified != 1 || all != 2) {
        events.push_back(e.getColumn(0).getString() + ": opened x" + std::to_string(opened) + ", notified x" +
                         std::to_string(notified) + ", " + std::to_string(all) + " events");
      }
    }
    SQLite::Statement a(db,
                        "SELECT action, object, count(*) FROM audit_log GROUP BY action, object, details"
                        " HAVING count(*) > 1");
    while (a.executeStep()) {
      audit.push_back(a.getColumn(0).getString() + " " + a.getColumn(1).getString() + " x" +
                      a.getColumn(2).getString());
    }
    if (!events.empty()) {
      fail("discrepancy histories other than one 'opened' and one 'notified' event", events.size(), events);
    }
    if (!audit.empty()) fail("audit_log entries written more than once", audit.size(), audit);
  }

  // A run of the default size must have interrupted each kind of work at
  // least once, or it proves less than it claims.
  void check_coverage() {
    if (kills_done_ < 200) return;
    std::vector<std::string> missed;
    if (!died_.commit_in_flight) missed.push_back("a commit cut off");
    if (!died_.archive_pending) missed.push_back("a death between a file's last commit and its archive");
    if (!died_.quarantine_committed && !died_.quarantine_moved && !died_.quarantine_in_commit) {
      missed.push_back("a whole-file quarantine");
    }
    if (!died_.mail_temp && !died_.mail_unmarked) missed.push_back("an email being written");
    if (!missed.empty()) fail("kinds of work no kill interrupted", missed.size(), missed);
  }

  std::uint64_t seed_;
  int kills_;
  std::mt19937_64 rng_;
  fs::path root_;
  IdocStream stream_;
  std::map<std::pair<std::string, std::string>, const StreamFile*> files_by_name_;
  std::size_t next_file_ = 0;
  std::unique_ptr<SQLite::Database> db_;
  DaemonProcess* daemon_ = nullptr;  // the running daemon, if any
  bool daemon_has_store_ = false;
  std::uintmax_t log_offset_ = 0;  // daemon.log's size when the daemon started
  WalReader wal_{""};
  std::map<Aim, int> aims_, aim_hits_;
  Died died_;
  int kills_done_ = 0;
  double kill_seconds_ = 0, total_seconds_ = 0;
  bool keep_ = std::getenv("ARSYNC_CRASH_KEEP") != nullptr;
  std::vector<std::string> failures_;

 public:
  void init_wal() { wal_ = WalReader((root_ / "var/arsync.db-wal").string()); }
};

TEST(CrashHarness, KillsDuringAStreamOfIdocsLoseDuplicateAndRepeatNothing) {
  const std::uint64_t seed = env_number("ARSYNC_CRASH_SEED", std::random_device{}());
  const int kills = static_cast<int>(env_number("ARSYNC_CRASH_KILLS", 220));
  const int files = static_cast<int>(env_number("ARSYNC_CRASH_FILES", 100));
  CrashHarness h(seed, kills, files);
  h.init_wal();
  h.run();
  h.check();
  std::cout << h.summary() << "\n";
  for (const std::string& f : h.failures()) ADD_FAILURE() << f;
  if (!h.failures().empty()) {
    h.keep();
    std::cout << "  folder kept: " << h.root() << " (daemon.log holds every run's log)\n"
              << "  reproduce: ARSYNC_CRASH_SEED=" << seed << " ARSYNC_CRASH_KILLS=" << kills
              << " ARSYNC_CRASH_FILES=" << files << "\n";
  }
}

}  // namespace
}  // namespace arsync::testing
