#pragma once
// Everything shot does with pixels after Chromium: probe, thumbnail, convert,
// stitch, crop. Backed by libvips; no vips type appears here.
//
// Every function is safe to call from many threads at once (callers run it on
// the blocking pool), never throws, and checks Limits before any pixel is
// decoded: the size in the header is refused first, so a decompression bomb
// costs a header read.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "image/format.hpp"

namespace shot::image {

struct Limits {
  int64_t max_pixels = 50'000'000;  // width × height, of an input or an output
  int64_t max_bytes = 32 << 20;     // encoded size of one input
  int max_dimension = 50'000;       // width or height
};

// Starts libvips once per process: only the PNG, JPEG, WebP, GIF and HEIF/AVIF
// loaders may run, the operation cache is off, one worker thread per call.
// Every other function calls it too; calling it early just surfaces a failure
// at start-up. Fails with Errc::unavailable when libvips cannot start.
Result<void> init();

// Whether this build can write `format` (AVIF needs libheif with an AV1 encoder).
bool can_encode(Format format);

struct ImageInfo {
  Format format = Format::unknown;
  int width = 0;  // as displayed: EXIF orientation applied
  int height = 0;
};

// Format and size from the header alone. Errc::unsupported_media when the bytes
// are not an image we accept (PDF included) or the header is unreadable;
// Errc::too_large above any limit.
Result<ImageInfo> probe(std::string_view bytes, const Limits& limits = {});

struct EncodeOptions {
  Format format = Format::png;  // png, jpeg, webp or avif
  int quality = 0;              // 1-100 for jpeg, webp, avif; 0 = the format's default
};

struct Encoded {
  std::string bytes;
  Format format = Format::unknown;
  int width = 0;
  int height = 0;
};

enum class Fit {
  contain,  // fit inside the box, pad to exactly the box (white; transparent for png/webp/avif)
  cover,    // fill the box exactly, cropping around the most salient region
  fill,     // stretch to exactly the box, ignoring aspect
  inside,   // fit inside the box, keep aspect, no padding, never enlarge
};

struct ThumbnailOptions {
  int width = 0;  // 0: derived from height and the image's aspect
  int height = 0;
  Fit fit = Fit::contain;
  Format format = Format::jpeg;
  int quality = 0;
};

// Scales an image to a box. contain, cover and fill give exactly the box,
// enlarging small images as CSS object-fit does; inside never enlarges. With
// one side 0 every fit scales to the given side and derives the other.
Result<Encoded> thumbnail(std::string_view bytes, const ThumbnailOptions& options,
                          const Limits& limits = {});

// Re-encodes an image, e.g. a PNG screenshot as AVIF when Chromium cannot.
Result<Encoded> convert(std::string_view bytes, const EncodeOptions& options,
                        const Limits& limits = {});

// Joins tiles of equal width top to bottom: full pages taller than Chromium's
// 16,384 px texture limit are captured in tiles. Limits apply to each tile
// and to the joined image.
Result<Encoded> stitch_vertical(std::span<const std::string> tiles, const EncodeOptions& options,
                                const Limits& limits = {});

// The colour of a picture whose every pixel is within `tolerance` of the first
// in every channel (alpha included), as "#rrggbb"; nothing as soon as one pixel
// differs. Rows are decoded lazily, in order, and only until a pixel differs:
// a picture with content usually costs its first rows, not a full decode.
Result<std::optional<std::string>> single_colour(std::string_view bytes, int tolerance,
                                                 const Limits& limits = {});

struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// Cuts `area` out of an image; Errc::invalid_argument when it is empty or not
// inside the image.
Result<Encoded> crop(std::string_view bytes, const Rect& area, const EncodeOptions& options,
                     const Limits& limits = {});

std::string_view to_string(Fit fit);
std::optional<Fit> fit_from_name(std::string_view name);

}  // namespace shot::image
