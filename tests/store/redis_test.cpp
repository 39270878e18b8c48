// RedisJobStore against a real redis-server (AOF, fsync always) started by the
// test: the shared conformance suite, then what only a network store has to
// survive — a server restart under a live store object.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "job_store_conformance.hpp"
#include "store/redis/redis_client.hpp"
#include "store/redis/redis_job_store.hpp"
#include "support/peer_process.hpp"

namespace shot {
namespace {

using testing::RedisServer;

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message

// One server per test process; each harness gets its own key prefix, so the
// data of one test never meets another's.
RedisServer& shared_redis() {
  // Stopped (and its folder removed) when the process exits.
  static RedisServer server;
  static const bool started = server.start();
  if (!started) ADD_FAILURE() << "redis-server did not start:\n" << server.process().log();
  return server;
}

std::string fresh_prefix() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(++n) + ":";
}

class RedisHarness final : public conformance::JobStoreHarness {
 public:
  std::unique_ptr<JobStore> open() override {
    auto store = open_job_store(shared_redis().url() + "?prefix=" + prefix_);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

 private:
  std::string prefix_ = fresh_prefix();
};

Job make_job(std::string id, int n, std::int64_t created_ms) {
  Job job;
  job.id = std::move(id);
  job.created_ms = created_ms;
  job.updated_ms = created_ms;
  for (int i = 0; i < n; ++i) {
    Item item;
    item.url = "https://example.com/" + std::to_string(i);
    job.items.push_back(item);
  }
  return job;
}

ItemResult success(std::string blob_key) {
  ItemResult r;
  r.blob_key = std::move(blob_key);
  r.content_type = "image/png";
  r.finished_ms = 5000;
  return r;
}

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(Redis, JobStoreConformance,
                         ::testing::Values(JobStoreBackend{
                             "redis", [] { return std::make_unique<RedisHarness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

// Accepted jobs survive the server going away — stopped, then killed with -9 —
// and the same store object carries on without being reopened.
TEST(RedisJobStore, ServerRestartsLoseNoAcceptedJob) {
  RedisServer redis;
  ASSERT_TRUE(redis.start()) << redis.process().log();
  auto store = open_job_store(redis.url());
  ASSERT_OK(store);
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i)
    ASSERT_OK((*store)->create(make_job("job-" + std::to_string(i), 3, 1000 + i)));
  ASSERT_OK((*store)->start_item("job-0", 0, 2000));
  ASSERT_OK((*store)->finish_item("job-0", 1, success("jobs/job-0/1.png")));

  ASSERT_TRUE(redis.process().restart()) << redis.process().log();
  auto page = (*store)->list({1000, "", ""});
  ASSERT_OK(page);
  EXPECT_EQ(page->jobs.size(), static_cast<std::size_t>(kJobs));
  auto unfinished = (*store)->unfinished();
  ASSERT_OK(unfinished);
  EXPECT_EQ(unfinished->size(), static_cast<std::size_t>(kJobs * 3 - 1));

  // Accepted just before a kill -9: fsync on every write keeps it.
  ASSERT_OK((*store)->create(make_job("last", 2, 9000)));
  ASSERT_OK((*store)->finish_item("job-0", 2, success("jobs/job-0/2.png")));
  redis.process().kill9();
  EXPECT_EQ((*store)->ping().error().code, Errc::unavailable);
  EXPECT_EQ((*store)->get("last", false).error().code, Errc::unavailable);
  ASSERT_TRUE(redis.process().start()) << redis.process().log();

  auto last = (*store)->get("last", true);
  ASSERT_OK(last);
  EXPECT_EQ(last->items.size(), 2u);
  auto first = (*store)->get("job-0", true);
  ASSERT_OK(first);
  EXPECT_EQ(first->items[0].state, ItemState::running);
  EXPECT_EQ(first->items[1].blob_key, "jobs/job-0/1.png");
  EXPECT_EQ(first->items[2].blob_key, "jobs/job-0/2.png");
  EXPECT_EQ(first->succeeded, 2);
  EXPECT_EQ((*store)->list({1000, "", ""})->jobs.size(), static_cast<std::size_t>(kJobs + 1));

  // And work goes on.
  auto done = (*store)->finish_item("job-0", 0, success("jobs/job-0/0.png"));
  ASSERT_OK(done);
  EXPECT_TRUE(done->job_done);
  EXPECT_EQ(done->job.state, JobState::succeeded);
  EXPECT_TRUE((*store)->ping());
}

// A cache entry whose expiry is a wall-clock time ahead gets Redis's own TTL.
TEST(RedisJobStore, CacheEntriesGetANativeTtl) {
  auto store = open_job_store(shared_redis().url() + "?prefix=ttl:");
  ASSERT_OK(store);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ASSERT_OK((*store)->cache_put("k", {"b.png", "image/png", 1, 1, 1, "", "", now + 3'600'000}));
  auto conn = redis::Connection::open(*redis::parse_endpoint(shared_redis().url()), Millis(2000));
  ASSERT_OK(conn);
  auto ttl = (*conn)->run({"PTTL", "ttl:cache:k"});
  ASSERT_OK(ttl);
  EXPECT_GT(ttl->integer, 3'500'000);
  EXPECT_LE(ttl->integer, 3'600'000);
  EXPECT_TRUE((*store)->cache_get("k", now)->has_value());
}

TEST(RedisJobStore, BadUrlsAndUnreachableServersAreClearErrors) {
  for (const char* url : {"redis://", "redis://127.0.0.1:6379/x", "redis://127.0.0.1/0?nope=1"}) {
    auto store = open_job_store(url);
    ASSERT_FALSE(store) << url;
    EXPECT_EQ(store.error().code, Errc::invalid_argument) << url;
  }
  const int port = testing::free_port();  // nothing listens there
  auto down = open_job_store("redis://user:secret@127.0.0.1:" + std::to_string(port) + "/0");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::unavailable);
  EXPECT_EQ(down.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace shot
