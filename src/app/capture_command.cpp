#include "app/capture_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "app/cli.hpp"
#include "app/picture_tools.hpp"
#include "browser/chromium_process.hpp"
#include "browser/page_pool.hpp"
#include "capture/capturer.hpp"
#include "core/log.hpp"
#include "image/image.hpp"
#include "service/thumbnail_service.hpp"

namespace shot::app {
namespace {

Result<std::vector<std::string>> read_urls(const CaptureCommand& c) {
  std::vector<std::string> urls = c.urls;
  if (!c.urls_file.empty()) {
    std::ifstream in(c.urls_file);
    if (!in) return fail(Errc::invalid_argument, "cannot read " + c.urls_file, "urls-file");
    std::string line;
    while (std::getline(in, line)) {
      auto b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos || line[b] == '#') continue;
      auto e = line.find_last_not_of(" \t\r");
      urls.push_back(line.substr(b, e - b + 1));
    }
  }
  if (urls.empty()) return fail(Errc::invalid_argument, "no URLs given", "urls");
  for (auto& u : urls)
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
      return fail(Errc::invalid_argument, "not an http(s) URL: " + u, "urls");
  return urls;
}

}  // namespace

void draw_progress(std::size_t done, std::size_t total, std::size_t failed) {
  constexpr int kWidth = 30;
  int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(filled, '=');
  bar.resize(kWidth, ' ');
  std::cerr << "\r[" << bar << "] " << done << "/" << total;
  if (failed) std::cerr << " (" << failed << " failed)";
  std::cerr << std::flush;
}

namespace {

// Throughput after the browser is warm, as ../shared/bench's baselines report it.
void write_report(const std::string& path, std::vector<double> latencies, std::size_t failed,
                  int tabs, Clock::time_point started, Clock::time_point finished) {
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double q) {
    return latencies.empty() ? 0.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<std::size_t>(q * latencies.size()))];
  };
  double total_s = std::chrono::duration<double>(finished - started).count();
  json::object o;
  o["tool"] = "shot";
  o["concurrency"] = tabs;
  o["n"] = latencies.size();
  o["failures"] = failed;
  o["total_s"] = total_s;
  o["shots_per_s"] = total_s > 0 ? static_cast<double>(latencies.size() - failed) / total_s : 0.0;
  o["p50_ms"] = pct(0.5);
  o["p95_ms"] = pct(0.95);
  std::ofstream(path) << json::serialize(o) << "\n";
}

}  // namespace

std::string file_name_for(const std::string& url, std::string_view extension) {
  std::string_view rest = url;
  if (auto p = rest.find("://"); p != std::string_view::npos) rest.remove_prefix(p + 3);
  if (auto p = rest.find('#'); p != std::string_view::npos) rest = rest.substr(0, p);
  std::string name;
  for (char c : rest) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!ok && (name.empty() || name.back() == '_')) continue;
    name.push_back(ok ? c : '_');
  }
  while (!name.empty() && (name.back() == '_' || name.back() == '.'))
    name.pop_back();
  if (name.size() > 120) name.resize(120);
  if (name.empty()) name = "page";
  return name + "." + std::string(extension);
}

