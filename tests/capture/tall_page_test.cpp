// Full pages taller than Chromium's texture limit: captured in tiles and
// stitched, bands in order, a sticky header once, cut at max_height.

#include "capture/capture_fixture.hpp"

namespace shot::capture {
namespace {

using testing::near;

constexpr std::array<std::array<int, 3>, 10> kBands = {{{255, 0, 0},
                                                        {0, 160, 0},
                                                        {0, 0, 255},
                                                        {255, 255, 0},
                                                        {0, 255, 255},
                                                        {128, 0, 0},
                                                        {0, 0, 128},
                                                        {128, 128, 0},
                                                        {0, 128, 128},
                                                        {255, 128, 0}}};

// A 100 px sticky header, a fixed badge, then ten bands of 2990 px: 30,000 px.
std::string banded_page() {
  std::string html = R"(<!doctype html><style>body{margin:0}div{height:2990px}
    header{position:sticky;top:0;height:100px;background:#ff00ff}
    #badge{position:fixed;right:0;top:0;width:100px;height:50px;background:#ffffff}</style>
    <header></header><span id=badge></span>)";
  for (auto& c : kBands)
    html += "<div style='background:rgb(" + std::to_string(c[0]) + "," + std::to_string(c[1]) +
            "," + std::to_string(c[2]) + ")'></div>";
  return html;
}

TEST_F(CaptureTest, A30000PixelPageIsCapturedWholeWithItsHeaderOnce) {
  server_.page("/tall", banded_page());
  auto r = shoot(server_.url("/tall"), R"({"full_page": true, "max_height": 30000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->tiles, 2);
  auto p = picture(*r);
  ASSERT_EQ(p.width, 1280);
  ASSERT_EQ(p.height, 30000);
  EXPECT_TRUE(near(p.at(10, 50), 255, 0, 255));
  EXPECT_TRUE(near(p.at(1250, 25), 255, 255, 255));
  for (int i = 0; i < 10; ++i) {
    int y = 100 + i * 2990 + 1495;
    auto& c = kBands[i];
    EXPECT_TRUE(near(p.at(640, y), c[0], c[1], c[2])) << "band " << i << " at y=" << y;
  }
  // The header and the badge are nowhere else, not at the top of the second tile either.
  int repeats = 0;
  for (int y = 100; y < 30000; y += 50) {
    repeats += near(p.at(10, y), 255, 0, 255);
    repeats += near(p.at(1250, y), 255, 255, 255);
  }
  EXPECT_EQ(repeats, 0);
}

TEST_F(CaptureTest, ATallPageIsCutAtMaxHeightAndSaysSo) {
  server_.page("/tall", banded_page());
  auto r =
      shoot(server_.url("/tall"), R"({"full_page": true, "max_height": 20000, "format": "jpeg"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->truncated);
  auto p = picture(*r);
  EXPECT_EQ(p.height, 20000);
  EXPECT_TRUE(near(p.at(640, 19990), 0, 0, 128, 16));  // band 6: 18040 to 21030
}

}  // namespace
}  // namespace shot::capture
