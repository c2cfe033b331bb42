// Documents: the batch upsert (commit_batch) and the reads.
//
// commit_batch is the ingest hot path. Per document it runs one upsert and
// no SELECT before it: the change count says whether a row was written (0:
// unchanged or stale), and a last-insert rowid other than 0 (it is reset to
// 0 before; an upsert that updates leaves it alone) says it was inserted.
// Only an update reads its row back, for its id and the match key it had
// before. (RETURNING would say all this in one step, but SQLite buffers
// RETURNING rows in a temporary table per execution, which cost more than
// the upsert itself.) Applications are replaced only for written documents;
// the groups to mark dirty and the reverse lookups are collected in memory
// and run once per batch.
#include <array>
#include <map>

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

// The upsert writes nothing when the content hash is unchanged or the
// incoming version is older than the stored one (arsync_version_older is
// registered at open).
constexpr char kUpsertDocument[] =
    "INSERT INTO documents (system, kind, external_id, version, content_hash,"
    " document_number, match_key, customer_key, customer_name,"
    " amount, currency, open_amount, open_currency, tax_amount, tax_currency,"
    " issue_date, due_date, status, reference, terms, source_updated_at,"
    " raw_file, raw_offset, raw_length, raw_sha256, updated_at, cancels, entity)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
    " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)"
    " ON CONFLICT (system, kind, external_id) DO UPDATE SET"
    " version = excluded.version, content_hash = excluded.content_hash,"
    " document_number = excluded.document_number, match_key = excluded.match_key,"
    " customer_key = excluded.customer_key, customer_name = excluded.customer_name,"
    " amount = excluded.amount, currency = excluded.currency,"
    " open_amount = excluded.open_amount, open_currency = excluded.open_currency,"
    " tax_amount = excluded.tax_amount, tax_currency = excluded.tax_currency,"
    " issue_date = excluded.issue_date, due_date = excluded.due_date,"
    " status = excluded.status, reference = excluded.reference, terms = excluded.terms,"
    " source_updated_at = excluded.source_updated_at, raw_file = excluded.raw_file,"
    " raw_offset = excluded.raw_offset, raw_length = excluded.raw_length,"
    " raw_sha256 = excluded.raw_sha256, updated_at = excluded.updated_at,"
    " cancels = excluded.cancels, entity = excluded.entity,"
    " previous_match_key = documents.match_key"
    " WHERE documents.content_hash <> excluded.content_hash"
    " AND NOT arsync_version_older(excluded.version, documents.version)";

// After an upsert that updated: the row's id and the match key it had before.
constexpr char kUpdatedDocument[] =
    "SELECT id, previous_match_key FROM documents"
    " WHERE system = ?1 AND kind = ?2 AND external_id = ?3";

constexpr char kDeleteApplications[] =
    "DELETE FROM applications WHERE document_id = ?1 RETURNING target_kind, target_match_key";

constexpr char kInsertApplication[] =
    "INSERT INTO applications (document_id, position, target_kind, target_match_key,"
    " target_number, amount, currency, discount, discount_currency)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

// The groups of documents that apply to any of the groups of one kind (?2:
// a JSON array of match keys): a changed invoice re-checks the payments that
// settle it. One statement per kind and batch.
constexpr char kApplyingGroups[] =
    "SELECT DISTINCT d.kind, d.match_key FROM applications a"
    " JOIN documents d ON d.id = a.document_id"
    " WHERE a.target_kind = ?1 AND a.target_match_key IN (SELECT value FROM json_each(?2))";

// Every document kind, for lookups by (system, external_id) that the
// (system, kind, external_id) key serves.
#define ARSYNC_EVERY_KIND \
  "kind IN ('customer', 'invoice', 'credit_memo', 'debit_memo', 'payment', 'refund', 'write_off')"

// Cancellations: of the documents named in ?2 (a JSON array of external ids:
// those a cancellation in the batch names, and those the batch wrote), the
// ones some cancellation in system ?1 names become void, and their groups
// are returned to mark dirty. The content hash is left alone, so the
// original sent again unchanged stays void; sent changed, it is written
// open and voided here again. Every kind is listed so that the
// (system, kind, external_id) key serves the lookup.
constexpr char kVoidCancelled[] =
    "UPDATE documents SET status = 'void', updated_at = ?3"
    " WHERE system = ?1 AND " ARSYNC_EVERY_KIND
    " AND external_id IN (SELECT c.cancels FROM documents c"
    "  WHERE c.system = ?1 AND c.cancels <> ''"
    "  AND c.cancels IN (SELECT value FROM json_each(?2)))"
    " AND cancels = '' AND status <> 'void'"
    " RETURNING kind, match_key";

