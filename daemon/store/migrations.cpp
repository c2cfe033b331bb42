// Numbered schema migrations. Never edit a migration that has shipped: add
// a new one at the end.
//
// Conventions: instants are ISO 8601 UTC text ("2026-11-25T10:00:00Z"), which
// sorts chronologically; calendar dates are "YYYY-MM-DD"; money is INTEGER
// minor units next to its currency code (each Money keeps its own currency,
// so a document round-trips exactly); kinds and statuses are their model
// names ("invoice", "open").
#include "arsync/store/migrations.h"

#include <array>

namespace arsync::store {
namespace {

constexpr char kInitialSchema[] = R"sql(
CREATE TABLE documents (
  id                 INTEGER PRIMARY KEY,
  system             TEXT NOT NULL CHECK (system <> ''),
  kind               TEXT NOT NULL,
  external_id        TEXT NOT NULL CHECK (external_id <> ''),
  version            TEXT NOT NULL,
  content_hash       TEXT NOT NULL,
  document_number    TEXT NOT NULL,
  match_key          TEXT NOT NULL,
  customer_key       TEXT NOT NULL,
  customer_name      TEXT NOT NULL,
  amount             INTEGER NOT NULL,
  currency           TEXT NOT NULL,
  open_amount        INTEGER NOT NULL,
  open_currency      TEXT NOT NULL,
  tax_amount         INTEGER NOT NULL,
  tax_currency       TEXT NOT NULL,
  issue_date         TEXT,
  due_date           TEXT,
  status             TEXT NOT NULL,
  reference          TEXT NOT NULL,
  terms              TEXT NOT NULL,
  source_updated_at  TEXT NOT NULL,
  raw_file           TEXT NOT NULL,
  raw_offset         INTEGER NOT NULL,
  raw_length         INTEGER NOT NULL,
  raw_sha256         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  -- Bookkeeping for the single-statement upsert: 1 after insert, +1 per
  -- update, and the match key the row had before its last update, so that
  -- RETURNING tells insert from update and names the group a document left.
  revision           INTEGER NOT NULL DEFAULT 1,
  previous_match_key TEXT,
  UNIQUE (system, kind, external_id)
);
CREATE INDEX documents_group ON documents (kind, match_key);
CREATE INDEX documents_number ON documents (system, kind, document_number);

-- Settlements by a payment or credit, in the document's order.
CREATE TABLE applications (
  document_id       INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  position          INTEGER NOT NULL,
  target_kind       TEXT NOT NULL,
  target_match_key  TEXT NOT NULL,
  target_number     TEXT NOT NULL,
  amount            INTEGER NOT NULL,
  currency          TEXT NOT NULL,
  discount          INTEGER NOT NULL,
  discount_currency TEXT NOT NULL,
  PRIMARY KEY (document_id, position)
) WITHOUT ROWID;
CREATE INDEX applications_target ON applications (target_kind, target_match_key);

CREATE TABLE cursors (
  system     TEXT NOT NULL,
  cursor_key TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (system, cursor_key)
) WITHOUT ROWID;

-- Match groups to re-check. seq comes from counters('dirty_seq'), bumped
-- once per marking transaction, so a reader can clear only the mark it saw.
CREATE TABLE dirty_keys (
  kind      TEXT NOT NULL,
  match_key TEXT NOT NULL,
  due       TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (kind, match_key)
) WITHOUT ROWID;
CREATE INDEX dirty_keys_due ON dirty_keys (due);

CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('dirty_seq', 0);

CREATE TABLE discrepancies (
  id              INTEGER PRIMARY KEY,
  fingerprint     TEXT NOT NULL UNIQUE,
  rule            TEXT NOT NULL,
  kind            TEXT NOT NULL,
  match_key       TEXT NOT NULL,
  systems         TEXT NOT NULL,  -- JSON array, sorted
  severity        TEXT NOT NULL,
  customer_key    TEXT NOT NULL,
  summary         TEXT NOT NULL,
  details         TEXT NOT NULL,  -- JSON
  status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  owner           TEXT NOT NULL DEFAULT '',
  first_detected  TEXT NOT NULL,
  last_detected   TEXT NOT NULL,
  resolved_at     TEXT,
  resolution_note TEXT NOT NULL DEFAULT '',
  notify_pending  INTEGER NOT NULL DEFAULT 0,
  pending_since   TEXT  -- when notify_pending last became 1
);
CREATE INDEX discrepancies_group ON discrepancies (kind, match_key);
CREATE INDEX discrepancies_status ON discrepancies (status, rule);
CREATE INDEX discrepancies_pending ON discrepancies (pending_since, id) WHERE notify_pending = 1;

CREATE TABLE discrepancy_events (
  id             INTEGER PRIMARY KEY,
  discrepancy_id INTEGER NOT NULL REFERENCES discrepancies (id) ON DELETE CASCADE,
  at             TEXT NOT NULL,
  event          TEXT NOT NULL,
  actor          TEXT NOT NULL,
  note           TEXT NOT NULL
);
CREATE INDEX discrepancy_events_discrepancy ON discrepancy_events (discrepancy_id, id);

CREATE TABLE mail_outbox (
  id              INTEGER PRIMARY KEY,
  message_id      TEXT NOT NULL UNIQUE,
  sender          TEXT NOT NULL,
  recipients      TEXT NOT NULL,  -- JSON array
  subject         TEXT NOT NULL,
  data            BLOB NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  sent_at         TEXT,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);

-- Which discrepancies a message told about.
CREATE TABLE mail_discrepancies (
  mail_id        INTEGER NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
  discrepancy_id INTEGER NOT NULL REFERENCES discrepancies (id) ON DELETE CASCADE,
  PRIMARY KEY (mail_id, discrepancy_id)
) WITHOUT ROWID;
CREATE INDEX mail_discrepancies_discrepancy ON mail_discrepancies (discrepancy_id);

CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY,
  system      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  external_id TEXT NOT NULL,
  source      TEXT NOT NULL,
  error       TEXT NOT NULL,
  location    TEXT NOT NULL,
  raw         BLOB NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX quarantine_system ON quarantine (system, entity);

CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  object  TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Reserved for OAuth tokens (encrypted by the caller).
CREATE TABLE secrets (
  system     TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      BLOB NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (system, name)
) WITHOUT ROWID;
)sql";

// The mail outbox gains the state "sending" (marked before a message's
// content is handed to the SMTP server, so a restart can tell a delivery that
// was cut off) and when that began. SQLite cannot change a CHECK constraint,
// so the table is rebuilt; mail_discrepancies is rebuilt with it because
// dropping the table it references would cascade-delete its rows. The
// renames rewrite the references (legacy_alter_table is off).
constexpr char kMailSending[] = R"sql(
CREATE TABLE mail_outbox_v2 (
  id              INTEGER PRIMARY KEY,
  message_id      TEXT NOT NULL UNIQUE,
  sender          TEXT NOT NULL,
  recipients      TEXT NOT NULL,  -- JSON array
  subject         TEXT NOT NULL,
  data            BLOB NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  sent_at         TEXT,
  last_error      TEXT NOT NULL DEFAULT '',
  sending_at      TEXT            -- when the last attempt began handing over the content
);
INSERT INTO mail_outbox_v2 (id, message_id, sender, recipients, subject, data, state, attempts,
                            created_at, next_attempt_at, sent_at, last_error)
  SELECT id, message_id, sender, recipients, subject, data, state, attempts,
         created_at, next_attempt_at, sent_at, last_error FROM mail_outbox;
CREATE TABLE mail_discrepancies_v2 (
  mail_id        INTEGER NOT NULL REFERENCES mail_outbox_v2 (id) ON DELETE CASCADE,
  discrepancy_id INTEGER NOT NULL REFERENCES discrepancies (id) ON DELETE CASCADE,
  PRIMARY KEY (mail_id, discrepancy_id)
) WITHOUT ROWID;
INSERT INTO mail_discrepancies_v2 SELECT mail_id, discrepancy_id FROM mail_discrepancies;
DROP TABLE mail_discrepancies;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_v2 RENAME TO mail_outbox;
ALTER TABLE mail_discrepancies_v2 RENAME TO mail_discrepancies;
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
CREATE INDEX mail_discrepancies_discrepancy ON mail_discrepancies (discrepancy_id);
)sql";

