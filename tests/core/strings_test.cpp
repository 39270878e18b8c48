#include "core/strings.hpp"

#include <gtest/gtest.h>

namespace shot {

TEST(Strings, LowerAsciiLowersOnlyAsciiLetters) {
  EXPECT_EQ(lower_ascii("Content-Type"), "content-type");
  EXPECT_EQ(lower_ascii("EXAMPLE.COM:8080"), "example.com:8080");
  EXPECT_EQ(lower_ascii(""), "");
  // UTF-8 (here "ÄB") and other bytes above 0x7f pass through unchanged.
  EXPECT_EQ(lower_ascii("\xc3\x84"
                        "B\xff"),
            "\xc3\x84"
            "b\xff");
  EXPECT_EQ(lower_ascii("[@`{"), "[@`{");
}

TEST(Strings, TrimDropsOuterHttpWhitespaceOnly) {
  EXPECT_EQ(trim("  text/html \r\n"), "text/html");
  EXPECT_EQ(trim("\t a b \t"), "a b");
  EXPECT_EQ(trim("a\r\nb"), "a\r\nb");
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim(""), "");
  // Not whitespace in HTTP: form feed and vertical tab stay.
  EXPECT_EQ(trim("\fx\v"), "\fx\v");
}

}  // namespace shot