constexpr char kAnyCancellation[] =
    "SELECT 1 FROM documents WHERE system = ?1 AND cancels <> '' LIMIT 1";

constexpr char kPutCursor[] =
    "INSERT INTO cursors (system, cursor_key, value, updated_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (system, cursor_key) DO UPDATE SET"
    " value = excluded.value, updated_at = excluded.updated_at";

#define ARSYNC_DOCUMENT_COLUMNS                                                        \
  "SELECT id, system, kind, external_id, version, document_number, match_key,"        \
  " customer_key, customer_name, amount, currency, open_amount, open_currency,"       \
  " tax_amount, tax_currency, issue_date, due_date, status, reference, terms,"        \
  " source_updated_at, raw_file, raw_offset, raw_length, raw_sha256, cancels, entity"        \
  " FROM documents "

constexpr char kFindGroup[] = ARSYNC_DOCUMENT_COLUMNS
    "WHERE kind = ?1 AND match_key = ?2 ORDER BY system, external_id";
constexpr char kFindDocument[] = ARSYNC_DOCUMENT_COLUMNS
    "WHERE system = ?1 AND kind = ?2 AND external_id = ?3";
constexpr char kFindApplicationsTo[] = ARSYNC_DOCUMENT_COLUMNS
    "WHERE id IN (SELECT document_id FROM applications"
    " WHERE target_kind = ?1 AND target_match_key = ?2)"
    " ORDER BY system, kind, external_id";
constexpr char kListDocuments[] = ARSYNC_DOCUMENT_COLUMNS
    "WHERE (?1 = '' OR system = ?1) AND (?2 IS NULL OR kind = ?2)"
    " ORDER BY match_key, system, kind, external_id LIMIT ?3";
constexpr char kFindByNumber[] = ARSYNC_DOCUMENT_COLUMNS
    "WHERE system = ?1 AND kind = ?2 AND document_number = ?3 ORDER BY external_id";

#undef ARSYNC_DOCUMENT_COLUMNS

// A record deleted at its source: its documents (of any kind: the source
// names its record type, ?3, not the kind its mapping chose) become
// 'deleted', and their groups are returned to mark dirty. The content hash
// is cleared, so the record sent again (restored at the source) is written.
// Every kind is listed so that the (system, kind, external_id) key serves
// the lookup.
constexpr char kDeleteAtSource[] =
    "UPDATE documents SET status = 'deleted', content_hash = '', updated_at = ?4"
    " WHERE system = ?1 AND " ARSYNC_EVERY_KIND " AND external_id = ?2 AND entity = ?3"
    " AND status <> 'deleted'"
    " RETURNING kind, match_key";

#undef ARSYNC_EVERY_KIND

constexpr char kReadApplications[] =
    "SELECT target_kind, target_match_key, target_number, amount, currency,"
    " discount, discount_currency FROM applications WHERE document_id = ?1 ORDER BY position";

void bind_date(SQLite::Statement& s, int index, const std::optional<Date>& d) {
  if (d) {
    s.bind(index, format_date(*d));
  } else {
    s.bind(index);
  }
}

std::optional<Date> column_date(SQLite::Statement& s, int index) {
  SQLite::Column c = s.getColumn(index);
  if (c.isNull()) return std::nullopt;
  const std::string text = c.getString();
  Result<Date> d = parse_date(text);
  if (!d) throw CorruptRow("stored date '" + text + "' is unreadable");
  return *d;
}

Money column_money(SQLite::Statement& s, int amount_index, int currency_index) {
  return Money(s.getColumn(amount_index).getInt64(),
               read_currency(s.getColumn(currency_index).getString()));
}

const std::string& status_text(DocumentStatus status) {
  static const std::array<std::string, 5> kNames = {
      std::string(to_string(DocumentStatus::kOpen)),
      std::string(to_string(DocumentStatus::kPartiallyPaid)),
      std::string(to_string(DocumentStatus::kPaid)),
      std::string(to_string(DocumentStatus::kVoid)),
      std::string(to_string(DocumentStatus::kDeleted))};
  return kNames.at(static_cast<std::size_t>(status));
}

}  // namespace

