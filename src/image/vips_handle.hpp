#pragma once
// Internal to image/: RAII for libvips objects and the steps the operations
// share. Nothing outside src/image includes this.

#include <vips/vips.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "image/image.hpp"

namespace shot::image::detail {

struct ImageUnref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
// Owns one reference to a VipsImage.
using ImagePtr = std::unique_ptr<VipsImage, ImageUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
// Owns a buffer a vips saver allocated.
using GBuffer = std::unique_ptr<void, GFree>;

struct AreaUnref {
  void operator()(VipsArrayDouble* array) const { vips_area_unref(VIPS_AREA(array)); }
};
using DoubleArrayPtr = std::unique_ptr<VipsArrayDouble, AreaUnref>;

// The vips error text goes to the debug log (it may quote paths or internals)
// and is cleared; the Error carries only `message`.
Error vips_failure(Errc code, std::string_view message);

// Runs one vips operation `op(VipsImage** out)` and owns its output.
template <class Op>
Result<ImagePtr> step(std::string_view what, Op&& op) {
  VipsImage* out = nullptr;
  if (op(&out) != 0) {
    if (out != nullptr) g_object_unref(out);
    return fail(vips_failure(Errc::internal, "image processing failed: " + std::string(what)));
  }
  return ImagePtr(out);
}

// Checks size and format limits from the header, and returns the format.
Result<ImageInfo> check_header(std::string_view bytes, const Limits& limits);

// Opens `bytes` with the one loader for `format`. Lazy: only the header is read
// until pixels are asked for. `bytes` must outlive the image.
Result<ImagePtr> open(std::string_view bytes, Format format, VipsAccess access);

// Opens and turns upright by EXIF orientation (random access only when a
// rotation needs it).
Result<ImagePtr> open_upright(std::string_view bytes, Format format);

// 8-bit sRGB or grey, alpha flattened onto white for formats without alpha.
Result<ImagePtr> prepare_for(ImagePtr image, Format format);

// An output format this build writes (else invalid_argument, or
// unsupported_media for AVIF without an encoder) and a quality in range.
Result<void> check_encodable(const EncodeOptions& options);

// `on_failure`: unsupported_media when pixels are still being decoded from the
// input as they are encoded (a corrupt input fails here), internal otherwise.
Result<Encoded> encode(VipsImage* image, const EncodeOptions& options, Errc on_failure);

bool has_alpha_channel(Format format);

}  // namespace shot::image::detail
