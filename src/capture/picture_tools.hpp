#pragma once
// What the capture pipeline needs done to pixels that Chromium cannot do:
// joining the tiles of a page taller than its texture limit, and telling
// whether a picture is a single colour (the blank verdict). capture/ may not
// depend on image/ (DESIGN §3), so the caller that wires the modules (app/)
// supplies an implementation backed by libvips; without one, tall pages are
// cut at one tile and say so.

#include <optional>
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
  // The colour ("#rrggbb") of a picture that is one colour (every channel of
  // every pixel within `tolerance` of the first), or nothing. Off the I/O
  // thread; usually decodes only the first rows.
  virtual Task<Result<std::optional<std::string>>> single_colour(const std::string& picture,
                                                                 int tolerance) = 0;
};

}  // namespace shot::capture
