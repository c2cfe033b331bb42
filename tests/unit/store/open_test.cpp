// Opening: migrations, pragmas, read-only connections.
#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>

#include "arsync/store/migrations.h"
#include "store_test_util.h"

namespace arsync::store::testing {
namespace {

int user_version(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

std::vector<std::string> tables(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

TEST_F(StoreTest, FreshFileIsMigratedToTheLatestSchemaVersion) {
  EXPECT_EQ(user_version(db_path_), sqlite_schema_version());
  EXPECT_EQ(sqlite_schema_version(), static_cast<int>(sqlite_migrations().size()));
}

// The schema as written, not as the code under test reports it: a migration
// that drops or renames a table, or forgets to bump the version, fails here.
// A new migration updates both literals.
TEST_F(StoreTest, FreshFileHasTheLiteralSchemaVersionAndTables) {
  EXPECT_EQ(user_version(db_path_), 7);
  EXPECT_EQ(tables(db_path_),
            (std::vector<std::string>{"applications", "audit_log", "counters", "credentials",
                                      "cursors", "dirty_keys", "discrepancies",
                                      "discrepancy_events", "documents", "mail_discrepancies",
                                      "mail_outbox", "pull_outcomes", "quarantine"}));
}

TEST_F(StoreTest, ReopeningIsANoOpThatKeepsData) {
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}, "c1"), now_));
  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(user_version(db_path_), sqlite_schema_version());
  auto cursor = store_->get_cursor("sap-ecc", "files");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->value_or(""), "c1");
  auto doc = store_->find_document("sap-ecc", DocumentKind::kInvoice, "451");
  ASSERT_TRUE(doc);
  EXPECT_TRUE(doc->has_value());
}

TEST_F(StoreTest, JournalModeIsWal) {
  SQLite::Database db(db_path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingFileFailsNamingThePath) {
  SqliteOptions o;
  o.path = (dir_ / "missing.db").string();
  o.read_only = true;
  auto s = open_sqlite_store(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(s.status().message(),
            "cannot open SQLite store: unable to open database file (file " + o.path +
                ": No such file or directory)");
  EXPECT_EQ(s.status().where().file, o.path);
  EXPECT_FALSE(std::filesystem::exists(o.path));
}

TEST_F(StoreTest, OpenInAMissingFolderNamesTheFolder) {
  SqliteOptions o;
  o.path = (dir_ / "no-such-folder" / "arsync.db").string();
  auto s = open_sqlite_store(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().message(),
            "cannot open SQLite store: unable to open database file (folder " +
                (dir_ / "no-such-folder").string() + ": No such file or directory)");
}

TEST_F(StoreTest, OpenUnderAFileSaysItIsNotADirectory) {
  const std::string file = (dir_ / "plain-file").string();
  { std::ofstream(file) << "x"; }
  SqliteOptions o;
  o.path = file + "/arsync.db";
  auto s = open_sqlite_store(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().message(),
            "cannot open SQLite store: unable to open database file (folder " + file +
                ": Not a directory)");
}

TEST_F(StoreTest, ReadOnlyOpenRefusesAnOlderSchema) {
  const std::string path = (dir_ / "old.db").string();
  { SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); db.exec("CREATE TABLE t (x)"); }
  SqliteOptions o;
  o.path = path;
  o.read_only = true;
  auto s = open_sqlite_store(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().message(),
            "database schema version 0 is older than this program's " +
                std::to_string(sqlite_schema_version()) +
                "; open it read-write once (start arsyncd) to migrate it");
  EXPECT_EQ(user_version(path), 0);
}

TEST_F(StoreTest, OpenRefusesANewerSchema) {
  store_.reset();
  { SQLite::Database db(db_path_, SQLite::OPEN_READWRITE); db.exec("PRAGMA user_version = 99"); }
  auto s = open_sqlite_store(options());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(s.status().message(),
            "database schema version 99 is newer than this program's " +
                std::to_string(sqlite_schema_version()) +
                "; use the arsync release that wrote it or a later one");
}

TEST_F(StoreTest, ReadOnlyStoreSeesCommitsOfAnOpenWriter) {
  auto reader = open(/*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  auto before = reader->find_group(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->empty());
  ASSERT_TRUE(store_->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_));
  auto after = reader->find_group(DocumentKind::kInvoice, "451");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].external_id, "451");
}

TEST_F(StoreTest, WritingThroughAReadOnlyStoreIsAnIoError) {
  auto reader = open(/*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  auto r = reader->commit_batch(batch({invoice("sap-ecc", "451", "451")}), now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(r.status().message(), "commit_batch: attempt to write a readonly database");
  EXPECT_EQ(r.status().where().file, db_path_);
}

}  // namespace
}  // namespace arsync::store::testing
