// Opening the SQLite store: connection, pragmas, migrations, the version
// comparison function, the statement cache and the exception edge. Also the
// cursors and stats, which are one statement each.
#include "sqlite_store.h"

#include <optional>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string_view>

#include "arsync/store/migrations.h"

namespace arsync::store {
namespace sqlite {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// True when `candidate` is strictly older than `stored`: both all digits ->
// numeric (any length); else same length -> lexicographic (timestamps,
// zero-padded numbers); else not comparable, so not older.
bool version_older(std::string_view candidate, std::string_view stored) {
  if (all_digits(candidate) && all_digits(stored)) {
    auto strip = [](std::string_view s) {
      std::size_t i = s.find_first_not_of('0');
      return i == std::string_view::npos ? std::string_view() : s.substr(i);
    };
    candidate = strip(candidate);
    stored = strip(stored);
    if (candidate.size() != stored.size()) return candidate.size() < stored.size();
    return candidate < stored;
  }
  if (candidate.size() == stored.size()) return candidate < stored;
  return false;
}

// SQL: arsync_version_older(candidate, stored) -> 0/1, used in the upsert's
// WHERE so that skipping a stale version costs no extra statement.
void sql_version_older(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  auto text = [](sqlite3_value* v) {
    const unsigned char* p = sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string_view();
  };
  sqlite3_result_int(ctx, version_older(text(argv[0]), text(argv[1])) ? 1 : 0);
}

std::string pragma_text(SQLite::Database& db, const char* sql) {
  SQLite::Statement q(db, sql);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

int user_version(SQLite::Database& db) {
  SQLite::Statement q(db, "PRAGMA user_version");
  q.executeStep();
  return q.getColumn(0).getInt();
}

void migrate(SQLite::Database& db) {
  for (const Migration& m : sqlite_migrations()) {
    // Re-read inside the write transaction: another process may be migrating.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (user_version(db) >= m.version) continue;
    db.exec(m.sql);
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.commit();
  }
}

}  // namespace

std::string instant_text(Instant t) { return format_instant(t); }

Instant read_instant(const std::string& text) {
  Result<Instant> t = parse_instant(text);
  if (!t) throw CorruptRow("stored timestamp '" + text + "' is unreadable");
  return *t;
}

Currency read_currency(const std::string& code) {
  if (code.empty()) return Currency();
  Result<Currency> c = Currency::find(code);
  if (!c) throw CorruptRow("stored currency '" + code + "' is unknown");
  return *c;
}

DocumentKind read_kind(const std::string& text) {
  std::optional<DocumentKind> k = parse_document_kind(text);
  if (!k) throw CorruptRow("stored document kind '" + text + "' is unknown");
  return *k;
}

const std::string& kind_text(DocumentKind kind) {
  static const std::array<std::string, 7> kNames = {
      std::string(to_string(DocumentKind::kCustomer)),
      std::string(to_string(DocumentKind::kInvoice)),
      std::string(to_string(DocumentKind::kCreditMemo)),
      std::string(to_string(DocumentKind::kDebitMemo)),
      std::string(to_string(DocumentKind::kPayment)),
      std::string(to_string(DocumentKind::kRefund)),
      std::string(to_string(DocumentKind::kWriteOff))};
  return kNames.at(static_cast<std::size_t>(kind));
}

std::int64_t limit_value(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > kMax ? kMax : limit);
}

namespace {

// `text` as a JSON string literal. Bytes from 0x80 up pass through as they
// are: SQLite's JSON functions read them back unchanged.
void append_json_string(std::string& out, const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

void for_each_kind(GroupList groups,
                   const std::function<void(const std::string&, const std::string&)>& f) {
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::string keys;
  for (std::size_t i = 0; i < groups.size();) {
    const std::string& kind = groups[i].first;
    keys = "[";
    for (; i < groups.size() && groups[i].first == kind; ++i) {
      if (keys.size() > 1) keys += ',';
      append_json_string(keys, groups[i].second);
    }
    keys += ']';
    f(kind, keys);
  }
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<SQLite::Database> db)
    : options_(std::move(options)), db_(std::move(db)) {}

SQLite::Statement& SqliteStore::statement(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
  }
  return *it->second;
}

Status SqliteStore::io_error(std::string_view what, std::string_view message) const {
  Location where;
  where.file = options_.path;
  return Status(ErrorCode::kIoError, std::string(what) + ": " + std::string(message),
                std::move(where));
}

namespace {
constexpr char kGetCursor[] =
    "SELECT value FROM cursors WHERE system = ?1 AND cursor_key = ?2";
}  // namespace

Result<std::optional<std::string>> SqliteStore::get_cursor(const std::string& system,
                                                           const std::string& cursor_key) {
  return guarded("get_cursor", [&]() -> Result<std::optional<std::string>> {
    StatementUse q(statement(kGetCursor));
    q->bind(1, system);
    q->bind(2, cursor_key);
    if (!q->executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(q->getColumn(0).getString());
  });
}

namespace {
constexpr char kStatsDocuments[] =
    "SELECT system, count(*) FROM documents GROUP BY system ORDER BY system";
constexpr char kStatsCounts[] =
    "SELECT (SELECT count(*) FROM quarantine),"
    " (SELECT count(*) FROM discrepancies WHERE status = 'open'),"
    " (SELECT count(*) FROM dirty_keys),"
    " (SELECT count(*) FROM mail_outbox WHERE state = 'pending'),"
    " (SELECT count(*) FROM mail_outbox WHERE state = 'sent'),"
    " (SELECT count(*) FROM mail_outbox WHERE state = 'dead'),"
    " (SELECT count(*) FROM discrepancies WHERE status = 'acknowledged'),"
    " (SELECT count(*) FROM discrepancies WHERE status = 'resolved'),"
    " (SELECT count(*) FROM mail_outbox WHERE state = 'sending'),"
    " (SELECT count(*) FROM dirty_keys WHERE attempts > 0)";
}  // namespace

Status SqliteStore::in_one_transaction(const std::function<Status()>& work) {
  if (sqlite3_get_autocommit(db_->getHandle()) == 0) return work();  // inside one already
  std::optional<WriteTx> tx;
  Status begun = guarded("begin transaction", [&] {
    tx.emplace(*db_);
    return Status::ok();
  });
  if (!begun) return begun;
  Status done = work();
  if (!done) return done;  // ~WriteTx rolls back
  return guarded("commit transaction", [&] {
    tx->commit();
    return Status::ok();
  });
}

Result<StoreStats> SqliteStore::stats() {
  return guarded("stats", [&]() -> Result<StoreStats> {
    StoreStats s;
    // One read transaction, so the numbers are from one moment (the
    // caller's, inside in_one_transaction).
    std::optional<SQLite::Transaction> tx;
    if (sqlite3_get_autocommit(db_->getHandle()) != 0) {
      tx.emplace(*db_, SQLite::TransactionBehavior::DEFERRED);
    }
    {
      StatementUse q(statement(kStatsDocuments));
      while (q->executeStep()) {
        s.documents_by_system[q->getColumn(0).getString()] = q->getColumn(1).getInt64();
      }
    }
    {
      StatementUse q(statement(kStatsCounts));
      q->executeStep();
      s.quarantined = q->getColumn(0).getInt64();
      s.open_discrepancies = q->getColumn(1).getInt64();
      s.dirty_keys = q->getColumn(2).getInt64();
      s.mail_pending = q->getColumn(3).getInt64();
      s.mail_sent = q->getColumn(4).getInt64();
      s.mail_dead = q->getColumn(5).getInt64();
      s.acknowledged_discrepancies = q->getColumn(6).getInt64();
      s.resolved_discrepancies = q->getColumn(7).getInt64();
      s.mail_sending = q->getColumn(8).getInt64();
      s.failed_groups = q->getColumn(9).getInt64();
    }
    if (tx) tx->commit();
    return s;
  });
}

namespace {

// Why the operating system refuses this process the store at `path`, as
// "folder /var/lib/arsync: Permission denied", or "" when it would not.
// SQLite says only "unable to open database file"; the folder is checked
// first because SQLite creates the file and its -wal and -shm files there.
std::string os_refusal(const std::string& path, bool write) {
  namespace fs = std::filesystem;
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  auto refusal = [](const char* what, const std::string& p, int err) {
    return std::string(what) + " " + p + ": " + std::strerror(err);
  };
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return refusal("folder", dir, errno);
  if (!S_ISDIR(st.st_mode)) return refusal("folder", dir, ENOTDIR);
  if (::faccessat(AT_FDCWD, dir.c_str(), X_OK, AT_EACCESS) != 0) {
    return refusal("folder", dir, errno);
  }
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && (errno != ENOENT || !write)) return refusal("file", path, errno);
  if (exists && S_ISDIR(st.st_mode)) return refusal("file", path, EISDIR);
  const int mode = write ? R_OK | W_OK : R_OK;
  if (exists && ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) != 0) {
    return refusal("file", path, errno);
  }
  if (write && ::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) != 0) {
    return refusal("folder", dir, errno);
  }
  return "";
}

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  Location where;
  where.file = options.path;
  auto fail = [&](const std::string& message) {
    return Status(ErrorCode::kIoError, message, where);
  };
  // SQLite counts every allocation under a process-wide mutex unless told
  // not to, before its first use; arsync never reads those counts. Too late
  // (SQLite already in use in this process) it refuses, which is harmless.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  try {
    // NOMUTEX: a Store is used by one thread at a time (store.h), so the
    // connection needs no lock of its own around every SQLite call.
    const int flags = SQLite::OPEN_NOMUTEX | (options.read_only
                                                  ? SQLite::OPEN_READONLY
                                                  : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto db = std::make_unique<SQLite::Database>(options.path, flags, options.busy_timeout_ms);
    db->exec("PRAGMA foreign_keys = ON");
    if (sqlite3_create_function_v2(db->getHandle(), "arsync_version_older", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                   &sqlite::sql_version_older, nullptr, nullptr,
                                   nullptr) != SQLITE_OK) {
      return fail(std::string("cannot register arsync_version_older: ") +
                  sqlite3_errmsg(db->getHandle()));
    }
    const int code_version = sqlite_schema_version();
    if (options.read_only) {
      // A reader never changes the file: the writer (arsyncd) migrates.
      const int v = sqlite::user_version(*db);
      if (v < code_version) {
        return fail("database schema version " + std::to_string(v) +
                    " is older than this program's " + std::to_string(code_version) +
                    "; open it read-write once (start arsyncd) to migrate it");
      }
    } else {
      const std::string mode = sqlite::pragma_text(*db, "PRAGMA journal_mode = WAL");
      if (mode != "wal") return fail("cannot switch the database to WAL mode (got '" + mode + "')");
      db->exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                        : "PRAGMA synchronous = NORMAL");
      // A bigger page cache keeps the documents' indexes in memory during a
      // bulk load, and fewer automatic checkpoints mean fewer fsyncs of the
      // database file; both measured on 100k-invoice imports.
      db->exec("PRAGMA cache_size = -65536");
      db->exec("PRAGMA wal_autocheckpoint = 8192");
      sqlite::migrate(*db);
    }
    const int v = sqlite::user_version(*db);
    if (v > code_version) {
      return fail("database schema version " + std::to_string(v) +
                  " is newer than this program's " + std::to_string(code_version) +
                  "; use the arsync release that wrote it or a later one");
    }
    return std::unique_ptr<Store>(std::make_unique<sqlite::SqliteStore>(options, std::move(db)));
  } catch (const std::exception& e) {
    const std::string why = sqlite::os_refusal(options.path, !options.read_only);
    return fail(std::string("cannot open SQLite store: ") + e.what() +
                (why.empty() ? "" : " (" + why + ")"));
  }
}

}  // namespace arsync::store
