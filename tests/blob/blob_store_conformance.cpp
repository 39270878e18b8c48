#include "blob_store_conformance.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

namespace shot::conformance {
namespace {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message
#define EXPECT_OK(r) EXPECT_TRUE(r) << (r).error().message

// Bytes that exercise binary safety: NULs, high bytes, a PNG signature.
std::string binary_bytes(std::size_t n, unsigned seed) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s.push_back('\0');
  while (s.size() < n) {
    seed = seed * 1103515245u + 12345u;
    s.push_back(static_cast<char>(seed >> 16));
  }
  s.resize(n);
  return s;
}

TEST_P(BlobStoreConformance, PutThenGetGivesTheSameBytesAndType) {
  const auto bytes = binary_bytes(10'000, 1);
  ASSERT_OK(store_->put("jobs/abc/0.png", bytes, "image/png"));
  auto blob = store_->get("jobs/abc/0.png");
  ASSERT_OK(blob);
  EXPECT_EQ(blob->bytes, bytes);
  EXPECT_EQ(blob->content_type, "image/png");

  auto info = store_->head("jobs/abc/0.png");
  ASSERT_OK(info);
  EXPECT_EQ(info->bytes, 10'000);
  EXPECT_EQ(info->content_type, "image/png");
  EXPECT_EQ(store_->exists("jobs/abc/0.png").value_or(false), true);
}

TEST_P(BlobStoreConformance, EmptyAndLargeBlobs) {
  ASSERT_OK(store_->put("empty", "", "text/plain"));
  auto empty = store_->get("empty");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->bytes.empty());
  EXPECT_EQ(empty->content_type, "text/plain");

  const auto big = binary_bytes(6 * 1024 * 1024 + 7, 2);
  ASSERT_OK(store_->put("big.bin", big, "application/octet-stream"));
  auto got = store_->get("big.bin");
  ASSERT_OK(got);
  EXPECT_EQ(got->bytes.size(), big.size());
  EXPECT_TRUE(got->bytes == big);
}

TEST_P(BlobStoreConformance, PutAgainReplaces) {
  ASSERT_OK(store_->put("k/v.png", "first version", "image/png"));
  ASSERT_OK(store_->put("k/v.png", "second", "image/webp"));
  auto blob = store_->get("k/v.png");
  ASSERT_OK(blob);
  EXPECT_EQ(blob->bytes, "second");
  EXPECT_EQ(blob->content_type, "image/webp");
  EXPECT_EQ(store_->head("k/v.png")->bytes, 6);
  ASSERT_OK(store_->put("k/v.png", "third", "image/png"));
  EXPECT_EQ(store_->get("k/v.png")->content_type, "image/png");
}

TEST_P(BlobStoreConformance, MissingIsNotFound) {
  auto blob = store_->get("nope/0.png");
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, Errc::not_found);
  auto info = store_->head("nope/0.png");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Errc::not_found);
  auto exists = store_->exists("nope/0.png");
  ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
  EXPECT_FALSE(store_->local_path("nope/0.png"));
}

TEST_P(BlobStoreConformance, RemoveDeletesAndIsIdempotent) {
  ASSERT_OK(store_->put("jobs/j/1.png", "x", "image/png"));
  ASSERT_OK(store_->put("jobs/j/2.png", "y", "image/png"));
  ASSERT_OK(store_->remove("jobs/j/1.png"));
  EXPECT_EQ(store_->get("jobs/j/1.png").error().code, Errc::not_found);
  EXPECT_EQ(store_->exists("jobs/j/1.png").value_or(true), false);
  EXPECT_OK(store_->remove("jobs/j/1.png"));
  EXPECT_OK(store_->remove("never/was"));
  EXPECT_EQ(store_->get("jobs/j/2.png")->bytes, "y");  // a neighbour is untouched

  // The key can be written again after removal.
  ASSERT_OK(store_->remove("jobs/j/2.png"));
  ASSERT_OK(store_->put("jobs/j/2.png", "z", "image/png"));
  EXPECT_EQ(store_->get("jobs/j/2.png")->bytes, "z");
}

