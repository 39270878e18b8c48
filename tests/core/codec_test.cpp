#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/digest.hpp"

namespace shot {

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    auto enc = base64_encode(bytes);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec) << n;
    EXPECT_EQ(*dec, bytes) << n;
    bytes.push_back(static_cast<char>(n * 37));
  }
}

TEST(Base64, KnownVectors) {
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
}

TEST(Base64, RejectsBadInput) {
  EXPECT_FALSE(base64_decode("Zm9v!mFy"));
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zm9 vYmFy"));
}

TEST(Digest, Sha256AndHmacKnownAnswers) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

}  // namespace shot
