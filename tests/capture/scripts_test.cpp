// Text in every script: Chinese, Japanese, Korean and colour emoji render as
// real glyphs (the fonts scripts/deps.sh installs), not as tofu boxes.

#include "capture/capture_fixture.hpp"

namespace shot::capture {
namespace {

// One glyph per 120 px box on a white page, left to right.
struct Box {
  std::string lang, text;
};
const std::vector<Box> kBoxes = {
    {"zh", "中"}, {"zh", "文"}, {"ja", "の"}, {"ja", "語"},         {"ko", "한"},
    {"ko", "국"}, {"en", "😀"},  {"en", "🚀"},  {"en", "\U0010FFFD"},  // last: no font has it
};
constexpr int kBox = 120;

std::string glyph_page() {
  std::string html = R"(<!doctype html><meta charset=utf-8><style>body{margin:0;background:#fff}
    span{position:absolute;top:0;width:120px;height:120px;font:80px/120px sans-serif;color:#000;
    text-align:center;overflow:hidden}</style>)";
  for (std::size_t i = 0; i < kBoxes.size(); ++i)
    html += "<span lang=" + kBoxes[i].lang + " style='left:" + std::to_string(i * kBox) + "px'>" +
            kBoxes[i].text + "</span>";
  return html;
}

struct Ink {
  int inked = 0;     // pixels not white
  int coloured = 0;  // pixels far from grey
};

Ink ink(const testing::Picture& p, int box) {
  Ink out;
  for (int y = 0; y < kBox; ++y)
    for (int x = box * kBox; x < (box + 1) * kBox; ++x) {
      auto c = p.at(x, y);
      out.inked += !testing::near(c, 255, 255, 255, 16);
      int hi = std::max({c[0], c[1], c[2]}), lo = std::min({c[0], c[1], c[2]});
      out.coloured += hi - lo > 60;
    }
  return out;
}

int differing(const testing::Picture& p, int a, int b) {
  int n = 0;
  for (int y = 0; y < kBox; ++y)
    for (int x = 0; x < kBox; ++x) {
      auto c = p.at(b * kBox + x, y);
      n += !testing::near(p.at(a * kBox + x, y), c[0], c[1], c[2], 48);
    }
  return n;
}

TEST_F(CaptureTest, CjkAndEmojiHaveInkWhereTheGlyphsAre) {
  server_.page("/glyphs", glyph_page());
  auto r = shoot(server_.url("/glyphs"));
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  const int tofu = static_cast<int>(kBoxes.size()) - 1;
  for (int i = 0; i < tofu; ++i) {
    EXPECT_GT(ink(p, i).inked, 300) << kBoxes[i].text << " has no ink";
    // Each glyph differs from the box a missing glyph gets.
    EXPECT_GT(differing(p, i, tofu), 300) << kBoxes[i].text << " looks like tofu";
  }
  // Different characters of one script are different shapes (tofu would be alike).
  for (int i = 0; i + 1 < tofu; i += 2)
    EXPECT_GT(differing(p, i, i + 1), 300) << kBoxes[i].text << " vs " << kBoxes[i + 1].text;
  // Emoji are in colour; the CJK glyphs are black on white.
  EXPECT_GT(ink(p, 6).coloured, 500);
  EXPECT_GT(ink(p, 7).coloured, 500);
  EXPECT_EQ(ink(p, 0).coloured, 0);
}

}  // namespace
}  // namespace shot::capture
