#pragma once
// Work messages between the API and the workers. Messages are opaque strings
// (the service encodes job id + item index). Delivery is at least once: a
// message is gone only when acked; a Delivery destroyed unsettled goes back.
// Synchronous and thread-safe.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/deadline.hpp"
#include "core/error.hpp"

namespace shot {

// What a backend does to settle one delivery; implemented by each backend.
class DeliverySettler {
 public:
  virtual ~DeliverySettler() = default;
  virtual Result<void> ack() = 0;
  virtual Result<void> nack(bool requeue, std::chrono::milliseconds delay) = 0;
};

// One received message. Move-only; settle it once with ack() or nack(). When
// destroyed unsettled it is requeued, so a worker that throws or returns early
// loses nothing.
class Delivery {
 public:
  Delivery(std::string message, int attempt, std::unique_ptr<DeliverySettler> settler)
      : message_(std::move(message)), attempt_(attempt), settler_(std::move(settler)) {}
  Delivery(Delivery&&) noexcept = default;
  Delivery& operator=(Delivery&& other) noexcept;
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;
  ~Delivery();

  const std::string& message() const { return message_; }
  // 1 on the first delivery, counting every delivery since (crashes included):
  // the service gives up on a message past its delivery limit.
  int attempt() const { return attempt_; }
  bool settled() const { return settler_ == nullptr; }

  // Done with it: the message is removed. conflict when already settled.
  Result<void> ack();
  // Not done: requeue (after `delay`, for back-off) or drop it (requeue = false:
  // a poison message; a broker may dead-letter it). conflict when already settled.
  Result<void> nack(bool requeue, std::chrono::milliseconds delay = std::chrono::milliseconds(0));

 private:
  std::string message_;
  int attempt_ = 1;
  std::unique_ptr<DeliverySettler> settler_;
};

class Queue {
 public:
  virtual ~Queue() = default;

  // rate_limited when the queue is full, unavailable when the broker is down
  // or the queue closed.
  virtual Result<void> publish(std::string_view message) = 0;
  // The next message, or nullopt when the deadline passes or the queue closes.
  // Errors: unavailable when the broker is down.
  virtual Result<std::optional<Delivery>> receive(Deadline deadline) = 0;
  // Messages waiting (not the ones being worked on); approximate.
  virtual Result<std::size_t> depth() = 0;
  // ok, or unavailable (readiness).
  virtual Result<void> ping() = 0;
  // Wakes every receiver; later publishes fail and receives return nullopt.
  // Unsettled deliveries may still be settled (a no-op for the memory queue).
  virtual void close() = 0;
  // The messages this queue gave up on (delivered `delivery_limit` times, or
  // nacked without requeue), as a queue of their own, so the service can mark
  // their items failed; nullptr when the backend drops them (memory).
  virtual Result<std::unique_ptr<Queue>> dead_letters() { return std::unique_ptr<Queue>(); }
};

struct QueueOptions {
  // Most messages waiting at once (memory: waiting or being worked on; a
  // broker: ready in its queue). Beyond it publish is rate_limited.
  std::size_t capacity = 10'000;
  // Broker backends: the queue's name; dead letters go to NAME.dead, delayed
  // retries wait in NAME.delay.MS.
  std::string name = "shot.captures";
  // Broker backends: messages handed to this process and not yet settled
  // (tabs per worker).
  int prefetch = 2;
  // Broker backends: deliveries of one message (crashes included) before the
  // broker dead-letters it.
  int delivery_limit = 5;
};

// "memory", or "amqp://user:pass@host:port/vhost" (RabbitMQ).
Result<std::unique_ptr<Queue>> open_queue(std::string_view url, const QueueOptions& options = {});

}  // namespace shot
