#pragma once
// What one capture knows while it runs: shared by the pipeline's steps
// (capturer.cpp) and the files that implement the bigger ones (readiness gate,
// tiles, verdict, clutter).

#include <map>
#include <string>
#include <vector>

#include "capture/capturer.hpp"
#include "cdp/session.hpp"

namespace shot::capture {

struct Run {
  cdp::Session& session;
  const std::string& target_id;
  const std::string& url;
  const CaptureOptions& o;
  Deadline deadline;
  PictureTools* tools = nullptr;
  CaptureLimits limits;
  // What the session already carries from the tab's last capture; set only
  // what differs. `extra_overrides` once this capture sets anything else, so
  // the session is not kept for the next one.
  browser::Page::Baseline* baseline = nullptr;
  bool extra_overrides = false;
  CaptureResult result;
  // Told when the capture starts waiting for Chromium to draw the picture: a
  // few frame ticks in which the cores are free for other work (its lull()).
  browser::PagePool* pool = nullptr;

  // Network activity of this page, for the readiness gate and the HTTP status.
  struct Request {
    Clock::time_point start;
    bool stream = false;  // EventSource, WebSocket: never finishes, never waited for
  };
  std::map<std::string, Request> inflight;
  Clock::time_point last_activity = Clock::now();
  std::string blocked;  // why the egress policy refused the main document, if it did
  // What the page loaded so far, against `limits`; set when it went past one.
  std::int64_t bytes = 0;
  int requests = 0;
  std::map<std::string, std::int64_t> bytes_by_request;
  std::string over_limit;
  // The document's layout height in CSS pixels, as the last full-page step saw it.
  double content_height = 0;
  // The area the picture shows, in CSS pixels of the document.
  Clip area;
  int ads_blocked = 0;  // requests refused by block_ads

  // Listeners this capture added: removed with it, since the session may
  // outlive the capture (closing happens in the background) and they hold `this`.
  std::vector<int> listeners;
  void listen(std::string method, cdp::Listener fn) {
    listeners.push_back(session.on(std::move(method), std::move(fn)));
  }
  ~Run() {
    for (int id : listeners)
      session.off(id);
  }
};

// Evaluates `expression` in the page (awaiting a promise) and returns its value;
// `deadline` defaults to the capture's.
Task<Result<json::value>> evaluate(Run& run, std::string expression,
                                   std::optional<Deadline> deadline = std::nullopt);

// A JSON (and so JavaScript) string literal.
std::string js_string(std::string_view s);

}  // namespace shot::capture