TEST_P(BlobStoreConformance, BadKeysAreRejectedEverywhere) {
  const std::vector<std::string> bad = {"",
                                        "/etc/passwd",
                                        "../escape",
                                        "a/../../b",
                                        "a/..",
                                        "..",
                                        ".",
                                        "a/./b",
                                        "a//b",
                                        "a/",
                                        "a b",
                                        "a\\b",
                                        "ä.png",
                                        "a?b",
                                        "a\nb",
                                        "%2e%2e",
                                        std::string("a\0b", 3),
                                        std::string(600, 'a')};
  for (const auto& key : bad) {
    SCOPED_TRACE("key: " + key);
    auto put = store_->put(key, "x", "text/plain");
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error().code, Errc::invalid_argument);
    EXPECT_EQ(store_->get(key).error().code, Errc::invalid_argument);
    EXPECT_EQ(store_->head(key).error().code, Errc::invalid_argument);
    EXPECT_EQ(store_->remove(key).error().code, Errc::invalid_argument);
    EXPECT_FALSE(store_->exists(key));
    EXPECT_FALSE(store_->local_path(key));
    EXPECT_FALSE(store_->presign(key, std::chrono::seconds(60)));
  }
}

TEST_P(BlobStoreConformance, GoodKeysAreAccepted) {
  for (const std::string key : {"a", "jobs/0123abc/17.png", "A-Z_a-z.0-9", "x/y/z/w.v.u", ".hidden",
                                "..dots", "dots..", "thumb/abc.jpeg"}) {
    SCOPED_TRACE("key: " + key);
    ASSERT_OK(store_->put(key, key, "text/plain"));
    EXPECT_EQ(store_->get(key)->bytes, key);
  }
}

TEST_P(BlobStoreConformance, CanBeServedWithoutCopying) {
  const auto bytes = binary_bytes(2048, 3);
  ASSERT_OK(store_->put("serve/me.png", bytes, "image/png"));
  auto path = store_->local_path("serve/me.png");
  auto url = store_->presign("serve/me.png", std::chrono::seconds(300));
  ASSERT_TRUE(path || url) << "a backend offers a file or a URL";
  if (path) {
    std::ifstream in(*path, std::ios::binary);
    std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, bytes);
  }
  if (url) {
    EXPECT_FALSE(url->empty());
  }
}

TEST_P(BlobStoreConformance, BlobsSurviveReopening) {
  ASSERT_OK(store_->put("keep/me", "kept", "text/plain"));
  reopen();
  auto blob = store_->get("keep/me");
  ASSERT_OK(blob);
  EXPECT_EQ(blob->bytes, "kept");
  EXPECT_EQ(blob->content_type, "text/plain");
}

TEST_P(BlobStoreConformance, ConcurrentPutsOfOneKeyLeaveOneWholeValue) {
  // Redeliveries of one item race on its key: a reader sees one whole version,
  // also from a server that writes objects in place (s3rver).
  constexpr int kWriters = 6;
  std::vector<std::string> versions;
  for (int i = 0; i < kWriters; ++i)
    versions.push_back(binary_bytes(200'000 + i, 10 + i));
  ASSERT_OK(store_->put("race/0.png", versions[0], "image/png"));

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> errors{0};
  std::thread reader([&] {
    while (!stop) {
      auto blob = store_->get("race/0.png");
      if (!blob) {
        ++errors;
        continue;
      }
      bool whole = false;
      for (const auto& v : versions)
        whole = whole || blob->bytes == v;
      if (!whole) ++torn;
    }
  });
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      for (int n = 0; n < 5; ++n) {
        if (!store_->put("race/0.png", versions[i], "image/png")) ++errors;
      }
    });
  }
  for (auto& t : writers)
    t.join();
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(errors.load(), 0);
}

TEST_P(BlobStoreConformance, PingSaysReady) {
  EXPECT_OK(store_->ping());
}

}  // namespace
}  // namespace shot::conformance
