#include "arsync/service/http_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace arsync::service {
namespace {

Status unreadable(const std::string& key, const std::string& file) {
  Location at;
  at.field = key;
  at.file = file;
  return Status(ErrorCode::kIoError,
                key + " " + file + ": cannot be read (" + std::strerror(errno) + ")", at);
}

Status rejected(const std::string& key, const std::string& file, const std::string& what) {
  Location at;
  at.field = key;
  at.file = file;
  std::string reason = openssl_errors();
  return Status(ErrorCode::kInvalidArgument,
                key + " " + file + ": " + what + (reason.empty() ? "" : " (" + reason + ")"), at);
}

// OpenSSL's own message for a missing file is "system lib"; a plain open
// first gives the admin the operating system's reason.
Status check_readable(const std::string& key, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return unreadable(key, file);
  return Status::ok();
}

}  // namespace

std::string openssl_errors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::create(const HttpTlsOptions& tls) {
  ERR_clear_error();
  ARSYNC_RETURN_IF_ERROR(check_readable("http.tls.cert", tls.cert));
  ARSYNC_RETURN_IF_ERROR(check_readable("http.tls.key", tls.key));
  if (!tls.client_ca.empty()) ARSYNC_RETURN_IF_ERROR(check_readable("http.tls.client_ca", tls.client_ca));

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status(ErrorCode::kInternal, "OpenSSL: " + openssl_errors());
  std::shared_ptr<TlsServerContext> out(new TlsServerContext(ctx, !tls.client_ca.empty()));

  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Resumed sessions need an id context once peers are verified.
  static const unsigned char kSessionContext[] = "arsync";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);

  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert.c_str()) != 1) {
    return rejected("http.tls.cert", tls.cert, "is not a PEM certificate");
  }
  // OpenSSL 3 checks the key against the certificate while loading it.
  const bool loaded = SSL_CTX_use_PrivateKey_file(ctx, tls.key.c_str(), SSL_FILETYPE_PEM) == 1;
  const bool mismatch = !loaded && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
  if (!loaded && !mismatch) {
    return rejected("http.tls.key", tls.key, "is not an unencrypted PEM private key");
  }
  if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
    return rejected("http.tls.key", tls.key,
                    "does not belong to the certificate in http.tls.cert " + tls.cert);
  }
  if (!tls.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca.c_str(), nullptr) != 1) {
      return rejected("http.tls.client_ca", tls.client_ca, "holds no PEM CA certificate");
    }
    // Named in the handshake, so a client with several certificates picks one of these CAs'.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca.c_str());
    if (names == nullptr) {
      return rejected("http.tls.client_ca", tls.client_ca, "holds no PEM CA certificate");
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return out;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

}  // namespace arsync::service
