#pragma once
// A bounded pool of pages over one supervised Chromium. Every lease is a fresh
// incognito context (nothing leaks between captures), prepared ahead of time
// so opening it is off the critical path. A dead browser is replaced on the
// next acquire; a browser is recycled after `recycle_after` pages.

#include <deque>
#include <memory>

#include "browser/browser.hpp"
#include "core/async_semaphore.hpp"

namespace shot::browser {

struct PoolOptions {
  int tabs = 2;              // concurrent pages
  int recycle_after = 1000;  // pages per browser before a fresh one
  bool isolate = true;       // one incognito context per lease
  Millis launch_timeout{30'000};
  ChromiumOptions chromium;
};

struct PoolStats {
  int tabs = 0;
  int busy = 0;
  int browser_launches = 0;
  int browser_restarts = 0;  // launches that replaced a dead or recycled browser
  pid_t browser_pid = -1;
};

class PagePool;

// A page held for one capture; returns its slot when destroyed.
class Lease {
 public:
  Lease(PagePool* pool, std::unique_ptr<Page> page) : pool_(pool), page_(std::move(page)) {}
  Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), page_(std::move(o.page_)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  Page& page() { return *page_; }
  Page* operator->() { return page_.get(); }

 private:
  PagePool* pool_;
  std::unique_ptr<Page> page_;
};

class PagePool {
 public:
  PagePool(Executor executor, PoolOptions options);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Starts the browser and prepares pages, so the first capture is fast.
  Task<Result<void>> warm_up(Deadline deadline);

  // A page for one capture: waits for a free slot until `deadline`.
  Task<Result<Lease>> acquire(Deadline deadline);

  // Alive and answering, within `deadline`: for /readyz.
  Task<Result<void>> check_health(Deadline deadline);

  PoolStats stats() const;
  const PoolOptions& options() const { return options_; }
  // The running browser, if any (tests kill it to prove recovery).
  std::shared_ptr<Browser> current_browser() const { return browser_; }

  void shutdown();

 private:
  friend class Lease;
  void give_back();
  Task<Result<std::shared_ptr<Browser>>> running_browser(Deadline deadline);
  void refill();
  // Waits until a page being prepared is ready (or failed), or `deadline`.
  Task<void> wait_for_prepared(Deadline deadline);
  void prepared_changed();

  Executor executor_;
  PoolOptions options_;
  AsyncSemaphore slots_;
  AsyncSemaphore launch_lock_;
  std::shared_ptr<Browser> browser_;
  std::deque<std::unique_ptr<Page>> ready_;
  int preparing_ = 0;
  std::vector<asio::steady_timer*> prepared_waiters_;
  int busy_ = 0;
  int launches_ = 0;
  bool shut_ = false;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);
};

}  // namespace shot::browser
