// The credential store: AES-256-GCM at rest, bound to (system, name),
// durable when put returns.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "arsync/store/credential_vault.h"
#include "store_test_util.h"

#ifndef ARSYNC_CREDENTIAL_PUT_CHILD
#error "ARSYNC_CREDENTIAL_PUT_CHILD must name the credential_put_child program"
#endif

namespace arsync::store::testing {
namespace {

// A refresh token as QuickBooks issues them (made up).
constexpr char kToken[] = "AB11730911734qY1Pe6mHbPzHfUqPdVtIeFYsk0ZTPsCfRdZxL";
constexpr char kKeyHex[] = "8f3c2a1b9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243f";

CredentialKey key_from(const char* hex) {
  CredentialKey::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<unsigned char>(std::stoi(std::string(hex + 2 * i, 2), nullptr, 16));
  }
  return CredentialKey(bytes);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class CredentialVaultTest : public StoreTest {
 protected:
  std::unique_ptr<CredentialVault> vault(const CredentialKey& key) {
    auto v = CredentialVault::open(db_path_, key, clock_);
    EXPECT_TRUE(v) << v.status().to_string();
    return v ? std::move(v).value() : nullptr;
  }

  ManualClock clock_{at("2026-11-25T10:00:00Z")};
  CredentialKey key_ = key_from(kKeyHex);
};

TEST_F(CredentialVaultTest, PutValueIsReadBackThroughTheSystemsHandle) {
  auto v = vault(key_);
  auto qbo = v->handle("qbo-us");
  ASSERT_TRUE(qbo->put("refresh_token", kToken));
  auto got = qbo->get("refresh_token");
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->value_or(""), kToken);

  // Another system's handle does not see it; an unknown name is empty.
  auto other = v->handle("qbo-eu")->get("refresh_token");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
  auto missing = qbo->get("access_token");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(CredentialVaultTest, PutReplacesTheValueWithAFreshNonce) {
  auto v = vault(key_);
  ASSERT_TRUE(v->put("qbo-us", "refresh_token", kToken));
  auto first = store_->get_credential("qbo-us", "refresh_token");
  ASSERT_TRUE(first && first->has_value());
  ASSERT_TRUE(v->put("qbo-us", "refresh_token", kToken));
  auto second = store_->get_credential("qbo-us", "refresh_token");
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ((**first).nonce.size(), 12u);
  EXPECT_NE((**first).nonce, (**second).nonce);
  EXPECT_NE((**first).ciphertext, (**second).ciphertext);
  EXPECT_EQ((**second).ciphertext.size(), std::string(kToken).size() + 16);

  ASSERT_TRUE(v->put("qbo-us", "refresh_token", "rotated"));
  EXPECT_EQ(v->get("qbo-us", "refresh_token")->value_or(""), "rotated");
}

TEST_F(CredentialVaultTest, TamperedCiphertextIsRefusedNamingSystemAndName) {
  auto v = vault(key_);
  ASSERT_TRUE(v->put("qbo-us", "refresh_token", kToken));
  // One bit of the stored ciphertext flipped, as a disk error or an edit would.
  auto stored = store_->get_credential("qbo-us", "refresh_token");
  ASSERT_TRUE(stored && stored->has_value());
  EncryptedCredential altered = **stored;
  altered.ciphertext[3] = static_cast<char>(altered.ciphertext[3] ^ 0x01);
  ASSERT_TRUE(store_->put_credential("qbo-us", "refresh_token", altered));
  auto got = v->get("qbo-us", "refresh_token");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), ErrorCode::kAuthError);
  EXPECT_EQ(got.status().message(),
            "credential 'refresh_token' of system 'qbo-us' does not decrypt: the secrets "
            "file's store_key is not the key it was written with, or the stored row was "
            "altered; restore the old store_key, or authorize the connector again so that it "
            "puts a new value");
  EXPECT_EQ(got.status().to_string().find(kToken), std::string::npos);
}

