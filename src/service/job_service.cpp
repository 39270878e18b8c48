#include "service/job_service.hpp"

#include <chrono>

#include "capture/options.hpp"
#include "core/digest.hpp"
#include "core/id.hpp"
#include "core/log.hpp"
#include "service/job_view.hpp"
#include "service/thumbnail_service.hpp"

namespace shot::service {
namespace {

// Item references grouped by job, jobs in the order they first appear (oldest first
// from JobStore::unfinished), each job's indexes in order.
std::vector<std::pair<std::string, std::vector<int>>> by_job(const std::vector<ItemRef>& refs) {
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (const auto& ref : refs) {
    if (groups.empty() || groups.back().first != ref.job_id)
      groups.emplace_back(ref.job_id, std::vector<int>{});
    groups.back().second.push_back(ref.index);
  }
  return groups;
}

std::string message_for(const std::string& job_id, int index) {
  json::object m;
  m["job"] = job_id;
  m["item"] = index;
  return json::serialize(m);
}

// Jittered exponential back-off for redelivering an item whose capture failed
// for a reason that may pass (a crashed browser, a store that was down).
Millis backoff(int attempt) {
  auto base = Millis(500) * (1 << std::min(attempt, 6));
  auto jitter = Millis(std::stoi(random_hex(1), nullptr, 16) * base.count() / 512);
  return base + jitter;
}

}  // namespace

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string cache_key(std::string_view url, const json::object& options) {
  return sha256_hex(std::string(url) + "\n" + capture::canonical_json(options));
}

// One capture under way that identical requests wait for instead of repeating it.
struct JobService::Inflight {
  std::optional<Result<Picture>> result;
  std::vector<asio::steady_timer*> waiters;

  void settle(const Result<Picture>& r) {
    result = r;
    for (auto* t : waiters)
      t->cancel();
  }
  Task<Result<Picture>> wait(Executor ex, Deadline deadline) {
    if (!result) {
      asio::steady_timer timer(ex, std::min(deadline.at(), Clock::now() + std::chrono::hours(1)));
      waiters.push_back(&timer);
      co_await timer.async_wait(use_task);
      std::erase(waiters, &timer);
    }
    if (result) co_return *result;
    co_return fail(Errc::timeout, "timed out waiting for an identical capture");
  }
};

void PhaseHistogram::observe(double seconds) {
  auto at = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  ++counts[static_cast<std::size_t>(at - kBounds.begin())];
  sum += seconds;
  ++count;
}

JobService::JobService(Executor executor, asio::thread_pool& blocking, JobStore& store,
                       BlobStore& blobs, Queue& queue, CaptureFn capture,
                       notify::Notifier* notifier, ServiceOptions options, UrlCheck url_check)
    : executor_(executor),
      blocking_(blocking),
      store_(store),
      blobs_(blobs),
      queue_(queue),
      capture_(std::move(capture)),
      notifier_(notifier),
      options_(options),
      url_check_(std::move(url_check)),
      crawls_(crawl_hooks(), options.crawl_per_host, options.crawl_shared),
      receivers_(static_cast<std::size_t>(std::max(1, options.workers))) {}

JobService::~JobService() {
  *alive_ = false;
  stopping_ = true;
  receivers_.join();
}

Task<Result<Submitted>> JobService::submit(SubmitRequest req) {
  if (req.urls.empty())
    co_return fail(Errc::invalid_argument, "urls must list at least one URL", "urls");
  if (req.urls.size() > static_cast<std::size_t>(options_.max_urls_per_job))
    co_return fail(
        Errc::invalid_argument,
        "too many URLs: at most " + std::to_string(options_.max_urls_per_job) + " per job", "urls");
  bool produced = producers_.contains(req.kind);
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < req.urls.size(); ++i) {
    std::string field = "urls[" + std::to_string(i) + "]";
    if (!url_check_ || produced) {
      urls.push_back(req.urls[i]);
      continue;
    }
    auto checked = co_await blocking([&] { return url_check_(req.urls[i]); });
    if (!checked) co_return fail(checked.error().code, checked.error().message, field);
    urls.push_back(*checked);
  }
  if (auto parsed = capture::parse_options(req.options); !parsed && !produced)
    co_return fail(parsed.error());
  if (auto thumb = capture_thumbnail_option(req.options); !thumb && !produced)
    co_return fail(thumb.error());
  if (!req.callback_url.empty() && url_check_) {
    auto checked = co_await blocking([&] { return url_check_(req.callback_url); });
    if (!checked) co_return fail(checked.error().code, checked.error().message, "callback_url");
  }
  int ttl = req.cache_ttl_s.value_or(options_.default_cache_ttl_s);
  if (ttl < 0 || ttl > options_.max_cache_ttl_s)
    co_return fail(Errc::invalid_argument,
                   "cache_ttl_s must be between 0 and " + std::to_string(options_.max_cache_ttl_s),
                   "cache_ttl_s");