Result<BatchOutcome> SqliteStore::commit_batch(const DocumentBatch& batch, Instant now) {
  Result<std::vector<BatchOutcome>> outcomes = commit_batches(std::span(&batch, 1), now);
  if (!outcomes) return outcomes.status();
  return outcomes->front();
}

Result<std::vector<BatchOutcome>> SqliteStore::commit_batches(
    std::span<const DocumentBatch> batches, Instant now) {
  return guarded("commit_batch", [&]() -> Result<std::vector<BatchOutcome>> {
    std::vector<BatchOutcome> outcomes;
    outcomes.reserve(batches.size());
    const std::string now_text = instant_text(now);
    WriteTx tx(*db_);
    for (const DocumentBatch& batch : batches) outcomes.push_back(write_batch(batch, now, now_text));
    tx.commit();
    return outcomes;
  });
}

BatchOutcome SqliteStore::write_batch(const DocumentBatch& batch, Instant now,
                                      const std::string& now_text) {
  BatchOutcome outcome;
  GroupList dirty;
  dirty.reserve(batch.documents.size() * 2);
  GroupList changed_groups;  // whose applying documents get re-checked

  SQLite::Statement& upsert = statement(kUpsertDocument);
  SQLite::Statement& delete_apps = statement(kDeleteApplications);
  SQLite::Statement& insert_app = statement(kInsertApplication);

  SQLite::Statement& updated = statement(kUpdatedDocument);

  // Only a system with a cancellation (stored or in this batch) can have a
  // document to void: the others skip the lookup after the upserts.
  std::map<std::string, std::vector<std::string>> void_candidates;
  std::map<std::string, bool, std::less<>> may_cancel;
  for (const Document& doc : batch.documents) {
    if (!doc.cancels.empty()) may_cancel[doc.system] = true;
  }
  auto cancellations_possible = [&](const std::string& system) {
    auto [it, added] = may_cancel.try_emplace(system, false);
    if (added) {
      StatementUse q(statement(kAnyCancellation));
      q->bindNoCopy(1, system);
      it->second = q->executeStep();
    }
    return it->second;
  };

  for (const Document& doc : batch.documents) {
    const std::string hash = content_hash(doc);
    const std::string& kind = kind_text(doc.kind);
    std::int64_t id = 0;
    bool inserted = false;
    std::optional<std::string> previous_match_key;
    {
      StatementUse u(upsert);
      u->bindNoCopy(1, doc.system);
      u->bindNoCopy(2, kind);
      u->bindNoCopy(3, doc.external_id);
      u->bindNoCopy(4, doc.version);
      u->bindNoCopy(5, hash);
      u->bindNoCopy(6, doc.document_number);
      u->bindNoCopy(7, doc.match_key);
      u->bindNoCopy(8, doc.customer_key);
      u->bindNoCopy(9, doc.customer_name);
      u->bind(10, doc.amount.minor_units());
      u->bind(11, std::string(doc.amount.currency().code()));
      u->bind(12, doc.open_amount.minor_units());
      u->bind(13, std::string(doc.open_amount.currency().code()));
      u->bind(14, doc.tax_amount.minor_units());
      u->bind(15, std::string(doc.tax_amount.currency().code()));
      bind_date(*u, 16, doc.issue_date);
      bind_date(*u, 17, doc.due_date);
      u->bindNoCopy(18, status_text(doc.status));
      u->bindNoCopy(19, doc.reference);
      u->bindNoCopy(20, doc.terms);
      u->bindNoCopy(21, doc.source_updated_at);
      u->bindNoCopy(22, doc.raw_ref.file);
      u->bind(23, static_cast<std::int64_t>(doc.raw_ref.offset));
      u->bind(24, static_cast<std::int64_t>(doc.raw_ref.length));
      u->bindNoCopy(25, doc.raw_ref.sha256);
      u->bindNoCopy(26, now_text);
      u->bindNoCopy(27, doc.cancels);
      u->bindNoCopy(28, doc.entity);
      // Rowids start at 1, so a rowid other than 0 afterwards is this insert's.
      sqlite3_set_last_insert_rowid(db_->getHandle(), 0);
      if (u->exec() == 0) {
        ++outcome.unchanged;  // same content, or an older version
        continue;
      }
      id = db_->getLastInsertRowid();
      inserted = id != 0;
    }
    if (!inserted) {
      StatementUse q(updated);
      q->bindNoCopy(1, doc.system);
      q->bindNoCopy(2, kind);
      q->bindNoCopy(3, doc.external_id);
      if (!q->executeStep()) throw CorruptRow("updated document " + doc.external_id + " is gone");
      id = q->getColumn(0).getInt64();
      if (!q->getColumn(1).isNull()) previous_match_key = q->getColumn(1).getString();
    }

    if (inserted) {
      ++outcome.inserted;
    } else {
      ++outcome.updated;
      // The groups the old applications settled need a re-check too.
      StatementUse d(delete_apps);
      d->bind(1, id);
      while (d->executeStep()) {
        dirty.emplace_back(d->getColumn(0).getString(), d->getColumn(1).getString());
      }
      if (previous_match_key && *previous_match_key != doc.match_key) {
        dirty.emplace_back(kind, *previous_match_key);
        changed_groups.emplace_back(kind, *previous_match_key);
      }
    }
    int position = 0;
    for (const Application& a : doc.applications) {
      StatementUse ins(insert_app);
      ins->bind(1, id);
      ins->bind(2, position++);
      ins->bindNoCopy(3, kind_text(a.target_kind));
      ins->bindNoCopy(4, a.target_match_key);
      ins->bindNoCopy(5, a.target_number);
      ins->bind(6, a.amount.minor_units());
      ins->bind(7, std::string(a.amount.currency().code()));
      ins->bind(8, a.discount.minor_units());
      ins->bind(9, std::string(a.discount.currency().code()));
      ins->exec();
      dirty.emplace_back(kind_text(a.target_kind), a.target_match_key);
    }
    dirty.emplace_back(kind, doc.match_key);
    changed_groups.emplace_back(kind, doc.match_key);
    if (cancellations_possible(doc.system)) {
      void_candidates[doc.system].push_back(doc.cancels.empty() ? doc.external_id : doc.cancels);
    }
  }

  for (const auto& [system, ids] : void_candidates) {
    StatementUse v(statement(kVoidCancelled));
    v->bindNoCopy(1, system);
    v->bind(2, nlohmann::json(ids).dump());
    v->bindNoCopy(3, now_text);
    while (v->executeStep()) {
      dirty.emplace_back(v->getColumn(0).getString(), v->getColumn(1).getString());
    }
  }

  for (const DocumentDeletion& gone : batch.deletions) {
    StatementUse del(statement(kDeleteAtSource));
    del->bindNoCopy(1, batch.system);
    del->bindNoCopy(2, gone.external_id);
    del->bindNoCopy(3, gone.entity);
    del->bindNoCopy(4, now_text);
    while (del->executeStep()) {
      ++outcome.deleted;
      dirty.emplace_back(del->getColumn(0).getString(), del->getColumn(1).getString());
      changed_groups.emplace_back(del->getColumn(0).getString(), del->getColumn(1).getString());
    }
  }

  // Reverse rule: one lookup per kind for the batch's changed groups.
  SQLite::Statement& applying = statement(kApplyingGroups);
  for_each_kind(std::move(changed_groups), [&](const std::string& kind, const std::string& match_keys) {
    StatementUse q(applying);
    q->bindNoCopy(1, kind);
    q->bindNoCopy(2, match_keys);
    while (q->executeStep()) {
      dirty.emplace_back(q->getColumn(0).getString(), q->getColumn(1).getString());
    }
  });
  mark_dirty_in_tx(std::move(dirty), now_text);

  for (const QuarantineEntry& e : batch.quarantined) {
    insert_quarantine(e, e.system.empty() ? batch.system : e.system,
                      e.at == Instant{} ? now : e.at);
    ++outcome.quarantined;
  }

  if (batch.cursor) {
    StatementUse c(statement(kPutCursor));
    c->bindNoCopy(1, batch.system);
    c->bindNoCopy(2, batch.cursor_key);
    c->bindNoCopy(3, *batch.cursor);
    c->bindNoCopy(4, now_text);
    c->exec();
  }
  return outcome;
}

