#include "core/deadline.hpp"

#include <gtest/gtest.h>

namespace shot {

TEST(Deadline, NeverDoesNotExpire) {
  EXPECT_FALSE(Deadline::never().expired());
  EXPECT_EQ(Deadline::never().remaining(), Millis::max());
}

TEST(Deadline, PastIsExpiredWithNothingRemaining) {
  auto d = Deadline(Clock::now() - Millis(5));
  EXPECT_TRUE(d.expired());
  EXPECT_EQ(d.remaining(), Millis(0));
}

TEST(Deadline, CappedTakesTheEarlier) {
  auto job = Deadline::in(Millis(10'000));
  EXPECT_LE(job.capped(Millis(100)).remaining(), Millis(100));
  auto soon = Deadline::in(Millis(50));
  EXPECT_LE(soon.capped(Millis(10'000)).remaining(), Millis(50));
}

}  // namespace shot
