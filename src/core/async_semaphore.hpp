#pragma once
// A counting semaphore for coroutines on one executor: acquire waits (FIFO)
// until a permit is free or the deadline passes. Bounds pools and queues.

#include <deque>

#include "core/asio.hpp"
#include "core/deadline.hpp"

namespace shot {

class AsyncSemaphore {
 public:
  AsyncSemaphore(Executor executor, std::size_t permits) : executor_(executor), free_(permits) {}
  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  // True with a permit held; false when `deadline` passed first.
  Task<bool> acquire(Deadline deadline) {
    if (free_ > 0 && waiters_.empty()) {
      --free_;
      co_return true;
    }
    asio::steady_timer timer(executor_,
                             std::min(deadline.at(), Clock::now() + std::chrono::hours(24)));
    Waiter me{&timer, false};
    waiters_.push_back(&me);
    co_await timer.async_wait(use_task);
    if (me.granted) co_return true;  // release() already took us off the list
    std::erase(waiters_, &me);
    co_return false;
  }

  bool try_acquire() {
    if (free_ == 0 || !waiters_.empty()) return false;
    --free_;
    return true;
  }

  void release() {
    if (!waiters_.empty()) {
      Waiter* w = waiters_.front();
      waiters_.pop_front();
      w->granted = true;
      w->timer->cancel();
    } else {
      ++free_;
    }
  }

  std::size_t available() const { return free_; }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    asio::steady_timer* timer;
    bool granted;
  };
  Executor executor_;
  std::size_t free_;
  std::deque<Waiter*> waiters_;
};

}  // namespace shot
