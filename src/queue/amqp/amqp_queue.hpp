#pragma once
// RabbitMQ as the work queue (scale-out): a durable quorum queue with a length
// limit (reject-publish), a delivery limit and a dead-letter queue NAME.dead.
// Publishes wait for the broker's confirm; deliveries are acked by hand.
// nack with a delay parks the message in a TTL queue NAME.delay.MS that
// dead-letters it back. rabbitmq-c is blocking and not thread-safe, so
// publishing has its own connection behind a mutex, and one thread owns the
// consuming connection: it reads deliveries into a buffer (at most `prefetch`)
// and writes the acks receivers hand it. Both reconnect after a broker restart;
// what was unacked then is redelivered by the broker.

#include <memory>
#include <thread>

#include "queue/queue.hpp"

namespace shot {

class AmqpQueue final : public Queue {
 public:
  // Connects (publishing side) and declares the queues; unavailable when the
  // broker cannot be reached, invalid_argument for a bad URL.
  static Result<std::unique_ptr<AmqpQueue>> open(std::string_view url, const QueueOptions& options);
  ~AmqpQueue() override;
  AmqpQueue(const AmqpQueue&) = delete;
  AmqpQueue& operator=(const AmqpQueue&) = delete;

  Result<void> publish(std::string_view message) override;
  Result<std::optional<Delivery>> receive(Deadline deadline) override;
  Result<std::size_t> depth() override;
  Result<void> ping() override;
  void close() override;
  Result<std::unique_ptr<Queue>> dead_letters() override;

  struct Shared;

 private:
  explicit AmqpQueue(std::shared_ptr<Shared> shared);
  // Shared with the deliveries, so one settled after the queue is gone is safe.
  std::shared_ptr<Shared> shared_;
  std::thread consumer_;
};

}  // namespace shot
