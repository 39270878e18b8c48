#pragma once
// A verdict on every picture: `challenge` (a bot wall or CAPTCHA, by
// well-known markers), `error_page` (HTTP >= 400 or Chromium's own error
// page), `blank` (a single colour), or `ok`.
//
// Blank needs pixels, and capture may not use image/ (DESIGN §3): the
// caller's PictureTools read the picture itself, row by row until a pixel
// differs (for a page with content, its first rows). Without tools, Chromium
// renders a small copy of the captured area and an isolated world of the page
// decodes it with createImageBitmap, which costs a second screenshot. The
// other verdicts read the DOM from an isolated world, where the page's own
// scripts cannot tamper with them.

#include "capture/run.hpp"

namespace shot::capture {

// Sets run.result.facts.verdict (and its reason) for the area just captured.
Task<Result<void>> judge(Run& run, const Clip& area);

}  // namespace shot::capture
