#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "app/capture_command.hpp"
#include "app/crawl_command.hpp"
#include "app/keys_command.hpp"
#include "app/serve_command.hpp"
#include "app/submit_command.hpp"
#include "browser/chromium_process.hpp"
#include "capture/options.hpp"
#include "core/id.hpp"
#include "core/log.hpp"
#include "http/api_routes.hpp"

namespace shot::app {

Result<void> check_writable_dir(const std::string& dir, std::string_view flag) {
  std::string what = std::string(flag) + " " + dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::unavailable, "cannot create " + what + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec))
    return fail(Errc::unavailable, what + " is not a directory");
  auto probe = std::filesystem::path(dir) / (".write-test-" + new_id());
  if (FILE* f = std::fopen(probe.c_str(), "w")) {
    std::fclose(f);
    std::filesystem::remove(probe, ec);
    return {};
  }
  return fail(Errc::unavailable, what + " is not writable: " + std::strerror(errno));
}

namespace {

std::string dashed(std::string_view name) {
  std::string s(name);
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

// Capture options as flags named after them (--full-page, --device-scale-factor 2),
// collected as JSON so the API's validation applies to the CLI too.
class OptionFlags {
 public:
  void add_to(CLI::App& cmd) {
    for (auto& spec : capture::option_specs()) {
      std::string flag = "--" + dashed(spec.name);
      std::string help(spec.help);
      switch (spec.type) {
        case capture::OptionType::boolean:
          cmd.add_flag(flag + ",!--no-" + dashed(spec.name), bools_[std::string(spec.name)], help);
          break;
        case capture::OptionType::string_list:
          cmd.add_option(flag, lists_[std::string(spec.name)], help + " (repeatable)");
          break;
        case capture::OptionType::object:
          cmd.add_option(flag, values_[std::string(spec.name)], help + " (as JSON)");
          break;
        default:
          cmd.add_option(flag, values_[std::string(spec.name)], help);
      }
    }
  }

  // Flags given on the command line, as the JSON options object.
  Result<json::object> collect(CLI::App& cmd) const {
    json::object o;
    for (auto& spec : capture::option_specs()) {
      std::string name(spec.name);
      if (cmd.count("--" + dashed(name)) == 0 &&
          (spec.type != capture::OptionType::boolean || cmd.count("--no-" + dashed(name)) == 0))
        continue;
      switch (spec.type) {
        case capture::OptionType::boolean:
          o[name] = bools_.at(name);
          break;
        case capture::OptionType::string_list: {
          json::array a;
          for (auto& v : lists_.at(name))
            a.emplace_back(json::string(v));
          o[name] = std::move(a);
          break;
        }
        case capture::OptionType::integer:
        case capture::OptionType::number:
        case capture::OptionType::object: {
          auto v = parse_json(values_.at(name));
          if (!v) return fail(Errc::invalid_argument, "--" + dashed(name) + ": not a valid value");
          o[name] = std::move(*v);
          break;
        }
        default:
          o[name] = values_.at(name);
      }
    }
    return o;
  }

 private:
  std::map<std::string, bool> bools_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, std::string> values_;
};

constexpr const char* kTabsHelp = "concurrent captures (default: one per core, at least 2)";
constexpr const char* kChromiumHelp = "Chromium binary (default: Debian's)";
constexpr const char* kRendererPerSiteHelp =
    "give every site its own Chromium renderer, as Chrome does (site isolation): a tab then "
    "starts a renderer for each new site it captures (docs/security.md)";

// The browser flags of the local tools (capture, crawl).
void add_browser_flags(CLI::App& cmd, int& tabs, std::string& chromium, bool& renderer_per_site) {
  cmd.add_option("--tabs", tabs, kTabsHelp);
  cmd.add_option("--chromium", chromium, kChromiumHelp);
  cmd.add_flag("--renderer-per-site", renderer_per_site, kRendererPerSiteHelp);
}

// The flags of every node that serves (serve, api, worker): the same names,
// environment variables and defaults, so one config drives both halves.
void add_node_flags(CLI::App& cmd, ServeConfig& sc) {
  cmd.add_option("--listen", sc.listen, "address:port to listen on")
      ->envname("SHOT_LISTEN")
      ->capture_default_str();
  cmd.add_option("--data-dir", sc.data_dir, "where the embedded store and pictures live")
      ->envname("SHOT_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--queue", sc.queue,
                 "queue backend: memory, or amqp://user:pass@host:port/vhost (RabbitMQ)")
      ->envname("SHOT_QUEUE")
      ->capture_default_str();
  cmd.add_option(
         "--store", sc.store,
         "job store: sqlite:PATH (default sqlite:<data-dir>/shot.db) or redis://host:port/db")
      ->envname("SHOT_STORE");
  cmd.add_option("--blobs", sc.blobs,
                 "picture store: file:DIR (default file:<data-dir>/blobs) or "
                 "s3://bucket?endpoint=...&region=...")
      ->envname("SHOT_BLOBS");
  cmd.add_option("--tabs", sc.tabs, kTabsHelp)->envname("SHOT_TABS");
  cmd.add_option("--spare-tabs", sc.spare_tabs,
                 "tabs kept reset beyond --tabs, so a capture never waits for a reset; "
                 "each costs a renderer (default: 1 with --tabs 1, else 0; "
                 "docs/performance.md)")
      ->envname("SHOT_SPARE_TABS")
      ->check(CLI::Range(0, 16));
  cmd.add_option("--tab-uses", sc.tab_uses,
                 "captures in one tab before it is replaced by a fresh one: fewer keep "
                 "Chromium's renderers smaller, more save opening tabs (docs/performance.md)")
      ->envname("SHOT_TAB_USES")
      ->check(CLI::Range(1, 100000));
  cmd.add_option("--chromium", sc.chromium, kChromiumHelp)->envname("SHOT_CHROMIUM");
  cmd.add_flag("--renderer-per-site", sc.renderer_per_site, kRendererPerSiteHelp)
      ->envname("SHOT_RENDERER_PER_SITE");
  cmd.add_option("--picture-cache-mb", sc.picture_cache_mb,
                 "memory for the bytes of hot pictures, served without a disk read (0: off)")
      ->envname("SHOT_PICTURE_CACHE_MB")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  cmd.add_option("--max-queue", sc.max_queue, "queued captures before new jobs get 429")
      ->envname("SHOT_MAX_QUEUE")
      ->capture_default_str();
  cmd.add_option("--crawl-per-host", sc.crawl_per_host,
                 "pages of one crawl captured at once on one host")
      ->envname("SHOT_CRAWL_PER_HOST")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd.add_option("--max-urls-per-job", sc.max_urls_per_job, "URLs one job may hold")
      ->envname("SHOT_MAX_URLS_PER_JOB")
      ->capture_default_str();
  cmd.add_flag("--allow-private", sc.allow_private,
               "allow captures of loopback and private addresses (development)")
      ->envname("SHOT_ALLOW_PRIVATE");
  cmd.add_option("--allow-host", sc.allow_hosts,
                 "allow this HOST[:PORT] despite the egress policy (repeatable)")
      ->envname("SHOT_ALLOW_HOST");
  cmd.add_option("--allow-cidr", sc.allow_cidrs, "allow this address range (repeatable)")
      ->envname("SHOT_ALLOW_CIDR");
  cmd.add_option("--webhook-secret", sc.webhook_secret,
                 "HMAC secret for X-Shot-Signature on callbacks")
      ->envname("SHOT_WEBHOOK_SECRET");
  cmd.add_option("--log-format", sc.log_format, "text or json")
      ->envname("SHOT_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd.add_option("--drain-seconds", sc.drain_seconds,
                 "on SIGTERM, how long running captures may finish")
      ->envname("SHOT_DRAIN_SECONDS")
      ->capture_default_str();
  cmd.add_option("--api-keys-file", sc.api_keys_file,
                 "require API keys: a file of `NAME SHA256HEX` lines (see `shot keys new`)")
      ->envname("SHOT_API_KEYS_FILE");
  cmd.add_option("--signing-secret", sc.signing_secret,
                 "HMAC secret for signed GET /v1/screenshot URLs (docs/security.md)")
      ->envname("SHOT_SIGNING_SECRET");
  cmd.add_option("--rate-per-second", sc.rate_per_second, "requests a second per API key")
      ->envname("SHOT_RATE_PER_SECOND")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--rate-burst", sc.rate_burst, "requests at once per API key (bucket size)")
      ->envname("SHOT_RATE_BURST")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  cmd.add_option("--max-jobs-per-key", sc.max_jobs_per_key,
                 "unfinished jobs per API key before new ones get 429 (0: no cap)")
      ->envname("SHOT_MAX_JOBS_PER_KEY")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_flag("--no-seed-routes", sc.no_seed_routes,
               "do not serve the seed-compatible routes (they take no API keys)")
      ->envname("SHOT_NO_SEED_ROUTES");
  cmd.add_option("--smtp", sc.smtp, "SMTP server for thumbnail e-mails: smtp://host:port")
      ->envname("SHOT_SMTP");
  cmd.add_option("--smtp-from", sc.smtp_from, "sender address of those e-mails")
      ->envname("SHOT_SMTP_FROM")
      ->capture_default_str();
  cmd.add_option("--max-image-bytes", sc.max_image_bytes,
                 "largest image a thumbnail may be made from (download or upload)")
      ->envname("SHOT_MAX_IMAGE_BYTES")
      ->check(CLI::Range(1024, 1 << 30))
      ->capture_default_str();
  cmd.add_option("--max-page-bytes", sc.max_page_bytes,
                 "bytes one captured page may load over the network, all requests together")
      ->envname("SHOT_MAX_PAGE_BYTES")
      ->check(CLI::Range(std::int64_t{1} << 16, std::int64_t{1} << 34))
      ->capture_default_str();
  cmd.add_option("--max-page-requests", sc.max_page_requests, "requests one captured page may make")
      ->envname("SHOT_MAX_PAGE_REQUESTS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd.add_option("--delivery-limit", sc.delivery_limit,
                 "deliveries of one capture before it is failed (api and worker must agree)")
      ->envname("SHOT_DELIVERY_LIMIT")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  // Test hook for the scale-out fault tests; hidden from --help.
  cmd.add_option("--test-crash-on", sc.test_crash_on)->group("");
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"shot: pictures of web pages"};
  app.require_subcommand(1);
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version and the Chromium found");
  std::string version_chromium;
  version->add_option("--chromium", version_chromium, "Chromium binary");
  version->callback([&] {
    std::cout << "shot 0.1.0\n";
    auto exe = browser::find_chromium(version_chromium);
    auto v = exe ? browser::chromium_version(*exe) : Result<std::string>(fail(exe.error()));
    if (v) {
      std::cout << v.value() << " (" << *exe << ")\n";
    } else {
      std::cerr << "shot: " << v.error().message << "\n";
      exit_code = 1;
    }
  });

  auto* openapi = app.add_subcommand(
      "openapi", "Print the OpenAPI document the server gives at GET /openapi.json");
  openapi->callback([] { std::cout << json::serialize(http::openapi_document()) << "\n"; });

  auto* capture = app.add_subcommand("capture", "Capture URLs to files, without a server");
  CaptureCommand cc;
  OptionFlags flags;
  capture->add_option("urls", cc.urls, "URLs to capture");
  capture->add_option("--urls-file", cc.urls_file, "a file of URLs, one a line (# comments)");
  capture->add_option("-o,--out", cc.out_dir, "output directory")->capture_default_str();
  add_browser_flags(*capture, cc.tabs, cc.chromium, cc.renderer_per_site);
  capture->add_option("--report", cc.report,
                      "write a JSON summary (throughput, latency) to this file");
  flags.add_to(*capture);
  capture->callback([&] {
    auto o = flags.collect(*capture);
    if (!o) {
      std::cerr << "shot capture: " << o.error().message << "\n";
      exit_code = 2;
      return;
    }
    cc.options = std::move(*o);
    log::setup(log::Format::text, spdlog::level::warn);
    exit_code = run_capture(cc);
  });

  auto* crawl =
      app.add_subcommand("crawl", "Crawl from one page, capturing each, without a server");
  CrawlCommand kc;
  OptionFlags crawl_flags;
  crawl->add_option("start_url", kc.start_url, "the first page")->required();
  crawl->add_option("--max-pages", kc.max_pages, "pages to capture, the start page included")
      ->capture_default_str();
  crawl->add_option("--max-depth", kc.max_depth, "links followed from the start page")
      ->capture_default_str();
  crawl->add_option("--strategy", kc.strategy, "bfs (nearest first) or dfs (deepest first)")
      ->capture_default_str();
  crawl->add_option("--scope", kc.scope, "same-origin, same-site or any")->capture_default_str();
  crawl->add_option("--include", kc.include, "follow only links matching a regex (repeatable)");
  crawl->add_option("--exclude", kc.exclude, "never follow links matching a regex (repeatable)");
  crawl->add_flag("--respect-robots", kc.respect_robots, "skip what robots.txt disallows");
  crawl->add_option("--per-host", kc.per_host, "pages captured at once on one host")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  crawl->add_option("-o,--out", kc.out_dir, "output directory")->capture_default_str();
  add_browser_flags(*crawl, kc.tabs, kc.chromium, kc.renderer_per_site);
  crawl_flags.add_to(*crawl);
  crawl->callback([&] {
    auto o = crawl_flags.collect(*crawl);
    if (!o) {
      std::cerr << "shot crawl: " << o.error().message << "\n";
      exit_code = 2;
      return;
    }
    kc.options = std::move(*o);
    log::setup(log::Format::text, spdlog::level::warn);
    exit_code = run_crawl(kc);
  });

  auto* serve =
      app.add_subcommand("serve", "Run the HTTP API with workers, queue and stores in one process");
  ServeConfig sc;
  add_node_flags(*serve, sc);
  serve->callback([&] { exit_code = run_node(sc, NodeRole::all); });

  auto* api = app.add_subcommand(
      "api", "Scale-out: run the HTTP API only; jobs go to the queue (same flags as serve)");
  ServeConfig api_config;
  add_node_flags(*api, api_config);
  api->callback([&] { exit_code = run_node(api_config, NodeRole::api); });

  auto* worker = app.add_subcommand(
      "worker",
      "Scale-out: take captures from the queue, store the pictures; serves only /healthz, "
      "/readyz and /metrics (same flags as serve)");
  ServeConfig worker_config;
  add_node_flags(*worker, worker_config);
  worker->callback([&] { exit_code = run_node(worker_config, NodeRole::worker); });

  auto* submit = app.add_subcommand(
      "submit", "Submit a file of URLs to a server, follow, download the pictures");
  SubmitCommand sub;
  OptionFlags submit_flags;
  submit->add_option("file", sub.file, "file of URLs, one a line (# comments); - for stdin")
      ->required();
  submit->add_option("--server", sub.server, "the shot server")
      ->envname("SHOT_SERVER")
      ->capture_default_str();
  submit->add_option("-o,--out", sub.out_dir, "output directory")->capture_default_str();
  submit->add_option("--api-key", sub.api_key, "API key, if the server wants one")
      ->envname("SHOT_API_KEY");
  submit_flags.add_to(*submit);
  submit->callback([&] {
    auto o = submit_flags.collect(*submit);
    if (!o) {
      std::cerr << "shot submit: " << o.error().message << "\n";
      exit_code = 2;
      return;
    }
    sub.options = std::move(*o);
    exit_code = run_submit(sub);
  });

  auto* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  auto* keys_new =
      keys->add_subcommand("new", "Print a fresh API key and its line for --api-keys-file");
  std::string key_name;
  keys_new->add_option("name", key_name, "the key's name (letters, digits, . _ -)")->required();
  keys_new->callback([&] { exit_code = run_keys_new(key_name, std::cout, std::cerr); });

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}

}  // namespace shot::app
