// probe, convert, crop, stitch and single_colour: open lazily, transform,
// encode; pixels stream from the decoder through to the encoder.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "image/vips_handle.hpp"

namespace shot::image {

using detail::ImagePtr;
using detail::step;

Result<ImageInfo> probe(std::string_view bytes, const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  return detail::check_header(bytes, limits);
}

Result<Encoded> convert(std::string_view bytes, const EncodeOptions& options,
                        const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  if (auto ok = detail::check_encodable(options); !ok) return fail(ok.error());
  auto info = detail::check_header(bytes, limits);
  if (!info) return fail(info.error());
  auto image = detail::open_upright(bytes, info->format);
  if (!image) return fail(image.error());
  auto ready = detail::prepare_for(std::move(*image), options.format);
  if (!ready) return fail(ready.error());
  return detail::encode(ready->get(), options, Errc::unsupported_media);
}

Result<Encoded> crop(std::string_view bytes, const Rect& area, const EncodeOptions& options,
                     const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  if (auto ok = detail::check_encodable(options); !ok) return fail(ok.error());
  auto info = detail::check_header(bytes, limits);
  if (!info) return fail(info.error());
  if (area.width <= 0 || area.height <= 0 || area.x < 0 || area.y < 0 ||
      int64_t{area.x} + area.width > info->width || int64_t{area.y} + area.height > info->height)
    return fail(Errc::invalid_argument,
                "the area must be non-empty and inside the " + std::to_string(info->width) + "x" +
                    std::to_string(info->height) + " image",
                "clip");
  auto image = detail::open_upright(bytes, info->format);
  if (!image) return fail(image.error());
  auto cut = step("crop", [&](VipsImage** out) {
    return vips_extract_area(image->get(), out, area.x, area.y, area.width, area.height, nullptr);
  });
  if (!cut) return fail(cut.error());
  auto ready = detail::prepare_for(std::move(*cut), options.format);
  if (!ready) return fail(ready.error());
  return detail::encode(ready->get(), options, Errc::unsupported_media);
}

Result<Encoded> stitch_vertical(std::span<const std::string> tiles, const EncodeOptions& options,
                                const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  if (auto ok = detail::check_encodable(options); !ok) return fail(ok.error());
  if (tiles.empty()) return fail(Errc::invalid_argument, "no tiles to stitch");
  int width = 0;
  int64_t height = 0;
  for (const std::string& tile : tiles) {
    auto info = detail::check_header(tile, limits);
    if (!info) return fail(info.error());
    if (width != 0 && info->width != width)
      return fail(Errc::invalid_argument, "tiles must all have the same width");
    width = info->width;
    height += info->height;
  }
  if (height > limits.max_dimension || width * height > limits.max_pixels)
    return fail(Errc::too_large, "the stitched image would be " + std::to_string(width) + "x" +
                                     std::to_string(height) + " pixels, above the limit");

  std::vector<ImagePtr> owned;
  owned.reserve(tiles.size());
  bool alpha = false;
  for (const std::string& tile : tiles) {
    // Tiles come from Chromium: no EXIF rotation to apply.
    auto image = detail::open(tile, sniff(tile), VIPS_ACCESS_SEQUENTIAL);
    if (image) image = detail::prepare_for(std::move(*image), Format::png);
    if (image && vips_image_get_interpretation(image->get()) != VIPS_INTERPRETATION_sRGB) {
      image = step("colourspace", [&](VipsImage** out) {
        return vips_colourspace(image->get(), out, VIPS_INTERPRETATION_sRGB, nullptr);
      });
    }
    if (!image) return fail(image.error());
    alpha = alpha || vips_image_hasalpha(image->get());
    owned.push_back(std::move(*image));
  }
  // Joining needs one band count: give every tile alpha if any has it.
  for (ImagePtr& image : owned) {
    if (!alpha || vips_image_hasalpha(image.get())) continue;
    auto with_alpha = step("add alpha", [&](VipsImage** out) {
      return vips_bandjoin_const1(image.get(), out, 255.0, nullptr);
    });
    if (!with_alpha) return fail(with_alpha.error());
    image = std::move(*with_alpha);
  }
  // A chain of pairwise joins, not vips_arrayjoin: arrayjoin lays tiles on a
  // grid of equal cells, and the last tile of a page is usually shorter.
  ImagePtr joined = std::move(owned.front());
  for (size_t i = 1; i < owned.size(); ++i) {
    auto next = step("stitch", [&](VipsImage** out) {
      return vips_join(joined.get(), owned[i].get(), out, VIPS_DIRECTION_VERTICAL, nullptr);
    });
    if (!next) return fail(next.error());
    joined = std::move(*next);
  }
  auto ready = detail::prepare_for(std::move(joined), options.format);
  if (!ready) return fail(ready.error());
  return detail::encode(ready->get(), options, Errc::unsupported_media);
}

namespace {

struct RegionUnref {
  void operator()(VipsRegion* r) const { g_object_unref(r); }
};

}  // namespace

Result<std::optional<std::string>> single_colour(std::string_view bytes, int tolerance,
                                                 const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  auto info = detail::check_header(bytes, limits);
  if (!info) return fail(info.error());
  auto image = detail::open(bytes, info->format, VIPS_ACCESS_SEQUENTIAL);
  if (!image) return fail(image.error());
  if (vips_image_get_format(image->get()) != VIPS_FORMAT_UCHAR) {
    image =
        step("cast", [&](VipsImage** out) { return vips_cast_uchar(image->get(), out, nullptr); });
    if (!image) return fail(image.error());
  }
  VipsImage* in = image->get();
  const int width = vips_image_get_width(in), height = vips_image_get_height(in);
  const int bands = vips_image_get_bands(in);
  std::unique_ptr<VipsRegion, RegionUnref> region(vips_region_new(in));
  std::vector<int> first;
  constexpr int kRows = 16;  // decoded per step
  for (int y = 0; y < height; y += kRows) {
    VipsRect rows{0, y, width, std::min(kRows, height - y)};
    if (vips_region_prepare(region.get(), &rows) != 0)
      return fail(detail::vips_failure(Errc::unsupported_media, "decoding the picture"));
    for (int row = rows.top; row < rows.top + rows.height; ++row) {
      const auto* p =
          reinterpret_cast<const unsigned char*>(VIPS_REGION_ADDR(region.get(), 0, row));
      if (first.empty()) first.assign(p, p + bands);
      for (int x = 0; x < width; ++x, p += bands)
        for (int b = 0; b < bands; ++b)
          if (std::abs(p[b] - first[static_cast<std::size_t>(b)]) > tolerance)
            return std::optional<std::string>();
    }
  }
  if (first.empty()) return std::optional<std::string>();
  auto channel = [&](int i) {
    return first[static_cast<std::size_t>(std::min(i, bands < 3 ? 0 : i))];
  };
  char hex[8];
  std::snprintf(hex, sizeof hex, "#%02x%02x%02x", channel(0), channel(1), channel(2));
  return std::optional<std::string>(hex);
}

}  // namespace shot::image