std::vector<Document> SqliteStore::read_documents(SQLite::Statement& query) {
  std::vector<Document> docs;
  std::vector<std::int64_t> ids;
  while (query.executeStep()) {
    Document d;
    ids.push_back(query.getColumn(0).getInt64());
    d.system = query.getColumn(1).getString();
    d.kind = read_kind(query.getColumn(2).getString());
    d.external_id = query.getColumn(3).getString();
    d.version = query.getColumn(4).getString();
    d.document_number = query.getColumn(5).getString();
    d.match_key = query.getColumn(6).getString();
    d.customer_key = query.getColumn(7).getString();
    d.customer_name = query.getColumn(8).getString();
    d.amount = column_money(query, 9, 10);
    d.open_amount = column_money(query, 11, 12);
    d.tax_amount = column_money(query, 13, 14);
    d.issue_date = column_date(query, 15);
    d.due_date = column_date(query, 16);
    const std::string status = query.getColumn(17).getString();
    std::optional<DocumentStatus> st = parse_document_status(status);
    if (!st) throw CorruptRow("stored document status '" + status + "' is unknown");
    d.status = *st;
    d.reference = query.getColumn(18).getString();
    d.terms = query.getColumn(19).getString();
    d.source_updated_at = query.getColumn(20).getString();
    d.raw_ref.file = query.getColumn(21).getString();
    d.raw_ref.offset = static_cast<std::uint64_t>(query.getColumn(22).getInt64());
    d.raw_ref.length = static_cast<std::uint64_t>(query.getColumn(23).getInt64());
    d.raw_ref.sha256 = query.getColumn(24).getString();
    d.cancels = query.getColumn(25).getString();
    d.entity = query.getColumn(26).getString();
    docs.push_back(std::move(d));
  }
  query.tryReset();
  SQLite::Statement& apps = statement(kReadApplications);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    StatementUse q(apps);
    q->bind(1, ids[i]);
    while (q->executeStep()) {
      Application a;
      a.target_kind = read_kind(q->getColumn(0).getString());
      a.target_match_key = q->getColumn(1).getString();
      a.target_number = q->getColumn(2).getString();
      a.amount = column_money(*q, 3, 4);
      a.discount = column_money(*q, 5, 6);
      docs[i].applications.push_back(std::move(a));
    }
  }
  return docs;
}

