// The reconciliation store: documents, cursors, dirty match groups,
// discrepancies and their history, the mail outbox, quarantine, audit log.
//
// Store is an interface so that a PostgreSQL implementation can follow the
// SQLite one (open_sqlite_store) and pass the same tests. All methods return
// a Status/Result; database exceptions never escape.
//
// Durability contract: commit_batch writes a batch's documents, quarantined
// records and cursor in ONE transaction (commit_batches: several batches in
// one). After it returns OK the batch survives a crash; if it fails nothing
// of it was written. Re-committing the same documents is idempotent
// (unchanged content hash => no write).
//
// Thread safety: a Store object is used by one thread at a time (the writer
// thread in arsyncd). Other threads and processes (the arsync CLI) open their
// own Store on the same file; SQLite's WAL lets them read while it writes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/document.h"
#include "arsync/model/status.h"

namespace arsync::store {

// A record that failed to parse or map, with its bytes.
struct QuarantineEntry {
  std::int64_t id = 0;  // set by the store
  std::string system;
  std::string entity;
  std::string external_id;
  std::string source;    // file name or URL it came from
  std::string error;     // Status::to_string() of the failure
  std::string location;  // Location::to_string() of the failure
  std::string raw;       // raw bytes as received (not filled by list_quarantine)
  Instant at{};
  std::size_t raw_size = 0;  // bytes in raw as stored (filled when read back)
};

struct DocumentBatch {
  std::string system;
  std::string cursor_key;  // which cursor of the system ("files", "Invoice", ...)
  std::vector<Document> documents;
  std::vector<QuarantineEntry> quarantined;
  std::optional<std::string> cursor;  // stored with the batch when set
};

struct BatchOutcome {
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t quarantined = 0;
};

// A match group to (re-)check, no earlier than `due`.
struct DirtyKey {
  DocumentKind kind = DocumentKind::kInvoice;
  std::string match_key;
  Instant due{};
  std::int64_t seq = 0;  // set by the store; clear_dirty_key only clears this mark
  // Set by the store: checks of this mark that failed so far, and the last
  // one's error (defer_dirty_key). A successful check clears the mark.
  int attempts = 0;
  std::string last_error;
};

// How a system's last pull ended, kept for `arsync status`.
struct PullOutcome {
  std::string system;
  Instant at{};              // when the pull ended
  std::string state;         // "ok", "degraded" or "failed"
  std::int64_t records = 0;  // read from the source (stored, quarantined or skipped)
  std::int64_t stored = 0;   // documents inserted, updated or unchanged
  std::int64_t quarantined = 0;
  std::string message;       // why degraded or failed; empty when ok
};

// What apply_findings changed, by discrepancy id.
struct FindingsOutcome {
  std::vector<std::int64_t> opened;
  std::vector<std::int64_t> reopened;
  std::vector<std::int64_t> updated;   // persisted, details changed
  std::vector<std::int64_t> resolved;  // cleared automatically
};

struct DiscrepancyFilter {
  std::optional<DiscrepancyStatus> status;  // none: all
  std::string rule;                         // empty: all
  std::string system;                       // empty: all
  std::size_t limit = 1000;
};

// One email, fully rendered (RFC 5322 bytes), waiting in or leaving the outbox.
struct OutgoingMail {
  std::int64_t id = 0;          // set by the store
  std::string message_id;       // "<...@host>", unique
  std::string sender;           // envelope MAIL FROM
  std::vector<std::string> recipients;  // envelope RCPT TO
  std::string subject;          // for listings
  std::string data;             // the whole message, CRLF line ends
  // "pending"; "sending" from just before the content is handed to the
  // server until its answer is stored; "sent"; "dead" (given up).
  std::string state;
  int attempts = 0;
  Instant created_at{};
  Instant next_attempt_at{};
  std::optional<Instant> sent_at;
  std::string last_error;
};

struct AuditEntry {
  std::int64_t id = 0;
  Instant at{};
  std::string actor;   // "arsyncd", "reconciler", a user name
  std::string action;  // "discrepancy.resolve", "file.archive", ...
  std::string object;  // what it acted on
  std::string details;
};

struct StoreStats {
  std::map<std::string, std::int64_t> documents_by_system;
  std::int64_t quarantined = 0;
  // Discrepancies by status, each counted apart (the words of
  // DiscrepancyStatus: open, acknowledged, resolved).
  std::int64_t open_discrepancies = 0;
  std::int64_t acknowledged_discrepancies = 0;
  std::int64_t resolved_discrepancies = 0;
  std::int64_t dirty_keys = 0;
  std::int64_t mail_pending = 0;
  std::int64_t mail_sent = 0;
  std::int64_t mail_dead = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- ingest ------------------------------------------------------------
  // Upserts documents keyed by (system, kind, external_id) (unchanged content
  // hash: no write), replaces their applications, quarantines rejected
  // records, marks the changed documents' match groups and the groups their
  // applications point at dirty (due now), and stores the cursor: one
  // transaction. Returns what it did.
  virtual Result<BatchOutcome> commit_batch(const DocumentBatch& batch, Instant now) = 0;
  // commit_batch for several batches (of any systems, each with its own
  // cursor) in ONE transaction, applied in order: a later batch sees the
  // earlier ones, and of two cursors for one (system, cursor_key) the later
  // is kept. All or nothing: on failure no batch was written, and the error
  // does not say which batch caused it (the writer retries them one by one).
  // Returns one outcome per batch, in order.
  virtual Result<std::vector<BatchOutcome>> commit_batches(std::span<const DocumentBatch> batches,
                                                           Instant now) = 0;

