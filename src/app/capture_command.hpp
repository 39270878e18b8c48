#pragma once

#include <string>
#include <vector>

#include "core/json.hpp"

namespace shot::app {

struct CaptureCommand {
  std::vector<std::string> urls;
  std::string urls_file;
  std::string out_dir = ".";
  int tabs = 0;  // 0: one per core, at least 2
  std::string chromium;
  bool renderer_per_site = false;  // Chromium's site isolation
  std::string report;              // a JSON summary (throughput, latency) written here, if set
  json::object options;            // capture options, validated by capture::parse_options
};

// Captures every URL into out_dir; prints failures; returns the exit code.
int run_capture(const CaptureCommand& command);

// A progress bar on stderr: "[====    ] done/total (n failed)".
void draw_progress(std::size_t done, std::size_t total, std::size_t failed);

// The file name for a URL's picture: host and path made safe, plus extension.
std::string file_name_for(const std::string& url, std::string_view extension);

}  // namespace shot::app
