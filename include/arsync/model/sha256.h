// SHA-256 as lowercase hex.
//
// Thread safety: any thread (each keeps its own OpenSSL context).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace arsync {

// Lowercase hex of the first `digest_bytes` (at most 32) bytes of the
// SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes, std::size_t digest_bytes = 32);

}  // namespace arsync
