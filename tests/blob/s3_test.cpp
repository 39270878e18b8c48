// S3BlobStore against a real s3rver started by the test: the BlobStore
// conformance suite, presigned URLs, credentials, outages, and (against a
// test server) reads caught mid-write by a server that writes in place. The
// signing itself is proven by sigv4_test (s3rver accepts any secret).

#include <gtest/gtest.h>

#include <atomic>

#include "blob/s3/s3_blob_store.hpp"
#include "blob_store_conformance.hpp"
#include "net/http_client.hpp"
#include "support/page_server.hpp"
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

// An S3 look-alike that writes objects in place answers a GET racing a PUT
// with part of the bytes and an ETag that is empty (its MD5 being rewritten)
// or the old MD5. Such reads are read again; a read that never comes whole
// ends, after a bounded number of tries, as unavailable.
class InPlaceWriter {
 public:
  // GETs of /bkt/k answer `torn` reads first, then the whole object.
  explicit InPlaceWriter(std::vector<std::pair<std::string, std::string>> torn)
      : torn_(std::move(torn)) {
    server_.route("/bkt", [](const testing::Request&) { return testing::Response{}; });
    server_.route("/bkt/k", [this](const testing::Request&) {
      const auto n = static_cast<std::size_t>(gets_++);
      const auto& [etag, body] = n < torn_.size() ? torn_[n] : kWhole;
      return testing::Response{
          .content_type = "image/png", .body = body, .headers = {{"ETag", etag}}};
    });
  }
  std::string url() const {
    return "s3://bkt?endpoint=http://127.0.0.1:" + std::to_string(server_.port()) +
           "&path_style=true&access_key=a&secret_key=b";
  }
  int gets() const { return gets_; }

  // The object and the MD5 of its bytes, as S3 gives a single-part upload.
  static inline const std::pair<std::string, std::string> kWhole{
      "\"5a555745ed3d86c6afcafe1981f2e378\"", "the whole object"};

 private:
  std::vector<std::pair<std::string, std::string>> torn_;
  std::atomic<int> gets_{0};
  testing::PageServer server_;
};

TEST(S3BlobStore, ReadsCaughtMidWriteAreReadAgain) {
  InPlaceWriter server({{"\"\"", "the whole"},
                        {InPlaceWriter::kWhole.first, "the whole obj"},
                        {"\"5a555745ed3d86c6\"", "the whole object"}});
  auto store = open_blob_store(server.url());
  ASSERT_OK(store);
  auto blob = (*store)->get("k");
  ASSERT_OK(blob);
  EXPECT_EQ(blob->bytes, "the whole object");
  EXPECT_EQ(blob->content_type, "image/png");
  EXPECT_EQ(server.gets(), 4);
}

TEST(S3BlobStore, AnObjectThatNeverReadsWholeIsUnavailableAfterBoundedTries) {
  std::vector<std::pair<std::string, std::string>> torn(100, {"\"\"", "the whole"});
  InPlaceWriter server(torn);
  auto store = open_blob_store(server.url());
  ASSERT_OK(store);
  auto blob = (*store)->get("k");
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, Errc::unavailable);
  EXPECT_NE(blob.error().message.find("do not match their ETag"), std::string::npos)
      << blob.error().message;
  EXPECT_EQ(server.gets(), 10);
}

}  // namespace
}  // namespace shot
