#pragma once
// Jobs: a job is stored before it is queued; workers take items from the
// queue, capture (or reuse a cached or in-flight capture of the same URL and
// options), store the picture, finish the item, and ack. Delivery is at
// least once; blob keys derive from job and item, so a redelivery overwrites.

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "blob/blob_store.hpp"
#include "capture/capturer.hpp"
#include "core/asio.hpp"
#include "notify/notifier.hpp"
#include "queue/queue.hpp"
#include "service/crawl_coordinator.hpp"
#include "store/job_store.hpp"

namespace shot::service {

using CaptureFn = std::function<Task<Result<capture::CaptureResult>>(
    std::string url, capture::CaptureOptions options)>;
// Checks a user-submitted URL before it is accepted (egress policy); empty = allow.
// Called on the I/O thread for every GET /v1/screenshot, cache hits included: it
// must not block (no DNS: net::check_submitted_url, DESIGN.md §7).
using UrlCheck = std::function<Result<std::string>(std::string_view url)>;
// Fetches a URL (robots.txt) through the egress-checked client: status and body.
// Blocking: run on the thread pool.
using TextFetch = std::function<Result<std::pair<int, std::string>>(const std::string& url)>;

struct ServiceOptions {
  int max_urls_per_job = 1000;
  std::size_t max_queue = 10'000;
  int default_cache_ttl_s = 3600;
  int max_cache_ttl_s = 30 * 86400;
  int delivery_limit = 5;     // attempts before an item is failed for good
  int workers = 2;            // captures at once (tabs)
  int crawl_per_host = 2;     // pages of one crawl captured at once on one host
  bool crawl_shared = false;  // other processes take items of the same crawls
};

struct SubmitRequest {
  JobKind kind = JobKind::screenshot;
  std::vector<std::string> urls;
  json::object options;
  std::string callback_url;
  std::optional<int> cache_ttl_s;
  bool fresh = false;
  std::string idempotency_key;
  std::string request_hash;
  std::string owner;
  json::object crawl;      // kind crawl: capture::CrawlSpec as JSON (urls = its start page)
  std::string request_id;  // the HTTP request's X-Request-Id, carried into the workers' logs
};

struct Submitted {
  Job job;
  bool existing = false;
};

// A stored picture: where it is and what it is.
struct Picture {
  std::string blob_key;
  std::string content_type;
  std::int64_t bytes = 0;
  int width = 0, height = 0;
  std::string sha256;
  std::string facts_json;
  bool cached = false;     // served from the cache
  bool coalesced = false;  // shared with an identical capture already running
};

// Makes the picture of one item of a job kind that is not a capture (thumbnails);
// `blob_key` is the item's key without extension.
using ItemProducer =
    std::function<Task<Result<Picture>>(const Job& job, const Item& item, std::string blob_key)>;
// Runs once when a job of that kind ends (after the webhook is sent).
using JobDoneHook = std::function<Task<void>(const Job& job)>;

// Durations in fixed buckets of seconds (not cumulative: the last counts
// those above every bound; Prometheus output sums them).
struct PhaseHistogram {
  static constexpr std::array<double, 14> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                     1,     2.5,  5,     10,   30,  60,   300};
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  double sum = 0;
  std::uint64_t count = 0;

  void observe(double seconds);
};

struct ServiceStats {
  std::int64_t captures = 0, capture_failures = 0;
  // queue_wait (item created → started), the capture's acquire, navigate,
  // load, wait, act, capture, decode, verdict, and store (hashing and writing
  // the picture).
  std::map<std::string, PhaseHistogram> phases;
  std::int64_t jobs_submitted = 0;
  std::map<std::string, std::int64_t> jobs_finished;   // by final state
  std::map<std::string, std::int64_t> items_finished;  // succeeded, failed, retried
  int items_running = 0;
  std::map<std::string, std::int64_t> failures_by_code;  // timeout, navigation_failed, ...
  std::int64_t cache_hits = 0, cache_misses = 0, coalesced = 0;
  int busy = 0;
};

class JobService {
 public:
  JobService(Executor executor, asio::thread_pool& blocking, JobStore& store, BlobStore& blobs,
             Queue& queue, CaptureFn capture, notify::Notifier* notifier, ServiceOptions options,
             UrlCheck url_check = {});
  ~JobService();

  // Validates, stores, then queues. Errors name the field at fault. Jobs of a
  // kind with a producer are checked by whoever submits them (URLs, options).
  Task<Result<Submitted>> submit(SubmitRequest request);
  // The egress check for a URL a user hands in; the normalized URL.
  Task<Result<std::string>> check_url(std::string url);
  // Items of `kind` are made by `producer` instead of a capture.
  void set_producer(JobKind kind, ItemProducer producer) { producers_[kind] = std::move(producer); }
  void on_job_done(JobKind kind, JobDoneHook hook) { done_hooks_[kind] = std::move(hook); }
  Task<Result<Job>> get(std::string job_id, bool with_items = true);
  // GET /v1/jobs/{id}: the job as JSON (job_view.hpp), serialized; a finished
  // job's answered from memory for a moment, like get().
  Task<Result<std::shared_ptr<const std::string>>> view(std::string job_id);
  Task<Result<JobPage>> list(ListQuery query);
  Task<Result<Job>> cancel(std::string job_id);

