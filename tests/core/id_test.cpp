#include "core/id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace shot {

TEST(Id, IsTwentyBase32CharsAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_id();
    ASSERT_EQ(id.size(), 20u);
    for (char c : id)
      ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Id, RandomHexHasTwoCharsPerByte) {
  EXPECT_EQ(random_hex(16).size(), 32u);
}

}  // namespace shot
