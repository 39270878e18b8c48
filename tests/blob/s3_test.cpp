// S3BlobStore against a real s3rver started by the test: the BlobStore
// conformance suite, presigned URLs, credentials and outages. The signing
// itself is proven by sigv4_test (s3rver accepts any secret).

#include <gtest/gtest.h>

#include "blob/s3/s3_blob_store.hpp"
#include "blob_store_conformance.hpp"
#include "net/http_client.hpp"
#include "support/peer_process.hpp"

namespace shot {
namespace {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message

using testing::S3Server;

// One s3rver per test process; each harness gets its own bucket.
S3Server& shared_s3() {
  static S3Server server("conformance");
  static const bool started = server.start();
  if (!started) ADD_FAILURE() << "s3rver did not start:\n" << server.process().log();
  return server;
}

class S3Harness final : public conformance::BlobStoreHarness {
 public:
  std::unique_ptr<BlobStore> open() override {
    auto store = open_blob_store(shared_s3().url());
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
};

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(S3, BlobStoreConformance,
                         ::testing::Values(BlobStoreBackend{
                             "s3", [] { return std::make_unique<S3Harness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

net::HttpResponse fetch_url(const std::string& url) {
  static const auto policy = net::EgressPolicy::create({.allow_private = true}).value();
  net::HttpRequest r;
  r.url = url;
  auto response = net::fetch(r, policy);
  EXPECT_TRUE(response) << response.error().message;
  return response ? *response : net::HttpResponse{};
}

// A presigned URL fetched by a plain client (no credentials) gives the bytes.
TEST(S3BlobStore, PresignedUrlServesTheBlob) {
  auto store = open_blob_store(shared_s3().url());
  ASSERT_OK(store);
  const std::string bytes = "\x89PNG\r\n\x1a\n and more";
  ASSERT_OK((*store)->put("jobs/j/0.png", bytes, "image/png"));
  auto url = (*store)->presign("jobs/j/0.png", std::chrono::seconds(300));
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->starts_with(shared_s3().endpoint() + "/conformance/jobs/j/0.png?X-Amz-"));
  auto got = fetch_url(*url);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, bytes);
  EXPECT_EQ(got.header("content-type").value_or(""), "image/png");
}

TEST(S3BlobStore, PresignCanBeTurnedOff) {
  auto store = open_blob_store(shared_s3().url() + "&presign=false");
  ASSERT_OK(store);
  EXPECT_FALSE((*store)->presign("jobs/j/0.png", std::chrono::seconds(300)));
}

TEST(S3BlobStore, CredentialsFromTheEnvironment) {
  ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  auto store =
      open_blob_store("s3://conformance?endpoint=" + shared_s3().endpoint() + "&path_style=true");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_OK(store);
  ASSERT_OK((*store)->put("env/x", "x", "text/plain"));
  EXPECT_EQ((*store)->get("env/x")->bytes, "x");
}

TEST(S3BlobStore, MissingBucketOrServerIsUnavailable) {
  auto no_bucket = open_blob_store("s3://nope?endpoint=" + shared_s3().endpoint() +
                                   "&path_style=true&access_key=S3RVER&secret_key=S3RVER");
  ASSERT_FALSE(no_bucket);
  EXPECT_EQ(no_bucket.error().code, Errc::unavailable);
  const int port = testing::free_port();  // nothing listens there
  auto down = open_blob_store("s3://b0t?endpoint=http://127.0.0.1:" + std::to_string(port) +
                              "&path_style=true&access_key=a&secret_key=hunter2");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::unavailable);
  EXPECT_EQ(down.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace shot