  // The synchronous path (GET /v1/screenshot): a picture now, cached and coalesced.
  Task<Result<Picture>> capture_now(std::string url, json::object options,
                                    std::optional<int> cache_ttl_s, bool fresh);

  // Queues again the unfinished items of an earlier run. Blocking; call it at
  // start-up before the server accepts jobs, or new jobs would be queued twice.
  Result<std::size_t> requeue_unfinished();
  // Workers: take items from the queue until stop().
  void start_workers();
  // Marks failed the items of messages the queue dead-lettered (a broker's
  // delivery limit: a capture that kept crashing its worker). No-op when the
  // queue keeps no dead letters.
  void start_dead_letters();
  // Stops taking items; waits for running captures until `deadline`.
  Task<void> stop(Deadline deadline);
  // Queues the items stored more than `grace` ago and never queued (a node
  // stopped between storing a job, or a crawl's new pages, and queueing them):
  // one sweep; returns how many. start_outbox sweeps every `every`.
  Task<Result<std::size_t>> republish_unpublished(Millis grace);
  void start_outbox(std::chrono::seconds every, Millis grace);
  // Deletes expired cache entries (and their blobs) now and then.
  void start_purger(std::chrono::seconds every);
  // How crawls read robots.txt; unset: robots.txt is treated as allowing all.
  void set_robots_fetch(TextFetch fetch) { robots_fetch_ = std::move(fetch); }

  // A stored picture's bytes, read off the I/O thread.
  Task<Result<Blob>> read_blob(std::string key);

  ServiceStats stats() const { return stats_; }
  std::size_t running_captures() const { return static_cast<std::size_t>(stats_.busy); }
  JobStore& store() { return store_; }
  BlobStore& blobs() { return blobs_; }
  Queue& queue() { return queue_; }

 private:
  struct Inflight;
  Task<void> worker_loop(int id);
  Task<void> dead_letter_loop();
  // A finished job's webhook, then its kind's done hook (a thumbnail's e-mail).
  Task<void> finish_job(const Job& job);
  Task<void> run_item(std::string job_id, int index, int attempt, Delivery& delivery);
  Task<Result<Picture>> produce(const std::string& url, const json::object& options,
                                int cache_ttl_s, bool fresh, std::string blob_key,
                                std::string known_key = {});  // cache_key(url, options) if known
  Task<Result<void>> publish(const std::string& job_id, int index);
  // Publishes each, marks the published ones in the store; the first error.
  Task<Result<void>> publish_all(const std::string& job_id, const std::vector<int>& indexes);
  // Tells the store (the outbox) these items are on the queue; a failure is only logged.
  Task<void> mark_published(const std::string& job_id, const std::vector<int>& indexes);
  CrawlHooks crawl_hooks();

  template <class F>
  auto blocking(F f) {
    return offload(blocking_, std::move(f));
  }

  Executor executor_;
  asio::thread_pool& blocking_;
  JobStore& store_;
  BlobStore& blobs_;
  Queue& queue_;
  CaptureFn capture_;
  notify::Notifier* notifier_;
  ServiceOptions options_;
  UrlCheck url_check_;
  std::map<JobKind, ItemProducer> producers_;
  std::map<JobKind, JobDoneHook> done_hooks_;
  TextFetch robots_fetch_;
  CrawlCoordinator crawls_;
  asio::thread_pool receivers_;  // blocking Queue::receive, one thread per worker
  std::unique_ptr<Queue> dead_letters_;
  std::map<std::string, std::shared_ptr<Inflight>> inflight_;
  // Store reads answered from memory for a moment, so a hot cached picture or a
  // finished job polled in a loop costs no trip to the store's thread pool:
  // each entry is trusted for Memo::kMs, at most Memo::kEntries of each kind.
  template <typename T>
  class Memo {
   public:
    static constexpr std::int64_t kMs = 1000;
    static constexpr std::size_t kEntries = 4096;
    // The value put under `key` less than kMs before `now`, or null (and forgotten).
    T* find(const std::string& key, std::int64_t now) {
      auto it = map_.find(key);
      if (it == map_.end()) return nullptr;
      if (now < it->second.until_ms) return &it->second.value;
      map_.erase(it);
      return nullptr;
    }
    T& put(const std::string& key, T value, std::int64_t now) {
      if (map_.size() >= kEntries) map_.clear();
      return (map_[key] = Entry{std::move(value), now + kMs}).value;
    }
    void forget(const std::string& key) { map_.erase(key); }

   private:
    struct Entry {
      T value;
      std::int64_t until_ms = 0;
    };
    std::unordered_map<std::string, Entry> map_;
  };
  struct JobMemo {
    Job job;
    std::shared_ptr<const std::string> view;  // job_to_json, serialized, once asked for
  };
  Memo<CacheEntry> cache_memo_;  // by cache key
  Memo<JobMemo> job_memo_;       // by job id (with items)
  ServiceStats stats_;
  bool stopping_ = false;
  int workers_running_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The cache key of a capture: the normalized URL and the canonical options.
std::string cache_key(std::string_view url, const json::object& options);

std::int64_t now_ms();

}  // namespace shot::service
