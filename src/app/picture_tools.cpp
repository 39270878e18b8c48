#include "app/picture_tools.hpp"

#include "image/image.hpp"

namespace shot::app {
namespace {

// Chromium's own pictures of a page capped by max_height: trusted input,
// bounded by the capture options rather than the upload limits.
image::Limits chromium_picture_limits() {
  image::Limits limits;
  limits.max_pixels = 16384LL * 200'000;
  limits.max_bytes = 512 << 20;
  limits.max_dimension = 200'000;
  return limits;
}

}  // namespace

Task<Result<std::string>> VipsPictureTools::stitch(std::vector<std::string> tiles,
                                                   capture::Format format, int quality) {
  image::EncodeOptions encode;
  encode.format = format == capture::Format::jpeg   ? image::Format::jpeg
                  : format == capture::Format::webp ? image::Format::webp
                                                    : image::Format::png;
  if (format != capture::Format::png) encode.quality = quality;
  auto limits = chromium_picture_limits();
  co_return co_await offload(blocking_, [&]() -> Result<std::string> {
    auto joined = image::stitch_vertical(tiles, encode, limits);
    if (!joined) return std::unexpected(joined.error());
    return std::move(joined->bytes);
  });
}

Task<Result<std::optional<std::string>>> VipsPictureTools::single_colour(const std::string& picture,
                                                                         int tolerance) {
  auto limits = chromium_picture_limits();
  co_return co_await offload(blocking_,
                             [&] { return image::single_colour(picture, tolerance, limits); });
}

}  // namespace shot::app
