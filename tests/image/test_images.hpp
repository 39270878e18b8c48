#pragma once
// Test images made on the spot with libvips, and ways to look inside results.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace shot::image::testing {

using Rgb = std::array<int, 3>;

inline constexpr Rgb kRed = {255, 0, 0};
inline constexpr Rgb kGreen = {0, 255, 0};
inline constexpr Rgb kBlue = {0, 0, 255};
inline constexpr Rgb kGrey = {128, 128, 128};

// Encoded with vips' own savers: "png", "jpeg", "webp" (no EXIF unless asked).
std::string solid(int width, int height, Rgb colour, std::string_view saver = "png");
// Half transparent: alpha 0 everywhere.
std::string transparent_png(int width, int height);
// Left to right black to white, with noise so encoders have something to do.
std::string gradient(int width, int height, std::string_view saver = "png");
// Grey noise with a bright red square at (x, y), side `side`.
std::string salient_square(int width, int height, int x, int y, int side);
// Left half `left`, right half `right`.
std::string two_halves(int width, int height, Rgb left, Rgb right);
// One colour, but for a single `dot`-coloured pixel at (x, y).
std::string one_dot(int width, int height, Rgb colour, int x, int y, Rgb dot);
// A JPEG whose EXIF orientation tag says "rotate 90°" (6).
std::string rotated_jpeg(int width, int height);
// A valid 1x1 PNG whose IHDR (with a correct CRC) claims width × height.
std::string forged_png(uint32_t width, uint32_t height);

struct Pixel {
  int r = 0, g = 0, b = 0, a = 255;
};
// Decodes `bytes` (any accepted format) and reads one pixel; bands beyond the
// image's are 255 (alpha) or copies of grey.
Pixel pixel_at(std::string_view bytes, int x, int y);
// How many pixels are clearly red.
int64_t count_red(std::string_view bytes);
bool is_close(Pixel p, Rgb colour, int tolerance = 16);

}  // namespace shot::image::testing
