#include "browser/page_pool.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace shot::browser {

Lease::~Lease() {
  if (pool_) pool_->give_back(std::move(ready_.tab), std::move(ready_.page), !last_use_);
}

PagePool::PagePool(Executor executor, PoolOptions options)
    : executor_(executor),
      options_(std::move(options)),
      slots_(executor, static_cast<std::size_t>(std::max(1, options_.tabs))),
      launch_lock_(executor, 1),
      parked_timer_(executor) {
  // One reused tab is one browser context; more take turns and would only
  // throw away each other's spare renderer (a new process per capture).
  options_.chromium.spare_renderer =
      options_.reuse_tabs && options_.tabs + options_.spare_tabs <= 1;
}

PagePool::~PagePool() {
  shutdown();
}

void PagePool::shutdown() {
  shut_ = true;
  *alive_token_ = false;
  ready_.clear();
  parked_.clear();
  parked_timer_.cancel();
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
  ready_.clear();  // pages of the old browser are useless now
  parked_.clear();
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

Task<Result<Lease>> PagePool::acquire(Deadline deadline, TabNeeds needs) {
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
      if (!handed_out) pool->give_back(nullptr);
    }
  } give_back_guard{this, handed_out};

  auto browser = co_await running_browser(deadline);
  if (!browser) co_return fail(browser.error());
  // No lull came since a tab was parked: its reset cannot wait any longer.
  if (ready_.empty() && preparing_ == 0) lull();
  // A tab being prepared arrives sooner than one opened now, and opening
  // another would double the work (contexts cost CPU, not just time).
  while (ready_.empty() && preparing_ > 0 && !deadline.expired())
    co_await wait_for_prepared(deadline);
  // Tabs of an old browser, or closed under us, are of no use to anyone.
  std::erase_if(ready_, [&](const ReadyTab& r) {
    return &r.tab->browser() != browser->get() || !r.tab->alive() || r.page->session().gone();
  });
  std::optional<ReadyTab> ready;
  // Any ready tab will do, or for a renderer of its own, a fresh one; a used
  // tab passed over stays ready for the next capture.
  auto usable = std::find_if(ready_.begin(), ready_.end(),
                             [&](const ReadyTab& r) { return !needs.own_renderer || r.fresh; });
  if (usable != ready_.end()) {
    ready = std::move(*usable);
    ready_.erase(usable);
  } else {
    auto tab = co_await (*browser)->open_tab(deadline);
    if (!tab) co_return fail(tab.error());
    ++tabs_opened_;
    auto page = co_await (*tab)->attach(deadline);
    if (!page) co_return fail(page.error());
    ready = ReadyTab{std::move(*tab), std::move(*page), true};
  }
  handed_out = true;
  refill();
  co_return Lease(this, std::move(*ready), needs.own_renderer);
}

void PagePool::give_back(std::unique_ptr<Tab> tab, std::unique_ptr<Page> page, bool reuse) {
  // A session that set more than the baseline is detached here, and its
  // overrides go with it; a kept one stays with the tab (dropped with it).
  if (tab && page && page->kept()) tab->keep(std::move(page));
  page.reset();
  --busy_;
  given_back_ = true;
  if (tab && reuse && options_.reuse_tabs && !shut_ && browser_ &&
      &tab->browser() == browser_.get() && tab->alive() && tab->captures() < options_.tab_uses) {
    // With another tab ready or on its way, the next capture does not need
    // this one: its reset waits for a lull instead of competing with that
    // capture's navigation for the two cores and the browser's UI thread.
    if (options_.spare_tabs > 0 && (!ready_.empty() || preparing_ > 0))
      park(std::move(tab));
    else
      prepare(std::move(tab));
  }
  slots_.release();
  refill();
}

// Keeps a ready tab for every slot, plus the spares. Reused tabs come back
// through give_back; without reuse, a tab is prepared for each slot even while
// it is busy, so its next capture does not wait for a context to open after
// this one ends.
void PagePool::refill() {
  if (shut_ || !browser_ || !browser_->alive()) return;
  // Spares once a tab has come back: they would only slow the first capture.
  int spare = options_.reuse_tabs && given_back_ ? options_.spare_tabs : 0;
  int wanted = options_.tabs + spare - static_cast<int>(ready_.size() + parked_.size()) -
               preparing_ - (options_.reuse_tabs ? busy_ : 0);
  for (int i = 0; i < wanted; ++i)
    prepare(nullptr);
}

namespace {

struct Prepared {
  Result<ReadyTab> ready;
  bool opened = false;  // a new tab, not a reset one
};

// Resets `tab` or, when there is none or it cannot be reset, opens a new one;
// then attaches the session the next capture will use.
Task<Prepared> make_ready(std::shared_ptr<Browser> browser, std::unique_ptr<Tab> tab,
                          Deadline deadline) {
  if (tab) {
    if (auto reset = co_await tab->reset(deadline); !reset) {
      log::debug("tab not reused: {}", reset.error().message);
      tab.reset();
    }
  }
  bool opened = !tab;
  if (opened) {
    auto fresh = co_await browser->open_tab(deadline);
    if (!fresh) co_return Prepared{fail(fresh.error()), true};
    tab = std::move(*fresh);
  }
  auto page = co_await tab->attach(deadline);
  if (!page) co_return Prepared{fail(page.error()), opened};
  co_return Prepared{ReadyTab{std::move(tab), std::move(*page)}, opened};
}

}  // namespace

void PagePool::prepare(std::unique_ptr<Tab> tab) {
  ++preparing_;
  std::weak_ptr<bool> token = alive_token_;
  asio::co_spawn(
      executor_,
      [this, browser = browser_, token, tab = std::move(tab)]() mutable -> Task<void> {
        auto prepared =
            co_await make_ready(browser, std::move(tab), Deadline::in(options_.launch_timeout));
        if (token.expired() || !*token.lock()) co_return;
        --preparing_;
        ++(prepared.opened ? tabs_opened_ : tabs_reset_);
        if (!prepared.ready) log::debug("tab not made ready: {}", prepared.ready.error().message);
        if (prepared.ready && browser == browser_) {
          prepared.ready->fresh = prepared.opened;
          ready_.push_back(std::move(*prepared.ready));
        }
        // A failure leaves the slot without a ready tab: acquire opens one.
        prepared_changed();
      },
      asio::detached);
}

void PagePool::park(std::unique_ptr<Tab> tab) {
  parked_.push_back(std::move(tab));
  if (parked_.size() > 1) return;  // the timer runs for the first
  // The last page stays loaded until its reset: not for long, lull or not.
  parked_timer_.expires_after(kMaxParked);
  // Cancelled when a lull comes first; a wait that ended just before the
  // pool went away is told by the token.
  std::weak_ptr<bool> token = alive_token_;
  parked_timer_.async_wait([this, token](boost::system::error_code ec) {
    if (!ec && !token.expired() && *token.lock()) lull();
  });
}

void PagePool::lull() {
  parked_timer_.cancel();
  while (!parked_.empty()) {
    auto tab = std::move(parked_.front());
    parked_.pop_front();
    if (browser_ && &tab->browser() == browser_.get() && tab->alive()) prepare(std::move(tab));
  }
  refill();
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
                   .tabs_opened = tabs_opened_,
                   .tabs_reset = tabs_reset_,
                   .browser_pid = browser_ ? browser_->pid() : -1};
}

}  // namespace shot::browser