  auto depth = co_await blocking([&] { return queue_.depth(); });
  if (!depth) co_return fail(Errc::unavailable, "the queue is unavailable");
  if (*depth + urls.size() > options_.max_queue)
    co_return fail(Errc::rate_limited, "the queue is full; try again later");

  Job job;
  job.id = new_id();
  job.kind = req.kind;
  json::object settings;
  if (req.kind == JobKind::crawl) {
    // Every page of a crawl reports its links.
    json::array extract;
    if (auto* e = req.options.if_contains("extract"); e && e->is_array()) extract = e->get_array();
    if (std::find(extract.begin(), extract.end(), json::value("links")) == extract.end())
      extract.emplace_back("links");
    req.options["extract"] = std::move(extract);
    settings["crawl"] = req.crawl;
  }
  settings["options"] = req.options;
  settings["cache_ttl_s"] = ttl;
  settings["fresh"] = req.fresh;
  if (!req.request_id.empty()) settings["request_id"] = req.request_id;
  job.options_json = json::serialize(settings);
  job.callback_url = req.callback_url;
  job.idempotency_key = req.idempotency_key;
  job.request_hash = req.request_hash;
  job.owner = req.owner;
  job.created_ms = job.updated_ms = now_ms();
  for (std::size_t i = 0; i < urls.size(); ++i) {
    Item item;
    item.job_id = job.id;
    item.index = static_cast<int>(i);
    item.url = urls[i];
    item.created_ms = job.created_ms;
    job.items.push_back(std::move(item));
  }
  job.total = static_cast<int>(urls.size());

  // Stored before queued: once we answer 202 the job survives anything.
  auto created = co_await blocking([&] { return store_.create(job); });
  if (!created) co_return fail(created.error());
  if (created->existing) {
    auto existing = co_await get(created->id, false);
    if (!existing) co_return fail(existing.error());
    co_return Submitted{std::move(*existing), true};
  }
  std::vector<int> indexes;
  for (auto& item : job.items) {
    auto published = co_await publish(job.id, item.index);
    if (!published) {
      // Not queued means not accepted: cancel what was stored, say why.
      co_await blocking([&] { return store_.cancel(job.id, now_ms()); });
      co_return fail(published.error());
    }
    indexes.push_back(item.index);
  }
  // Until here a crash leaves the items due in the outbox, and a sweep
  // (republish_unpublished) queues them; marked, no sweep does.
  co_await mark_published(job.id, indexes);
  job.items.clear();
  ++stats_.jobs_submitted;
  co_return Submitted{std::move(job), false};
}

Task<Result<std::string>> JobService::check_url(std::string url) {
  if (!url_check_) co_return url;
  co_return co_await blocking([&] { return url_check_(url); });
}

Task<Result<void>> JobService::publish(const std::string& job_id, int index) {
  auto message = message_for(job_id, index);
  co_return co_await blocking([&] { return queue_.publish(message); });
}

