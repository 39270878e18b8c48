// convert, stitch_vertical and crop, and what each output format looks like.

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "test_images.hpp"

namespace shot::image {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using namespace testing;

TEST(ImageEncode, EachFormatHasItsMagicBytes) {
  std::string png = gradient(320, 200);
  struct Case {
    Format format;
    std::string_view magic;
    size_t at;
  };
  for (Case c :
       {Case{Format::png, "\x89PNG\r\n\x1a\n"sv, 0}, Case{Format::jpeg, "\xff\xd8\xff"sv, 0},
        Case{Format::webp, "WEBP"sv, 8}, Case{Format::avif, "ftypavif"sv, 4}}) {
    if (!can_encode(c.format)) {
      ADD_FAILURE() << "this build cannot encode " << to_string(c.format);
      continue;
    }
    auto out = convert(png, {.format = c.format});
    ASSERT_TRUE(out) << to_string(c.format) << ": " << out.error().message;
    EXPECT_EQ(out->bytes.substr(c.at, c.magic.size()), c.magic) << to_string(c.format);
    EXPECT_EQ(sniff(out->bytes), c.format);
    EXPECT_EQ(out->format, c.format);
    EXPECT_EQ(out->width, 320);
    EXPECT_EQ(out->height, 200);
    auto back = probe(out->bytes);
    ASSERT_TRUE(back) << to_string(c.format) << ": " << back.error().message;
    EXPECT_EQ(back->width, 320);
  }
}

TEST(ImageEncode, ThumbnailsInEveryFormat) {
  std::string png = gradient(320, 200);
  for (Format format : {Format::png, Format::jpeg, Format::webp, Format::avif}) {
    auto thumb = thumbnail(png, {.width = 64, .height = 64, .fit = Fit::cover, .format = format});
    ASSERT_TRUE(thumb) << to_string(format) << ": " << thumb.error().message;
    EXPECT_EQ(sniff(thumb->bytes), format);
    EXPECT_EQ(thumb->width, 64);
  }
}

TEST(ImageEncode, CannotEncodeGifOrPdf) {
  EXPECT_FALSE(can_encode(Format::gif));
  EXPECT_FALSE(can_encode(Format::pdf));
  auto out = convert(solid(8, 8, kRed), {.format = Format::gif});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::invalid_argument);
  EXPECT_EQ(out.error().field, "format");
}

TEST(ImageEncode, ReadsGif) {
  // A 1x1 GIF whose only pixel is palette entry 0, red (vips cannot write GIF).
  const std::string gif =
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00"
      ",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;"s;
  auto info = probe(gif);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, Format::gif);
  EXPECT_EQ(info->width, 1);
  auto thumb = thumbnail(gif, {.width = 10, .height = 10, .fit = Fit::fill, .format = Format::png});
  ASSERT_TRUE(thumb) << thumb.error().message;
  EXPECT_TRUE(is_close(pixel_at(thumb->bytes, 5, 5), kRed));
}

TEST(ImageEncode, JpegQualityChangesSize) {
  std::string png = gradient(400, 300);
  auto low = convert(png, {.format = Format::jpeg, .quality = 30});
  auto high = convert(png, {.format = Format::jpeg, .quality = 95});
  ASSERT_TRUE(low && high);
  EXPECT_LT(low->bytes.size() * 3 / 2, high->bytes.size());
  auto webp_low = convert(png, {.format = Format::webp, .quality = 30});
  auto webp_high = convert(png, {.format = Format::webp, .quality = 95});
  ASSERT_TRUE(webp_low && webp_high);
  EXPECT_LT(webp_low->bytes.size(), webp_high->bytes.size());
}

TEST(ImageEncode, ConvertKeepsPixelsAndFlattensAlphaForJpeg) {
  auto webp = convert(solid(40, 30, kRed), {.format = Format::webp, .quality = 90});
  ASSERT_TRUE(webp) << webp.error().message;
  EXPECT_TRUE(is_close(pixel_at(webp->bytes, 20, 15), kRed));

  auto jpeg = convert(transparent_png(40, 30), {.format = Format::jpeg});
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  EXPECT_TRUE(is_close(pixel_at(jpeg->bytes, 20, 15), {255, 255, 255}));
}

