#pragma once
// The slice of Boost.Asio the project uses. Asio is compiled once, in
// asio_impl.cpp (BOOST_ASIO_SEPARATE_COMPILATION), so including this stays cheap.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shot {

namespace asio = boost::asio;
template <class T>
using Task = asio::awaitable<T>;
using Executor = asio::any_io_executor;

inline constexpr auto use_task = asio::as_tuple(asio::use_awaitable);

// Runs blocking `f` on `pool` and resumes the caller on its own executor.
// SQLite, libvips, libcurl and the like go through here, never on the I/O thread.
template <class F>
Task<std::invoke_result_t<F>> offload(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  auto caller = co_await asio::this_coro::executor;
  co_await asio::post(asio::bind_executor(pool.get_executor(), asio::use_awaitable));
  if constexpr (std::is_void_v<R>) {
    f();
    co_await asio::post(asio::bind_executor(caller, asio::use_awaitable));
  } else {
    R result = f();
    co_await asio::post(asio::bind_executor(caller, asio::use_awaitable));
    co_return result;
  }
}

// Sleeps until `d` or until canceled.
Task<void> sleep_for(std::chrono::steady_clock::duration d);

}  // namespace shot
