// The four output encoders, with the settings shot uses for screenshots and
// thumbnails: metadata stripped, speed favoured over the last few percent.

#include <string>

#include "image/vips_handle.hpp"

namespace shot::image::detail {
namespace {

// Largest side each format can hold (WebP: 14-bit sizes; JPEG: 16-bit).
int max_side(Format format) {
  switch (format) {
    case Format::webp:
      return 16'383;
    case Format::jpeg:
      return 65'535;
    case Format::avif:
      return 65'535;
    default:
      return VIPS_MAX_COORD;
  }
}

int quality_or(int quality, int fallback) {
  return quality == 0 ? fallback : quality;
}

}  // namespace

Result<void> check_encodable(const EncodeOptions& options) {
  if (options.format == Format::avif && !can_encode(Format::avif))
    return fail(Errc::unsupported_media, "this build cannot encode avif", "format");
  if (!can_encode(options.format))
    return fail(
        Errc::invalid_argument,
        "cannot encode " + std::string(to_string(options.format)) + ": use png, jpeg, webp or avif",
        "format");
  if (options.quality < 0 || options.quality > 100)
    return fail(Errc::invalid_argument, "quality must be between 1 and 100", "quality");
  return {};
}

Result<Encoded> encode(VipsImage* image, const EncodeOptions& options, Errc on_failure) {
  if (auto ok = check_encodable(options); !ok) return fail(ok.error());
  int width = vips_image_get_width(image);
  int height = vips_image_get_height(image);
  if (width > max_side(options.format) || height > max_side(options.format))
    return fail(Errc::too_large, std::string(to_string(options.format)) + " cannot hold a " +
                                     std::to_string(width) + "x" + std::to_string(height) +
                                     " image");

  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  switch (options.format) {
    case Format::png:
      // Level 6 is zlib's default; higher levels cost far more time than bytes.
      rc = vips_pngsave_buffer(image, &buf, &len, "compression", 6, "strip", TRUE, nullptr);
      break;
    case Format::jpeg:
      rc = vips_jpegsave_buffer(image, &buf, &len, "Q", quality_or(options.quality, 80), "strip",
                                TRUE, "optimize_coding", TRUE, nullptr);
      break;
    case Format::webp:
      rc = vips_webpsave_buffer(image, &buf, &len, "Q", quality_or(options.quality, 80), "strip",
                                TRUE, nullptr);
      break;
    case Format::avif:
      // Effort 2 of 9: AV1 at the default effort takes seconds for one screenshot.
      rc = vips_heifsave_buffer(image, &buf, &len, "Q", quality_or(options.quality, 50),
                                "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", 2,
                                "strip", TRUE, nullptr);
      break;
    default:
      break;
  }
  GBuffer owned(buf);
  if (rc != 0) {
    const char* message = on_failure == Errc::unsupported_media ? "the image could not be decoded"
                                                                : "the image could not be encoded";
    return fail(vips_failure(on_failure, message));
  }
  return Encoded{std::string(static_cast<const char*>(buf), len), options.format, width, height};
}

}  // namespace shot::image::detail
