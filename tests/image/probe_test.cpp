#include <gtest/gtest.h>

#include <string>

#include "image/image.hpp"
#include "test_images.hpp"

namespace shot::image {
namespace {

using namespace testing;

TEST(ImageProbe, ReadsFormatAndSize) {
  auto png = probe(solid(640, 480, kRed));
  ASSERT_TRUE(png) << png.error().message;
  EXPECT_EQ(png->format, Format::png);
  EXPECT_EQ(png->width, 640);
  EXPECT_EQ(png->height, 480);

  auto jpeg = probe(solid(300, 200, kBlue, "jpeg"));
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  EXPECT_EQ(jpeg->format, Format::jpeg);
  EXPECT_EQ(jpeg->width, 300);

  auto webp = probe(solid(50, 70, kGreen, "webp"));
  ASSERT_TRUE(webp) << webp.error().message;
  EXPECT_EQ(webp->format, Format::webp);
  EXPECT_EQ(webp->height, 70);
}

TEST(ImageProbe, ReportsSizeAsDisplayedAfterExifRotation) {
  auto info = probe(rotated_jpeg(200, 100));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->width, 100);
  EXPECT_EQ(info->height, 200);
}

TEST(ImageProbe, RefusesDecompressionBombFromTheHeader) {
  // 20,000 x 20,000 = 400 Mpx claimed by a 70-byte file.
  std::string bomb = forged_png(20'000, 20'000);
  ASSERT_LT(bomb.size(), 200u);
  auto info = probe(bomb);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Errc::too_large);

  auto thumb = thumbnail(bomb, {.width = 100, .height = 100});
  ASSERT_FALSE(thumb);
  EXPECT_EQ(thumb.error().code, Errc::too_large);
  auto converted = convert(bomb, {.format = Format::webp});
  ASSERT_FALSE(converted);
  EXPECT_EQ(converted.error().code, Errc::too_large);
}

TEST(ImageProbe, ReadsOnlyTheHeader) {
  // The forged file holds one pixel of data: decoding it would fail, so
  // success here shows no pixel was decoded.
  Limits generous{.max_pixels = 1'000'000'000, .max_dimension = 100'000};
  auto info = probe(forged_png(20'000, 20'000), generous);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->width, 20'000);
  EXPECT_EQ(info->height, 20'000);
}

TEST(ImageProbe, RefusesOneSideAboveTheDimensionLimit) {
  auto info = probe(forged_png(60'000, 1));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Errc::too_large);
}

TEST(ImageProbe, RefusesTooManyBytes) {
  auto info = probe(solid(100, 100, kRed), {.max_bytes = 16});
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Errc::too_large);
}

TEST(ImageProbe, TextIsUnsupportedMedia) {
  for (std::string text : {"hello, this is not an image\n", "", "<svg/>", "%PDF-1.4\n%..."}) {
    auto info = probe(text);
    ASSERT_FALSE(info) << text;
    EXPECT_EQ(info.error().code, Errc::unsupported_media) << text;
  }
}

TEST(ImageProbe, CorruptHeaderIsUnsupportedMedia) {
  std::string png = solid(64, 64, kRed);
  auto cut = probe(std::string_view(png).substr(0, 20));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, Errc::unsupported_media);

  std::string garbage = png.substr(0, 8) + std::string(200, '\x5a');
  auto bad = probe(garbage);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::unsupported_media);
}

}  // namespace
}  // namespace shot::image
