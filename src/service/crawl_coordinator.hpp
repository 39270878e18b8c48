#pragma once
// Crawl jobs: a crawl is a job whose items grow. Its first item is the start
// page; when a page has been captured (and before it is finished in the
// store, so the job never looks done while links wait), its links go into
// the job's capture::Crawl, which picks the next pages; they are added to the
// job (add_items, with parent and depth) and queued like any item.
//
// The frontier lives in memory and is rebuilt from the store (the pages taken
// and the links stored with each finished page) the first time a crawl is
// touched in this process (and again whenever store and memory disagree), so
// a restart loses nothing: unfinished pages are
// requeued by requeue_unfinished and the crawl continues when they finish.

#include <functional>
#include <map>
#include <memory>

#include "capture/crawl.hpp"
#include "core/asio.hpp"
#include "store/job_store.hpp"

namespace shot::service {

// What the coordinator needs from around it, as functions: tested with fakes.
struct CrawlHooks {
  // The job with its items.
  std::function<Task<Result<Job>>(std::string job_id)> load;
  std::function<Task<Result<std::vector<int>>>(std::string job_id, std::vector<Item> items,
                                               int max_total)>
      add_items;
  // Queues the items; the first error (the others are still tried).
  std::function<Task<Result<void>>(std::string job_id, std::vector<int> indexes)> publish;
  // robots.txt of an origin ("http://host:port"), already parsed; errors are
  // the caller's to map (RFC 9309: unreachable → disallow all).
  std::function<Task<capture::RobotsRules>(std::string origin)> robots;
};

// The crawl settings stored in a job's options_json under "crawl".
Result<capture::CrawlSpec> crawl_spec_of(const Job& job);
// The links stored with a finished page (the "links" of its facts_json).
std::vector<std::string> links_in_facts(std::string_view facts_json);

class CrawlCoordinator {
 public:
  // `shared`: other processes work on the same crawls (scale-out workers), so
  // the frontier is rebuilt from the store for every page instead of kept.
  CrawlCoordinator(CrawlHooks hooks, int max_per_host, bool shared = false)
      : hooks_(std::move(hooks)), per_host_(max_per_host), shared_(shared) {}

  // Page `index` of crawl `job_id` was captured (links empty when it failed).
  // Call before finishing the item in the store.
  Task<void> page_done(std::string job_id, int index, std::vector<std::string> links);

  std::size_t active() const { return crawls_.size(); }

 private:
  struct State;
  Task<Result<void>> rebuild(const std::string& job_id, State& state);
  Task<void> schedule(const std::string& job_id, State& state);

  CrawlHooks hooks_;
  int per_host_;
  bool shared_;
  std::map<std::string, std::shared_ptr<State>> crawls_;
};

}  // namespace shot::service
