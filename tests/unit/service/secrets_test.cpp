// The secrets file: real files with real modes in a temp folder.
#include "arsync/service/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <vector>

namespace arsync::service {
namespace {

namespace fs = std::filesystem;

// Nothing can print the secrets or the key: no operator<< to call by mistake.
template <typename T>
concept Printable = requires(std::ostream& os, const T& v) { os << v; };
static_assert(!Printable<Secrets>);
static_assert(!Printable<store::CredentialKey>);

constexpr char kStoreKey[] = "8F3C2A1B9E7D6C5B4A39281706F5E4D3C2B1A09F8E7D6C5B4A3928170615243F";
constexpr char kSmtpPassword[] = "s3cr3t-Mail-Pw";
constexpr char kUserHash[] = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g";
constexpr char kTokenSha[] = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
constexpr char kClientSecret[] = "qbo-Client-Secret-42";

// Every value the good file holds, for the tests that check no message
// carries one.
const std::vector<std::string> kValues = {kStoreKey, kSmtpPassword, kUserHash, kTokenSha,
                                          kClientSecret};

std::string good_file_text() {
  return std::string(R"({
  // The credential store's key.
  "store_key": ")") + kStoreKey + R"(",
  "smtp_password": ")" + kSmtpPassword + R"(",
  "http": {
    "users": {"sap-po": ")" + kUserHash + R"("},
    "tokens": {"cli": ")" + kTokenSha + R"("}
  },
  /* API secrets per system */
  "systems": {"qbo-us": {"client_secret": ")" + kClientSecret + R"("}}
})";
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    dir_ = fs::temp_directory_path() /
           ("arsync-secrets-test-" + std::to_string(::getpid()) + "-" + std::to_string(stamp));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& text, mode_t mode, const char* name = "secrets.json") {
    const std::string path = (dir_ / name).string();
    { std::ofstream(path, std::ios::binary) << text; }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  // The message of a refused file, checked to carry none of the values.
  std::string refusal(const std::string& path) {
    Result<Secrets> s = load_secrets(path);
    EXPECT_FALSE(s);
    if (s) return "";
    const std::string text = s.status().to_string();
    for (const std::string& v : kValues) {
      EXPECT_EQ(text.find(v), std::string::npos) << "value leaked in: " << text;
      EXPECT_EQ(text.find(v.substr(0, 12)), std::string::npos) << "value leaked in: " << text;
    }
    return s.status().message();
  }

  fs::path dir_;
};

