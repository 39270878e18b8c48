#pragma once
// Reads pixels of a picture shot produced (libvips), so tests can assert what
// a person would see: the colour at a point, the size.

#include <array>
#include <optional>
#include <string>

namespace shot::testing {

struct Picture {
  int width = 0;
  int height = 0;
  int bands = 0;
  std::string pixels;  // 8-bit, row-major, `bands` bytes a pixel

  // RGB (and alpha, 255 when opaque) at (x, y).
  std::array<int, 4> at(int x, int y) const;
};

std::optional<Picture> decode_picture(const std::string& bytes);

// True when `rgba` is within `tolerance` of (r, g, b) on every channel.
bool near(const std::array<int, 4>& rgba, int r, int g, int b, int tolerance = 8);

}  // namespace shot::testing
