#pragma once
// The capture pipeline: open page → emulate → navigate → wait → act →
// capture, an explicit list of steps over one Run, the deadline checked
// between steps. A capture whose browser died is retried on a fresh one.

#include <string>

#include "browser/page_pool.hpp"
#include "capture/options.hpp"
#include "capture/picture_tools.hpp"

namespace shot::capture {

// What the picture shows, judged after it was taken (fail_on names these).
enum class Verdict { ok, blank, error_page, challenge };
std::string_view to_string(Verdict v);

struct PageFacts {
  std::string final_url;
  int http_status = 0;
  std::string title;
  Verdict verdict = Verdict::ok;
  std::string verdict_reason;      // what made it not ok
  std::vector<std::string> links;  // with extract: ["links"], as found in the rendered DOM
};

struct Timings {
  double acquire_ms = 0;   // waiting for a tab
  double navigate_ms = 0;  // until the document committed
  double load_ms = 0;      // from the commit until the wait_until event
  double wait_ms = 0;      // then until it counted as ready
  double act_ms = 0;       // css, js, clicks, scrolling
  double capture_ms = 0;   // Chromium rendering and encoding, then decoding its answer
  double decode_ms = 0;    // of capture_ms: shot decoding Chromium's base64 answer
  double verdict_ms = 0;   // judging the picture (blank, error page, challenge)
  double total_ms = 0;
};

struct CaptureResult {
  std::string bytes;
  Format format = Format::png;
  int width = 0;  // pixels (0 for pdf)
  int height = 0;
  bool truncated = false;  // a full page taller than max_height was cut
  int attempts = 1;
  PageFacts facts;
  Timings timings;
  int tiles = 1;       // captures stitched into the picture
  json::object trace;  // what the readiness gate observed (docs/fidelity.md)
};

json::object to_json(const PageFacts& facts, const Timings& timings);

// What one page may load, all its frames and requests together: a page past a
// limit is stopped and its capture fails as too_large. (The egress proxy limits
// each request; these bound the page.)
struct CaptureLimits {
  std::int64_t max_bytes = 128LL * 1024 * 1024;  // received over the network
  int max_requests = 2000;
};

class Capturer {
 public:
  // `tools` joins the tiles of very tall pages; without it they are cut at one tile.
  explicit Capturer(browser::PagePool& pool, PictureTools* tools = nullptr, int max_attempts = 3)
      : pool_(pool), tools_(tools), max_attempts_(max_attempts) {}

  Task<Result<CaptureResult>> capture(std::string url, CaptureOptions options);
  void set_limits(CaptureLimits limits) { limits_ = limits; }

 private:
  browser::PagePool& pool_;
  CaptureLimits limits_;
  PictureTools* tools_;
  int max_attempts_;
};

}  // namespace shot::capture