TEST_F(SecretsTest, OwnerAndGroupReadableFileIsLoaded) {
  for (mode_t mode : {0600, 0640, 0400, 0660}) {
    const std::string path = write(good_file_text(), mode);
    Result<Secrets> s = load_secrets(path);
    ASSERT_TRUE(s) << s.status().to_string();
    EXPECT_EQ(s->file, path);
    ASSERT_TRUE(s->store_key.has_value());
    EXPECT_EQ(s->store_key->bytes()[0], 0x8f);
    EXPECT_EQ(s->store_key->bytes()[1], 0x3c);
    EXPECT_EQ(s->store_key->bytes()[31], 0x3f);
    EXPECT_EQ(s->smtp_password.value_or(""), kSmtpPassword);
    EXPECT_EQ(s->http_users, (std::map<std::string, std::string>{{"sap-po", kUserHash}}));
    // Token hashes are kept in lowercase, as sha256sum prints them.
    EXPECT_EQ(s->http_tokens.at("cli"),
              "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    EXPECT_EQ(s->systems.at("qbo-us").at("client_secret"), kClientSecret);
  }
}

TEST_F(SecretsTest, EmptyObjectHasNoSecrets) {
  Result<Secrets> s = load_secrets(write("{}", 0600));
  ASSERT_TRUE(s) << s.status().to_string();
  EXPECT_FALSE(s->store_key.has_value());
  EXPECT_FALSE(s->smtp_password.has_value());
  EXPECT_TRUE(s->http_users.empty());
  EXPECT_TRUE(s->systems.empty());
}

TEST_F(SecretsTest, WorldReadableFileIsRefusedWithTheChmodToRun) {
  const std::string path = write(good_file_text(), 0644);
  EXPECT_EQ(refusal(path),
            "secrets file " + path +
                ": has mode 0644, which gives users other than its owner and group access to "
                "it; run: chmod o-rwx " + path + " (and chown root:GROUP " + path +
                ", GROUP being the group arsyncd runs as, if it is not already)");
  for (mode_t mode : {0604, 0602, 0601, 0666}) {
    write(good_file_text(), mode);
    EXPECT_NE(refusal(path).find("has mode 0" + std::to_string(mode >> 6) +
                                 std::to_string((mode >> 3) & 7) + std::to_string(mode & 7)),
              std::string::npos);
  }
}

TEST_F(SecretsTest, SymbolicLinkIsRefusedEvenToAPrivateFile) {
  const std::string target = write(good_file_text(), 0600);
  const std::string link = (dir_ / "link.json").string();
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(refusal(link),
            "secrets file " + link +
                ": is a symbolic link; name the file itself (a link could be pointed at a file "
                "that others may read)");
}

TEST_F(SecretsTest, DirectoryIsRefused) {
  const std::string path = (dir_ / "secrets.d").string();
  fs::create_directories(path);
  ::chmod(path.c_str(), 0700);
  EXPECT_EQ(refusal(path), "secrets file " + path + ": is not a regular file");
}

TEST_F(SecretsTest, MissingFileIsAnIoErrorNamingIt) {
  const std::string path = (dir_ / "absent.json").string();
  Result<Secrets> s = load_secrets(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(s.status().message(),
            "secrets file " + path + " cannot be read: No such file or directory");
}

TEST_F(SecretsTest, StoreKeyOfWrongLengthIsRefusedWithoutEchoingIt) {
  const std::string path =
      write(std::string(R"({"store_key": ")") + std::string(kStoreKey).substr(0, 40) + "\"}", 0600);
  EXPECT_EQ(refusal(path), "secrets file " + path +
                               ": store_key: must be 64 hex digits (256 bits), got 40 "
                               "characters; make one with: openssl rand -hex 32");
}

TEST_F(SecretsTest, StoreKeyWithANonHexCharacterIsRefusedByPosition) {
  std::string key = kStoreKey;
  key[10] = 'g';
  const std::string path = write(R"({"store_key": ")" + key + "\"}", 0600);
  EXPECT_EQ(refusal(path), "secrets file " + path +
                               ": store_key: must be 64 hex digits (256 bits); character 11 is "
                               "not a hex digit; make one with: openssl rand -hex 32");
}

TEST_F(SecretsTest, TokenHashThatIsNotSha256HexIsRefused) {
  const std::string path = write(R"({"http": {"tokens": {"cli": "plain-token"}}})", 0600);
  const std::string message = refusal(path);
  EXPECT_EQ(message, "secrets file " + path +
                         ": http.tokens.cli: must be 64 hex digits (256 bits), got 11 "
                         "characters; store the token's SHA-256, as printed by: printf %s "
                         "TOKEN | sha256sum");
  EXPECT_EQ(message.find("plain-token"), std::string::npos);
}

TEST_F(SecretsTest, UnknownKeysAreNamedByTheirPath) {
  EXPECT_EQ(refusal(write(R"({"smtp_pasword": "x"})", 0600)),
            "secrets file " + (dir_ / "secrets.json").string() +
                ": smtp_pasword: unknown key (known keys here: http, smtp_password, store_key, "
                "systems)");
  EXPECT_EQ(refusal(write(R"({"http": {"user": {}}})", 0600)),
            "secrets file " + (dir_ / "secrets.json").string() +
                ": http.user: unknown key (known keys here: tokens, users)");
}

TEST_F(SecretsTest, WrongTypesNameThePathAndTypeNotTheValue) {
  const std::string path = (dir_ / "secrets.json").string();
  EXPECT_EQ(refusal(write(R"({"smtp_password": 12345678})", 0600)),
            "secrets file " + path + ": smtp_password: expected a string, got number");
  EXPECT_EQ(refusal(write(R"({"systems": {"qbo-us": {"client_secret": ["qbo-Client-Secret-42"]}}})",
                          0600)),
            "secrets file " + path + ": systems.qbo-us.client_secret: expected a string, got array");
  EXPECT_EQ(refusal(write(R"({"systems": {"qbo-us": "qbo-Client-Secret-42"}})", 0600)),
            "secrets file " + path + ": systems.qbo-us: expected an object, got string");
}

// nlohmann's own message quotes the text it last read: here the password.
// The place is the last character read: the end of the "http" that follows
// store_key's line without a comma.
TEST_F(SecretsTest, JsonSyntaxErrorGivesThePlaceButNoText) {
  const std::string path = write(std::string("{\n  \"smtp_password\": \"") + kSmtpPassword +
                                     "\",\n  \"store_key\": \"" + kStoreKey + "\"\n  \"http\": {}\n}",
                                 0600);
  EXPECT_EQ(refusal(path),
            "secrets file " + path + ": is not valid JSON (syntax error at line 4, column 8)");
  const std::string unterminated = write(std::string("{\"smtp_password\": \"") + kSmtpPassword, 0600);
  EXPECT_NE(refusal(unterminated).find("is not valid JSON (syntax error at line 1"),
            std::string::npos);
}

TEST_F(SecretsTest, NumberBeyondDoubleIsRefusedNotThrown) {
  const std::string path = write("{\"systems\": {\"qbo-us\": {\"n\": 1e999}}}", 0600);
  EXPECT_EQ(refusal(path), "secrets file " + path +
                               ": is not valid JSON (a number too large for a double)");
}

}  // namespace
}  // namespace arsync::service
