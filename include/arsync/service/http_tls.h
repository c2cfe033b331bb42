// The listener's TLS server context, made from http.tls: the certificate
// (with its chain) and key, TLS 1.2 at least, no renegotiation, and with
// http.tls.client_ca a required, verified client certificate.
//
// Thread safety: immutable after create(); connections on any thread share it.
#pragma once

#include <memory>
#include <string>

#include "arsync/model/status.h"
#include "arsync/service/http_config.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace arsync::service {

class TlsServerContext {
 public:
  // Loads the files `tls` names. Errors: kIoError or kInvalidArgument naming
  // the key and the file with OpenSSL's reason, e.g. "http.tls.key
  // /etc/arsync/key.pem does not belong to the certificate in http.tls.cert
  // /etc/arsync/cert.pem".
  static Result<std::shared_ptr<TlsServerContext>> create(const HttpTlsOptions& tls);

  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  ssl_ctx_st* native() const { return ctx_; }
  bool verifies_clients() const { return verifies_clients_; }

 private:
  TlsServerContext(ssl_ctx_st* ctx, bool verifies_clients)
      : ctx_(ctx), verifies_clients_(verifies_clients) {}
  ssl_ctx_st* ctx_;
  bool verifies_clients_;
};

// OpenSSL's queued errors as one line ("" if none); clears the queue.
std::string openssl_errors();

}  // namespace arsync::service