TEST_F(CredentialVaultTest, WrongKeyIsRefused) {
  ASSERT_TRUE(vault(key_)->put("qbo-us", "refresh_token", kToken));
  auto other = vault(key_from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
  auto got = other->get("qbo-us", "refresh_token");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.status().code(), ErrorCode::kAuthError);
  EXPECT_NE(got.status().message().find("credential 'refresh_token' of system 'qbo-us'"),
            std::string::npos);
  EXPECT_EQ(got.status().message().find(kToken), std::string::npos);
}

// The row's (system, name) is part of what is authenticated: a ciphertext
// copied to another system's row does not decrypt there.
TEST_F(CredentialVaultTest, CiphertextMovedToAnotherRowIsRefused) {
  auto v = vault(key_);
  ASSERT_TRUE(v->put("qbo-us", "refresh_token", kToken));
  {
    SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO credentials (system, name, nonce, ciphertext, updated_at)"
            " SELECT 'qbo-eu', name, nonce, ciphertext, updated_at FROM credentials"
            " WHERE system = 'qbo-us'");
  }
  auto moved = v->get("qbo-eu", "refresh_token");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.status().code(), ErrorCode::kAuthError);
}

TEST_F(CredentialVaultTest, TokenNeverAppearsInTheDatabaseFiles) {
  auto v = vault(key_);
  ASSERT_TRUE(v->put("qbo-us", "refresh_token", kToken));
  ASSERT_TRUE(v->put("qbo-us", "access_token", std::string(kToken) + "-access"));
  // Read while the vault's connection is open (the WAL holds the commits),
  // and again after it closed and checkpointed them into the main file.
  for (int round = 0; round < 2; ++round) {
    const std::string db = file_bytes(db_path_);
    const std::string wal = file_bytes(db_path_ + "-wal");
    ASSERT_FALSE(db.empty());
    // The search reads what SQLite wrote: the names are there in clear.
    EXPECT_NE((db + wal).find("refresh_token"), std::string::npos);
    EXPECT_EQ(db.find(kToken), std::string::npos) << "round " << round;
    EXPECT_EQ(wal.find(kToken), std::string::npos) << "round " << round;
    EXPECT_EQ(db.find("AB11730911734"), std::string::npos);
    EXPECT_EQ(wal.find("AB11730911734"), std::string::npos);
    v.reset();
    store_.reset();
  }
}

// The vault's own connection beside a writer in the middle of a batch
// transaction: put waits for the lock (busy timeout) and then commits.
TEST_F(CredentialVaultTest, PutWaitsForAnotherConnectionsWriteTransaction) {
  auto v = vault(key_);
  SQLite::Database writer(db_path_, SQLite::OPEN_READWRITE);
  SQLite::Transaction tx(writer, SQLite::TransactionBehavior::IMMEDIATE);
  writer.exec("INSERT INTO cursors (system, cursor_key, value, updated_at)"
              " VALUES ('sap-ecc', 'files', 'c9', '2026-11-25T10:00:00Z')");
  const auto begin = std::chrono::steady_clock::now();
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    tx.commit();
  });
  Status put = v->put("qbo-us", "refresh_token", kToken);
  const auto waited = std::chrono::steady_clock::now() - begin;
  committer.join();
  ASSERT_TRUE(put) << put.to_string();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_EQ(v->get("qbo-us", "refresh_token")->value_or(""), kToken);
  EXPECT_EQ(store_->get_cursor("sap-ecc", "files")->value_or(""), "c9");
}

// put's contract: once it returned, the value is committed. A child process
// puts, says so on a pipe and is killed with SIGKILL at once; the value is
// there when the file is opened again.
TEST_F(CredentialVaultTest, PutSurvivesKill9RightAfterItReturns) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(ARSYNC_CREDENTIAL_PUT_CHILD, "credential_put_child", db_path_.c_str(), kKeyHex,
            "qbo-us", "refresh_token", kToken, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string said;
  char c = 0;
  while (said.find('\n') == std::string::npos && ::read(out[0], &c, 1) == 1) said += c;
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(said, "put returned OK\n");
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  store_.reset();
  auto got = vault(key_)->get("qbo-us", "refresh_token");
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->value_or(""), kToken);
}

}  // namespace
}  // namespace arsync::store::testing
