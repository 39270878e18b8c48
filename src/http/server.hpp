#pragma once
// The HTTP/1.1 server (Boost.Beast underneath, not in this header).
//
// Runtime model: one coroutine per connection. All of the server's coroutines
// run on one strand made from the executor it is given, so connection state,
// stats and the router need no locks even on a multi-threaded io_context;
// with the usual single-threaded io_context the strand costs nothing. Call
// start(), stop_accepting(), shutdown() and stats() from that executor's
// thread. A connection reads one request at a time (keep-alive; pipelined
// requests wait in the read buffer, which bounds the pipeline), with a
// timeout before every read and every write.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/asio.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "http/router.hpp"

namespace shot::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";          // host:port; IPv6 as [::1]:port; port 0 picks one
  std::size_t body_limit = 10 * 1024 * 1024;      // larger bodies get 413
  std::size_t header_limit = 16 * 1024;           // larger request heads get 431
  Millis read_timeout{std::chrono::seconds(30)};  // to read a whole request; also per write
  Millis idle_timeout{std::chrono::seconds(60)};  // keep-alive: wait for the next request
  std::size_t max_connections = 1024;             // beyond it, new connections wait in the backlog
};

// Request latency in fixed buckets (not cumulative; Prometheus output sums them).
struct LatencyHistogram {
  static constexpr std::array<double, 12> kBoundsMs = {1,   5,   10,   25,   50,   100,
                                                       250, 500, 1000, 2500, 5000, 10000};
  std::array<std::uint64_t, kBoundsMs.size() + 1> counts{};  // last: above every bound
  double sum_ms = 0;
  std::uint64_t count = 0;

  void observe(double ms);
};

struct ServerStats {
  // (route pattern, status) -> responses; pattern "-" when no route matched.
  std::map<std::pair<std::string, int>, std::uint64_t> requests;
  LatencyHistogram latency;  // handler + writing the response; event streams excluded
  std::uint64_t connections_accepted = 0;
  std::size_t connections_open = 0;
};

class Server {
 public:
  // `router` must outlive the server and its connections.
  Server(Executor executor, ServerOptions options, Router& router);
  ~Server();  // closes the listener and every connection
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens, then accepts in the background. Errors: invalid_argument
  // for a bad address, unavailable when it is in use or cannot be bound.
  Result<void> start();
  std::uint16_t port() const;  // the bound port (after start)

  void stop_accepting();
  // Stops accepting, closes idle connections, lets requests in flight finish
  // (their responses say Connection: close; event streams are told to stop)
  // until `deadline`, then closes every connection.
  Task<void> shutdown(Deadline deadline);

  const ServerStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the connection coroutines
};

}  // namespace shot::http
