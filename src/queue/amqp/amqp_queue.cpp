#include "queue/amqp/amqp_queue.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <set>

#include "core/log.hpp"
#include "queue/amqp/amqp_connection.hpp"

namespace shot {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{5000};
constexpr milliseconds kConfirmTimeout{10'000};
constexpr milliseconds kSettleTimeout{10'000};
constexpr int kHeartbeatSeconds = 30;
constexpr milliseconds kMaxReconnectWait{2000};
constexpr milliseconds kPushGrace{2000};
// A message the broker already pushed is neither waiting there nor here yet.
constexpr milliseconds kInFlightGrace{100};

struct Declaration {
  std::string queue;
  amqp::Arguments arguments;
};

// Delays are rounded to two significant digits, so back-off with jitter
// makes a few dozen delay queues, not one per message.
std::int64_t rounded_delay(milliseconds delay) {
  std::int64_t ms = std::max<std::int64_t>(1, delay.count());
  std::int64_t unit = 1;
  while (ms / unit >= 100)
    unit *= 10;
  return (ms + unit / 2) / unit * unit;
}

amqp::Argument text(std::string key, std::string value) {
  return {std::move(key), std::move(value), 0, true};
}
amqp::Argument number(std::string key, std::int64_t value) {
  return {std::move(key), {}, value, false};
}

}  // namespace

struct AmqpQueue::Shared {
  amqp::Address address;
  std::string name;                       // consumed from, published to
  std::vector<Declaration> declarations;  // declared on every connect, in order
  std::size_t capacity = 10'000;
  int prefetch = 1;
  int delivery_limit = 5;

  // Publishing side: one connection behind a mutex.
  std::mutex publish_mutex;
  amqp::Connection publisher;
  std::set<std::int64_t> delay_queues;  // declared on `publisher`

  // Consuming side: the consumer thread owns the connection; others meet it here.
  struct Incoming {
    amqp::Envelope envelope;
    std::uint64_t generation = 0;
  };
  struct Settle {
    std::uint64_t tag = 0;
    std::uint64_t generation = 0;
    bool ack = true;
    bool requeue = false;
    bool done = false;
    Result<void> result;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Incoming> ready;
  std::deque<Settle*> settles;
  bool want_consume = false;  // set by the first receive(): no prefetching before
  bool connected = false;
  bool closed = false;
  bool stopping = false;
  std::optional<Error> down;  // why the consumer is not connected
  std::uint64_t generation = 0;
  int wake_fd = -1;

  Shared() : wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Shared() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() {
    std::uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
    changed.notify_all();
  }

  Result<amqp::Connection> connect(bool confirms) {
    auto c = amqp::Connection::open(address, kConnectTimeout, confirms ? 0 : kHeartbeatSeconds,
                                    confirms);
    if (!c) return c;
    for (auto& d : declarations)
      if (auto ok = c->declare(d.queue, d.arguments); !ok) return fail(ok.error());
    return c;
  }

  // Runs `f` on a connected publisher; reconnects once when the connection
  // broke (a broker restart leaves a dead socket behind).
  template <class F>
  auto with_publisher(F f) -> decltype(f(publisher)) {
    std::lock_guard lock(publish_mutex);
    for (int round = 0;; ++round) {
      {
        std::lock_guard state(mutex);
        if (closed) return fail(Errc::unavailable, "the queue is closed");
      }
      if (!publisher.is_open()) {
        auto c = connect(true);
        if (!c) return fail(c.error());
        publisher = std::move(*c);
        delay_queues.clear();
      }
      auto r = f(publisher);
      if (r || r.error().code != Errc::unavailable || round == 1) {
        if (!r && r.error().code == Errc::unavailable) publisher = amqp::Connection();
        return r;
      }
      publisher = amqp::Connection();
    }
  }

  Result<void> publish(std::string_view body, std::int64_t earlier_attempts,
                       std::optional<std::int64_t> delay_ms) {
    return with_publisher([&](amqp::Connection& c) -> Result<void> {
      std::string target = name;
      if (!delay_ms) {
        // The broker's own length limit (reject-publish) takes one message too
        // many before it starts refusing; counting first keeps the bound exact.
        auto waiting = c.ready_count(name);
        if (!waiting) return fail(waiting.error());
        if (*waiting >= capacity) return fail(Errc::rate_limited, "the queue is full");
      } else {
        target = name + ".delay." + std::to_string(*delay_ms);
        if (!delay_queues.contains(*delay_ms)) {
          // Classic, not quorum: all of a delay queue's messages share one TTL,
          // so they expire in order from its head back into the work queue.
          amqp::Arguments args{
              number("x-message-ttl", *delay_ms), text("x-dead-letter-exchange", ""),
              text("x-dead-letter-routing-key", name), number("x-expires", *delay_ms + 600'000)};
          if (auto ok = c.declare(target, args); !ok) return ok;
          delay_queues.insert(*delay_ms);
        }
      }
      return c.publish_confirmed(target, body, earlier_attempts, kConfirmTimeout);
    });
  }

  // Hands an ack or reject to the consumer thread and waits for it to be written.
  Result<void> settle(std::uint64_t tag, std::uint64_t gen, bool ack, bool requeue) {
    Settle op{tag, gen, ack, requeue, false, {}};
    std::unique_lock lock(mutex);
    if (stopping) return fail(Errc::unavailable, "the queue is gone; the broker will redeliver");
    settles.push_back(&op);
    wake();
    if (!changed.wait_for(lock, kSettleTimeout, [&] { return op.done; })) {
      std::erase(settles, &op);
      return fail(Errc::unavailable, "RabbitMQ did not take the ack in time");
    }
    return op.result;
  }

  // Settles queued ops against `conn` (generation `gen`); false when it broke.
  bool run_settles(amqp::Connection& conn) {
    bool ok = true;
    while (!settles.empty()) {
      Settle* op = settles.front();
      settles.pop_front();
      if (!conn.is_open() || op->generation != generation) {
        // That connection is gone, and with it the delivery: the broker redelivers.
        op->result = fail(Errc::unavailable, "the connection to RabbitMQ was lost; redelivered");
      } else {
        op->result = op->ack ? conn.ack(op->tag) : conn.reject(op->tag, op->requeue);
        if (!op->result) ok = false;
      }
      op->done = true;
    }
    changed.notify_all();
    return ok;
  }

  void lost(amqp::Connection& conn, const Error& why) {
    if (connected) log::warn("RabbitMQ consumer for {}: {}; reconnecting", name, why.message);
    conn = amqp::Connection();
    connected = false;
    down = why;
    ready.clear();  // unacked on a dead connection: the broker redelivers them
    changed.notify_all();
  }

  void consume_loop() {
    amqp::Connection conn;
    milliseconds wait_before_retry{100};
    auto next_try = Clock::now();
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (!conn.is_open()) {
        run_settles(conn);
        if (!want_consume || closed || Clock::now() < next_try) {
          changed.wait_until(lock, want_consume ? next_try : Clock::now() + milliseconds(1000));
          continue;
        }
        lock.unlock();
        auto c = connect(false);
        if (c) {
          if (auto ok = c->consume(name, prefetch); !ok) c = fail(ok.error());
        }
        lock.lock();
        if (!c) {
          down = c.error();
          changed.notify_all();
          next_try = Clock::now() + wait_before_retry;
          wait_before_retry = std::min(wait_before_retry * 2, kMaxReconnectWait);
          continue;
        }
        if (down) log::info("RabbitMQ consumer for {}: connected", name);
        conn = std::move(*c);
        ++generation;
        connected = true;
        down.reset();
        wait_before_retry = milliseconds(100);
        changed.notify_all();
      }
      if (!run_settles(conn)) {
        lost(conn, Error{Errc::unavailable, "the connection to RabbitMQ broke while acking"});
        continue;
      }
      lock.unlock();
      if (!conn.has_buffered()) {
        pollfd fds[2] = {{conn.fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
        ::poll(fds, 2, 1000);
      }
      std::uint64_t drained = 0;
      (void)!::read(wake_fd, &drained, sizeof drained);
      auto got = conn.next(milliseconds(0));  // also sends heartbeats when due
      lock.lock();
      if (!got) {
        lost(conn, got.error());
        continue;
      }
      if (*got) {
        ready.push_back(Incoming{std::move(**got), generation});
        changed.notify_all();
      }
    }
    run_settles(conn);
    lock.unlock();
    conn.close();
  }
};

namespace {

class AmqpSettler final : public DeliverySettler {
 public:
  AmqpSettler(std::shared_ptr<AmqpQueue::Shared> shared, std::uint64_t tag, std::uint64_t gen,
              std::string body, int attempt)
      : shared_(std::move(shared)),
        tag_(tag),
        gen_(gen),
        body_(std::move(body)),
        attempt_(attempt) {}

  Result<void> ack() override { return shared_->settle(tag_, gen_, true, false); }

  Result<void> nack(bool requeue, std::chrono::milliseconds delay) override {
    if (requeue && delay > milliseconds(0)) {
      // Parked in a delay queue first, then acked: at worst it runs twice, never zero times.
      if (shared_->publish(body_, attempt_, rounded_delay(delay)))
        return shared_->settle(tag_, gen_, true, false);
    }
    return shared_->settle(tag_, gen_, false, requeue);
  }

 private:
  std::shared_ptr<AmqpQueue::Shared> shared_;
  std::uint64_t tag_;
  std::uint64_t gen_;
  std::string body_;
  int attempt_;
};

}  // namespace

Result<std::unique_ptr<AmqpQueue>> AmqpQueue::open(std::string_view url,
                                                   const QueueOptions& options) {
  auto address = amqp::parse_address(url);
  if (!address) return fail(address.error());
  const std::string name = address->queue.empty() ? options.name : address->queue;
  if (name.empty() || name.size() > 200)
    return fail(Errc::invalid_argument, "the queue name must have 1 to 200 characters", "queue");
  if (options.capacity == 0)
    return fail(Errc::invalid_argument, "queue capacity must be at least 1", "queue");
  if (options.delivery_limit < 1)
    return fail(Errc::invalid_argument, "the delivery limit must be at least 1", "queue");
  auto shared = std::make_shared<Shared>();
  shared->address = *address;
  shared->name = name;
  shared->capacity = options.capacity;
  shared->prefetch = std::max(1, options.prefetch);
  shared->delivery_limit = options.delivery_limit;
  const std::string dead = name + ".dead";
  shared->declarations.push_back({dead, {text("x-queue-type", "quorum")}});
  // x-delivery-limit counts returns: a message is dead-lettered when returned
  // more than that many times, so it is delivered at most delivery_limit times.
  shared->declarations.push_back(
      {name,
       {text("x-queue-type", "quorum"),
        number("x-max-length", static_cast<std::int64_t>(options.capacity)),
        text("x-overflow", "reject-publish"),
        number("x-delivery-limit", options.delivery_limit - 1), text("x-dead-letter-exchange", ""),
        text("x-dead-letter-routing-key", dead)}});
  // Declare now, so a wrong URL or an unreachable broker is reported at start-up.
  {
    auto c = shared->connect(true);
    if (!c) return fail(c.error());
    shared->publisher = std::move(*c);
  }
  return std::unique_ptr<AmqpQueue>(new AmqpQueue(std::move(shared)));
}

AmqpQueue::AmqpQueue(std::shared_ptr<Shared> shared)
    : shared_(std::move(shared)), consumer_([s = shared_.get()] { s->consume_loop(); }) {}

AmqpQueue::~AmqpQueue() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->closed = true;
    shared_->stopping = true;
  }
  shared_->wake();
  consumer_.join();
  std::lock_guard lock(shared_->publish_mutex);
  shared_->publisher.close();
}

Result<void> AmqpQueue::publish(std::string_view message) {
  return shared_->publish(message, 0, std::nullopt);
}

Result<std::optional<Delivery>> AmqpQueue::receive(Deadline deadline) {
  auto& s = *shared_;
  std::unique_lock lock(s.mutex);
  if (!s.want_consume) {
    s.want_consume = true;
    s.wake();
  }
  bool grace_checked = false;
  for (;;) {
    if (s.closed) return std::optional<Delivery>();
    if (!s.ready.empty()) {
      auto in = std::move(s.ready.front());
      s.ready.pop_front();
      const int attempt =
          static_cast<int>(in.envelope.earlier_attempts + in.envelope.delivery_count + 1);
      std::string body = in.envelope.body;
      return std::optional<Delivery>(
          std::in_place, std::move(body), attempt,
          std::make_unique<AmqpSettler>(shared_, in.envelope.tag, in.generation,
                                        std::move(in.envelope.body), attempt));
    }
    if (!s.connected && s.down) return fail(*s.down);
    if (deadline.expired()) {
      // A message waiting in the broker counts as there: give its push a moment.
      if (grace_checked) return std::optional<Delivery>();
      grace_checked = true;
      lock.unlock();
      auto waiting = depth();
      lock.lock();
      if (!waiting) return std::optional<Delivery>();
      deadline = Deadline::in(*waiting > 0 ? kPushGrace : kInFlightGrace);
      continue;
    }
    s.changed.wait_until(lock, std::min(deadline.at(), Clock::now() + milliseconds(1000)));
  }
}

Result<std::size_t> AmqpQueue::depth() {
  auto waiting =
      shared_->with_publisher([&](amqp::Connection& c) { return c.ready_count(shared_->name); });
  if (!waiting) return waiting;
  std::lock_guard lock(shared_->mutex);
  return *waiting + shared_->ready.size();
}

Result<void> AmqpQueue::ping() {
  if (auto d = depth(); !d) return fail(d.error());
  return {};
}

void AmqpQueue::close() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->closed = true;
  }
  shared_->wake();
}

Result<std::unique_ptr<Queue>> AmqpQueue::dead_letters() {
  auto shared = std::make_shared<Shared>();
  shared->address = shared_->address;
  shared->name = shared_->name + ".dead";
  shared->capacity = std::numeric_limits<std::size_t>::max();  // never refuse a dead letter
  shared->prefetch = shared_->prefetch;
  shared->delivery_limit = shared_->delivery_limit;
  shared->declarations.push_back(shared_->declarations.front());
  auto c = shared->connect(true);
  if (!c) return fail(c.error());
  shared->publisher = std::move(*c);
  return std::unique_ptr<Queue>(new AmqpQueue(std::move(shared)));
}

}  // namespace shot
