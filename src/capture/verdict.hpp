#pragma once
// A verdict on every picture: `challenge` (a bot wall or CAPTCHA, by
// well-known markers), `error_page` (HTTP >= 400 or Chromium's own error
// page), `blank` (a single colour), or `ok`.
//
// Blank needs pixels, and capture may not use image/ (DESIGN §3): Chromium
// renders a small copy of the captured area (clip with scale, a few hundred
// pixels) and an isolated world of the page decodes it with
// createImageBitmap. That costs one small screenshot and two round trips,
// never a decode of the full picture, and the page's own scripts cannot
// tamper with it.

#include "capture/run.hpp"

namespace shot::capture {

// Sets run.result.facts.verdict (and its reason) for the area just captured.
Task<Result<void>> judge(Run& run, const Clip& area);

}  // namespace shot::capture
