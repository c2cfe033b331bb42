#include "arsync/model/sha256.h"

#include <gtest/gtest.h>

#include <thread>

namespace arsync {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, ShortDigestIsThePrefix) {
  EXPECT_EQ(sha256_hex("abc", 16), "ba7816bf8f01cfea414140de5dae2223");
}

TEST(Sha256, ContextReuseAndOtherThreadsGiveTheSameDigests) {
  std::string a = sha256_hex("abc");
  std::string b;
  std::thread t([&b] { b = sha256_hex("abc"); });
  t.join();
  EXPECT_EQ(sha256_hex("abc"), a);  // the reused context starts afresh
  EXPECT_EQ(b, a);
}

}  // namespace
}  // namespace arsync
