// A process for the credential store's crash test: puts one credential
// through a CredentialVault, writes "put returned OK\n" to stdout (a pipe to
// the test) and waits to be killed, holding its connection open so that
// nothing is closed or checkpointed behind the test's back.
//
// Usage: credential_put_child DB KEY_HEX SYSTEM NAME VALUE
#include <unistd.h>

#include <cstdio>
#include <string>

#include "arsync/model/clock.h"
#include "arsync/store/credential_vault.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: credential_put_child DB KEY_HEX SYSTEM NAME VALUE\n");
    return 2;
  }
  const std::string hex = argv[2];
  arsync::store::CredentialKey::Bytes bytes{};
  if (hex.size() != 2 * bytes.size()) return 2;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  arsync::SystemClock clock;
  auto vault = arsync::store::CredentialVault::open(argv[1], arsync::store::CredentialKey(bytes), clock);
  if (!vault) {
    std::fprintf(stderr, "%s\n", vault.status().to_string().c_str());
    return 1;
  }
  arsync::Status put = (*vault)->handle(argv[3])->put(argv[4], argv[5]);
  if (!put) {
    std::fprintf(stderr, "%s\n", put.to_string().c_str());
    return 1;
  }
  const char kDone[] = "put returned OK\n";
  if (::write(STDOUT_FILENO, kDone, sizeof kDone - 1) < 0) return 1;
  for (;;) ::pause();
}