TEST(ImageEncode, WebpRefusesImagesTallerThanItCanHold) {
  Limits big{.max_pixels = 100'000'000};
  auto out = convert(solid(4, 20'000, kRed), {.format = Format::webp}, big);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::too_large);
}

TEST(ImageEncode, TruncatedInputIsACleanError) {
  for (std::string_view saver : {"png", "jpeg", "webp"}) {
    std::string whole = gradient(300, 300, saver);
    auto out = convert(whole.substr(0, whole.size() / 2), {.format = Format::png});
    ASSERT_FALSE(out) << saver;
    EXPECT_EQ(out.error().code, Errc::unsupported_media) << saver;
  }
  auto out = convert("just some text", {.format = Format::png});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::unsupported_media);
}

TEST(ImageStitch, JoinsTilesTopToBottom) {
  std::vector<std::string> tiles = {solid(64, 40, kRed), solid(64, 40, kGreen),
                                    solid(64, 30, kBlue)};
  auto out = stitch_vertical(tiles, {.format = Format::png});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->width, 64);
  EXPECT_EQ(out->height, 110);
  auto info = probe(out->bytes);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->height, 110);
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 32, 0), kRed, 0));
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 32, 39), kRed, 0));
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 32, 40), kGreen, 0));
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 32, 79), kGreen, 0));
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 32, 80), kBlue, 0));
  EXPECT_TRUE(is_close(pixel_at(out->bytes, 63, 109), kBlue, 0));
}

TEST(ImageStitch, MixedAlphaTilesJoin) {
  std::vector<std::string> tiles = {solid(16, 10, kRed), transparent_png(16, 10)};
  auto out = stitch_vertical(tiles, {.format = Format::png});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(pixel_at(out->bytes, 8, 5).a, 255);
  EXPECT_EQ(pixel_at(out->bytes, 8, 15).a, 0);
}

TEST(ImageStitch, RefusesBadTiles) {
  std::vector<std::string> none;
  EXPECT_EQ(stitch_vertical(none, {}).error().code, Errc::invalid_argument);
  std::vector<std::string> widths = {solid(64, 10, kRed), solid(65, 10, kRed)};
  EXPECT_EQ(stitch_vertical(widths, {}).error().code, Errc::invalid_argument);
  std::vector<std::string> text = {solid(64, 10, kRed), "not a tile"};
  EXPECT_EQ(stitch_vertical(text, {}).error().code, Errc::unsupported_media);
  std::vector<std::string> tall = {solid(8, 30'000, kRed), solid(8, 30'000, kRed)};
  EXPECT_EQ(stitch_vertical(tall, {}).error().code, Errc::too_large);
}

TEST(ImageCrop, CutsTheArea) {
  std::string png = two_halves(100, 60, kRed, kBlue);
  auto right = crop(png, {.x = 60, .y = 10, .width = 20, .height = 30}, {.format = Format::png});
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(right->width, 20);
  EXPECT_EQ(right->height, 30);
  EXPECT_TRUE(is_close(pixel_at(right->bytes, 0, 0), kBlue, 0));
  EXPECT_TRUE(is_close(pixel_at(right->bytes, 19, 29), kBlue, 0));

  auto left = crop(png, {.x = 0, .y = 0, .width = 50, .height = 60}, {.format = Format::png});
  ASSERT_TRUE(left);
  EXPECT_TRUE(is_close(pixel_at(left->bytes, 49, 59), kRed, 0));
}

TEST(ImageCrop, RefusesAreasOutsideTheImage) {
  std::string png = solid(100, 60, kRed);
  for (Rect r : {Rect{0, 0, 0, 10}, Rect{-1, 0, 10, 10}, Rect{95, 0, 10, 10}, Rect{0, 55, 10, 10},
                 Rect{0, 0, 2'000'000'000, 10}}) {
    auto out = crop(png, r, {});
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace shot::image
