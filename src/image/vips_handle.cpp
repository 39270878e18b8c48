#include "image/vips_handle.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "core/log.hpp"

namespace shot::image {
namespace detail {
namespace {

// The loaders shot accepts; every other loader (PDF, SVG, TIFF, ImageMagick, ...)
// stays blocked, so a crafted file cannot reach a parser nobody here reviewed.
constexpr std::array<const char*, 5> kAllowedLoaders = {
    "VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer",
    "VipsForeignLoadNsgifBuffer", "VipsForeignLoadHeifBuffer"};

struct State {
  bool ok = false;
  bool avif = false;
};

// vips warns through GLib (e.g. "read gave 2 warnings"); keep that out of
// stderr and in the log, where it is attributed.
void log_vips_message(const gchar*, GLogLevelFlags, const gchar* message, gpointer) {
  log::debug("vips: {}", message != nullptr ? message : "");
}

// libheif may be built without an AV1 encoder: try one tiny encode instead of
// guessing from version numbers.
bool avif_encoder_works() {
  if (vips_type_find("VipsOperation", "heifsave_buffer") == 0) return false;
  auto black =
      step("black", [](VipsImage** out) { return vips_black(out, 16, 16, "bands", 3, nullptr); });
  if (!black) return false;
  void* buf = nullptr;
  size_t len = 0;
  int rc = vips_heifsave_buffer(black->get(), &buf, &len, "compression",
                                VIPS_FOREIGN_HEIF_COMPRESSION_AV1, nullptr);
  GBuffer owned(buf);
  if (rc != 0) {
    vips_failure(Errc::unsupported_media, "avif probe encode failed");
    return false;
  }
  return true;
}

State start() {
  if (VIPS_INIT("shot") != 0) {
    vips_failure(Errc::unavailable, "libvips failed to start");
    log::error("image: libvips failed to start");
    return {};
  }
  g_log_set_handler("VIPS",
                    static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                                                G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG),
                    log_vips_message, nullptr);
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoad", TRUE);
  for (const char* loader : kAllowedLoaders)
    vips_operation_block_set(loader, FALSE);
  // Every request brings new bytes, so cached operations are never hit again;
  // they would only pin memory (and buffer loads are keyed by address).
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
  // Callers already run one image job per pool thread.
  vips_concurrency_set(1);
  State state{.ok = true, .avif = avif_encoder_works()};
  log::debug("image: libvips {} started, avif encoding {}", vips_version_string(),
             state.avif ? "available" : "unavailable");
  return state;
}

const State& state() {
  static const State state = start();  // thread-safe once, like std::call_once
  return state;
}

}  // namespace

Error vips_failure(Errc code, std::string_view message) {
  char* detail = vips_error_buffer_copy();  // copies and clears
  log::debug("image: {}: {}", message, detail != nullptr ? detail : "");
  g_free(detail);
  return Error{code, std::string(message), {}};
}

bool has_alpha_channel(Format format) {
  return format == Format::png || format == Format::webp || format == Format::avif;
}

Result<ImagePtr> open(std::string_view bytes, Format format, VipsAccess access) {
  // Loaders take a non-const pointer but only read; the image borrows the bytes.
  void* data = const_cast<char*>(bytes.data());
  size_t size = bytes.size();
  // A truncated file is refused rather than shown half grey.
  auto fail_on = VIPS_FAIL_ON_TRUNCATED;
  VipsImage* out = nullptr;
  int rc = -1;
  switch (format) {
    case Format::png:
      rc = vips_pngload_buffer(data, size, &out, "access", access, "fail_on", fail_on, nullptr);
      break;
    case Format::jpeg:
      rc = vips_jpegload_buffer(data, size, &out, "access", access, "fail_on", fail_on, nullptr);
      break;
    case Format::webp:
      rc = vips_webpload_buffer(data, size, &out, "access", access, "fail_on", fail_on, nullptr);
      break;
    case Format::gif:
      rc = vips_gifload_buffer(data, size, &out, "access", access, "fail_on", fail_on, nullptr);
      break;
    case Format::avif:
    case Format::heif:
      rc = vips_heifload_buffer(data, size, &out, "access", access, "fail_on", fail_on, nullptr);
      break;
    case Format::pdf:
    case Format::unknown:
      return fail(Errc::unsupported_media, "not an image");
  }
  if (rc != 0) {
    if (out != nullptr) g_object_unref(out);
    return fail(vips_failure(Errc::unsupported_media, "the image could not be read"));
  }
  return ImagePtr(out);
}

Result<ImageInfo> check_header(std::string_view bytes, const Limits& limits) {
  if (std::cmp_greater(bytes.size(), limits.max_bytes))
    return fail(Errc::too_large,
                "the image is larger than " + std::to_string(limits.max_bytes) + " bytes");
  Format format = sniff(bytes);
  switch (format) {
    case Format::png:
    case Format::jpeg:
    case Format::webp:
    case Format::gif:
    case Format::avif:
    case Format::heif:
      break;
    case Format::pdf:
      return fail(Errc::unsupported_media, "PDF is not accepted as an image");
    case Format::unknown:
      return fail(Errc::unsupported_media, "not an image: expected png, jpeg, webp, gif or avif");
  }
  // Sequential access reads the header only; no pixel is decoded here.
  auto image = open(bytes, format, VIPS_ACCESS_SEQUENTIAL);
  if (!image) return fail(image.error());
  int width = vips_image_get_width(image->get());
  int height = vips_image_get_height(image->get());
  if (vips_image_get_orientation_swap(image->get())) std::swap(width, height);
  if (width > limits.max_dimension || height > limits.max_dimension ||
      int64_t{width} * height > limits.max_pixels)
    return fail(Errc::too_large, "the image is " + std::to_string(width) + "x" +
                                     std::to_string(height) + " pixels, above the limit");
  return ImageInfo{format, width, height};
}

Result<ImagePtr> open_upright(std::string_view bytes, Format format) {
  auto image = open(bytes, format, VIPS_ACCESS_SEQUENTIAL);
  if (!image || vips_image_get_orientation(image->get()) <= 1) return image;
  // Rotating reads rows out of order, which a sequential image cannot do.
  image = open(bytes, format, VIPS_ACCESS_RANDOM);
  if (!image) return image;
  return step("rotate", [&](VipsImage** out) { return vips_autorot(image->get(), out, nullptr); });
}

Result<ImagePtr> prepare_for(ImagePtr image, Format format) {
  VipsInterpretation interpretation = vips_image_get_interpretation(image.get());
  bool grey =
      interpretation == VIPS_INTERPRETATION_B_W || interpretation == VIPS_INTERPRETATION_GREY16;
  bool eight_bit = vips_image_get_format(image.get()) == VIPS_FORMAT_UCHAR;
  if (!eight_bit ||
      !(interpretation == VIPS_INTERPRETATION_sRGB || interpretation == VIPS_INTERPRETATION_B_W)) {
    auto target = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
    auto converted = step("colourspace", [&](VipsImage** out) {
      return vips_colourspace(image.get(), out, target, nullptr);
    });
    if (!converted) return converted;
    image = std::move(*converted);
    if (vips_image_get_format(image.get()) != VIPS_FORMAT_UCHAR) {
      auto cast = step("cast", [&](VipsImage** out) {
        return vips_cast(image.get(), out, VIPS_FORMAT_UCHAR, nullptr);
      });
      if (!cast) return cast;
      image = std::move(*cast);
    }
  }
  if (!has_alpha_channel(format) && vips_image_hasalpha(image.get())) {
    DoubleArrayPtr white(vips_array_double_newv(1, 255.0));
    auto flat = step("flatten", [&](VipsImage** out) {
      return vips_flatten(image.get(), out, "background", white.get(), nullptr);
    });
    if (!flat) return flat;
    image = std::move(*flat);
  }
  return image;
}

}  // namespace detail

Result<void> init() {
  if (!detail::state().ok) return fail(Errc::unavailable, "the image library failed to start");
  return {};
}

bool can_encode(Format format) {
  switch (format) {
    case Format::png:
    case Format::jpeg:
    case Format::webp:
      return detail::state().ok;
    case Format::avif:
      return detail::state().ok && detail::state().avif;
    default:
      return false;
  }
}

}  // namespace shot::image
