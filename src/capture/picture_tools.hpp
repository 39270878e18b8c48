#pragma once
// What the capture pipeline needs done to pixels that Chromium cannot do:
// joining the tiles of a page taller than its texture limit. capture/ may not
// depend on image/ (DESIGN §3), so the caller that wires the modules (app/)
// supplies an implementation backed by libvips; without one, tall pages are
// cut at one tile and say so.

#include <string>
#include <vector>

#include "capture/options.hpp"
#include "core/asio.hpp"
#include "core/error.hpp"

namespace shot::capture {

class PictureTools {
 public:
  virtual ~PictureTools() = default;
  // Joins PNG tiles of equal width top to bottom into one picture in `format`
  // (png, jpeg or webp) at `quality`. Runs off the I/O thread.
  virtual Task<Result<std::string>> stitch(std::vector<std::string> tiles, Format format,
                                           int quality) = 0;
};

}  // namespace shot::capture