int run_capture(const CaptureCommand& command) {
  auto urls = read_urls(command);
  if (!urls) {
    std::cerr << "shot capture: " << urls.error().message << "\n";
    return 2;
  }
  auto options = capture::parse_options(command.options);
  if (!options) {
    std::cerr << "shot capture: " << options.error().message << "\n";
    return 2;
  }
  auto thumbnail = service::capture_thumbnail_option(command.options);
  if (!thumbnail) {
    std::cerr << "shot capture: " << thumbnail.error().message << "\n";
    return 2;
  }
  if (auto ok = check_writable_dir(command.out_dir, "--out"); !ok) {
    std::cerr << "shot capture: " << ok.error().message << "\n";
    return 2;
  }
  auto chromium = browser::find_chromium(command.chromium);
  if (!chromium) {
    std::cerr << "shot capture: " << chromium.error().message << "\n";
    return 2;
  }

  asio::io_context io(1);
  browser::PoolOptions pool_options;
  int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  pool_options.tabs =
      std::min<int>(command.tabs > 0 ? command.tabs : cores, static_cast<int>(urls->size()));
  pool_options.chromium.executable = *chromium;
  pool_options.chromium.renderer_per_site = command.renderer_per_site;
  pool_options.chromium.window_width = options->width;
  pool_options.chromium.window_height = options->height;
  browser::PagePool pool(io.get_executor(), pool_options);
  asio::thread_pool blocking(2);
  VipsPictureTools picture_tools(blocking);  // joins the tiles of very tall pages
  capture::Capturer capturer(pool, &picture_tools);

  // Distinct file names, in the order the URLs were given.
  std::vector<std::string> files;
  std::set<std::string> taken;
  for (auto& u : *urls) {
    auto name = file_name_for(u, capture::file_extension(options->format));
    auto stem = name.substr(0, name.rfind('.'));
    for (int n = 2; taken.contains(name); ++n)
      name = stem + "-" + std::to_string(n) + "." +
             std::string(capture::file_extension(options->format));
    taken.insert(name);
    files.push_back(name);
  }

  const bool tty = ::isatty(STDERR_FILENO);
  std::size_t next = 0, done = 0, failed = 0;
  int running = pool_options.tabs;
  std::vector<std::string> failures;
  bool interrupted = false;
  std::vector<double> latencies;
  Clock::time_point started{}, finished{};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (ec) return;
    interrupted = true;
    pool.shutdown();
    io.stop();
  });

  auto worker = [&]() -> Task<void> {
    while (next < urls->size()) {
      std::size_t i = next++;
      auto t0 = Clock::now();
      auto r = co_await capturer.capture((*urls)[i], *options);
      latencies.push_back(elapsed_ms(t0));
      finished = Clock::now();
      if (r) {
        auto path = std::filesystem::path(command.out_dir) / files[i];
        std::ofstream out(path, std::ios::binary);
        out.write(r->bytes.data(), static_cast<std::streamsize>(r->bytes.size()));
        // The `thumbnail` option: NAME.thumb.EXT next to the picture.
        Result<image::Encoded> thumb = fail(Errc::internal, "");
        if (out && *thumbnail) thumb = image::thumbnail(r->bytes, **thumbnail);
        if (thumb) {
          auto thumb_path = path;
          thumb_path.replace_extension("thumb." + std::string(image::extension(thumb->format)));
          std::ofstream(thumb_path, std::ios::binary) << thumb->bytes;
        }
        if (!out) {
          ++failed;
          failures.push_back((*urls)[i] + ": cannot write " + path.string());
        } else if (*thumbnail && !thumb) {
          ++failed;
          failures.push_back((*urls)[i] + ": thumbnail: " + thumb.error().message);
        }
      } else {
        ++failed;
        failures.push_back((*urls)[i] + ": " + r.error().message);
      }
      ++done;
      if (tty) draw_progress(done, urls->size(), failed);
    }
  };
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        auto warm = co_await pool.warm_up(Deadline::in(Millis(30'000)));
        if (!warm) {
          failures.push_back("Chromium: " + warm.error().message);
          failed = urls->size();
          signals.cancel();
          co_return;
        }
        started = Clock::now();
        for (int w = 0; w < pool_options.tabs; ++w)
          asio::co_spawn(io, worker(), [&](std::exception_ptr) {
            if (--running == 0) {
              // Done: the tab being reset for a next capture is not waited for.
              pool.shutdown();
              signals.cancel();
              io.stop();
            }
          });
      },
      asio::detached);
  io.run();
  if (tty && done > 0) std::cerr << "\n";

  for (auto& f : failures)
    std::cerr << "FAILED " << f << "\n";
  if (!command.report.empty())
    write_report(command.report, latencies, failed, pool_options.tabs, started, finished);
  if (interrupted) {
    std::cerr << "interrupted\n";
    return 130;
  }
  std::cout << (urls->size() - failed) << " captured, " << failed << " failed -> "
            << command.out_dir << "\n";
  return failed ? 1 : 0;
}

}  // namespace shot::app
