#include "support/png_reader.hpp"

#include <vips/vips.h>

#include <cstdlib>
#include <mutex>

namespace shot::testing {

std::array<int, 4> Picture::at(int x, int y) const {
  const auto* p = reinterpret_cast<const unsigned char*>(pixels.data()) +
                  (static_cast<std::size_t>(y) * width + x) * bands;
  if (bands >= 3) return {p[0], p[1], p[2], bands == 4 ? p[3] : 255};
  return {p[0], p[0], p[0], bands == 2 ? p[1] : 255};
}

std::optional<Picture> decode_picture(const std::string& bytes) {
  static std::once_flag once;
  std::call_once(once, [] { VIPS_INIT("shot-tests"); });
  VipsImage* img = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (!img) {
    vips_error_clear();
    return std::nullopt;
  }
  VipsImage* srgb = nullptr;
  VipsImage* u8 = nullptr;
  std::optional<Picture> out;
  if (vips_colourspace(img, &srgb, VIPS_INTERPRETATION_sRGB, nullptr) == 0 &&
      vips_cast_uchar(srgb, &u8, nullptr) == 0) {
    std::size_t size = 0;
    void* mem = vips_image_write_to_memory(u8, &size);
    if (mem) {
      Picture p{vips_image_get_width(u8), vips_image_get_height(u8), vips_image_get_bands(u8),
                std::string(static_cast<char*>(mem), size)};
      g_free(mem);
      out = std::move(p);
    }
  }
  vips_error_clear();
  if (u8) g_object_unref(u8);
  if (srgb) g_object_unref(srgb);
  g_object_unref(img);
  return out;
}

bool near(const std::array<int, 4>& c, int r, int g, int b, int tolerance) {
  return std::abs(c[0] - r) <= tolerance && std::abs(c[1] - g) <= tolerance &&
         std::abs(c[2] - b) <= tolerance;
}

}  // namespace shot::testing
