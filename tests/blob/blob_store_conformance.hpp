#pragma once
// The behaviour every BlobStore backend must have. A backend's test file makes
// a harness and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(S3, BlobStoreConformance,
//                            ::testing::Values(BlobStoreBackend{"s3", make_s3_harness}),
//                            backend_name);

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "blob/blob_store.hpp"

namespace shot::conformance {

// Owns one test's storage (a temp folder, a fresh bucket, ...).
class BlobStoreHarness {
 public:
  virtual ~BlobStoreHarness() = default;
  // The first call gives an empty store; later calls open the same data again.
  virtual std::unique_ptr<BlobStore> open() = 0;
};

struct BlobStoreBackend {
  std::string name;
  std::function<std::unique_ptr<BlobStoreHarness>()> make;
};

inline void PrintTo(const BlobStoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<BlobStoreBackend>& info) {
  return info.param.name;
}

class BlobStoreConformance : public ::testing::TestWithParam<BlobStoreBackend> {
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
  void reopen() {
    store_.reset();
    store_ = harness_->open();
    ASSERT_TRUE(store_);
  }

  std::unique_ptr<BlobStoreHarness> harness_;
  std::unique_ptr<BlobStore> store_;
};

}  // namespace shot::conformance
