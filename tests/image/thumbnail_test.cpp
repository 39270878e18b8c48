#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "image/image.hpp"
#include "test_images.hpp"

namespace shot::image {
namespace {

using namespace testing;

struct Size {
  int width;
  int height;
  bool operator==(const Size&) const = default;
};

void PrintTo(const Size& s, std::ostream* os) {
  *os << s.width << "x" << s.height;
}

// A 400x200 (2:1) source.
Size thumb_size(int width, int height, Fit fit, Format format = Format::jpeg) {
  static const std::string source = gradient(400, 200);
  auto thumb = thumbnail(source, {.width = width, .height = height, .fit = fit, .format = format});
  EXPECT_TRUE(thumb) << thumb.error().message;
  if (!thumb) return {0, 0};
  auto info = probe(thumb->bytes);
  EXPECT_TRUE(info);
  EXPECT_EQ(info->width, thumb->width);
  EXPECT_EQ(info->height, thumb->height);
  return {thumb->width, thumb->height};
}

TEST(ImageThumbnail, ContainCoverFillGiveTheExactBox) {
  for (Fit fit : {Fit::contain, Fit::cover, Fit::fill}) {
    EXPECT_EQ(thumb_size(100, 100, fit), (Size{100, 100})) << to_string(fit);
    EXPECT_EQ(thumb_size(300, 50, fit), (Size{300, 50})) << to_string(fit);
    // Smaller sources are enlarged to the box, as CSS object-fit does.
    EXPECT_EQ(thumb_size(1000, 800, fit), (Size{1000, 800})) << to_string(fit);
  }
}

TEST(ImageThumbnail, InsideKeepsAspectAndNeverEnlarges) {
  EXPECT_EQ(thumb_size(100, 100, Fit::inside), (Size{100, 50}));
  EXPECT_EQ(thumb_size(300, 50, Fit::inside), (Size{100, 50}));
  EXPECT_EQ(thumb_size(1000, 1000, Fit::inside), (Size{400, 200}));
  EXPECT_EQ(thumb_size(800, 0, Fit::inside), (Size{400, 200}));
}

TEST(ImageThumbnail, MissingSideIsDerivedFromAspect) {
  for (Fit fit : {Fit::contain, Fit::cover, Fit::fill, Fit::inside}) {
    EXPECT_EQ(thumb_size(100, 0, fit), (Size{100, 50})) << to_string(fit);
    EXPECT_EQ(thumb_size(0, 50, fit), (Size{100, 50})) << to_string(fit);
  }
  EXPECT_EQ(thumb_size(800, 0, Fit::contain), (Size{800, 400}));
}

TEST(ImageThumbnail, ContainPadsWhiteForJpeg) {
  auto thumb =
      thumbnail(solid(400, 200, kBlue),
                {.width = 100, .height = 100, .fit = Fit::contain, .format = Format::jpeg});
  ASSERT_TRUE(thumb) << thumb.error().message;
  // The picture is 100x50, centred: rows 25-74.
  EXPECT_TRUE(is_close(pixel_at(thumb->bytes, 50, 5), {255, 255, 255}));
  EXPECT_TRUE(is_close(pixel_at(thumb->bytes, 50, 50), kBlue));
}

TEST(ImageThumbnail, ContainPadsTransparentForPngAndWebp) {
  for (Format format : {Format::png, Format::webp}) {
    auto thumb = thumbnail(solid(400, 200, kBlue),
                           {.width = 100, .height = 100, .fit = Fit::contain, .format = format});
    ASSERT_TRUE(thumb) << thumb.error().message;
    EXPECT_EQ(pixel_at(thumb->bytes, 50, 5).a, 0) << to_string(format);
    Pixel inside = pixel_at(thumb->bytes, 50, 50);
    EXPECT_EQ(inside.a, 255) << to_string(format);
    EXPECT_TRUE(is_close(inside, kBlue)) << to_string(format);
  }
}

TEST(ImageThumbnail, CoverKeepsTheSalientRegion) {
  // 800x200 grey noise with the red square far right: a centre crop would
  // show none of it.
  std::string wide = salient_square(800, 200, 650, 50, 100);
  auto thumb =
      thumbnail(wide, {.width = 200, .height = 200, .fit = Fit::cover, .format = Format::png});
  ASSERT_TRUE(thumb) << thumb.error().message;
  EXPECT_EQ(thumb->width, 200);
  EXPECT_EQ(thumb->height, 200);
  // Scale is 1: the whole 100x100 square fits in the 200 px window.
  EXPECT_GT(count_red(thumb->bytes), 9'000);
}

TEST(ImageThumbnail, FlattensTransparencyForJpeg) {
  auto thumb = thumbnail(transparent_png(64, 64), {.width = 32, .height = 32, .fit = Fit::fill});
  ASSERT_TRUE(thumb) << thumb.error().message;
  EXPECT_TRUE(is_close(pixel_at(thumb->bytes, 16, 16), {255, 255, 255}));
}

TEST(ImageThumbnail, AppliesExifOrientation) {
  auto thumb =
      thumbnail(rotated_jpeg(200, 100), {.width = 1000, .height = 1000, .fit = Fit::inside});
  ASSERT_TRUE(thumb) << thumb.error().message;
  EXPECT_EQ(thumb->width, 100);
  EXPECT_EQ(thumb->height, 200);
}

TEST(ImageThumbnail, RefusesBadOptions) {
  std::string png = solid(10, 10, kRed);
  auto code = [&](ThumbnailOptions options) {
    auto thumb = thumbnail(png, options);
    return thumb ? std::optional<Errc>() : thumb.error().code;
  };
  EXPECT_EQ(code({.width = 0, .height = 0}), Errc::invalid_argument);
  EXPECT_EQ(code({.width = -5, .height = 10}), Errc::invalid_argument);
  EXPECT_EQ(code({.width = 60'000, .height = 10}), Errc::invalid_argument);
  EXPECT_EQ(code({.width = 10, .height = 10, .format = Format::gif}), Errc::invalid_argument);
  EXPECT_EQ(code({.width = 10, .height = 10, .quality = 101}), Errc::invalid_argument);
  // 40,000 x 40,000 is within max_dimension but not max_pixels.
  EXPECT_EQ(code({.width = 40'000, .height = 40'000}), Errc::too_large);
  // One side derived from a 10,000:1 aspect would pass max_dimension.
  auto tall = thumbnail(solid(1, 2'000, kRed), {.width = 100});
  ASSERT_FALSE(tall);
  EXPECT_EQ(tall.error().code, Errc::too_large);
}

TEST(ImageThumbnail, TruncatedImageIsACleanError) {
  for (std::string_view saver : {"png", "jpeg", "webp"}) {
    std::string whole = gradient(300, 300, saver);
    std::string half = whole.substr(0, whole.size() / 2);
    auto thumb = thumbnail(half, {.width = 50, .height = 50});
    ASSERT_FALSE(thumb) << saver;
    EXPECT_EQ(thumb.error().code, Errc::unsupported_media) << saver;
  }
}

TEST(ImageThumbnail, SafeFromManyThreads) {
  std::string source = gradient(640, 400);
  std::vector<std::thread> threads;
  std::vector<int> widths(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto thumb = thumbnail(source, {.width = 50 + i, .fit = Fit::inside, .format = Format::webp});
      if (thumb) widths[i] = thumb->width;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(widths, (std::vector<int>{50, 51, 52, 53}));
}

}  // namespace
}  // namespace shot::image
