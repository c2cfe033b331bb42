// DocumentStore: the store's role for ingest and document reads: batches
// committed with their cursors, and the documents read back by match group,
// identity or number. Used by the engine's writer (commit_batch(es), get_cursor),
// the reconciler and the CLI's listings (the reads).
//
// The durability contract and the thread rule are in store.h.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/document.h"
#include "arsync/model/status.h"
#include "arsync/store/quarantine_entry.h"

namespace arsync::store {

// A record deleted at its source: the batch system's documents mapped from
// record type `entity` with this external id (of whatever kind) are held as
// deleted.
struct DocumentDeletion {
  std::string entity;
  std::string external_id;
};

struct DocumentBatch {
  std::string system;
  std::string cursor_key;  // which cursor of the system ("files", "Invoice", ...)
  std::vector<Document> documents;
  std::vector<QuarantineEntry> quarantined;
  // Applied after the documents: a page that holds a record and its
  // deletion leaves it deleted.
  std::vector<DocumentDeletion> deletions;
  std::optional<std::string> cursor;  // stored with the batch when set
};

struct BatchOutcome {
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t quarantined = 0;
  std::size_t deleted = 0;  // documents that became deleted
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

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
};

}  // namespace arsync::store