// Quarantine rows become idempotent: a record quarantined again after a
// crash replayed its batch (or a whole file whose move to quarantine/ was cut
// off) must not be listed twice. The fingerprint is the SHA-256 of what
// identifies one failure of one record (see quarantine.cpp); rows from
// before this migration have none and stay as they are.
constexpr char kQuarantineFingerprint[] = R"sql(
ALTER TABLE quarantine ADD COLUMN fingerprint TEXT;
CREATE UNIQUE INDEX quarantine_fingerprint ON quarantine (fingerprint)
  WHERE fingerprint IS NOT NULL;
)sql";

// A match group whose check failed is retried with backoff: the mark keeps
// how often it failed and why. Each system's last pull outcome, so that
// `arsync status` can say a system is degraded or failing.
constexpr char kFailedChecksAndPullOutcomes[] = R"sql(
ALTER TABLE dirty_keys ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dirty_keys ADD COLUMN last_error TEXT NOT NULL DEFAULT '';

CREATE TABLE pull_outcomes (
  system      TEXT PRIMARY KEY,
  at          TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('ok', 'degraded', 'failed')),
  records     INTEGER NOT NULL,
  stored      INTEGER NOT NULL,
  quarantined INTEGER NOT NULL,
  message     TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// A cancellation (SAP S1/S2 billing document) names the document it cancels