Task<Result<void>> JobService::publish_all(const std::string& job_id,
                                           const std::vector<int>& indexes) {
  std::vector<int> published;
  Result<void> result;
  for (int index : indexes) {
    if (auto r = co_await publish(job_id, index); r)
      published.push_back(index);
    else if (result)
      result = fail(r.error());
  }
  if (!published.empty()) co_await mark_published(job_id, published);
  co_return result;
}

Task<void> JobService::mark_published(const std::string& job_id, const std::vector<int>& indexes) {
  // Not marked, they are queued again by a sweep later: a capture twice at worst.
  if (auto marked = co_await blocking([&] { return store_.mark_published(job_id, indexes); });
      !marked)
    log::warn("job {}: queued, but not marked so: {}", job_id, marked.error().message);
}

Task<Result<std::size_t>> JobService::republish_unpublished(Millis grace) {
  const auto now = now_ms();
  auto due =
      co_await blocking([&] { return store_.claim_unpublished(now - grace.count(), now, 500); });
  if (!due) co_return fail(due.error());
  for (auto& [job_id, indexes] : by_job(*due)) {
    log::warn("job {}: {} items stored but never queued (a node stopped in between): queued now",
              job_id, indexes.size());
    if (auto r = co_await publish_all(job_id, indexes); !r) co_return fail(r.error());
  }
  co_return due->size();
}

void JobService::start_outbox(std::chrono::seconds every, Millis grace) {
  std::weak_ptr<bool> alive = alive_;
  asio::co_spawn(
      executor_,
      [this, alive, every, grace]() -> Task<void> {
        while (true) {
          co_await sleep_for(every);
          auto token = alive.lock();
          if (!token || !*token || stopping_) co_return;
          if (auto r = co_await republish_unpublished(grace); !r)
            log::warn("outbox: {}", r.error().message);
        }
      },
      asio::detached);
}

CrawlHooks JobService::crawl_hooks() {
  CrawlHooks h;
  h.load = [this](std::string job_id) { return get(std::move(job_id), true); };
  h.add_items = [this](std::string job_id, std::vector<Item> items,
                       int max_total) -> Task<Result<std::vector<int>>> {
    co_return co_await blocking(
        [&] { return store_.add_items(job_id, items, max_total, now_ms()); });
  };
  h.publish = [this](std::string job_id, std::vector<int> indexes) -> Task<Result<void>> {
    co_return co_await publish_all(job_id, indexes);  // job_id lives in this frame
  };
  h.robots = [this](std::string origin) -> Task<capture::RobotsRules> {
    if (!robots_fetch_) co_return capture::RobotsRules::allow_all();
    std::string url = origin + "/robots.txt";
    auto got = co_await blocking([&] { return robots_fetch_(url); });
    // RFC 9309: a missing file (4xx) allows all; an unreachable one disallows all.
    if (!got || got->first >= 500) co_return capture::RobotsRules::disallow_all();
    if (got->first >= 400) co_return capture::RobotsRules::allow_all();
    co_return capture::RobotsRules::parse(got->second);
  };
  return h;
}

// A finished job does not change (a canceled one may: its running items still
// finish), so polls of it are answered from memory for a moment.
Task<Result<Job>> JobService::get(std::string job_id, bool with_items) {
  const auto now = now_ms();
  if (with_items)
    if (auto* memo = job_memo_.find(job_id, now)) co_return memo->job;
  auto job = co_await blocking([&] { return store_.get(job_id, with_items); });
  if (with_items && job && is_terminal(job->state) && job->state != JobState::canceled)
    job_memo_.put(job_id, JobMemo{*job, nullptr}, now);
  co_return job;
}

Task<Result<std::shared_ptr<const std::string>>> JobService::view(std::string job_id) {
  if (auto* memo = job_memo_.find(job_id, now_ms()); memo && memo->view) co_return memo->view;
  auto job = co_await get(job_id, true);
  if (!job) co_return fail(job.error());
  auto body = std::make_shared<const std::string>(json::serialize(job_to_json(*job)));
  if (auto* memo = job_memo_.find(job_id, now_ms())) memo->view = body;
  co_return body;
}