  // The cursor stored for (system, cursor_key); nullopt if none yet.
  virtual Result<std::optional<std::string>> get_cursor(const std::string& system,
                                                        const std::string& cursor_key) = 0;

  // ---- documents ---------------------------------------------------------
  // Every document of `kind` with `match_key`, all systems (a match group).
  virtual Result<std::vector<Document>> find_group(DocumentKind kind,
                                                   const std::string& match_key) = 0;
  virtual Result<std::optional<Document>> find_document(const std::string& system,
                                                        DocumentKind kind,
                                                        const std::string& external_id) = 0;
  // Documents (payments, credits) with an application to (kind, match_key).
  virtual Result<std::vector<Document>> find_applications_to(DocumentKind target_kind,
                                                             const std::string& target_match_key) = 0;
  // Documents of one system and kind ("" system: all), by match key; at most `limit`.
  virtual Result<std::vector<Document>> list_documents(const std::string& system,
                                                       std::optional<DocumentKind> kind,
                                                       std::size_t limit) = 0;
  // Documents of `kind` in `system` with this document number (duplicates).
  virtual Result<std::vector<Document>> find_by_number(const std::string& system,
                                                       DocumentKind kind,
                                                       const std::string& document_number) = 0;

  // ---- dirty match groups --------------------------------------------------
  // Marks groups to check no earlier than each key's `due` (keeps the earlier
  // due time when a group is already marked).
  virtual Status mark_dirty(const std::vector<DirtyKey>& keys) = 0;
  // Groups due at `now`, oldest first, at most `limit`.
  virtual Result<std::vector<DirtyKey>> due_dirty_keys(Instant now, std::size_t limit) = 0;
  // Clears a mark unless it was re-marked (higher seq) since it was read.
  virtual Status clear_dirty_key(const DirtyKey& key) = 0;
  // Marks every match group dirty, due `now` (full re-check).
  virtual Status mark_all_dirty(Instant now) = 0;
  // Checking `key`'s group failed: counts the attempt, keeps `error` and
  // makes the mark due at `retry_at` (the mark stays; its seq is unchanged).
  virtual Status defer_dirty_key(const DirtyKey& key, const std::string& error,
                                 Instant retry_at) = 0;

  // ---- discrepancies -----------------------------------------------------
  // Reconciles the open discrepancies of match group (kind, match_key) with
  // `findings` (all of that group's current findings): opens new ones
  // (pending notification), updates persisting ones (last_detected, details;
  // no new notification), reopens resolved ones (pending notification) and
  // resolves open or acknowledged ones that are no longer found. Each change
  // is a discrepancy event. One transaction.
  virtual Result<FindingsOutcome> apply_findings(DocumentKind kind, const std::string& match_key,
                                                 const std::vector<Finding>& findings,
                                                 Instant now) = 0;
  virtual Result<std::vector<Discrepancy>> list_discrepancies(const DiscrepancyFilter& filter) = 0;
  virtual Result<std::optional<Discrepancy>> get_discrepancy(std::int64_t id) = 0;
  virtual Result<std::vector<DiscrepancyEvent>> discrepancy_events(std::int64_t id) = 0;
  // A person resolves or acknowledges a discrepancy (kNotFound if no such id).
  virtual Status resolve_discrepancy(std::int64_t id, const std::string& actor,
                                     const std::string& note, Instant now) = 0;
  virtual Status acknowledge_discrepancy(std::int64_t id, const std::string& actor,
                                         const std::string& note, Instant now) = 0;

