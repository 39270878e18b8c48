#pragma once
// One rabbitmq-c connection with channel 1 open: a move-only owner of the
// handle, and the calls the queue makes on it, as Results. rabbitmq-c is
// blocking and not thread-safe: one thread at a time uses a connection.

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace shot::amqp {

// Where the broker is: amqp://user:pass@host:port/vhost?queue=NAME
// (percent-encoded parts; an empty vhost is "/"; queue overrides the name).
struct Address {
  std::string host = "localhost";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string queue;  // empty: the configured name
};

Result<Address> parse_address(std::string_view url);

// A queue argument (x-queue-type, x-max-length, ...): a string or an integer.
struct Argument {
  std::string key;
  std::string text;
  std::int64_t number = 0;
  bool is_text = false;
};
using Arguments = std::vector<Argument>;

// A received message with what the queue needs of it.
struct Envelope {
  std::string body;
  std::uint64_t tag = 0;
  std::int64_t delivery_count = 0;    // x-delivery-count: returns before this delivery
  std::int64_t earlier_attempts = 0;  // x-shot-attempts: deliveries before a delayed retry
};

class Connection {
 public:
  Connection() = default;
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Connects, logs in and opens channel 1; `confirms` puts it in confirm mode.
  static Result<Connection> open(const Address& address, std::chrono::milliseconds timeout,
                                 int heartbeat_s, bool confirms);

  bool is_open() const { return state_ != nullptr; }
  int fd() const;
  // Data is buffered already: read it without waiting on the socket.
  bool has_buffered() const;

  Result<void> declare(const std::string& queue, const Arguments& arguments);
  // Ready messages of a declared queue.
  Result<std::size_t> ready_count(const std::string& queue);
  Result<void> consume(const std::string& queue, int prefetch);
  // Publishes (persistent) and waits for the broker's confirm: rate_limited on
  // a nack (the queue is full), unavailable when the connection fails.
  Result<void> publish_confirmed(const std::string& routing_key, std::string_view body,
                                 std::int64_t earlier_attempts, std::chrono::milliseconds timeout);
  // The next delivery when one is there (waits at most `wait`); nullopt when none.
  Result<std::optional<Envelope>> next(std::chrono::milliseconds wait);
  Result<void> ack(std::uint64_t tag);
  Result<void> reject(std::uint64_t tag, bool requeue);

  void close();

 private:
  explicit Connection(amqp_connection_state_t state) : state_(state) {}
  Result<void> rpc_ok(std::string_view what);
  amqp_connection_state_t state_ = nullptr;
  std::uint64_t published_ = 0;  // publish sequence number in confirm mode
};

}  // namespace shot::amqp
