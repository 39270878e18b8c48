#pragma once
// The behaviour every JobStore backend must have. A backend's test file makes a
// harness and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, JobStoreConformance,
//                            ::testing::Values(JobStoreBackend{"redis", make_redis_harness}),
//                            backend_name);

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "store/job_store.hpp"

namespace shot::conformance {

// Owns one test's storage (a temp file, a flushed Redis database, ...).
class JobStoreHarness {
 public:
  virtual ~JobStoreHarness() = default;
  // The first call gives an empty store; later calls open the same data again,
  // as a restarted process would.
  virtual std::unique_ptr<JobStore> open() = 0;
};

struct JobStoreBackend {
  std::string name;
  std::function<std::unique_ptr<JobStoreHarness>()> make;
};

inline void PrintTo(const JobStoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<JobStoreBackend>& info) {
  return info.param.name;
}

class JobStoreConformance : public ::testing::TestWithParam<JobStoreBackend> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(harness_);
    store_ = harness_->open();
    ASSERT_TRUE(store_);
  }
  void TearDown() override {
    store_.reset();
    harness_.reset();
  }
  // Drops the store object and opens the same data again: a restart.
  void reopen() {
    store_.reset();
    store_ = harness_->open();
    ASSERT_TRUE(store_);
  }

  std::unique_ptr<JobStoreHarness> harness_;
  std::unique_ptr<JobStore> store_;
};

}  // namespace shot::conformance
