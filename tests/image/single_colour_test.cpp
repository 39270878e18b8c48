// single_colour: the blank verdict's pixel check, on pictures made on the spot.

#include <gtest/gtest.h>

#include "image/image.hpp"
#include "test_images.hpp"

namespace shot::image {
namespace {

using namespace testing;

TEST(ImageSingleColour, NamesTheColourOfAOneColourPicture) {
  auto colour = single_colour(solid(640, 400, kRed), 2);
  ASSERT_TRUE(colour) << colour.error().message;
  EXPECT_EQ(colour->value_or("none"), "#ff0000");
  // Lossy formats smear a flat colour a little: a wider tolerance still sees one.
  for (std::string_view saver : {"webp", "jpeg"}) {
    auto lossy = single_colour(solid(640, 400, kBlue, saver), 16);
    ASSERT_TRUE(lossy) << saver << ": " << lossy.error().message;
    EXPECT_TRUE(lossy->has_value()) << saver;
    EXPECT_EQ(single_colour(gradient(300, 200, saver), 16).value(), std::nullopt) << saver;
  }
  auto grey = single_colour(solid(33, 17, kGrey), 2);
  ASSERT_TRUE(grey);
  EXPECT_EQ(grey->value_or("none"), "#808080");
}

TEST(ImageSingleColour, FindsContentAnywhereEvenInTheLastRow) {
  EXPECT_EQ(single_colour(two_halves(640, 400, kRed, kBlue), 2).value(), std::nullopt);
  EXPECT_EQ(single_colour(gradient(300, 200), 2).value(), std::nullopt);
  // One pixel in the last row (and in the first), a little or a lot off.
  EXPECT_EQ(single_colour(one_dot(400, 300, kGrey, 399, 299, kRed), 2).value(), std::nullopt);
  EXPECT_EQ(single_colour(one_dot(400, 300, kGrey, 7, 0, {131, 128, 128}), 2).value(),
            std::nullopt);
  // Within the tolerance it is still one colour.
  EXPECT_EQ(single_colour(one_dot(400, 300, kGrey, 7, 0, {130, 126, 128}), 2).value(),
            std::optional<std::string>("#808080"));
}

TEST(ImageSingleColour, TransparencyCountsAsAChannel) {
  auto clear = single_colour(transparent_png(100, 50), 2);
  ASSERT_TRUE(clear);
  EXPECT_TRUE(clear->has_value());
}

TEST(ImageSingleColour, RefusesWhatIsNotAPictureOrTooBig) {
  auto junk = single_colour("not an image", 2);
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().code, Errc::unsupported_media);
  Limits small;
  small.max_pixels = 1000;
  auto big = single_colour(solid(100, 100, kRed), 2, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::too_large);
}

}  // namespace
}  // namespace shot::image