Task<Result<JobPage>> JobService::list(ListQuery query) {
  co_return co_await blocking([&] { return store_.list(query); });
}

Task<Result<Job>> JobService::cancel(std::string job_id) {
  job_memo_.forget(job_id);
  co_return co_await blocking([&] { return store_.cancel(job_id, now_ms()); });
}

Task<Result<Blob>> JobService::read_blob(std::string key) {
  co_return co_await blocking([&] { return blobs_.get(key); });
}

Task<Result<Picture>> JobService::produce(const std::string& url, const json::object& options,
                                          int cache_ttl_s, bool fresh, std::string blob_key,
                                          std::string known_key) {
  const std::string key = known_key.empty() ? cache_key(url, options) : std::move(known_key);
  if (!fresh && cache_ttl_s > 0) {
    const auto now = now_ms();
    std::optional<CacheEntry> hit;
    if (auto* memo = cache_memo_.find(key, now); memo && now < memo->expires_ms) hit = *memo;
    if (!hit) {
      auto stored = co_await blocking([&] { return store_.cache_get(key, now); });
      if (stored && *stored) {
        hit = std::move(**stored);
        cache_memo_.put(key, *hit, now);
      }
    }
    if (hit) {
      ++stats_.cache_hits;
      auto& e = *hit;
      co_return Picture{e.blob_key, e.content_type, e.bytes, e.width, e.height,
                        e.sha256,   e.facts_json,   true,    false};
    }
    ++stats_.cache_misses;
  }
  if (!fresh) {
    if (auto it = inflight_.find(key); it != inflight_.end()) {
      ++stats_.coalesced;
      auto flight = it->second;
      auto r = co_await flight->wait(executor_, Deadline::in(std::chrono::minutes(5)));
      if (r) r->coalesced = true;
      co_return r;
    }
  }
  auto flight = std::make_shared<Inflight>();
  if (!fresh) inflight_[key] = flight;

  Result<Picture> out = fail(Errc::internal, "not captured");
  auto parsed = capture::parse_options(options);
  if (!parsed) {
    out = fail(parsed.error());
  } else {
    ++stats_.busy;
    auto shot = co_await capture_(url, *parsed);
    --stats_.busy;
    ++stats_.captures;
    if (!shot) {
      ++stats_.capture_failures;
      ++stats_.failures_by_code[std::string(to_string(shot.error().code))];
      out = fail(shot.error());
    } else {
      const auto& t = shot->timings;
      const std::array<std::pair<const char*, double>, 8> phases = {{{"acquire", t.acquire_ms},
                                                                     {"navigate", t.navigate_ms},
                                                                     {"load", t.load_ms},
                                                                     {"wait", t.wait_ms},
                                                                     {"act", t.act_ms},
                                                                     {"capture", t.capture_ms},
                                                                     {"decode", t.decode_ms},
                                                                     {"verdict", t.verdict_ms}}};
      for (auto& [phase, ms] : phases)
        stats_.phases[phase].observe(ms / 1000);
      Picture p;
      p.blob_key = blob_key + "." + std::string(capture::file_extension(shot->format));
      p.content_type = capture::mime_type(shot->format);
      p.bytes = static_cast<std::int64_t>(shot->bytes.size());
      p.width = shot->width;
      p.height = shot->height;
      json::object facts = capture::to_json(shot->facts, shot->timings);
      facts["attempts"] = shot->attempts;
      if (shot->truncated) facts["truncated"] = true;
      if (!shot->trace.empty()) facts["trace"] = shot->trace;
      std::optional<CacheEntry> entry;
      auto stored = co_await blocking([&]() -> Result<void> {
        auto store_start = std::chrono::steady_clock::now();
        p.sha256 = sha256_hex(shot->bytes);
        if (auto r = blobs_.put(p.blob_key, shot->bytes, p.content_type); !r) return r;
        // shot's own work on the picture: hashing and writing it.
        if (auto* t = facts["timings"].if_object())
          (*t)["store_ms"] = std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - store_start)
                                 .count();
        // The `thumbnail` option: a second blob next to the picture.
        auto thumb = capture_thumbnail_option(options);
        if (thumb && *thumb) {
          auto made = store_thumbnail(blobs_, shot->bytes, **thumb, blob_key + ".thumb");
          if (!made) return fail(made.error());
          facts["thumbnail"] = std::move(*made);
        }
        p.facts_json = json::serialize(facts);
        if (cache_ttl_s > 0) {
          entry =
              CacheEntry{p.blob_key, p.content_type, p.bytes,      p.width,
                         p.height,   p.sha256,       p.facts_json, now_ms() + cache_ttl_s * 1000LL};
          return store_.cache_put(key, *entry);
        }
        return {};
      });
      // This process's own reads see the new entry at once (a fresh capture replaced one).
      if (stored && entry) cache_memo_.put(key, *entry, now_ms());
      if (auto* t = json_object(facts, "timings"); t && t->contains("store_ms"))
        stats_.phases["store"].observe(json_double(*t, "store_ms") / 1000);
      if (stored)
        out = std::move(p);
      else
        out = fail(stored.error());
    }
  }
  if (!fresh) {
    flight->settle(out);
    if (auto it = inflight_.find(key); it != inflight_.end() && it->second == flight)
      inflight_.erase(it);
  }
  co_return out;
}

