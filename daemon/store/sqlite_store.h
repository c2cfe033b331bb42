// SqliteStore: the SQLite implementation of arsync::store::Store (every
// role). Private to daemon/store; others use open_sqlite_store().
//
// Its methods are spread over files by concern (documents.cpp,
// dirty_keys.cpp, discrepancies.cpp, mail_outbox.cpp, quarantine.cpp,
// audit.cpp, pull_outcomes.cpp, credentials.cpp); this file and
// sqlite_store.cpp hold what they share: the connection, the
// prepared-statement cache and the exception edge.
//
// Thread safety: one thread at a time (see store.h).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <exception>
#include <functional>
#include <stdexcept>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "arsync/store/store.h"

namespace arsync::store::sqlite {

// Resets a cached statement when taken and when released, so that a
// half-read SELECT never keeps a read transaction (and an old snapshot) open.
class StatementUse {
 public:
  explicit StatementUse(SQLite::Statement& s) : s_(s) { s_.tryReset(); }
  ~StatementUse() { s_.tryReset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

// A write transaction: BEGIN IMMEDIATE, or, inside one already open (a
// Store::in_one_transaction), a savepoint of it, so that each store method
// stays all or nothing on its own and the caller's transaction commits them
// together. Rolled back when destroyed before commit().
class WriteTx {
 public:
  explicit WriteTx(SQLite::Database& db)
      : db_(db), nested_(sqlite3_get_autocommit(db.getHandle()) == 0) {
    db_.exec(nested_ ? "SAVEPOINT arsync_write" : "BEGIN IMMEDIATE");
  }
  ~WriteTx() {
    if (done_) return;
    try {
      if (nested_) {
        db_.exec("ROLLBACK TO arsync_write");
        db_.exec("RELEASE arsync_write");
      } else {
        db_.exec("ROLLBACK");
      }
    } catch (const std::exception&) {  // the connection is broken: nothing to undo
    }
  }
  WriteTx(const WriteTx&) = delete;
  WriteTx& operator=(const WriteTx&) = delete;

  void commit() {
    db_.exec(nested_ ? "RELEASE arsync_write" : "COMMIT");
    done_ = true;
  }

 private:
  SQLite::Database& db_;
  const bool nested_;
  bool done_ = false;
};

// Thrown by the row readers when a stored value cannot be read back (an
// unknown currency code, a malformed date): the edge turns it into kIoError.
class CorruptRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Text forms shared by the files.
std::string instant_text(Instant t);
Instant read_instant(const std::string& text);
Currency read_currency(const std::string& code);
DocumentKind read_kind(const std::string& text);
// The model's name of `kind` as a std::string that lives for the program,
// so statements can bind it without copying.
const std::string& kind_text(DocumentKind kind);
// LIMIT parameter: size_t clamped to what SQLite takes.
std::int64_t limit_value(std::size_t limit);

// (kind text, match key) pairs.
using GroupList = std::vector<std::pair<std::string, std::string>>;

// Calls f(kind, keys) once per distinct kind in `groups` (any order,
// repeats allowed), where keys is a JSON array of that kind's distinct match
// keys, for statements that take a batch of keys through json_each().
void for_each_kind(GroupList groups,
                   const std::function<void(const std::string&, const std::string&)>& f);

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteOptions options, std::unique_ptr<SQLite::Database> db);

  Result<BatchOutcome> commit_batch(const DocumentBatch& batch, Instant now) override;
  Result<std::vector<BatchOutcome>> commit_batches(std::span<const DocumentBatch> batches,
                                                   Instant now) override;
  Result<std::optional<std::string>> get_cursor(const std::string& system,
                                                const std::string& cursor_key) override;

  Result<std::vector<Document>> find_group(DocumentKind kind,
                                           const std::string& match_key) override;
  Result<std::optional<Document>> find_document(const std::string& system, DocumentKind kind,
                                                const std::string& external_id) override;
  Result<std::vector<Document>> find_applications_to(
      DocumentKind target_kind, const std::string& target_match_key) override;
  Result<std::vector<Document>> list_documents(const std::string& system,
                                               std::optional<DocumentKind> kind,
                                               std::size_t limit) override;
  Result<std::vector<Document>> find_by_number(const std::string& system, DocumentKind kind,
                                               const std::string& document_number) override;