// in the same system; commit_batch holds that one as void, whichever of the
// two arrives first. The partial index keeps the lookup off every other row.
constexpr char kCancellations[] = R"sql(
ALTER TABLE documents ADD COLUMN cancels TEXT NOT NULL DEFAULT '';
CREATE INDEX documents_cancels ON documents (system, cancels) WHERE cancels <> '';
)sql";

// documents.revision was written by every update and read by nothing.
// Connectors' credentials (OAuth tokens) get their table, holding only what
// CredentialVault encrypted: the nonce of the last write and the ciphertext
// with its tag. It replaces the `secrets` table that the first schema
// reserved for them and that nothing ever wrote.
constexpr char kCredentials[] = R"sql(
ALTER TABLE documents DROP COLUMN revision;
DROP TABLE secrets;
CREATE TABLE credentials (
  system     TEXT NOT NULL CHECK (system <> ''),
  name       TEXT NOT NULL CHECK (name <> ''),
  nonce      BLOB NOT NULL,  -- AES-256-GCM nonce, fresh per write
  ciphertext BLOB NOT NULL,  -- the encrypted value followed by its 16-byte tag
  updated_at TEXT NOT NULL,
  PRIMARY KEY (system, name)
) WITHOUT ROWID;
)sql";

// The source record type a document was mapped from ("Invoice", "INVOIC02"),
// so that a record deleted at its source (which names its type and id, not
// the document kind the mapping chose) finds its document.
constexpr char kSourceEntity[] = R"sql(
ALTER TABLE documents ADD COLUMN entity TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::array<Migration, 7> kMigrations = {{
    {1, "initial schema", kInitialSchema},
    {2, "mail outbox state sending", kMailSending},
    {3, "quarantine fingerprint", kQuarantineFingerprint},
    {4, "failed group checks and pull outcomes", kFailedChecksAndPullOutcomes},
    {5, "cancellations void the document they cancel", kCancellations},
    {6, "drop documents.revision; encrypted credentials", kCredentials},
    {7, "documents' source entity, for deletions at the source", kSourceEntity},
}};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

int sqlite_schema_version() { return kMigrations.back().version; }

}  // namespace arsync::store
