#include "app/crawl_command.hpp"

#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "app/capture_command.hpp"
#include "app/picture_tools.hpp"
#include "browser/page_pool.hpp"
#include "capture/capturer.hpp"
#include "capture/crawl.hpp"
#include "core/log.hpp"
#include "net/http_client.hpp"

namespace shot::app {
namespace {

// The flags as the API's request body, so both are validated alike.
json::object crawl_body(const CrawlCommand& c) {
  json::object o;
  o["start_url"] = c.start_url;
  o["max_pages"] = c.max_pages;
  o["max_depth"] = c.max_depth;
  o["strategy"] = c.strategy;
  o["scope"] = c.scope;
  json::array include, exclude;
  for (auto& p : c.include)
    include.emplace_back(json::string(p));
  for (auto& p : c.exclude)
    exclude.emplace_back(json::string(p));
  o["include"] = std::move(include);
  o["exclude"] = std::move(exclude);
  o["respect_robots"] = c.respect_robots;
  return o;
}

// robots.txt of an origin; RFC 9309: missing (4xx) allows all, unreachable disallows all.
capture::RobotsRules fetch_robots(const std::string& origin, const net::EgressPolicy& policy) {
  net::HttpRequest request{.url = origin + "/robots.txt",
                           .headers = {{"User-Agent", "shot"}},
                           .timeout = Millis(10'000),
                           .max_response_bytes = 512 * 1024};
  auto r = net::fetch(request, policy);
  if (!r || r->status >= 500) return capture::RobotsRules::disallow_all();
  if (r->status >= 400) return capture::RobotsRules::allow_all();
  return capture::RobotsRules::parse(r->body);
}

struct PageRecord {
  std::string file;
  std::string error;
};

}  // namespace

int run_crawl(const CrawlCommand& command) {
  auto spec = capture::parse_crawl_spec(crawl_body(command));
  if (!spec) {
    std::cerr << "shot crawl: " << spec.error().message << "\n";
    return 2;
  }
  json::object option_json = command.options;
  option_json["extract"] = json::array{"links"};
  auto options = capture::parse_options(option_json);
  if (!options) {
    std::cerr << "shot crawl: " << options.error().message << "\n";
    return 2;
  }
  auto filter = capture::LinkFilter::create(*spec);
  if (!filter) {
    std::cerr << "shot crawl: " << filter.error().message << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(command.out_dir, ec);
  if (ec) {
    std::cerr << "shot crawl: cannot create " << command.out_dir << ": " << ec.message() << "\n";
    return 2;
  }
  // A local tool, like `shot capture`: the user's own machine may be crawled.
  auto policy = net::EgressPolicy::create({.allow_private = true});
  if (!policy) {
    std::cerr << "shot crawl: " << policy.error().message << "\n";
    return 2;
  }

  asio::io_context io(1);
  asio::thread_pool blocking(2);  // robots.txt fetches, and the pictures' tiles and verdicts
  browser::PoolOptions pool_options;
  int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  pool_options.tabs = std::min(command.tabs > 0 ? command.tabs : cores, spec->max_pages);
  pool_options.chromium.executable = command.chromium;
  pool_options.chromium.renderer_per_site = command.renderer_per_site;
  pool_options.chromium.window_width = options->width;
  pool_options.chromium.window_height = options->height;
  browser::PagePool pool(io.get_executor(), pool_options);
  VipsPictureTools picture_tools(blocking);  // tiles of very tall pages, the blank verdict
  capture::Capturer capturer(pool, &picture_tools);
  capture::Crawl crawl(*spec, std::move(*filter), command.per_host);

  const bool tty = ::isatty(STDERR_FILENO);
  std::vector<PageRecord> records;
  std::set<std::string> taken_names;
  std::map<std::string, capture::RobotsRules> robots;
  std::size_t finished = 0, failed = 0;
  int wakeups = 0;
  bool interrupted = false;
  asio::steady_timer wake(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto error, int) {
    if (error) return;
    interrupted = true;
    pool.shutdown();
    io.stop();
  });

  auto capture_page = [&](int index) -> Task<void> {
    std::string url = crawl.page(index).url;  // pages_ grows while we wait
    auto r = co_await capturer.capture(url, *options);
    std::vector<std::string> links;
    auto& record = records[static_cast<std::size_t>(index)];
    if (r) {
      links = r->facts.links;
      auto ext = std::string(capture::file_extension(options->format));
      auto name = file_name_for(url, ext);
      auto stem = name.substr(0, name.rfind('.'));
      for (int n = 2; taken_names.contains(name); ++n)
        name = stem + "-" + std::to_string(n) + "." + ext;
      taken_names.insert(name);
      std::ofstream out(std::filesystem::path(command.out_dir) / name, std::ios::binary);
      out.write(r->bytes.data(), static_cast<std::streamsize>(r->bytes.size()));
      if (out)
        record.file = name;
      else
        record.error = "cannot write " + name;
    } else {
      record.error = r.error().message;
    }
    if (!record.error.empty()) ++failed;
    ++finished;
    crawl.done(index, links);
    if (tty) draw_progress(finished, static_cast<std::size_t>(crawl.taken()), failed);
    ++wakeups;
    wake.cancel();
  };

  // Takes pages as the crawl allows, at most one a tab at once, until it is done.
  auto drive = [&]() -> Task<void> {
    auto warm = co_await pool.warm_up(Deadline::in(Millis(30'000)));
    if (!warm) {
      std::cerr << "shot crawl: Chromium: " << warm.error().message << "\n";
      ++failed;
      signals.cancel();
      co_return;
    }
    while (true) {
      while (crawl.in_flight() < pool_options.tabs) {
        auto next = crawl.peek();
        if (!next) break;
        if (spec->respect_robots) {
          auto origin = capture::origin_of(next->url);
          auto it = robots.find(origin);
          if (it == robots.end()) {
            auto rules = co_await offload(blocking, [&] { return fetch_robots(origin, *policy); });
            it = robots.emplace(origin, std::move(rules)).first;
          }
          if (!it->second.allowed(std::string_view(next->url).substr(origin.size()))) {
            crawl.skip();
            continue;
          }
        }
        int index = crawl.take();
        records.emplace_back();
        asio::co_spawn(io, capture_page(index), asio::detached);
      }
      if (crawl.finished()) break;
      if (wakeups == 0) {
        wake.expires_after(std::chrono::hours(1));
        co_await wake.async_wait(use_task);
      }
      wakeups = 0;
    }
    pool.shutdown();
    signals.cancel();
  };
  asio::co_spawn(io, drive(), asio::detached);
  io.run();
  blocking.join();
  if (tty && finished > 0) std::cerr << "\n";

  json::array pages;
  for (int i = 0; i < static_cast<int>(records.size()); ++i) {
    auto& p = crawl.page(i);
    auto& record = records[static_cast<std::size_t>(i)];
    json::object o;
    o["url"] = p.url;
    o["parent"] = p.parent;
    o["depth"] = p.depth;
    if (!record.file.empty()) o["file"] = record.file;
    if (!record.error.empty()) {
      o["error"] = record.error;
      std::cerr << "FAILED " << p.url << ": " << record.error << "\n";
    }
    pages.push_back(std::move(o));
  }
  json::object manifest;
  manifest["crawl"] = capture::to_json(*spec);
  manifest["pages"] = std::move(pages);
  std::ofstream(std::filesystem::path(command.out_dir) / "crawl.json")
      << json::serialize(manifest) << "\n";
  if (interrupted) {
    std::cerr << "interrupted\n";
    return 130;
  }
  std::cout << (finished - std::min(finished, failed)) << " pages captured, " << failed
            << " failed -> " << command.out_dir << "\n";
  return failed ? 1 : 0;
}

}  // namespace shot::app
