#include "service/crawl_coordinator.hpp"

#include <deque>

#include "core/log.hpp"

namespace shot::service {

struct CrawlCoordinator::State {
  std::optional<capture::Crawl> crawl;
  std::deque<std::pair<int, std::vector<std::string>>> pending;  // pages done, not yet applied
  std::map<std::string, capture::RobotsRules> robots;            // by origin
  bool busy = false;
  bool stopped = false;  // canceled, or the store and the frontier disagree: rebuild next time
};

Result<capture::CrawlSpec> crawl_spec_of(const Job& job) {
  auto settings = parse_json(job.options_json);
  if (!settings || !settings->is_object())
    return fail(Errc::internal, "crawl job " + job.id + " has no settings");
  auto* crawl = json_object(settings->as_object(), "crawl");
  if (!crawl) return fail(Errc::internal, "crawl job " + job.id + " has no crawl settings");
  return capture::parse_crawl_spec(*crawl);
}

std::vector<std::string> links_in_facts(std::string_view facts_json) {
  std::vector<std::string> out;
  if (facts_json.empty()) return out;
  auto facts = parse_json(facts_json);
  if (!facts || !facts->is_object()) return out;
  if (auto* links = facts->as_object().if_contains("links"); links && links->is_array())
    for (auto& l : links->get_array())
      if (l.is_string()) out.emplace_back(l.get_string());
  return out;
}

Task<void> CrawlCoordinator::page_done(std::string job_id, int index,
                                       std::vector<std::string> links) {
  auto& slot = crawls_[job_id];
  if (!slot) slot = std::make_shared<State>();
  auto state = slot;  // kept alive while this call runs, even if erased
  state->pending.emplace_back(index, std::move(links));
  // One call at a time works on a crawl; the others leave their pages to it.
  if (state->busy) co_return;
  state->busy = true;
  if (!state->crawl) {
    if (auto r = co_await rebuild(job_id, *state); !r) {
      log::error("crawl {}: cannot continue: {}", job_id, r.error().message);
      state->stopped = true;
    }
  }
  while (!state->pending.empty() && !state->stopped) {
    auto [i, found] = std::move(state->pending.front());
    state->pending.pop_front();
    state->crawl->done(i, found);
    co_await schedule(job_id, *state);
  }
  state->busy = false;
  if (shared_ || state->stopped || (state->crawl && state->crawl->finished())) {
    if (auto it = crawls_.find(job_id); it != crawls_.end() && it->second == state)
      crawls_.erase(it);
  }
}

// The frontier from the store: pages taken so far, then the links of every
// finished page, in page order.
Task<Result<void>> CrawlCoordinator::rebuild(const std::string& job_id, State& state) {
  auto job = co_await hooks_.load(job_id);
  if (!job) co_return fail(job.error());
  auto spec = crawl_spec_of(*job);
  if (!spec) co_return fail(spec.error());
  auto filter = capture::LinkFilter::create(*spec);
  if (!filter) co_return fail(filter.error());
  state.crawl.emplace(*spec, std::move(*filter), per_host_);
  std::vector<capture::CrawlPage> pages;
  for (auto& item : job->items)
    pages.push_back({item.url, item.parent, item.depth});
  state.crawl->restore(std::move(pages));
  for (auto& item : job->items)
    if (is_terminal(item.state)) state.crawl->done(item.index, links_in_facts(item.facts_json));
  co_return Result<void>{};
}

Task<void> CrawlCoordinator::schedule(const std::string& job_id, State& state) {
  auto& crawl = *state.crawl;
  const auto& spec = crawl.spec();
  std::vector<Item> batch;
  int first = crawl.taken();
  while (auto next = crawl.peek()) {
    if (spec.respect_robots) {
      auto origin = capture::origin_of(next->url);
      auto it = state.robots.find(origin);
      if (it == state.robots.end())
        it = state.robots.emplace(origin, co_await hooks_.robots(origin)).first;
      if (!it->second.allowed(std::string_view(next->url).substr(origin.size()))) {
        log::info("crawl {}: robots.txt disallows {}", job_id, next->url);
        crawl.skip();
        continue;
      }
    }
    crawl.take();
    Item item;
    item.url = next->url;
    item.parent = next->parent;
    item.depth = next->depth;
    batch.push_back(std::move(item));
  }
  if (batch.empty()) co_return;
  int max_total = spec.max_pages;
  auto added = co_await hooks_.add_items(job_id, batch, max_total);
  if (!added) {
    if (added.error().code != Errc::conflict)
      log::error("crawl {}: could not add pages: {}", job_id, added.error().message);
    state.stopped = true;  // canceled (conflict), or the store failed
    co_return;
  }
  for (std::size_t i = 0; i < added->size(); ++i) {
    if ((*added)[i] != first + static_cast<int>(i)) {
      log::warn("crawl {}: page {} was stored as item {}; rebuilding from the store", job_id,
                first + static_cast<int>(i), (*added)[i]);
      state.stopped = true;
      co_return;
    }
  }
  if (added->size() != batch.size()) {
    log::warn("crawl {}: the store took {} of {} pages; rebuilding from the store", job_id,
              added->size(), batch.size());
    state.stopped = true;
  }
  if (auto r = co_await hooks_.publish(job_id, *added); !r)
    log::error("crawl {}: could not queue new pages: {} (the outbox queues them later)", job_id,
               r.error().message);
}

}  // namespace shot::service
