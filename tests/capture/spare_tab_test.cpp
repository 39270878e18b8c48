// One tab and a spare, as `shot serve --tabs 1` runs: the tab a capture gives
// back is parked, its page still loaded, and reset in the next capture's lull
// (while that one waits for its frames) or soon after, whichever comes first.

#include "capture_fixture.hpp"

namespace shot::capture {
namespace {

class SpareTabTest : public CaptureTest {
 protected:
  static void SetUpTestSuite() { start({.tabs = 1, .spare_tabs = 1}); }
};

TEST_F(SpareTabTest, CapturesAreIsolatedFromEachOther) {
  expect_captures_isolated();
}

TEST_F(SpareTabTest, APageLeftInAParkedTabStopsSoonWithoutAnotherCapture) {
  server_.page("/ticks", R"(<title>ticks</title><script>
    setInterval(() => fetch('/tick').catch(() => {}), 20);</script>)");
  const int reset_before = pool_->stats().tabs_reset;
  // Two captures: the second gives its tab back while the first one's is ready,
  // so the second one's tab is parked, the ticking page still in it.
  for (int i = 0; i < 2; ++i) {
    auto r = shoot(server_.url("/ticks"), R"({"wait_until": "load"})");
    ASSERT_TRUE(r) << r.error().message;
  }
  // No capture follows, so no lull: the page is unloaded all the same.
  io_->run_for(std::chrono::milliseconds(800));
  const int ticks = server_.hits("/tick");
  EXPECT_GT(ticks, 0);
  io_->run_for(std::chrono::milliseconds(400));
  EXPECT_EQ(server_.hits("/tick"), ticks) << "the page kept running in its parked tab";
  EXPECT_GE(pool_->stats().tabs_reset - reset_before, 2);
}

}  // namespace
}  // namespace shot::capture