Task<Result<Picture>> JobService::capture_now(std::string url, json::object options,
                                              std::optional<int> cache_ttl_s, bool fresh) {
  // On every request, before the cache: a picture is never served for a URL the
  // policy refuses now. Inline: the check does no DNS (see UrlCheck).
  if (url_check_) {
    auto checked = url_check_(url);
    if (!checked) co_return fail(checked.error().code, checked.error().message, "url");
    url = std::move(*checked);
  }
  if (auto parsed = capture::parse_options(options); !parsed) co_return fail(parsed.error());
  if (auto thumb = capture_thumbnail_option(options); !thumb) co_return fail(thumb.error());
  int ttl = cache_ttl_s.value_or(options_.default_cache_ttl_s);
  if (ttl < 0 || ttl > options_.max_cache_ttl_s)
    co_return fail(Errc::invalid_argument, "cache_ttl_s out of range", "cache_ttl_s");
  std::string key = cache_key(url, options);
  std::string blob_key = "sync/" + key;
  co_return co_await produce(url, options, ttl, fresh, std::move(blob_key), std::move(key));
}

Result<std::size_t> JobService::requeue_unfinished() {
  auto items = store_.unfinished();
  if (!items) return fail(items.error());
  for (auto& [job_id, indexes] : by_job(*items)) {
    for (int index : indexes)
      if (auto r = queue_.publish(message_for(job_id, index)); !r) return fail(r.error());
    if (auto r = store_.mark_published(job_id, indexes); !r) return fail(r.error());
  }
  if (!items->empty()) log::info("requeued {} unfinished items from an earlier run", items->size());
  return items->size();
}

void JobService::start_workers() {
  for (int i = 0; i < options_.workers; ++i)
    asio::co_spawn(executor_, worker_loop(i), asio::detached);
}

