#pragma once
// A result that arrives once (a reply or an awaited event) and can be awaited
// with a deadline. Settling it wakes the waiter; the first settle wins.

#include <optional>
#include <string>

#include "core/asio.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace shot::cdp {

class OneShot {
 public:
  OneShot(Executor executor, std::string what) : executor_(executor), what_(std::move(what)) {}
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;

  void settle(Result<json::object> r) {
    if (result_) return;
    result_ = std::move(r);
    if (timer_) timer_->cancel();
  }
  bool done() const { return result_.has_value(); }
  const std::string& what() const { return what_; }

  // The result, or Errc::timeout naming what was awaited once `deadline` passes.
  Task<Result<json::object>> wait(Deadline deadline) {
    if (!result_) {
      // steady_timer arithmetic overflows near time_point::max(); a day is "never" here.
      asio::steady_timer timer(executor_,
                               std::min(deadline.at(), Clock::now() + std::chrono::hours(24)));
      timer_ = &timer;
      co_await timer.async_wait(use_task);
      timer_ = nullptr;
    }
    if (result_) co_return *result_;
    co_return fail(Errc::timeout, what_ + " timed out");
  }

 private:
  Executor executor_;
  std::string what_;
  std::optional<Result<json::object>> result_;
  asio::steady_timer* timer_ = nullptr;
};

}  // namespace shot::cdp
