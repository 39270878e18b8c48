#include "test_images.hpp"

#include <vips/vips.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include "image/image.hpp"

namespace shot::image::testing {
namespace {

struct Unref {
  void operator()(VipsImage* p) const { g_object_unref(p); }
};
using Img = std::unique_ptr<VipsImage, Unref>;

// Test set-up failing is a broken test, not a case under test: throw.
Img check(int rc, VipsImage* out) {
  if (rc != 0) {
    std::string detail = vips_error_buffer();
    vips_error_clear();
    if (out != nullptr) g_object_unref(out);
    throw std::runtime_error("vips: " + detail);
  }
  return Img(out);
}

void ensure_vips() {
  if (!init()) throw std::runtime_error("image::init failed");
}

Img black(int width, int height, int bands) {
  ensure_vips();
  VipsImage* out = nullptr;
  int rc = vips_black(&out, width, height, "bands", bands, nullptr);
  return check(rc, out);
}

Img as_srgb(VipsImage* in) {
  VipsImage* out = nullptr;
  int rc = vips_copy(in, &out, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr);
  return check(rc, out);
}

Img constant(int width, int height, const std::vector<double>& values) {
  Img ref = black(width, height, static_cast<int>(values.size()));
  Img filled(vips_image_new_from_image(ref.get(), values.data(), static_cast<int>(values.size())));
  if (!filled) check(-1, nullptr);
  return as_srgb(filled.get());
}

Img memory(VipsImage* in) {
  VipsImage* out = vips_image_copy_memory(in);
  return check(out == nullptr ? -1 : 0, out);
}

std::string save(VipsImage* image, std::string_view saver) {
  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  if (saver == "png") rc = vips_pngsave_buffer(image, &buf, &len, nullptr);
  if (saver == "jpeg") rc = vips_jpegsave_buffer(image, &buf, &len, "Q", 90, nullptr);
  if (saver == "webp") rc = vips_webpsave_buffer(image, &buf, &len, nullptr);
  check(rc, nullptr);
  std::string bytes(static_cast<const char*>(buf), len);
  g_free(buf);
  return bytes;
}

Img noise(int width, int height, double mean, double sigma) {
  VipsImage* out = nullptr;
  int rc = vips_gaussnoise(&out, width, height, "mean", mean, "sigma", sigma, nullptr);
  Img grey = check(rc, out);
  VipsImage* cast = nullptr;
  rc = vips_cast(grey.get(), &cast, VIPS_FORMAT_UCHAR, nullptr);
  Img bytes = check(rc, cast);
  VipsImage* three = nullptr;
  VipsImage* in[3] = {bytes.get(), bytes.get(), bytes.get()};
  rc = vips_bandjoin(in, &three, 3, nullptr);
  Img rgb = check(rc, three);
  return as_srgb(rgb.get());
}

uint32_t crc32(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

void put_be32(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>(v >> 24);
  s[at + 1] = static_cast<char>(v >> 16);
  s[at + 2] = static_cast<char>(v >> 8);
  s[at + 3] = static_cast<char>(v);
}

}  // namespace

std::string solid(int width, int height, Rgb colour, std::string_view saver) {
  Img image = constant(width, height, {double(colour[0]), double(colour[1]), double(colour[2])});
  return save(image.get(), saver);
}

std::string transparent_png(int width, int height) {
  Img image = constant(width, height, {0, 0, 0, 0});
  return save(image.get(), "png");
}

std::string gradient(int width, int height, std::string_view saver) {
  ensure_vips();
  VipsImage* out = nullptr;
  int rc = vips_grey(&out, width, height, nullptr);  // 0..1 left to right
  Img ramp = check(rc, out);
  Img grain = noise(width, height, 0, 12);
  VipsImage* scaled = nullptr;
  rc = vips_linear1(ramp.get(), &scaled, 255.0, 0.0, nullptr);
  Img ramp255 = check(rc, scaled);
  VipsImage* sum = nullptr;
  rc = vips_add(ramp255.get(), grain.get(), &sum, nullptr);
  Img mixed = check(rc, sum);
  VipsImage* cast = nullptr;
  rc = vips_cast(mixed.get(), &cast, VIPS_FORMAT_UCHAR, nullptr);
  Img bytes = check(rc, cast);
  Img rgb = as_srgb(bytes.get());
  return save(rgb.get(), saver);
}

std::string salient_square(int width, int height, int x, int y, int side) {
  ensure_vips();
  Img canvas = memory(noise(width, height, 128, 20).get());
  double red[3] = {255, 0, 0};
  check(vips_draw_rect(canvas.get(), red, 3, x, y, side, side, "fill", TRUE, nullptr), nullptr);
  return save(canvas.get(), "png");
}

std::string two_halves(int width, int height, Rgb left, Rgb right) {
  Img canvas =
      memory(constant(width, height, {double(left[0]), double(left[1]), double(left[2])}).get());
  double ink[3] = {double(right[0]), double(right[1]), double(right[2])};
  check(vips_draw_rect(canvas.get(), ink, 3, width / 2, 0, width - width / 2, height, "fill", TRUE,
                       nullptr),
        nullptr);
  return save(canvas.get(), "png");
}

std::string one_dot(int width, int height, Rgb colour, int x, int y, Rgb dot) {
  Img canvas = memory(
      constant(width, height, {double(colour[0]), double(colour[1]), double(colour[2])}).get());
  double ink[3] = {double(dot[0]), double(dot[1]), double(dot[2])};
  check(vips_draw_rect(canvas.get(), ink, 3, x, y, 1, 1, "fill", TRUE, nullptr), nullptr);
  return save(canvas.get(), "png");
}

std::string rotated_jpeg(int width, int height) {
  Img image = memory(constant(width, height, {200, 30, 30}).get());
  vips_image_set_int(image.get(), VIPS_META_ORIENTATION, 6);
  return save(image.get(), "jpeg");
}

std::string forged_png(uint32_t width, uint32_t height) {
  std::string png = solid(1, 1, kGrey);
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ...,
  // then the CRC over type and data, at 29.
  put_be32(png, 16, width);
  put_be32(png, 20, height);
  put_be32(png, 29, crc32(std::string_view(png).substr(12, 17)));
  return png;
}

Pixel pixel_at(std::string_view bytes, int x, int y) {
  ensure_vips();
  Img image = check(0, vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr));
  if (!image) throw std::runtime_error("cannot decode");
  double* values = nullptr;
  int n = 0;
  check(vips_getpoint(image.get(), &values, &n, x, y, nullptr), nullptr);
  std::unique_ptr<double, decltype(&g_free)> owned(values, &g_free);
  Pixel p;
  if (n <= 2) {
    p.r = p.g = p.b = static_cast<int>(values[0]);
    if (n == 2) p.a = static_cast<int>(values[1]);
  } else {
    p.r = static_cast<int>(values[0]);
    p.g = static_cast<int>(values[1]);
    p.b = static_cast<int>(values[2]);
    if (n >= 4) p.a = static_cast<int>(values[3]);
  }
  return p;
}

int64_t count_red(std::string_view bytes) {
  ensure_vips();
  Img image = check(0, vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr));
  if (!image) throw std::runtime_error("cannot decode");
  Img pixels = memory(image.get());
  int width = vips_image_get_width(pixels.get());
  int height = vips_image_get_height(pixels.get());
  int bands = vips_image_get_bands(pixels.get());
  if (bands < 3) return 0;
  int64_t red = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const auto* p = VIPS_IMAGE_ADDR(pixels.get(), x, y);
      if (p[0] > 200 && p[1] < 60 && p[2] < 60) ++red;
    }
  }
  return red;
}

bool is_close(Pixel p, Rgb colour, int tolerance) {
  return std::abs(p.r - colour[0]) <= tolerance && std::abs(p.g - colour[1]) <= tolerance &&
         std::abs(p.b - colour[2]) <= tolerance;
}

}  // namespace shot::image::testing
