#pragma once
// Helpers for tests written as coroutines: gtest's ASSERT_* return `void`,
// which a coroutine cannot, so CO_ASSERT_* co_return instead.

#include <gtest/gtest.h>

#include "core/asio.hpp"
#include "core/deadline.hpp"

#define CO_ASSERT_TRUE(cond)                  \
  if (!(cond)) {                              \
    ADD_FAILURE() << "Expected true: " #cond; \
    co_return;                                \
  }
#define CO_ASSERT_FALSE(cond) CO_ASSERT_TRUE(!(cond))
#define CO_ASSERT_OK(result)                                          \
  if (!(result)) {                                                    \
    ADD_FAILURE() << #result " failed: " << (result).error().message; \
    co_return;                                                        \
  }

namespace shot::testing {

// Runs the coroutine `body` on `io` until it finishes or `limit` passes.
template <class F>
bool run_task(asio::io_context& io, F&& body,
              std::chrono::seconds limit = std::chrono::seconds(60)) {
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        co_await body();
        finished = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  auto until = Clock::now() + limit;
  while (!finished && Clock::now() < until && !io.stopped())
    io.run_one_for(Millis(100));
  return finished;
}

}  // namespace shot::testing
