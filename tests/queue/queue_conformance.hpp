#pragma once
// The behaviour every Queue backend must have. A backend's test file makes a
// harness and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Amqp, QueueConformance,
//                            ::testing::Values(QueueBackend{"amqp", make_amqp_harness}),
//                            backend_name);

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "queue/queue.hpp"

namespace shot::conformance {

// Owns one test's queue (an in-process queue, a fresh RabbitMQ queue, ...).
class QueueHarness {
 public:
  virtual ~QueueHarness() = default;
  // A queue, empty at first, holding at most `capacity` messages (a broker
  // backend declares it with that length limit and reject-on-overflow).
  virtual std::unique_ptr<Queue> open(std::size_t capacity) = 0;
};

struct QueueBackend {
  std::string name;
  std::function<std::unique_ptr<QueueHarness>()> make;
};

inline void PrintTo(const QueueBackend& backend, std::ostream* os) {
  *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<QueueBackend>& info) {
  return info.param.name;
}

class QueueConformance : public ::testing::TestWithParam<QueueBackend> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(harness_);
  }
  void TearDown() override { harness_.reset(); }

  std::unique_ptr<Queue> open(std::size_t capacity = 10'000) {
    auto queue = harness_->open(capacity);
    EXPECT_TRUE(queue);
    return queue;
  }

  std::unique_ptr<QueueHarness> harness_;
};

}  // namespace shot::conformance
