// thumbnail(): one vips_thumbnail_buffer call (it shrinks while loading JPEG,
// WebP and HEIF, so a large photo is never decoded at full size), then padding
// for contain.

#include <algorithm>
#include <cmath>
#include <string>

#include "image/vips_handle.hpp"

namespace shot::image {
namespace {

using detail::ImagePtr;
using detail::step;

Result<void> validate(const ThumbnailOptions& options, const Limits& limits) {
  if (options.width < 0 || options.width > limits.max_dimension)
    return fail(Errc::invalid_argument,
                "width must be between 0 and " + std::to_string(limits.max_dimension), "width");
  if (options.height < 0 || options.height > limits.max_dimension)
    return fail(Errc::invalid_argument,
                "height must be between 0 and " + std::to_string(limits.max_dimension), "height");
  if (options.width == 0 && options.height == 0)
    return fail(Errc::invalid_argument, "width or height is required", "width");
  return detail::check_encodable({options.format, options.quality});
}

// The box the result fills, with a side left 0 derived from the aspect, to
// refuse an output over the limits before any work.
Result<void> check_output(const ThumbnailOptions& options, const ImageInfo& info,
                          const Limits& limits) {
  double width = options.width;
  double height = options.height;
  if (width == 0) width = std::ceil(height * info.width / info.height);
  if (height == 0) height = std::ceil(width * info.height / info.width);
  if (width > limits.max_dimension || height > limits.max_dimension ||
      width * height > static_cast<double>(limits.max_pixels))
    return fail(Errc::too_large, "the thumbnail would be above the size limit");
  return {};
}

// Centres `image` on a box of exactly width × height.
Result<ImagePtr> pad(ImagePtr image, int width, int height, Format format) {
  if (vips_image_get_width(image.get()) == width && vips_image_get_height(image.get()) == height)
    return image;
  // Three colour bands, so one background value means the same on every band.
  if (vips_image_get_interpretation(image.get()) != VIPS_INTERPRETATION_sRGB) {
    auto rgb = step("colourspace", [&](VipsImage** out) {
      return vips_colourspace(image.get(), out, VIPS_INTERPRETATION_sRGB, nullptr);
    });
    if (!rgb) return rgb;
    image = std::move(*rgb);
  }
  bool transparent = detail::has_alpha_channel(format);
  if (transparent && !vips_image_hasalpha(image.get())) {
    auto with_alpha = step("add alpha", [&](VipsImage** out) {
      return vips_bandjoin_const1(image.get(), out, 255.0, nullptr);
    });
    if (!with_alpha) return with_alpha;
    image = std::move(*with_alpha);
  }
  detail::DoubleArrayPtr background(vips_array_double_newv(1, transparent ? 0.0 : 255.0));
  return step("pad", [&](VipsImage** out) {
    return vips_gravity(image.get(), out, VIPS_COMPASS_DIRECTION_CENTRE, width, height, "extend",
                        VIPS_EXTEND_BACKGROUND, "background", background.get(), nullptr);
  });
}

}  // namespace

Result<Encoded> thumbnail(std::string_view bytes, const ThumbnailOptions& options,
                          const Limits& limits) {
  if (auto ok = init(); !ok) return fail(ok.error());
  if (auto ok = validate(options, limits); !ok) return fail(ok.error());
  auto info = detail::check_header(bytes, limits);
  if (!info) return fail(info.error());
  if (auto ok = check_output(options, *info, limits); !ok) return fail(ok.error());

  // A side left 0 is unbounded, so the given side alone sets the scale.
  bool both = options.width > 0 && options.height > 0;
  int width = options.width > 0 ? options.width : VIPS_MAX_COORD;
  int height = options.height > 0 ? options.height : VIPS_MAX_COORD;
  VipsSize size = VIPS_SIZE_BOTH;
  VipsInteresting crop = VIPS_INTERESTING_NONE;
  if (options.fit == Fit::inside) size = VIPS_SIZE_DOWN;
  if (both && options.fit == Fit::fill) size = VIPS_SIZE_FORCE;
  if (both && options.fit == Fit::cover) crop = VIPS_INTERESTING_ATTENTION;

  VipsImage* out = nullptr;
  int rc = vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &out, width,
                                 "height", height, "size", size, "crop", crop, "option_string",
                                 "fail_on=truncated", nullptr);
  ImagePtr scaled(out);
  if (rc != 0)
    return fail(detail::vips_failure(Errc::unsupported_media, "the image could not be read"));
  // Decode now, while a failure can only mean a bad input; the result is small.
  ImagePtr decoded(vips_image_copy_memory(scaled.get()));
  if (!decoded)
    return fail(detail::vips_failure(Errc::unsupported_media, "the image could not be decoded"));

  auto ready = detail::prepare_for(std::move(decoded), options.format);
  if (ready && both && options.fit == Fit::contain)
    ready = pad(std::move(*ready), options.width, options.height, options.format);
  if (!ready) return fail(ready.error());
  return detail::encode(ready->get(), {options.format, options.quality}, Errc::internal);
}

std::string_view to_string(Fit fit) {
  switch (fit) {
    case Fit::contain:
      return "contain";
    case Fit::cover:
      return "cover";
    case Fit::fill:
      return "fill";
    case Fit::inside:
      return "inside";
  }
  return "contain";
}

std::optional<Fit> fit_from_name(std::string_view name) {
  for (Fit fit : {Fit::contain, Fit::cover, Fit::fill, Fit::inside})
    if (name == to_string(fit)) return fit;
  return std::nullopt;
}

}  // namespace shot::image