Task<void> JobService::worker_loop(int id) {
  auto alive = alive_;
  ++workers_running_;
  while (!stopping_) {
    auto got =
        co_await offload(receivers_, [this] { return queue_.receive(Deadline::in(Millis(250))); });
    if (!*alive) co_return;
    if (!got) {
      log::warn("worker {}: queue unavailable: {}", id, got.error().message);
      co_await sleep_for(Millis(500));
      continue;
    }
    if (!*got) continue;
    Delivery delivery = std::move(**got);
    auto msg = parse_json(delivery.message());
    if (!msg || !msg->is_object() || json_string(msg->as_object(), "job").empty()) {
      log::error("worker {}: dropping a malformed queue message", id);
      co_await blocking([&] { return delivery.ack(); });
      continue;
    }
    std::string job_id(json_string(msg->as_object(), "job"));
    int index = static_cast<int>(json_int(msg->as_object(), "item", -1));
    co_await run_item(job_id, index, delivery.attempt(), delivery);
  }
  --workers_running_;
}

Task<void> JobService::run_item(std::string job_id, int index, int attempt, Delivery& delivery) {
  auto started = co_await blocking([&] { return store_.start_item(job_id, index, now_ms()); });
  if (!started) {
    if (started.error().code == Errc::unavailable) {
      co_await blocking([&] { return delivery.nack(true, backoff(attempt)); });
    } else {
      // Finished, canceled or unknown: a redelivery of work already done.
      co_await blocking([&] { return delivery.ack(); });
    }
    co_return;
  }
  Item item = std::move(*started);
  stats_.phases["queue_wait"].observe(static_cast<double>(now_ms() - item.created_ms) / 1000);
  struct Running {
    int& n;
    explicit Running(int& count) : n(count) { ++n; }
    ~Running() { --n; }
  } running(stats_.items_running);
  auto job = co_await get(job_id, false);
  if (!job) {
    co_await blocking([&] { return delivery.nack(true, backoff(attempt)); });
    co_return;
  }
  auto settings = parse_json(job->options_json);
  json::object options;
  int ttl = 0;
  bool fresh = false;
  std::string request_id = "-";
  if (settings && settings->is_object()) {
    if (auto* o = json_object(settings->as_object(), "options")) options = *o;
    ttl = static_cast<int>(json_int(settings->as_object(), "cache_ttl_s"));
    fresh = json_bool(settings->as_object(), "fresh");
    request_id = std::string(json_string(settings->as_object(), "request_id", "-"));
  }
  log::info("item {}/{} started (attempt {}): {} request {}", job_id, index, item.attempts,
            item.url, request_id);

  ItemResult result;
  result.finished_ms = now_ms();
  if (item.attempts > options_.delivery_limit) {
    result.state = ItemState::failed;
    result.error_code = "gave_up";
    result.error_message = "gave up after " + std::to_string(item.attempts - 1) + " attempts";
  } else {
    std::string key = "jobs/" + job_id + "/" + std::to_string(index);
    Result<Picture> picture = fail(Errc::internal, "not produced");
    if (auto producer = producers_.find(job->kind); producer != producers_.end())
      picture = co_await producer->second(*job, item, key);
    else
      picture = co_await produce(item.url, options, ttl, fresh, key);
    result.finished_ms = now_ms();
    if (picture) {
      result.state = ItemState::succeeded;
      result.blob_key = picture->blob_key;
      result.content_type = picture->content_type;
      result.bytes = picture->bytes;
      result.width = picture->width;
      result.height = picture->height;
      result.sha256 = picture->sha256;
      result.facts_json = picture->facts_json;
      result.cached = picture->cached || picture->coalesced;
    } else if (picture.error().retryable() && item.attempts < options_.delivery_limit) {
      log::warn("item {}/{} failed ({}); retrying later, request {}", job_id, index,
                picture.error().message, request_id);
      ++stats_.items_finished["retried"];
      co_await blocking([&] { return store_.requeue_item(job_id, index, now_ms()); });
      co_await blocking([&] { return delivery.nack(true, backoff(attempt)); });
      co_return;
    } else {
      result.state = ItemState::failed;
      result.error_code = to_string(picture.error().code);
      result.error_message = picture.error().message;
    }
  }
  // A crawl adds the pages this one links to before it finishes, so the job
  // does not look done in between.
  if (job->kind == JobKind::crawl) {
    co_await crawls_.page_done(job_id, index, links_in_facts(result.facts_json));
  }
  auto finished = co_await blocking([&] { return store_.finish_item(job_id, index, result); });
  if (!finished) {
    co_await blocking([&] { return delivery.nack(true, backoff(attempt)); });
    co_return;
  }
  co_await blocking([&] { return delivery.ack(); });
  ++stats_.items_finished[std::string(to_string(result.state))];
  if (finished->job_done) ++stats_.jobs_finished[std::string(to_string(finished->job.state))];
  log::info("item {}/{} {}{}{} request {}", job_id, index, to_string(result.state),
            result.error_code.empty() ? "" : ": ", result.error_message, request_id);
  if (finished->job_done) co_await finish_job(*job);
}

