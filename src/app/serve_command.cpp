#include "app/serve_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "app/cli.hpp"
#include "app/picture_tools.hpp"
#include "browser/page_pool.hpp"
#include "capture/capturer.hpp"
#include "core/id.hpp"
#include "core/log.hpp"
#include "http/access.hpp"
#include "http/api_routes.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "net/egress_policy.hpp"
#include "net/egress_proxy.hpp"
#include "net/http_client.hpp"
#include "notify/email.hpp"
#include "notify/webhook.hpp"
#include "service/job_service.hpp"
#include "service/thumbnail_service.hpp"

namespace shot::app {
namespace {

const char* command_name(NodeRole role) {
  switch (role) {
    case NodeRole::api:
      return "shot api";
    case NodeRole::worker:
      return "shot worker";
    default:
      return "shot serve";
  }
}

int fatal(NodeRole role, const std::string& what) {
  std::cerr << command_name(role) << ": " << what << "\n";
  return 2;
}

http::MetricFamily labelled(std::string name, std::string help, std::string type,
                            const std::string& label,
                            const std::map<std::string, std::int64_t>& values) {
  http::MetricFamily f{std::move(name), std::move(help), std::move(type), {}};
  for (auto& [value, n] : values)
    f.samples.emplace_back(label + "=\"" + value + "\"", static_cast<double>(n));
  return f;
}

// The families of the parts this node runs: an API node has no browser,
// proxy or notifier (null), so it reports only jobs and the queue.
std::vector<http::MetricFamily> application_metrics(const service::JobService& jobs,
                                                    const browser::PagePool* pool,
                                                    const notify::WebhookNotifier* notifier,
                                                    const net::ProxyStats* proxy,
                                                    const notify::MailStats* mail,
                                                    const Result<std::size_t>& depth) {
  auto s = jobs.stats();
  std::vector<http::MetricFamily> out;
  // The usual outcomes are always there (0 until they happen), rarer ones once seen.
  std::map<std::string, std::int64_t> outcomes = {
      {"timeout", 0}, {"navigation_failed", 0}, {"browser_crashed", 0}, {"blocked", 0}};
  for (auto& [code, n] : s.failures_by_code)
    outcomes[code] = n;
  outcomes["ok"] = s.captures - s.capture_failures;
  out.push_back(
      labelled("shot_captures_total", "Captures by outcome.", "counter", "outcome", outcomes));
  std::map<std::string, std::int64_t> job_states = {
      {"submitted", s.jobs_submitted}, {"succeeded", 0}, {"partial", 0}, {"failed", 0}};
  for (auto& [state, n] : s.jobs_finished)
    job_states[state] = n;
  out.push_back(labelled("shot_jobs_total",
                         "Jobs this node accepted (submitted) and jobs that ended here, by state.",
                         "counter", "state", job_states));
  std::map<std::string, std::int64_t> items = {{"succeeded", 0}, {"failed", 0}, {"retried", 0}};
  for (auto& [state, n] : s.items_finished)
    items[state] = n;
  out.push_back(
      labelled("shot_items_total",
               "Items this node finished by state, and attempts it queued again (retried).",
               "counter", "state", items));
  out.push_back({"shot_items_running",
                 "Items being worked on now.",
                 "gauge",
                 {{"", static_cast<double>(s.items_running)}}});
  http::MetricFamily phases{"shot_capture_phase_seconds",
                            "Where a capture's time goes: queue_wait (item created to started), "
                            "acquire, navigate, wait, act, capture, decode, store.",
                            "histogram",
                            {}};
  for (auto* phase :
       {"queue_wait", "acquire", "navigate", "wait", "act", "capture", "decode", "store"}) {
    auto it = s.phases.find(phase);
    auto h = it == s.phases.end() ? service::PhaseHistogram{} : it->second;
    http::add_histogram(phases, "phase=\"" + std::string(phase) + "\"",
                        service::PhaseHistogram::kBounds, h.counts, h.sum, h.count);
  }
  out.push_back(std::move(phases));
  out.push_back({"shot_cache_total",
                 "Pictures served from the cache, captured, or shared with a running capture.",
                 "counter",
                 {{"result=\"hit\"", static_cast<double>(s.cache_hits)},
                  {"result=\"miss\"", static_cast<double>(s.cache_misses)},
                  {"result=\"coalesced\"", static_cast<double>(s.coalesced)}}});
  out.push_back({"shot_queue_depth",
                 "Captures waiting in the queue.",
                 "gauge",
                 {{"", depth ? static_cast<double>(*depth) : -1.0}}});
  if (!pool || !notifier || !proxy) return out;
  auto p = pool->stats();
  auto& w = notifier->stats();
  out.push_back({"shot_tabs",
                 "Browser tabs by state.",
                 "gauge",
                 {{"state=\"busy\"", static_cast<double>(p.busy)},
                  {"state=\"idle\"", static_cast<double>(p.tabs - p.busy)}}});
  out.push_back({"shot_tab_preparations_total",
                 "Tabs made ready for a capture: a new context and window, or a reused tab reset.",
                 "counter",
                 {{"kind=\"opened\"", static_cast<double>(p.tabs_opened)},
                  {"kind=\"reset\"", static_cast<double>(p.tabs_reset)}}});
  out.push_back({"shot_browser_restarts_total",
                 "Chromium processes started to replace a dead or recycled one.",
                 "counter",
                 {{"", static_cast<double>(p.browser_restarts)}}});
  out.push_back({"shot_chromium_resident_bytes",
                 "Resident memory of all Chromium processes.",
                 "gauge",
                 {{"", static_cast<double>(browser::process_group_rss_bytes(p.browser_pid))}}});
  out.push_back({"shot_webhooks_total",
                 "Webhook deliveries by outcome.",
                 "counter",
                 {{"outcome=\"delivered\"", static_cast<double>(w.delivered.load())},
                  {"outcome=\"retried\"", static_cast<double>(w.retried.load())},
                  {"outcome=\"failed\"", static_cast<double>(w.failed.load())}}});
  if (mail)
    out.push_back({"shot_emails_total",
                   "Thumbnail e-mails by outcome.",
                   "counter",
                   {{"outcome=\"delivered\"", static_cast<double>(mail->delivered.load())},
                    {"outcome=\"retried\"", static_cast<double>(mail->retried.load())},
                    {"outcome=\"failed\"", static_cast<double>(mail->failed.load())}}});
  out.push_back({"shot_egress_requests_total",
                 "Requests of pages through the egress proxy by outcome.",
                 "counter",
                 {{"outcome=\"forwarded\"", static_cast<double>(proxy->requests - proxy->blocked -
                                                                proxy->failed - proxy->over_limit)},
                  {"outcome=\"blocked\"", static_cast<double>(proxy->blocked)},
                  {"outcome=\"failed\"", static_cast<double>(proxy->failed)},
                  {"outcome=\"over_limit\"", static_cast<double>(proxy->over_limit)}}});
  out.push_back({"shot_egress_bytes_total",
                 "Bytes through the egress proxy.",
                 "counter",
                 {{"direction=\"up\"", static_cast<double>(proxy->bytes_up)},
                  {"direction=\"down\"", static_cast<double>(proxy->bytes_down)}}});
  return out;
}

}  // namespace

int run_node(const ServeConfig& config, NodeRole role) {
  // An API node captures nothing: no browser, no egress proxy, no notifier.
  const bool captures = role != NodeRole::api;
  log::setup(config.log_format == "json" ? log::Format::json : log::Format::text);
  if (config.store.empty() || config.blobs.empty())
    if (auto ok = check_writable_dir(config.data_dir, "--data-dir"); !ok)
      return fatal(role, ok.error().message);
  std::string chromium;
  if (captures) {
    auto found = browser::find_chromium(config.chromium);
    if (!found) return fatal(role, found.error().message);
    chromium = *found;
  }
  const int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  const int tabs = config.tabs > 0 ? config.tabs : cores;

  auto store = open_job_store(config.store.empty() ? "sqlite:" + config.data_dir + "/shot.db"
                                                   : config.store);
  if (!store) return fatal(role, "store: " + store.error().message);
  auto blobs =
      open_blob_store(config.blobs.empty() ? "file:" + config.data_dir + "/blobs" : config.blobs);
  if (!blobs) return fatal(role, "blobs: " + blobs.error().message);
  auto queue = open_queue(config.queue, QueueOptions{.capacity = config.max_queue,
                                                     .prefetch = tabs,
                                                     .delivery_limit = config.delivery_limit});
  if (!queue) return fatal(role, "queue: " + queue.error().message);

  auto policy = net::EgressPolicy::create({.allow_private = config.allow_private,
                                           .allow_hosts = config.allow_hosts,
                                           .allow_cidrs = config.allow_cidrs});
  if (!policy) return fatal(role, policy.error().message);
  if (config.allow_private)
    log::warn(
        "--allow-private: captures may reach loopback and private networks. For development only!");

  std::string secret = config.webhook_secret;
  if (secret.empty()) {
    secret = random_hex(32);
    if (captures)
      log::warn(
          "no --webhook-secret given: webhooks are signed with a random secret nobody can verify");
  }

  asio::io_context io(1);
  asio::thread_pool blocking(4);
  VipsPictureTools picture_tools(blocking);  // joins the tiles of very tall pages
  std::optional<net::EgressProxy> egress_proxy;
  std::optional<browser::PagePool> pool;
  std::optional<capture::Capturer> capturer;
  std::optional<notify::WebhookNotifier> notifier;
  if (captures) {
    browser::PoolOptions pool_options;
    pool_options.tabs = tabs;
    // One capture at a time leaves the cores idle while it waits for its
    // frames: the last tab's reset fits there (docs/performance.md). With
    // more, the cores are busy and a spare only adds a renderer.
    pool_options.spare_tabs = config.spare_tabs.value_or(tabs == 1 ? 1 : 0);
    pool_options.tab_uses = config.tab_uses;
    pool_options.chromium.executable = chromium;
    pool_options.chromium.renderer_per_site = config.renderer_per_site;
    // Chromium reaches the network only through shot's proxy, which applies the
    // egress policy to every request after DNS (DESIGN.md §7).
    egress_proxy.emplace(io.get_executor(), blocking, *policy);
    if (auto started = egress_proxy->start(); !started) return fatal(role, started.error().message);
    pool_options.chromium.proxy_server = egress_proxy->url();
    pool.emplace(io.get_executor(), pool_options);
    capturer.emplace(*pool, &picture_tools);
    capturer->set_limits(
        {.max_bytes = config.max_page_bytes, .max_requests = config.max_page_requests});
    notifier.emplace(io.get_executor(), blocking, net::make_curl_http_client(*policy),
                     notify::WebhookOptions{.secret = secret});
  }
  service::CaptureFn capture_fn = [&capturer, &config](std::string url, capture::CaptureOptions o) {
    if (!config.test_crash_on.empty() && url.find(config.test_crash_on) != std::string::npos) {
      log::error("--test-crash-on matched {}: dying as a crashed worker would", url);
      ::kill(::getpid(), SIGKILL);
    }
    return capturer->capture(std::move(url), std::move(o));
  };
  if (!captures) {
    capture_fn = [](std::string, capture::CaptureOptions) -> Task<Result<capture::CaptureResult>> {
      co_return fail(Errc::unavailable,
                     "this node (shot api) takes no synchronous screenshots: POST /v1/jobs");
    };
  }
  auto url_check = [policy = *policy](std::string_view url) -> Result<std::string> {
    auto checked = net::check_submitted_url(policy, url);
    if (!checked) return fail(checked.error());
    return checked->normalized;
  };
  service::JobService jobs(io.get_executor(), blocking, **store, **blobs, **queue, capture_fn,
                           notifier ? &*notifier : nullptr,
                           {.max_urls_per_job = config.max_urls_per_job,
                            .max_queue = config.max_queue,
                            .delivery_limit = config.delivery_limit,
                            .workers = tabs,
                            .crawl_per_host = config.crawl_per_host,
                            .crawl_shared = config.queue != "memory"},
                           url_check);

  std::optional<notify::SmtpMailer> mailer;
  if (!config.smtp.empty()) {
    if (config.smtp.rfind("smtp://", 0) != 0 && config.smtp.rfind("smtps://", 0) != 0)
      return fatal(role, "--smtp must be smtp://host:port or smtps://host:port");
    if (auto ok = notify::check_address(config.smtp_from, "--smtp-from"); !ok)
      return fatal(role, "--smtp-from: " + ok.error().message);
    mailer.emplace(io.get_executor(), blocking,
                   notify::SmtpOptions{.url = config.smtp, .from = config.smtp_from});
  }
  service::ThumbnailLimits thumbnail_limits;
  thumbnail_limits.image.max_bytes = config.max_image_bytes;
  service::ThumbnailService thumbnails(jobs, blocking, net::make_curl_http_client(*policy),
                                       mailer ? &*mailer : nullptr, thumbnail_limits);

  // Crawls read robots.txt through the same egress-checked client as webhooks.
  jobs.set_robots_fetch(
      [client = std::shared_ptr<net::HttpClient>(net::make_curl_http_client(*policy))](
          const std::string& url) -> Result<std::pair<int, std::string>> {
        net::HttpRequest request{.url = url,
                                 .headers = {{"User-Agent", "shot"}},
                                 .timeout = Millis(10'000),
                                 .max_response_bytes = 512 * 1024};
        auto r = client->fetch(request);
        if (!r) return fail(r.error());  // blocked, unreachable, too large: disallows all
        return std::make_pair(r->status, std::move(r->body));
      });
  // Only the embedded queue forgets its messages on exit; a broker keeps them,
  // and other nodes may be working on them right now.
  if (role == NodeRole::all && config.queue == "memory") {
    if (auto requeued = jobs.requeue_unfinished(); !requeued)
      return fatal(role, "could not requeue unfinished work: " + requeued.error().message);
  }

  http::Router router;
  http::PictureCache pictures(static_cast<std::size_t>(config.picture_cache_mb) << 20);
  http::ApiContext context{
      .jobs = jobs,
      .readiness = [&]() -> Task<std::vector<std::pair<std::string, std::string>>> {
        std::vector<std::pair<std::string, std::string>> checks;
        if (pool) {
          auto browser = co_await pool->check_health(Deadline::in(Millis(5000)));
          checks.emplace_back("browser", browser ? "" : browser.error().message);
        }
        auto s = co_await offload(blocking, [&] { return (*store)->ping(); });
        checks.emplace_back("store", s ? "" : s.error().message);
        auto q = co_await offload(blocking, [&] { return (*queue)->ping(); });
        checks.emplace_back("queue", q ? "" : q.error().message);
        auto b = co_await offload(blocking, [&] { return (*blobs)->ping(); });
        checks.emplace_back("blobs", b ? "" : b.error().message);
        co_return checks;
      },
      .thumbnails = &thumbnails,
      .pictures = &pictures};
  std::optional<http::AccessControl> access;
  if (role == NodeRole::worker) {
    http::add_health_routes(router, context);  // no public API on a worker
  } else {
    if (!config.api_keys_file.empty()) {
      auto keys = http::KeyRing::load(config.api_keys_file);
      if (!keys) return fatal(role, keys.error().message);
      if (keys->size() == 0) return fatal(role, config.api_keys_file + " holds no keys");
      auto lookup = [&jobs](std::string id) -> Task<Result<http::JobFacts>> {
        auto job = co_await jobs.get(std::move(id), false);
        if (!job) co_return fail(job.error());
        co_return http::JobFacts{.owner = job->owner, .finished = is_terminal(job->state)};
      };
      access.emplace(std::move(*keys),
                     http::AccessOptions{.rate_per_second = config.rate_per_second,
                                         .rate_burst = config.rate_burst,
                                         .max_jobs_per_key = config.max_jobs_per_key,
                                         .signing_secret = config.signing_secret},
                     lookup);
      context.access = &*access;
      log::info("API keys: {} from {}; signed URLs {}", access->keys().size(), config.api_keys_file,
                config.signing_secret.empty() ? "off" : "on");
    } else if (!config.signing_secret.empty()) {
      log::warn("--signing-secret has no effect without --api-keys-file: the API is open");
    }
    http::add_api_routes(router, context);
    if (!config.no_seed_routes) http::add_seed_routes(router, context);
  }
  http::Server server(io.get_executor(), {.listen = config.listen}, router);
  http::add_metrics_route(router, server, [&]() -> Task<std::vector<http::MetricFamily>> {
    co_return application_metrics(jobs, pool ? &*pool : nullptr, notifier ? &*notifier : nullptr,
                                  egress_proxy ? &egress_proxy->stats() : nullptr,
                                  mailer ? &mailer->stats() : nullptr,
                                  co_await offload(blocking, [&] { return (*queue)->depth(); }));
  });
  if (auto started = server.start(); !started) return fatal(role, started.error().message);
  log::info("{} on {} (port {}), {} tabs, queue {}", command_name(role), config.listen,
            server.port(), captures ? tabs : 0, config.queue.substr(0, config.queue.find(':')));

  bool stopping = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int sig) {
    if (ec || stopping) return;
    stopping = true;
    log::info("signal {}: draining (up to {} s)", sig, config.drain_seconds);
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          auto deadline = Deadline::in(std::chrono::seconds(config.drain_seconds));
          server.stop_accepting();
          co_await jobs.stop(
              deadline);  // running captures finish; the rest stay queued in the store
          co_await server.shutdown(Deadline::in(Millis(2000)));
          if (pool) pool->shutdown();
          io.stop();
        },
        asio::detached);
  });

  // Items a node stored and then stopped before queueing: any node queues them.
  jobs.start_outbox(std::chrono::seconds(10), Millis(30'000));
  if (captures) {
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          if (auto warm = co_await pool->warm_up(Deadline::in(Millis(30'000))); !warm)
            log::error("Chromium did not start: {}", warm.error().message);
          jobs.start_workers();
          jobs.start_dead_letters();
          jobs.start_purger(std::chrono::seconds(60));
        },
        asio::detached);
  }
  io.run();
  blocking.join();
  log::info("stopped");
  return 0;
}

}  // namespace shot::app
