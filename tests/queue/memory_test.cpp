#include <gtest/gtest.h>

#include "queue/memory/memory_queue.hpp"
#include "queue_conformance.hpp"

namespace shot {
namespace {

class MemoryHarness final : public conformance::QueueHarness {
 public:
  std::unique_ptr<Queue> open(std::size_t capacity) override {
    auto queue = open_queue("memory", QueueOptions{capacity});
    EXPECT_TRUE(queue) << queue.error().message;
    return queue ? std::move(*queue) : nullptr;
  }
};

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(Memory, QueueConformance,
                         ::testing::Values(QueueBackend{
                             "memory", [] { return std::make_unique<MemoryHarness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

TEST(MemoryQueue, InFlightMessagesCountAgainstCapacity) {
  // So a requeue always has room and nothing is ever dropped.
  MemoryQueue queue(2);
  ASSERT_TRUE(queue.publish("a"));
  ASSERT_TRUE(queue.publish("b"));
  auto d = queue.receive(Deadline::in(std::chrono::seconds(5)));
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ(queue.publish("c").error().code, Errc::rate_limited);
  ASSERT_TRUE((*d)->nack(true));
  EXPECT_EQ(queue.depth().value_or(0), 2u);
}

TEST(MemoryQueue, ClosedQueueIsNotReady) {
  MemoryQueue queue(1);
  queue.close();
  EXPECT_EQ(queue.ping().error().code, Errc::unavailable);
}

TEST(QueueFactory, RejectsUnknownSchemesAndZeroCapacity) {
  auto nats = open_queue("nats://guest:hunter2@localhost/");
  ASSERT_FALSE(nats);
  EXPECT_EQ(nats.error().code, Errc::invalid_argument);
  EXPECT_EQ(nats.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(open_queue("memory", QueueOptions{0}).error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace shot
