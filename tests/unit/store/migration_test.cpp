// Migrations applied to a database that an earlier release wrote, with data.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>

#include "arsync/store/migrations.h"
#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

std::vector<std::string> columns(SQLite::Database& db, const char* table) {
  SQLite::Statement q(db, std::string("SELECT name FROM pragma_table_info('") + table + "')");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

class MigrationTest : public StoreTest {
 protected:
  // A database as release 5 left it: migrations 1-5 (shipped SQL is never
  // edited, so this is the schema those releases wrote), with two documents
  // stored and updated by the version-5 upsert, a cursor and an application.
  std::string version5_with_rows() {
    const std::string path = (dir_ / "v5.db").string();
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    for (const Migration& m : sqlite_migrations()) {
      if (m.version > 5) break;
      db.exec(m.sql);
    }
    db.exec("PRAGMA user_version = 5");
    db.exec(R"sql(
INSERT INTO documents (system, kind, external_id, version, content_hash, document_number,
  match_key, customer_key, customer_name, amount, currency, open_amount, open_currency,
  tax_amount, tax_currency, issue_date, due_date, status, reference, terms, source_updated_at,
  raw_file, raw_offset, raw_length, raw_sha256, updated_at, revision, previous_match_key)
VALUES
 ('sap-ecc', 'invoice', '0090000451', '0000000000451234', 'h1', '0090000451', '451', 'C100',
  'Acme GmbH', 125000, 'USD', 125000, 'USD', 0, 'USD', '2026-11-01', '2026-12-01', 'open',
  'PO-77', 'NT30', '2026-11-01T08:00:00Z', 'archive/a.xml', 10, 2000, 'abc',
  '2026-11-02T09:00:00Z', 3, '0451'),
 ('qbo-us', 'payment', 'P-9', '7', 'h2', 'P-9', 'P9', 'C100', 'Acme', 50000, 'USD',
  0, 'USD', 0, 'USD', '2026-11-20', NULL, 'paid', 'CHK 1001', '', '2026-11-20T10:00:00Z',
  '', 0, 0, '', '2026-11-20T10:00:00Z', 1, NULL);
INSERT INTO applications (document_id, position, target_kind, target_match_key, target_number,
  amount, currency, discount, discount_currency)
  SELECT id, 0, 'invoice', '451', '0090000451', 50000, 'USD', 0, 'USD'
  FROM documents WHERE external_id = 'P-9';
INSERT INTO cursors (system, cursor_key, value, updated_at)
  VALUES ('sap-ecc', 'files', 'inv-0451.xml', '2026-11-02T09:00:00Z');
)sql");
    return path;
  }
};

TEST_F(MigrationTest, Version5DatabaseMigratesToTheLatestKeepingDocuments) {
  const std::string path = version5_with_rows();
  SqliteOptions o;
  o.path = path;
  auto s = open_sqlite_store(o);
  ASSERT_TRUE(s) << s.status().to_string();
  std::unique_ptr<Store> migrated = std::move(s).value();

  {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 7);
    const std::vector<std::string> cols = columns(db, "documents");
    EXPECT_EQ(std::count(cols.begin(), cols.end(), "entity"), 1);  // 7
    EXPECT_EQ(std::count(cols.begin(), cols.end(), "revision"), 0);
    EXPECT_EQ(std::count(cols.begin(), cols.end(), "previous_match_key"), 1);
    EXPECT_EQ(columns(db, "credentials"),
              (std::vector<std::string>{"system", "name", "nonce", "ciphertext", "updated_at"}));
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'secrets'").getInt(),
              0);
  }

  auto invoice = migrated->find_document("sap-ecc", DocumentKind::kInvoice, "0090000451");
  ASSERT_TRUE(invoice) << invoice.status().to_string();
  ASSERT_TRUE(invoice->has_value());
  const Document& d = **invoice;
  EXPECT_EQ(d.version, "0000000000451234");
  EXPECT_EQ(d.match_key, "451");
  EXPECT_EQ(d.customer_name, "Acme GmbH");
  EXPECT_EQ(d.amount, usd(125000));
  EXPECT_EQ(d.reference, "PO-77");
  EXPECT_EQ(d.raw_ref.file, "archive/a.xml");
  EXPECT_EQ(d.raw_ref.length, 2000u);

  auto settling = migrated->find_applications_to(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(settling);
  ASSERT_EQ(settling->size(), 1u);
  EXPECT_EQ((*settling)[0].external_id, "P-9");
  ASSERT_EQ((*settling)[0].applications.size(), 1u);
  EXPECT_EQ((*settling)[0].applications[0].amount, usd(50000));

  auto cursor = migrated->get_cursor("sap-ecc", "files");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->value_or(""), "inv-0451.xml");
}

// The upsert and the voiding of a cancelled document no longer name the
// dropped column: both work on a migrated file.
TEST_F(MigrationTest, MigratedDatabaseTakesUpdatesAndCancellations) {
  const std::string path = version5_with_rows();
  SqliteOptions o;
  o.path = path;
  auto s = open_sqlite_store(o);
  ASSERT_TRUE(s) << s.status().to_string();
  Document changed = invoice("sap-ecc", "0090000451", "451");
  changed.version = "0000000000451299";
  Document cancel = invoice("sap-ecc", "0090000999", "999");
  cancel.cancels = "0090000451";
  DocumentBatch b = batch({changed, cancel}, "inv-0999.xml");
  auto outcome = (*s)->commit_batch(b, now_);
  ASSERT_TRUE(outcome) << outcome.status().to_string();
  EXPECT_EQ(outcome->updated, 1u);
  EXPECT_EQ(outcome->inserted, 1u);
  auto voided = (*s)->find_document("sap-ecc", DocumentKind::kInvoice, "0090000451");
  ASSERT_TRUE(voided && voided->has_value());
  EXPECT_EQ((**voided).status, DocumentStatus::kVoid);
}

}  // namespace
}  // namespace arsync::store::testing
