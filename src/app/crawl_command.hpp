#pragma once

#include <string>
#include <vector>

#include "core/json.hpp"

namespace shot::app {

struct CrawlCommand {
  std::string start_url;
  int max_pages = 10;
  int max_depth = 10;
  std::string strategy = "bfs";
  std::string scope = "same-origin";
  std::vector<std::string> include, exclude;
  bool respect_robots = false;
  int per_host = 2;  // pages captured at once on one host
  std::string out_dir = ".";
  int tabs = 0;  // 0: one per core, at least 2
  std::string chromium;
  bool renderer_per_site = false;  // Chromium's site isolation
  json::object options;            // capture options, validated by capture::parse_options
};

// Crawls from start_url with a local browser: one picture per page in out_dir
// and crawl.json listing the pages (url, parent, depth, file or error).
// Returns the exit code.
int run_crawl(const CrawlCommand& command);

}  // namespace shot::app
