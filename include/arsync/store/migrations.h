// The SQLite store's schema migrations.
//
// Migration N brings a database from schema version N-1 to N; the version is
// kept in PRAGMA user_version. open_sqlite_store applies the missing ones at
// open, each in its own transaction. A migration is never edited once it has
// shipped: a change to the schema is a new, higher-numbered migration.
//
// Thread safety: the list is immutable.
#pragma once

#include <span>

namespace arsync::store {

struct Migration {
  int version;              // 1, 2, ...: the user_version after it ran
  const char* description;  // for logs: "initial schema"
  const char* sql;          // one or more statements
};

// All migrations, in version order (versions are 1..N without gaps).
std::span<const Migration> sqlite_migrations();

// The schema version this program writes and expects (the last migration's).
int sqlite_schema_version();

}  // namespace arsync::store
