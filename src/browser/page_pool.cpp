#include "browser/page_pool.hpp"

#include "core/log.hpp"

namespace shot::browser {

Lease::~Lease() {
  page_.reset();  // closes its context in the background
  if (pool_) pool_->give_back();
}

PagePool::PagePool(Executor executor, PoolOptions options)
    : executor_(executor),
      options_(std::move(options)),
      slots_(executor, static_cast<std::size_t>(std::max(1, options_.tabs))),
      launch_lock_(executor, 1) {}

PagePool::~PagePool() {
  shutdown();
}

void PagePool::shutdown() {
  shut_ = true;
  *alive_token_ = false;
  ready_.clear();
  browser_.reset();
}

Task<Result<std::shared_ptr<Browser>>> PagePool::running_browser(Deadline deadline) {
  if (browser_ && browser_->alive() && browser_->pages_opened() < options_.recycle_after)
    co_return browser_;
  if (!co_await launch_lock_.acquire(deadline))
    co_return fail(Errc::timeout, "timed out waiting for Chromium to start");
  struct Unlock {
    AsyncSemaphore& s;
    ~Unlock() { s.release(); }
  } unlock{launch_lock_};
  // Another acquirer may have launched it while we waited.
  if (browser_ && browser_->alive() && browser_->pages_opened() < options_.recycle_after)
    co_return browser_;
  if (shut_) co_return fail(Errc::unavailable, "shutting down");
  if (browser_) {
    log::warn("chromium (pid {}) {}: starting a new one", browser_->pid(),
              browser_->alive() ? "recycled" : "died");
  }
  ready_.clear();    // pages of the old browser are useless now
  browser_.reset();  // the old process dies once its last lease lets go
  auto launched = co_await Browser::launch(executor_, options_.chromium,
                                           deadline.capped(options_.launch_timeout));
  if (!launched) co_return fail(launched.error());
  browser_ = *launched;
  ++launches_;
  co_return browser_;
}

Task<Result<void>> PagePool::warm_up(Deadline deadline) {
  auto b = co_await running_browser(deadline);
  if (!b) co_return fail(b.error());
  refill();
  co_return Result<void>{};
}

Task<Result<Lease>> PagePool::acquire(Deadline deadline) {
  if (shut_) co_return fail(Errc::unavailable, "shutting down");
  if (!co_await slots_.acquire(deadline))
    co_return fail(Errc::timeout, "timed out waiting for a free browser tab");
  ++busy_;
  // From here on the slot is ours: give it back on every failure path.
  bool handed_out = false;
  struct GiveBack {
    PagePool* pool;
    bool& handed_out;
    ~GiveBack() {
      if (!handed_out) pool->give_back();
    }
  } give_back_guard{this, handed_out};

  auto browser = co_await running_browser(deadline);
  if (!browser) co_return fail(browser.error());
  std::unique_ptr<Page> page;
  // A page being prepared arrives sooner than one opened now, and opening
  // another would double the work (contexts cost CPU, not just time).
  while (ready_.empty() && preparing_ > 0 && !deadline.expired())
    co_await wait_for_prepared(deadline);
  while (!ready_.empty() && !page) {
    auto candidate = std::move(ready_.front());
    ready_.pop_front();
    if (&candidate->browser() == browser->get() && !candidate->session().gone())
      page = std::move(candidate);
  }
  if (!page) {
    auto fresh = co_await (*browser)->new_page(options_.isolate, deadline);
    if (!fresh) co_return fail(fresh.error());
    page = std::move(*fresh);
  }
  handed_out = true;
  refill();
  co_return Lease(this, std::move(page));
}

void PagePool::give_back() {
  --busy_;
  slots_.release();
  refill();
}

// Keeps one prepared page per slot, busy or not, created in the background:
// the next capture of a busy slot then finds its page ready instead of
// waiting for a context to open after this one ends.
void PagePool::refill() {
  if (shut_ || !browser_ || !browser_->alive()) return;
  int wanted = options_.tabs - static_cast<int>(ready_.size()) - preparing_;
  for (int i = 0; i < wanted; ++i) {
    ++preparing_;
    auto browser = browser_;
    std::weak_ptr<bool> token = alive_token_;
    asio::co_spawn(
        executor_,
        [this, browser, token]() -> Task<void> {
          auto page =
              co_await browser->new_page(options_.isolate, Deadline::in(options_.launch_timeout));
          if (token.expired() || !*token.lock()) co_return;
          --preparing_;
          if (page && browser == browser_) ready_.push_back(std::move(*page));
          prepared_changed();
        },
        asio::detached);
  }
}

Task<void> PagePool::wait_for_prepared(Deadline deadline) {
  asio::steady_timer timer(executor_,
                           std::min(deadline.at(), Clock::now() + std::chrono::hours(1)));
  prepared_waiters_.push_back(&timer);
  co_await timer.async_wait(use_task);
  std::erase(prepared_waiters_, &timer);
}

void PagePool::prepared_changed() {
  for (auto* t : prepared_waiters_)
    t->cancel();
}

Task<Result<void>> PagePool::check_health(Deadline deadline) {
  auto b = co_await running_browser(deadline);
  if (!b) co_return fail(b.error());
  auto v = co_await (*b)->call("Browser.getVersion", {}, deadline);
  if (!v) co_return fail(Errc::unavailable, "Chromium is not answering: " + v.error().message);
  co_return Result<void>{};
}

PoolStats PagePool::stats() const {
  return PoolStats{.tabs = options_.tabs,
                   .busy = busy_,
                   .browser_launches = launches_,
                   .browser_restarts = std::max(0, launches_ - 1),
                   .browser_pid = browser_ ? browser_->pid() : -1};
}

}  // namespace shot::browser
