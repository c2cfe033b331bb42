// Credentials: connectors' encrypted tokens, one row per (system, name). The
// store keeps the blobs as CredentialVault wrote them; it never sees a
// plaintext.
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

// One statement, so the put is its own (autocommit) write transaction: it
// begins with no read snapshot, which lets the busy handler wait out another
// connection's write lock instead of failing at once.
constexpr char kPutCredential[] =
    "INSERT INTO credentials (system, name, nonce, ciphertext, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (system, name) DO UPDATE SET nonce = excluded.nonce,"
    " ciphertext = excluded.ciphertext, updated_at = excluded.updated_at";

constexpr char kGetCredential[] =
    "SELECT nonce, ciphertext, updated_at FROM credentials WHERE system = ?1 AND name = ?2";

std::string column_blob(SQLite::Statement& q, int index) {
  SQLite::Column c = q.getColumn(index);
  const auto* p = static_cast<const char*>(c.getBlob());
  return std::string(p ? p : "", static_cast<std::size_t>(c.getBytes()));
}

}  // namespace

Result<std::optional<EncryptedCredential>> SqliteStore::get_credential(const std::string& system,
                                                                       const std::string& name) {
  return guarded("get_credential", [&]() -> Result<std::optional<EncryptedCredential>> {
    StatementUse q(statement(kGetCredential));
    q->bindNoCopy(1, system);
    q->bindNoCopy(2, name);
    if (!q->executeStep()) return std::optional<EncryptedCredential>();
    EncryptedCredential out;
    out.nonce = column_blob(*q, 0);
    out.ciphertext = column_blob(*q, 1);
    out.updated_at = read_instant(q->getColumn(2).getString());
    return std::optional<EncryptedCredential>(std::move(out));
  });
}

Status SqliteStore::put_credential(const std::string& system, const std::string& name,
                                   const EncryptedCredential& value) {
  return guarded("put_credential", [&]() -> Status {
    StatementUse q(statement(kPutCredential));
    q->bindNoCopy(1, system);
    q->bindNoCopy(2, name);
    q->bindNoCopy(3, value.nonce.data(), static_cast<int>(value.nonce.size()));
    q->bindNoCopy(4, value.ciphertext.data(), static_cast<int>(value.ciphertext.size()));
    q->bind(5, instant_text(value.updated_at));
    q->exec();
    return Status::ok();
  });
}

}  // namespace arsync::store::sqlite