Result<std::vector<Document>> SqliteStore::find_group(DocumentKind kind,
                                                      const std::string& match_key) {
  return guarded("find_group", [&]() -> Result<std::vector<Document>> {
    StatementUse q(statement(kFindGroup));
    q->bindNoCopy(1, kind_text(kind));
    q->bindNoCopy(2, match_key);
    return read_documents(*q);
  });
}

Result<std::optional<Document>> SqliteStore::find_document(const std::string& system,
                                                           DocumentKind kind,
                                                           const std::string& external_id) {
  return guarded("find_document", [&]() -> Result<std::optional<Document>> {
    StatementUse q(statement(kFindDocument));
    q->bindNoCopy(1, system);
    q->bindNoCopy(2, kind_text(kind));
    q->bindNoCopy(3, external_id);
    std::vector<Document> docs = read_documents(*q);
    if (docs.empty()) return std::optional<Document>();
    return std::optional<Document>(std::move(docs.front()));
  });
}

Result<std::vector<Document>> SqliteStore::find_applications_to(
    DocumentKind target_kind, const std::string& target_match_key) {
  return guarded("find_applications_to", [&]() -> Result<std::vector<Document>> {
    StatementUse q(statement(kFindApplicationsTo));
    q->bindNoCopy(1, kind_text(target_kind));
    q->bindNoCopy(2, target_match_key);
    return read_documents(*q);
  });
}

Result<std::vector<Document>> SqliteStore::list_documents(const std::string& system,
                                                          std::optional<DocumentKind> kind,
                                                          std::size_t limit) {
  return guarded("list_documents", [&]() -> Result<std::vector<Document>> {
    StatementUse q(statement(kListDocuments));
    q->bindNoCopy(1, system);
    if (kind) {
      q->bindNoCopy(2, kind_text(*kind));
    } else {
      q->bind(2);
    }
    q->bind(3, limit_value(limit));
    return read_documents(*q);
  });
}

Result<std::vector<Document>> SqliteStore::find_by_number(const std::string& system,
                                                          DocumentKind kind,
                                                          const std::string& document_number) {
  return guarded("find_by_number", [&]() -> Result<std::vector<Document>> {
    StatementUse q(statement(kFindByNumber));
    q->bindNoCopy(1, system);
    q->bindNoCopy(2, kind_text(kind));
    q->bindNoCopy(3, document_number);
    return read_documents(*q);
  });
}

}  // namespace arsync::store::sqlite
