#pragma once
// A bounded pool of tabs over one supervised Chromium. Every capture sees a
// fresh profile: each tab has its own incognito context, and between two
// captures the tab is reset (session dropped, page unloaded, cookies, storage,
// cache and permissions cleared) or, when a capture reached state that a reset
// cannot clear, replaced by a new one. Tabs are made ready ahead of time, so
// acquiring one is off the critical path. A dead browser is replaced on the
// next acquire; a browser is recycled after `recycle_after` pages.

#include <deque>
#include <memory>

#include "browser/browser.hpp"
#include "core/async_semaphore.hpp"

namespace shot::browser {

struct PoolOptions {
  int tabs = 2;              // concurrent pages
  int recycle_after = 1000;  // pages per browser before a fresh one
  // Reuse a tab (reset between captures) instead of opening a new context and
  // window for each capture; `tab_uses` captures before a tab is replaced.
  bool reuse_tabs = true;
  int tab_uses = 100;
  // Reused tabs kept beyond `tabs`, so a capture takes a tab already reset
  // while the one it just gave back waits for a lull (see lull()) to be reset.
  int spare_tabs = 0;
  Millis launch_timeout{30'000};
  ChromiumOptions chromium;
};

struct PoolStats {
  int tabs = 0;
  int busy = 0;
  int browser_launches = 0;
  int browser_restarts = 0;  // launches that replaced a dead or recycled browser
  int tabs_opened = 0;       // new contexts and windows
  int tabs_reset = 0;        // tabs cleared and reused
  pid_t browser_pid = -1;
};

class PagePool;

// A tab with a session attached, ready for a capture.
struct ReadyTab {
  std::unique_ptr<Tab> tab;
  std::unique_ptr<Page> page;
  bool fresh = false;  // a new tab: no page has run in its renderer
};

// What a capture needs of its tab.
struct TabNeeds {
  // A renderer of its own: no earlier capture's page ran in it, and no later
  // one will (the tab is dropped afterwards). For captures that bring
  // credentials (cookies, headers, a password), which a page that took over
  // its renderer could otherwise read in a later capture of the same tab.
  bool own_renderer = false;
};

// A page held for one capture; returns its tab when destroyed.
class Lease {
 public:
  Lease(PagePool* pool, ReadyTab ready, bool last_use)
      : pool_(pool), ready_(std::move(ready)), last_use_(last_use) {}
  Lease(Lease&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)),
        ready_(std::move(o.ready_)),
        last_use_(o.last_use_) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  Page& page() { return *ready_.page; }
  Page* operator->() { return ready_.page.get(); }

 private:
  PagePool* pool_;
  ReadyTab ready_;
  bool last_use_;  // the tab is dropped when given back
};

class PagePool {
 public:
  PagePool(Executor executor, PoolOptions options);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Starts the browser and prepares tabs, so the first capture is fast.
  Task<Result<void>> warm_up(Deadline deadline);

  // A page for one capture: waits for a free slot until `deadline`.
  Task<Result<Lease>> acquire(Deadline deadline, TabNeeds needs = {});

  // A capture is waiting for Chromium's frames, not using the cores: the
  // tabs given back since the last lull are reset now. Without spare tabs
  // there are none; a parked tab is reset anyway after kMaxParked, or when a
  // capture needs it.
  void lull();

  // Alive and answering, within `deadline`: for /readyz.
  Task<Result<void>> check_health(Deadline deadline);

  PoolStats stats() const;
  const PoolOptions& options() const { return options_; }
  // The running browser, if any (tests kill it to prove recovery).
  std::shared_ptr<Browser> current_browser() const { return browser_; }

  void shutdown();

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Tab> tab, std::unique_ptr<Page> page = nullptr, bool reuse = true);
  Task<Result<std::shared_ptr<Browser>>> running_browser(Deadline deadline);
  void refill();
  // Keeps a used tab, its last page still loaded, until the next lull.
  void park(std::unique_ptr<Tab> tab);
  static constexpr Millis kMaxParked{250};
  // Makes `tab` (a new one when null) ready in the background.
  void prepare(std::unique_ptr<Tab> tab);
  // Waits until a tab being prepared is ready (or failed), or `deadline`.
  Task<void> wait_for_prepared(Deadline deadline);
  void prepared_changed();

  Executor executor_;
  PoolOptions options_;
  AsyncSemaphore slots_;
  AsyncSemaphore launch_lock_;
  std::shared_ptr<Browser> browser_;
  std::deque<ReadyTab> ready_;
  std::deque<std::unique_ptr<Tab>> parked_;
  asio::steady_timer parked_timer_;  // runs while tabs are parked: kMaxParked after the first
  int preparing_ = 0;
  std::vector<asio::steady_timer*> prepared_waiters_;
  int busy_ = 0;
  bool given_back_ = false;  // a tab has come back: spares are wanted from now on
  int launches_ = 0;
  int tabs_opened_ = 0;
  int tabs_reset_ = 0;
  bool shut_ = false;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);
};

}  // namespace shot::browser
