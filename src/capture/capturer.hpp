#pragma once
// The capture pipeline: open page → emulate → navigate → wait → act →
// capture, an explicit list of steps over one Run, the deadline checked
// between steps. A capture whose browser died is retried on a fresh one.

#include <string>

#include "browser/page_pool.hpp"
#include "capture/options.hpp"

namespace shot::capture {

struct PageFacts {
  std::string final_url;
  int http_status = 0;
  std::string title;
};

struct Timings {
  double acquire_ms = 0;   // waiting for a tab
  double navigate_ms = 0;  // until the document committed
  double wait_ms = 0;      // until it counted as ready
  double act_ms = 0;       // css, js, clicks, scrolling
  double capture_ms = 0;   // Chromium rendering and encoding
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
  json::object trace;  // what the readiness wait observed
};

json::object to_json(const PageFacts& facts, const Timings& timings);

class Capturer {
 public:
  explicit Capturer(browser::PagePool& pool, int max_attempts = 3)
      : pool_(pool), max_attempts_(max_attempts) {}

  Task<Result<CaptureResult>> capture(std::string url, CaptureOptions options);

 private:
  browser::PagePool& pool_;
  int max_attempts_;
};

}  // namespace shot::capture
