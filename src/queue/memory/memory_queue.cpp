#include "queue/memory/memory_queue.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

namespace shot {

struct Message {
  std::string body;
  int deliveries = 0;
};

struct MemoryQueue::State {
  explicit State(std::size_t cap) : capacity(cap) {}

  std::mutex mutex;
  std::condition_variable changed;
  const std::size_t capacity;
  std::deque<Message> ready;
  std::multimap<Clock::time_point, Message> delayed;  // nacked with a delay: due time → message
  std::size_t in_flight = 0;
  bool closed = false;

  // Waiting, delayed and in-flight messages all count against the capacity, so
  // a requeue always has room and never has to drop a message.
  std::size_t held() const { return ready.size() + delayed.size() + in_flight; }

  void promote_due(Clock::time_point now) {
    while (!delayed.empty() && delayed.begin()->first <= now) {
      ready.push_back(std::move(delayed.begin()->second));
      delayed.erase(delayed.begin());
    }
  }
};

namespace {

class MemorySettler final : public DeliverySettler {
 public:
  MemorySettler(std::shared_ptr<MemoryQueue::State> state, Message message)
      : state_(std::move(state)), message_(std::move(message)) {}

  Result<void> ack() override {
    std::lock_guard lock(state_->mutex);
    --state_->in_flight;
    return {};
  }

  Result<void> nack(bool requeue, std::chrono::milliseconds delay) override {
    {
      std::lock_guard lock(state_->mutex);
      --state_->in_flight;
      // After close() nobody will receive it; the process is going away.
      if (!requeue || state_->closed) return {};
      if (delay > std::chrono::milliseconds(0)) {
        state_->delayed.emplace(Clock::now() + delay, std::move(message_));
      } else {
        state_->ready.push_back(std::move(message_));
      }
    }
    // notify_all: a receiver may be sleeping until a later delayed message.
    state_->changed.notify_all();
    return {};
  }

 private:
  std::shared_ptr<MemoryQueue::State> state_;
  Message message_;
};

}  // namespace

MemoryQueue::MemoryQueue(std::size_t capacity) : state_(std::make_shared<State>(capacity)) {}

MemoryQueue::~MemoryQueue() {
  close();
}

Result<void> MemoryQueue::publish(std::string_view message) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return fail(Errc::unavailable, "the queue is closed");
    if (state_->held() >= state_->capacity) return fail(Errc::rate_limited, "the queue is full");
    state_->ready.push_back(Message{std::string(message), 0});
  }
  state_->changed.notify_one();
  return {};
}

Result<std::optional<Delivery>> MemoryQueue::receive(Deadline deadline) {
  std::unique_lock lock(state_->mutex);
  for (;;) {
    if (state_->closed) return std::optional<Delivery>();
    state_->promote_due(Clock::now());
    if (!state_->ready.empty()) {
      Message message = std::move(state_->ready.front());
      state_->ready.pop_front();
      ++message.deliveries;
      ++state_->in_flight;
      std::string body = message.body;
      const int attempt = message.deliveries;
      return std::optional<Delivery>(std::in_place, std::move(body), attempt,
                                     std::make_unique<MemorySettler>(state_, std::move(message)));
    }
    if (deadline.expired()) return std::optional<Delivery>();
    auto wake = deadline.at();
    if (!state_->delayed.empty()) wake = std::min(wake, state_->delayed.begin()->first);
    if (wake == Clock::time_point::max()) {
      state_->changed.wait(lock);
    } else {
      state_->changed.wait_until(lock, wake);
    }
  }
}

Result<std::size_t> MemoryQueue::depth() {
  std::lock_guard lock(state_->mutex);
  return state_->ready.size() + state_->delayed.size();
}

Result<void> MemoryQueue::ping() {
  std::lock_guard lock(state_->mutex);
  if (state_->closed) return fail(Errc::unavailable, "the queue is closed");
  return {};
}

void MemoryQueue::close() {
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }
  state_->changed.notify_all();
}

}  // namespace shot