Task<void> JobService::finish_job(const Job& job) {
  if (notifier_ && !job.callback_url.empty()) {
    auto full = co_await get(job.id, true);
    if (full) notifier_->send(job.callback_url, json::serialize(job_to_json(*full)));
  }
  if (auto hook = done_hooks_.find(job.kind); hook != done_hooks_.end()) co_await hook->second(job);
}

void JobService::start_dead_letters() {
  auto dead = queue_.dead_letters();
  if (!dead) {
    log::warn("dead-letter queue unavailable: {}", dead.error().message);
    return;
  }
  if (!*dead) return;
  dead_letters_ = std::move(*dead);
  asio::co_spawn(executor_, dead_letter_loop(), asio::detached);
}

Task<void> JobService::dead_letter_loop() {
  auto alive = alive_;
  while (!stopping_) {
    // A short look now and then: dead letters are rare, and the blocking pool is shared.
    auto got =
        co_await blocking([this] { return dead_letters_->receive(Deadline::in(Millis(0))); });
    if (!*alive) co_return;
    if (!got || !*got) {
      co_await sleep_for(Millis(1000));
      continue;
    }
    Delivery delivery = std::move(**got);
    auto msg = parse_json(delivery.message());
    if (msg && msg->is_object() && !json_string(msg->as_object(), "job").empty()) {
      std::string job_id(json_string(msg->as_object(), "job"));
      int index = static_cast<int>(json_int(msg->as_object(), "item", -1));
      ItemResult result;
      result.state = ItemState::failed;
      result.error_code = "dead_lettered";
      result.error_message = "gave up after " + std::to_string(options_.delivery_limit) +
                             " deliveries: the capture never finished (it may crash its worker)";
      result.finished_ms = now_ms();
      auto finished = co_await blocking([&] { return store_.finish_item(job_id, index, result); });
      if (!finished && finished.error().code == Errc::unavailable) {
        co_await blocking([&] { return delivery.nack(true, backoff(delivery.attempt())); });
        continue;
      }
      if (finished) {
        log::warn("item {}/{} was dead-lettered: marked failed", job_id, index);
        ++stats_.items_finished["failed"];
        if (finished->job_done) ++stats_.jobs_finished[std::string(to_string(finished->job.state))];
        auto job = co_await get(job_id, false);
        if (finished->job_done && job) co_await finish_job(*job);
      }
    }
    co_await blocking([&] { return delivery.ack(); });
  }
}

Task<void> JobService::stop(Deadline deadline) {
  stopping_ = true;
  while (workers_running_ > 0 && !deadline.expired())
    co_await sleep_for(Millis(50));
}

void JobService::start_purger(std::chrono::seconds every) {
  std::weak_ptr<bool> alive = alive_;
  asio::co_spawn(
      executor_,
      [this, alive, every]() -> Task<void> {
        while (true) {
          co_await sleep_for(every);
          auto token = alive.lock();
          if (!token || !*token || stopping_) co_return;
          auto keys = co_await blocking([&] { return store_.purge_expired(now_ms(), 0); });
          if (!keys) continue;
          for (auto& k : *keys)
            co_await blocking([&] { return blobs_.remove(k); });
        }
      },
      asio::detached);
}

}  // namespace shot::service
