#include "queue_conformance.hpp"

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace shot::conformance {
namespace {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message
#define EXPECT_OK(r) EXPECT_TRUE(r) << (r).error().message

using std::chrono::milliseconds;
using std::chrono::seconds;

// Long enough never to fire on a loaded machine; only a failure waits this long.
constexpr auto kPatience = seconds(10);

// The next delivery; fails the test when none arrives in time.
std::optional<Delivery> next(Queue& queue, Clock::duration within = kPatience) {
  auto d = queue.receive(Deadline::in(within));
  EXPECT_TRUE(d) << d.error().message;
  if (!d) return std::nullopt;
  EXPECT_TRUE(d->has_value()) << "no message arrived";
  return std::move(*d);
}

// True when nothing is delivered within a short wait.
bool stays_empty(Queue& queue, milliseconds wait = milliseconds(150)) {
  auto d = queue.receive(Deadline::in(wait));
  return d && !d->has_value();
}

TEST_P(QueueConformance, DeliversInPublishOrder) {
  auto queue = open();
  for (int i = 0; i < 10; ++i)
    ASSERT_OK(queue->publish("m" + std::to_string(i)));
  for (int i = 0; i < 10; ++i) {
    auto d = next(*queue);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->message(), "m" + std::to_string(i));
    EXPECT_EQ(d->attempt(), 1);
    ASSERT_OK(d->ack());
  }
  EXPECT_TRUE(stays_empty(*queue));
}

TEST_P(QueueConformance, MessagesAreOpaqueBytes) {
  auto queue = open();
  const std::string body = std::string(R"({"job":"abc","item":3})") + '\0' + "\xff\n";
  ASSERT_OK(queue->publish(body));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->message(), body);
  ASSERT_OK(d->ack());
}

TEST_P(QueueConformance, ReceiveOnAnEmptyQueueReturnsAtTheDeadline) {
  auto queue = open();
  const auto start = Clock::now();
  auto d = queue->receive(Deadline::in(milliseconds(200)));
  const auto waited = Clock::now() - start;
  ASSERT_OK(d);
  EXPECT_FALSE(d->has_value());
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_LT(waited, seconds(5));

  // An expired deadline still takes a message that is already there.
  ASSERT_OK(queue->publish("ready"));
  auto now = next(*queue, Clock::duration::zero());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->message(), "ready");
}

TEST_P(QueueConformance, FullQueueIsRateLimited) {
  auto queue = open(3);
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(queue->publish("m" + std::to_string(i)));
  auto full = queue->publish("one too many");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::rate_limited);

  auto d = next(*queue);
  ASSERT_TRUE(d);
  ASSERT_OK(d->ack());
  EXPECT_OK(queue->publish("room again"));
}

