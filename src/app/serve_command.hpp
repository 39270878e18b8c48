#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shot::app {

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./shot-data";
  std::string queue = "memory";
  std::string store;  // default: sqlite:<data_dir>/shot.db
  std::string blobs;  // default: file:<data_dir>/blobs
  int tabs = 0;       // 0: one per core, at least 2
  // Tabs kept reset beyond `tabs`; unset: one when `tabs` is 1, else none.
  std::optional<int> spare_tabs;
  int tab_uses = 100;  // captures in one tab (and its renderer) before a fresh one
  std::string chromium;
  bool renderer_per_site = false;  // Chromium's site isolation
  std::size_t max_queue = 10'000;
  int picture_cache_mb = 64;  // hot picture bytes kept in memory (http::PictureCache)
  int max_urls_per_job = 1000;
  int crawl_per_host = 2;  // pages of one crawl captured at once on one host
  bool allow_private = false;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> allow_cidrs;
  std::string webhook_secret;
  std::string log_format = "text";
  int drain_seconds = 30;
  // Access control (docs/security.md): with a keys file every /v1 route needs a key.
  std::string api_keys_file;
  std::string signing_secret;
  double rate_per_second = 10;
  double rate_burst = 20;
  int max_jobs_per_key = 10;
  bool no_seed_routes = false;
  // Thumbnails: e-mail through this SMTP server (trusted operator config); image size limit.
  std::string smtp;  // smtp://host:port; empty: no e-mail
  std::string smtp_from = "shot@localhost";
  std::int64_t max_image_bytes = 32 << 20;
  // What one captured page may load, all requests together.
  std::int64_t max_page_bytes = 128LL << 20;
  int max_page_requests = 2000;
  // Deliveries of one capture (crashes included) before it is failed; with a
  // broker, its queue is declared with this limit, so api and worker must agree.
  int delivery_limit = 5;
  // Test hook (hidden flag): a worker kills itself when it starts capturing a
  // URL that contains this, as a capture that crashes its process would.
  std::string test_crash_on;
};

// What one process runs: everything (`shot serve`), or one half of a
// scale-out (`shot api`: HTTP, publishes; `shot worker`: consumes, captures).
enum class NodeRole { all, api, worker };

// Builds the object graph for `role` and runs it until SIGTERM/SIGINT.
int run_node(const ServeConfig& config, NodeRole role);

// Runs the HTTP API, workers, embedded queue and stores until SIGTERM/SIGINT.
inline int run_serve(const ServeConfig& config) {
  return run_node(config, NodeRole::all);
}

}  // namespace shot::app
