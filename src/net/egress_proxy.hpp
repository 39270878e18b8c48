#pragma once
// shot's own egress proxy: the only way Chromium reaches the network
// (DESIGN.md §7). An HTTP/1.1 forward proxy on 127.0.0.1 that forwards
// absolute-form requests ("GET http://host/ HTTP/1.1") and tunnels CONNECT,
// checking each destination with the EgressPolicy after resolving it once and
// connecting to exactly the address that was checked, so neither a redirect, a
// sub-resource nor DNS rebinding can take the browser somewhere the policy
// forbids.
//
// Runtime model: one coroutine per client connection on the given executor,
// which must be single-threaded (or a strand): the proxy's state has no locks.
// DNS look-ups block, so they run on the given thread pool. Call start(),
// stop() and stats() from the executor's thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/asio.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"
#include "net/egress_policy.hpp"

namespace shot::net {

struct ProxyOptions {
  std::size_t max_connections = 256;               // beyond it, new connections wait in the backlog
  std::size_t header_limit = 32 * 1024;            // request or response head; larger gets 431/502
  std::size_t max_request_body = 8 * 1024 * 1024;  // a forwarded request's body; larger gets 413
  std::size_t max_bytes = 64 * 1024 * 1024;        // per request or tunnel, both ways together
  Millis read_timeout{std::chrono::seconds(30)};   // to read a request head; each upstream read
  Millis idle_timeout{std::chrono::seconds(60)};   // no bytes either way: the tunnel is closed
  Millis connect_timeout{std::chrono::seconds(10)};  // DNS look-up plus TCP connect
};

struct ProxyStats {
  std::uint64_t connections = 0;     // client connections accepted
  std::size_t connections_open = 0;  // now
  std::uint64_t requests = 0;        // forwarded requests and CONNECTs, allowed or not
  std::uint64_t blocked = 0;         // refused by the egress policy (403)
  std::uint64_t failed = 0;          // DNS failures, unreachable upstreams, bad requests
  std::uint64_t over_limit = 0;      // cut at max_bytes or a timeout
  std::uint64_t bytes_up = 0;        // client → upstream, after the proxy's own heads
  std::uint64_t bytes_down = 0;      // upstream → client
};

class EgressProxy {
 public:
  // `pool` runs the DNS look-ups and must outlive the proxy's coroutines.
  EgressProxy(Executor executor, asio::thread_pool& pool, EgressPolicy policy,
              ProxyOptions options = {});
  ~EgressProxy();  // stop()s
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  // Binds 127.0.0.1, port 0, and accepts in the background. Errors: unavailable.
  Result<void> start();
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT", for --proxy-server

  // Closes the listener and every connection.
  void stop();

  const ProxyStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the connection coroutines
};

}  // namespace shot::net