TEST_P(QueueConformance, AckRemovesTheMessage) {
  auto queue = open();
  ASSERT_OK(queue->publish("once"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  ASSERT_OK(d->ack());
  EXPECT_TRUE(d->settled());
  EXPECT_TRUE(stays_empty(*queue));
  EXPECT_EQ(queue->depth().value_or(99), 0u);
}

TEST_P(QueueConformance, SettlingTwiceIsConflict) {
  auto queue = open();
  ASSERT_OK(queue->publish("m"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  ASSERT_OK(d->ack());
  EXPECT_EQ(d->ack().error().code, Errc::conflict);
  EXPECT_EQ(d->nack(true).error().code, Errc::conflict);
  EXPECT_TRUE(stays_empty(*queue));
}

TEST_P(QueueConformance, DroppedDeliveryIsRequeued) {
  auto queue = open();
  ASSERT_OK(queue->publish("survivor"));
  {
    auto d = next(*queue);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->attempt(), 1);
    // A worker that dies or returns early drops it unsettled.
  }
  auto again = next(*queue);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message(), "survivor");
  EXPECT_EQ(again->attempt(), 2);
  ASSERT_OK(again->ack());
}

TEST_P(QueueConformance, MovedDeliveryIsSettledOnce) {
  auto queue = open();
  ASSERT_OK(queue->publish("moved"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  Delivery owner = std::move(*d);
  d.reset();  // the moved-from shell must not requeue
  ASSERT_OK(owner.ack());
  EXPECT_TRUE(stays_empty(*queue));
}

TEST_P(QueueConformance, NackRequeuesOrDrops) {
  auto queue = open();
  ASSERT_OK(queue->publish("retry me"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  ASSERT_OK(d->nack(true));
  auto again = next(*queue);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message(), "retry me");
  EXPECT_EQ(again->attempt(), 2);

  ASSERT_OK(again->nack(false));  // poison: gone
  EXPECT_TRUE(stays_empty(*queue));
}

TEST_P(QueueConformance, NackWithDelayComesBackLater) {
  auto queue = open();
  ASSERT_OK(queue->publish("later"));
  auto d = next(*queue);
  ASSERT_TRUE(d);
  const auto nacked = Clock::now();
  ASSERT_OK(d->nack(true, milliseconds(300)));
  auto again = next(*queue);
  ASSERT_TRUE(again);
  EXPECT_GE(Clock::now() - nacked, milliseconds(250));
  EXPECT_EQ(again->message(), "later");
  EXPECT_EQ(again->attempt(), 2);
  ASSERT_OK(again->ack());
}

TEST_P(QueueConformance, AttemptsCountEveryDelivery) {
  auto queue = open();
  ASSERT_OK(queue->publish("flaky"));
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto d = next(*queue);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->attempt(), attempt);
    if (attempt % 2 == 0) {
      ASSERT_OK(d->nack(true));
    }  // else dropped unsettled
  }
}

TEST_P(QueueConformance, DepthCountsWaitingMessages) {
  auto queue = open();
  EXPECT_EQ(queue->depth().value_or(99), 0u);
  for (int i = 0; i < 5; ++i)
    ASSERT_OK(queue->publish("m"));
  EXPECT_EQ(queue->depth().value_or(99), 5u);
  auto d = next(*queue);
  ASSERT_TRUE(d);
  EXPECT_EQ(queue->depth().value_or(99), 4u);
  ASSERT_OK(d->ack());
}

TEST_P(QueueConformance, CloseWakesABlockedReceiver) {
  auto queue = open();
  auto waiting = std::async(std::launch::async, [&] { return queue->receive(Deadline::never()); });
  // Give the receiver a moment to block; the test is right either way.
  std::this_thread::sleep_for(milliseconds(50));
  queue->close();
  ASSERT_EQ(waiting.wait_for(kPatience), std::future_status::ready);
  auto d = waiting.get();
  ASSERT_OK(d);
  EXPECT_FALSE(d->has_value());

  auto after = queue->publish("too late");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Errc::unavailable);
  auto receive = queue->receive(Deadline::in(seconds(5)));
  EXPECT_TRUE(!receive || !receive->has_value());
}

TEST_P(QueueConformance, PublishWakesABlockedReceiver) {
  auto queue = open();
  auto waiting = std::async(std::launch::async, [&] { return queue->receive(Deadline::never()); });
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_OK(queue->publish("wake"));
  ASSERT_EQ(waiting.wait_for(kPatience), std::future_status::ready);
  auto d = waiting.get();
  ASSERT_OK(d);
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->message(), "wake");
  ASSERT_OK((*d)->ack());
}

TEST_P(QueueConformance, DeliveryMayOutliveTheQueue) {
  std::optional<Delivery> d;
  {
    auto queue = open();
    ASSERT_OK(queue->publish("m"));
    d = next(*queue);
    ASSERT_TRUE(d);
  }
  d.reset();  // settles against a queue object that is gone: must not crash
}

TEST_P(QueueConformance, ManyProducersAndConsumersLoseAndDuplicateNothing) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 300;
  constexpr int kConsumers = 4;
  constexpr int kTotal = kProducers * kPerProducer;
  auto queue = open();

  std::mutex mutex;
  std::map<std::string, int> acked;  // message → times acked
  std::atomic<int> done{0};
  std::atomic<int> publish_errors{0};

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        if (!queue->publish(std::to_string(p) + ":" + std::to_string(i))) ++publish_errors;
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      const auto give_up = Deadline::in(seconds(60));
      while (done.load() < kTotal && !give_up.expired()) {
        auto d = queue->receive(Deadline::in(milliseconds(100)));
        if (!d || !d->has_value()) continue;
        Delivery delivery = std::move(**d);
        // Every fifth message fails its first attempt, half of those by a drop.
        const auto& m = delivery.message();
        const bool unlucky = delivery.attempt() == 1 && m.back() % 5 == 0;
        if (unlucky) {
          if (m.back() % 2 == 0) (void)delivery.nack(true);
          continue;
        }
        {
          std::lock_guard lock(mutex);
          ++acked[m];
        }
        if (delivery.ack()) ++done;
      }
    });
  }
  for (auto& t : threads)
    t.join();

  EXPECT_EQ(publish_errors.load(), 0);
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kTotal));
  for (const auto& [message, times] : acked)
    EXPECT_EQ(times, 1) << message;
  EXPECT_TRUE(stays_empty(*queue));
}

TEST_P(QueueConformance, PingSaysReady) {
  auto queue = open();
  EXPECT_OK(queue->ping());
}

}  // namespace
}  // namespace shot::conformance
