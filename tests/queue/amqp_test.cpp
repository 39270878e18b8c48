// The Queue conformance suite and RabbitMQ's own promises (dead letters,
// delivery limit, surviving a broker restart) against a real rabbitmq-server.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "queue_conformance.hpp"
#include "support/rabbit_server.hpp"

namespace shot {
namespace {

using std::chrono::seconds;

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message
#define EXPECT_OK(r) EXPECT_TRUE(r) << (r).error().message

testing::RabbitServer& broker() {
  auto* server = testing::RabbitServer::shared();
  if (!server) throw std::runtime_error("no RabbitMQ broker");
  return *server;
}

// A queue name no other test uses, so every test starts empty.
std::string fresh_name() {
  static std::atomic<int> n{0};
  return "test." + std::to_string(::getpid()) + "." + std::to_string(++n);
}

QueueOptions options(std::size_t capacity = 10'000, int delivery_limit = 20) {
  // prefetch 1: depth() counts what waits, and one prefetched message would blur it.
  return QueueOptions{
      .capacity = capacity, .name = fresh_name(), .prefetch = 1, .delivery_limit = delivery_limit};
}

std::unique_ptr<Queue> open_amqp(const QueueOptions& o) {
  auto queue = open_queue(broker().url(), o);
  EXPECT_TRUE(queue) << queue.error().message;
  return queue ? std::move(*queue) : nullptr;
}

class AmqpHarness final : public conformance::QueueHarness {
 public:
  std::unique_ptr<Queue> open(std::size_t capacity) override {
    return open_amqp(options(capacity));
  }
};

std::optional<Delivery> next(Queue& queue, Clock::duration within = seconds(20)) {
  auto d = queue.receive(Deadline::in(within));
  EXPECT_TRUE(d) << d.error().message;
  if (!d || !d->has_value()) return std::nullopt;
  return std::move(**d);
}

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(Amqp, QueueConformance,
                         ::testing::Values(QueueBackend{
                             "amqp", [] { return std::make_unique<AmqpHarness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

TEST(AmqpQueue, NackWithoutRequeueGoesToTheDeadLetterQueue) {
  auto queue = open_amqp(options());
  ASSERT_TRUE(queue);
  auto dead = queue->dead_letters();
  ASSERT_OK(dead);
  ASSERT_TRUE(*dead);
  ASSERT_OK(queue->publish("poison"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  ASSERT_OK(d->nack(false));
  auto corpse = next(**dead);
  ASSERT_TRUE(corpse);
  EXPECT_EQ(corpse->message(), "poison");
  ASSERT_OK(corpse->ack());
}

TEST(AmqpQueue, DeliveryLimitDeadLettersAMessageThatKeepsFailing) {
  // Delivered at most 3 times; each time its worker "crashes" (drops it unsettled).
  auto queue = open_amqp(options(100, 3));
  ASSERT_TRUE(queue);
  auto dead = queue->dead_letters();
  ASSERT_OK(dead);
  ASSERT_OK(queue->publish("crasher"));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto d = next(*queue);
    ASSERT_TRUE(d) << "attempt " << attempt;
    EXPECT_EQ(d->attempt(), attempt);
  }
  auto corpse = next(**dead);
  ASSERT_TRUE(corpse);
  EXPECT_EQ(corpse->message(), "crasher");
  ASSERT_OK(corpse->ack());
  auto none = queue->receive(Deadline::in(std::chrono::milliseconds(300)));
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST(AmqpQueue, DelayedRetriesKeepCountingAttempts) {
  auto queue = open_amqp(options());
  ASSERT_TRUE(queue);
  ASSERT_OK(queue->publish("slow"));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto d = next(*queue);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->attempt(), attempt);
    if (attempt < 3)
      ASSERT_OK(d->nack(true, std::chrono::milliseconds(100)));
    else
      ASSERT_OK(d->ack());
  }
}

TEST(AmqpQueue, UnreachableBrokerIsUnavailableAndKeepsThePasswordSecret) {
  auto port = testing::free_port();
  auto q = open_queue("amqp://guest:hunter2@127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, Errc::unavailable);
  EXPECT_EQ(q.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(open_queue("amqp://").error().code, Errc::invalid_argument);
  EXPECT_EQ(open_queue("amqp://h:99999/").error().code, Errc::invalid_argument);
}

// Last: it restarts the shared broker.
TEST(AmqpQueue, AcceptedMessagesSurviveABrokerRestart) {
  auto queue = open_amqp(options());
  ASSERT_TRUE(queue);
  ASSERT_OK(queue->publish("before"));
  // A delivery held unacked when the broker goes is redelivered, not lost.
  ASSERT_OK(queue->publish("held"));
  auto first = next(*queue);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->message(), "before");
  ASSERT_OK(first->ack());
  auto held = next(*queue);
  ASSERT_TRUE(held);

  broker().process().stop();
  auto refused = queue->publish("while down");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unavailable);
  EXPECT_FALSE(queue->ping());
  ASSERT_TRUE(broker().start()) << broker().log();

  (void)held->ack();  // the old connection is gone: a no-op, the broker redelivers
  ASSERT_OK(queue->publish("after"));
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    // The consumer reconnects on its own; receive says unavailable until then.
    std::optional<Delivery> d;
    for (int tries = 0; tries < 100 && !d; ++tries) {
      auto r = queue->receive(Deadline::in(std::chrono::milliseconds(200)));
      if (r && r->has_value())
        d = std::move(**r);
      else if (!r)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(d);
    got.push_back(d->message());
    ASSERT_OK(d->ack());
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"after", "held"}));
  EXPECT_OK(queue->ping());
}

}  // namespace
}  // namespace shot