  // Discrepancies opened or reopened and not yet put in an email.
  virtual Result<std::vector<Discrepancy>> pending_notifications(std::size_t limit) = 0;

  // ---- mail outbox -------------------------------------------------------
  // Queues `mail` (state pending, due now) and marks `discrepancy_ids` as
  // notified, in one transaction, so that a restart neither loses nor repeats
  // an alert. Returns the mail's id.
  virtual Result<std::int64_t> enqueue_mail(const OutgoingMail& mail,
                                            const std::vector<std::int64_t>& discrepancy_ids,
                                            Instant now) = 0;
  // Pending mail whose next attempt is due, oldest first.
  virtual Result<std::vector<OutgoingMail>> due_mail(Instant now, std::size_t limit) = 0;
  virtual Result<std::vector<OutgoingMail>> list_mail(std::size_t limit) = 0;
  // Pending -> sending, committed before the message's content is handed to
  // the server: a crash from here until mark_mail_sent leaves the message in
  // "sending", so a restart knows its delivery is uncertain.
  // kNotFound if no pending mail has that id.
  virtual Status mark_mail_sending(std::int64_t id, Instant now) = 0;
  // Mail left in "sending" (by a crash, or a connection lost after the
  // content was sent), oldest first.
  virtual Result<std::vector<OutgoingMail>> sending_mail(std::size_t limit) = 0;
  // Pending or sending -> sent (counts the attempt).
  virtual Status mark_mail_sent(std::int64_t id, Instant now) = 0;
  // Sending -> sent without the server's confirmation: `note` (why it is
  // not known) is kept as its last error; sent_at is when sending began.
  virtual Status mark_mail_unconfirmed(std::int64_t id, const std::string& note) = 0;
  // Counts an attempt and schedules the next one (state back to pending).
  virtual Status mark_mail_retry(std::int64_t id, const std::string& error,
                                 Instant next_attempt) = 0;
  // Gives up on a message (dead letter; counts the attempt).
  virtual Status mark_mail_dead(std::int64_t id, const std::string& error, Instant now) = 0;

  // ---- quarantine, audit, stats ------------------------------------------
  // Quarantines records outside a batch (a whole file that failed to open).
  // Here and in commit_batch, an entry equal to a stored one but for `at`
  // (the same failure of the same record, replayed after a crash) adds no row.
  virtual Status add_quarantine(const QuarantineEntry& entry) = 0;
  // Newest first, without their raw bytes (raw_size says how many): a
  // listing does not load what may be megabytes per record.
  virtual Result<std::vector<QuarantineEntry>> list_quarantine(std::size_t limit) = 0;
  // One record with its raw bytes; empty if no record has that ID.
  virtual Result<std::optional<QuarantineEntry>> find_quarantine(std::int64_t id) = 0;
  virtual Status append_audit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> audit_log(std::size_t limit) = 0;
  virtual Result<StoreStats> stats() = 0;

  // ---- pull outcomes -------------------------------------------------------
  // Replaces the last outcome kept for `outcome.system`.
  virtual Status record_pull_outcome(const PullOutcome& outcome) = 0;
  // The last outcome of each system that has pulled, by system name.
  virtual Result<std::vector<PullOutcome>> pull_outcomes() = 0;
};

struct SqliteOptions {
  std::string path;               // database file; created if missing (unless read_only)
  bool synchronous_full = true;   // false: synchronous=NORMAL (may lose the last commits on power loss)
  bool read_only = false;         // the CLI's listings
  int busy_timeout_ms = 5000;
};

// Opens (creating and migrating as needed) a SQLite store. Migrations are
// numbered and applied at open (PRAGMA user_version); WAL and foreign keys on.
// Errors: kIoError naming the path and SQLite's message.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace arsync::store