  Status mark_dirty(const std::vector<DirtyKey>& keys) override;
  Result<std::vector<DirtyKey>> due_dirty_keys(Instant now, std::size_t limit) override;
  Status clear_dirty_key(const DirtyKey& key) override;
  Status mark_all_dirty(Instant now) override;
  Status defer_dirty_key(const DirtyKey& key, const std::string& error,
                         Instant retry_at) override;
  Result<std::vector<DirtyKey>> failed_dirty_keys(std::size_t limit) override;

  Result<FindingsOutcome> apply_findings(DocumentKind kind, const std::string& match_key,
                                         const std::vector<Finding>& findings,
                                         Instant now) override;
  Result<std::vector<Discrepancy>> list_discrepancies(const DiscrepancyFilter& filter) override;
  Result<std::optional<Discrepancy>> get_discrepancy(std::int64_t id) override;
  Result<std::vector<DiscrepancyEvent>> discrepancy_events(std::int64_t id) override;
  Status resolve_discrepancy(std::int64_t id, const std::string& actor,
                             const std::string& note, Instant now) override;
  Status acknowledge_discrepancy(std::int64_t id, const std::string& actor,
                                 const std::string& note, Instant now) override;
  Result<std::vector<Discrepancy>> pending_notifications(std::size_t limit) override;

  Result<std::int64_t> enqueue_mail(const OutgoingMail& mail,
                                    const std::vector<std::int64_t>& discrepancy_ids,
                                    Instant now) override;
  Result<std::vector<OutgoingMail>> due_mail(Instant now, std::size_t limit) override;
  Result<std::optional<Instant>> next_mail_attempt() override;
  Result<std::int64_t> count_due_mail(Instant now) override;
  Result<std::vector<OutgoingMail>> list_mail(std::size_t limit) override;
  Status mark_mail_sending(std::int64_t id, Instant now) override;
  Result<std::vector<OutgoingMail>> sending_mail(std::size_t limit) override;
  Status mark_mail_sent(std::int64_t id, Instant now) override;
  Status mark_mail_unconfirmed(std::int64_t id, const std::string& note) override;
  Status mark_mail_retry(std::int64_t id, const std::string& error,
                         Instant next_attempt) override;
  Status mark_mail_dead(std::int64_t id, const std::string& error, Instant now) override;

  Status add_quarantine(const QuarantineEntry& entry) override;
  Result<std::vector<QuarantineEntry>> list_quarantine(std::size_t limit) override;
  Result<std::optional<QuarantineEntry>> find_quarantine(std::int64_t id) override;
  Status append_audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit_log(std::size_t limit) override;
  Result<StoreStats> stats() override;
  Status in_one_transaction(const std::function<Status()>& work) override;

  Status record_pull_outcome(const PullOutcome& outcome) override;
  Result<std::vector<PullOutcome>> pull_outcomes() override;

  Result<std::optional<EncryptedCredential>> get_credential(const std::string& system,
                                                            const std::string& name) override;
  Status put_credential(const std::string& system, const std::string& name,
                        const EncryptedCredential& value) override;

 private:
  // The prepared statement for `sql`, compiled on first use and kept.
  // `sql` must be a string constant: its address is the cache key.
  SQLite::Statement& statement(const char* sql);

  // Runs `f`, turning exceptions into kIoError "<what>: <message>" located
  // at the database file. f returns Status or Result<T>.
  template <typename F>
  auto guarded(std::string_view what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const std::exception& e) {  // SQLite::Exception, CorruptRow, json
      return io_error(what, e.what());
    }
  }
  Status io_error(std::string_view what, std::string_view message) const;

  // documents.cpp
  // Writes one batch inside the caller's transaction (commit_batches).
  BatchOutcome write_batch(const DocumentBatch& batch, Instant now, const std::string& now_text);
  // Steps `query` (selecting the document columns) to the end, then loads
  // each document's applications.
  std::vector<Document> read_documents(SQLite::Statement& query);
  // Marks `groups` (any order, repeats allowed) dirty, due at `due`.
  void mark_dirty_in_tx(GroupList groups, const std::string& due);
  // Inserts `entry` as quarantined by `system` at `at` (inside the caller's
  // transaction, if any).
  void insert_quarantine(const QuarantineEntry& entry, const std::string& system, Instant at);
  std::int64_t next_dirty_seq();

  // discrepancies.cpp
  Discrepancy read_discrepancy(SQLite::Statement& row);
  void add_event(std::int64_t discrepancy_id, const std::string& at, const char* event,
                 const std::string& actor, const std::string& note);
  void add_audit(const AuditEntry& entry);

  // mail_outbox.cpp
  OutgoingMail read_mail(SQLite::Statement& row);

  SqliteOptions options_;
  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace arsync::store::sqlite
