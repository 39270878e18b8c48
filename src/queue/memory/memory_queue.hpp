#pragma once
// An in-process bounded queue for `shot serve`. It counts deliveries itself
// (as RabbitMQ's x-delivery-count does); messages live as long as the process.

#include <memory>

#include "queue/queue.hpp"

namespace shot {

class MemoryQueue final : public Queue {
 public:
  explicit MemoryQueue(std::size_t capacity);
  ~MemoryQueue() override;
  MemoryQueue(const MemoryQueue&) = delete;
  MemoryQueue& operator=(const MemoryQueue&) = delete;

  Result<void> publish(std::string_view message) override;
  Result<std::optional<Delivery>> receive(Deadline deadline) override;
  Result<std::size_t> depth() override;
  Result<void> ping() override;
  void close() override;

  struct State;

 private:
  // Shared with the deliveries, so one settled after the queue is gone is safe.
  std::shared_ptr<State> state_;
};

}  // namespace shot
