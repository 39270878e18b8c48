#include "capture/image_size.hpp"

#include <cstdint>

namespace shot::capture {
namespace {

std::uint32_t be32(std::string_view b, std::size_t i) {
  auto u = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[i + k]));
  };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}
std::uint32_t be16(std::string_view b, std::size_t i) {
  return (static_cast<unsigned char>(b[i]) << 8) | static_cast<unsigned char>(b[i + 1]);
}
std::uint32_t le(std::string_view b, std::size_t i, int n) {
  std::uint32_t v = 0;
  for (int k = n - 1; k >= 0; --k)
    v = (v << 8) | static_cast<unsigned char>(b[i + k]);
  return v;
}

}  // namespace

std::optional<std::pair<int, int>> image_size(std::string_view b) {
  if (b.size() >= 24 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n" && b.substr(12, 4) == "IHDR")
    return std::make_pair(static_cast<int>(be32(b, 16)), static_cast<int>(be32(b, 20)));
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xff &&
      static_cast<unsigned char>(b[1]) == 0xd8) {
    std::size_t i = 2;
    while (i + 9 < b.size()) {
      if (static_cast<unsigned char>(b[i]) != 0xff) return std::nullopt;
      unsigned char marker = static_cast<unsigned char>(b[i + 1]);
      std::uint32_t len = be16(b, i + 2);
      bool sof =
          marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
      if (sof)
        return std::make_pair(static_cast<int>(be16(b, i + 7)), static_cast<int>(be16(b, i + 5)));
      i += 2 + len;
    }
    return std::nullopt;
  }
  if (b.size() >= 30 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    auto chunk = b.substr(12, 4);
    if (chunk == "VP8 ")
      return std::make_pair(static_cast<int>(le(b, 26, 2) & 0x3fff),
                            static_cast<int>(le(b, 28, 2) & 0x3fff));
    if (chunk == "VP8L") {
      std::uint32_t v = le(b, 21, 4);
      return std::make_pair(static_cast<int>((v & 0x3fff) + 1),
                            static_cast<int>(((v >> 14) & 0x3fff) + 1));
    }
    if (chunk == "VP8X")
      return std::make_pair(static_cast<int>(le(b, 24, 3) + 1), static_cast<int>(le(b, 27, 3) + 1));
  }
  return std::nullopt;
}

}  // namespace shot::capture
