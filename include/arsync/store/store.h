// The reconciliation store: documents, cursors, dirty match groups,
// discrepancies and their history, the mail outbox, quarantine, audit log,
// connectors' encrypted credentials.
//
// The store is reached through role interfaces, one header each, so that
// each layer sees only the role it uses and a PostgreSQL implementation can
// follow the SQLite one (open_sqlite_store) by implementing the same roles
// and passing the same tests:
//   DocumentStore    (document_store.h)    batches with cursors, document reads
//   ReconcileStore   (reconcile_store.h)   dirty match groups, apply_findings
//   DiscrepancyStore (discrepancy_store.h) listings, history, resolve/acknowledge
//   MailStore        (mail_store.h)        the mail outbox
//   OperationsStore  (operations_store.h)  quarantine, audit log, pull outcomes, stats
//   CredentialStore  (credential_store.h)  encrypted credentials
// Store aggregates them all: one connection implements every role. All
// methods return a Status/Result; database exceptions never escape.
//
// Durability contract: commit_batch writes a batch's documents, quarantined
// records and cursor in ONE transaction (commit_batches: several batches in
// one). After it returns OK the batch survives a crash; if it fails nothing
// of it was written. Re-committing the same documents is idempotent
// (unchanged content hash => no write). Every other writing method is one
// transaction too: OK means committed.
//
// Thread safety: a Store object, and any role reference into it, is used by
// one thread at a time (the writer thread in arsyncd). Other threads and
// processes (the arsync CLI) open their own Store on the same file; SQLite's
// WAL lets them read while it writes.
#pragma once

#include <functional>

#include <memory>
#include <string>

#include "arsync/model/status.h"
#include "arsync/store/credential_store.h"
#include "arsync/store/discrepancy_store.h"
#include "arsync/store/document_store.h"
#include "arsync/store/mail_store.h"
#include "arsync/store/operations_store.h"
#include "arsync/store/reconcile_store.h"

namespace arsync::store {

class Store : public DocumentStore,
              public ReconcileStore,
              public DiscrepancyStore,
              public MailStore,
              public OperationsStore,
              public CredentialStore {
 public:
  ~Store() override = default;

  // Runs `work`, whose store calls then commit together, as one transaction
  // (one fsync with synchronous=FULL instead of one per call), when `work`
  // returns OK; when it returns an error (or a call inside fails and `work`
  // passes its error on) none of them is kept. Each call inside stays all
  // or nothing on its own: a call that fails undoes only itself, and `work`
  // may go on. Inside another in_one_transaction, `work` joins it. The
  // default runs `work` without one (each call its own transaction).
  // Errors: what `work` returned, or the store's (kIoError) on commit.
  virtual Status in_one_transaction(const std::function<Status()>& work) { return work(); }
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
