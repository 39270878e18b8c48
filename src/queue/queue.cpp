#include "queue/queue.hpp"

#include "queue/amqp/amqp_queue.hpp"
#include "queue/memory/memory_queue.hpp"

namespace shot {

Delivery& Delivery::operator=(Delivery&& other) noexcept {
  if (this != &other) {
    if (settler_) (void)settler_->nack(true, std::chrono::milliseconds(0));
    message_ = std::move(other.message_);
    attempt_ = other.attempt_;
    settler_ = std::move(other.settler_);
  }
  return *this;
}

Delivery::~Delivery() {
  // At least once: a message nobody settled is worked on again.
  if (settler_) (void)settler_->nack(true, std::chrono::milliseconds(0));
}

Result<void> Delivery::ack() {
  if (!settler_) return fail(Errc::conflict, "delivery already settled");
  auto settler = std::move(settler_);
  return settler->ack();
}

Result<void> Delivery::nack(bool requeue, std::chrono::milliseconds delay) {
  if (!settler_) return fail(Errc::conflict, "delivery already settled");
  auto settler = std::move(settler_);
  return settler->nack(requeue, delay);
}

Result<std::unique_ptr<Queue>> open_queue(std::string_view url, const QueueOptions& options) {
  if (url == "memory") {
    if (options.capacity == 0) {
      return fail(Errc::invalid_argument, "queue capacity must be at least 1", "queue");
    }
    return std::unique_ptr<Queue>(std::make_unique<MemoryQueue>(options.capacity));
  }
  if (url.starts_with("amqp://")) {
    auto queue = AmqpQueue::open(url, options);
    if (!queue) return fail(queue.error());
    return std::unique_ptr<Queue>(std::move(*queue));
  }
  // Only the scheme goes into the message: the rest may hold a password.
  const auto scheme = url.substr(0, url.find(':'));
  return fail(Errc::invalid_argument, "unknown queue backend: " + std::string(scheme), "queue");
}

}  // namespace shot
