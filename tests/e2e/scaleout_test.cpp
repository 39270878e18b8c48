// Scale-out under faults: real `shot api` and `shot worker` processes, a real
// RabbitMQ, Redis and S3 server, pages served by the test. What a user must
// never see: an accepted job lost, a picture missing or wrong, a job stuck.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "e2e/serve_process.hpp"
#include "net/egress_policy.hpp"
#include "net/http_client.hpp"
#include "store/job_store.hpp"
#include "support/page_server.hpp"
#include "support/peer_process.hpp"
#include "support/png_reader.hpp"
#include "support/rabbit_server.hpp"
#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RabbitServer& broker() {
  auto* server = RabbitServer::shared();
  if (!server) throw std::runtime_error("no RabbitMQ broker");
  return *server;
}

// One Redis (AOF, fsync always) and one S3 server for the binary, like the broker.
RedisServer& redis() {
  static std::unique_ptr<RedisServer> server = [] {
    auto s = std::make_unique<RedisServer>();
    if (!s->start()) throw std::runtime_error("redis-server did not start: " + s->process().log());
    return s;
  }();
  return *server;
}
S3Server& s3() {
  static std::unique_ptr<S3Server> server = [] {
    auto s = std::make_unique<S3Server>("shot-scaleout");
    if (!s->start()) throw std::runtime_error("s3rver did not start: " + s->process().log());
    return s;
  }();
  return *server;
}

std::string unique_queue() {
  static std::atomic<int> n{0};
  return "scaleout." + std::to_string(::getpid()) + "." + std::to_string(++n);
}

// The tests' own HTTP requests go to loopback servers.
const net::EgressPolicy& private_ok() {
  static const auto policy = net::EgressPolicy::create({.allow_private = true}).value();
  return policy;
}

int progress(const json::object& job, const char* key) {
  auto* p = json_object(job, "progress");
  return p ? static_cast<int>(json_int(*p, key)) : -1;
}

// /c/RRGGBB is a page of that colour, /slow/RRGGBB the same after 1.5 s.
class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_.route("*", [](const Request& r) {
      auto path = r.path();
      if (path.rfind("/c/", 0) == 0) return Response{.body = solid_page("#" + path.substr(3))};
      if (path.rfind("/slow/", 0) == 0)
        return Response{.body = solid_page("#" + path.substr(6)), .delay_ms = 1500};
      if (path.rfind("/crash/", 0) == 0) return Response{.body = solid_page("#000000")};
      return Response{.status = 404, .body = "no"};
    });
    queue_url_ = broker().url() + "?queue=" + unique_queue();
    static int db = 0;
    store_url_ = redis().url(db++ % 16);  // a fresh database per test
  }

  // The flags every node of this test's cluster shares.
  std::vector<std::string> shared_flags(std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--allow-private", "--queue",         queue_url_,
                                  "--store",         store_url_,        "--blobs",
                                  s3().url(),        "--drain-seconds", "2"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  std::unique_ptr<ServeProcess> api(std::vector<std::string> more = {}) {
    return std::make_unique<ServeProcess>(shared_flags(std::move(more)), data_.path().string(),
                                          "api");
  }
  std::unique_ptr<ServeProcess> worker(std::vector<std::string> more = {}) {
    return std::make_unique<ServeProcess>(shared_flags(std::move(more)), data_.path().string(),
                                          "worker");
  }

  static std::string colour(int i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x", (i * 40) % 256, 255 - (i * 25) % 256,
                  (i * 90) % 256);
    return buf;
  }
  static std::string job_body(const std::vector<std::string>& urls) {
    json::array a;
    for (auto& u : urls)
      a.emplace_back(json::string(u));
    json::object options;
    options["wait_until"] = "load";
    json::object body;
    body["urls"] = std::move(a);
    body["options"] = std::move(options);
    body["cache_ttl_s"] = 0;
    return json::serialize(body);
  }
  // The picture of item n has the colour of page n.
  void expect_colour(ServeProcess& api, const std::string& job, int n, const std::string& hex) {
    auto pic = api.get("/v1/jobs/" + job + "/items/" + std::to_string(n));
    if (pic.status == 302) {  // to a presigned S3 URL
      net::HttpRequest r;
      r.url = pic.header("location");
      r.timeout = milliseconds(10'000);
      auto got = net::fetch(r, private_ok());
      ASSERT_TRUE(got) << got.error().message;
      pic.status = got->status;
      pic.body = got->body;
    }
    ASSERT_EQ(pic.status, 200) << pic.body;
    auto decoded = decode_picture(pic.body);
    ASSERT_TRUE(decoded);
    int r = std::stoi(hex.substr(0, 2), nullptr, 16), g = std::stoi(hex.substr(2, 2), nullptr, 16),
        b = std::stoi(hex.substr(4, 2), nullptr, 16);
    EXPECT_TRUE(near(decoded->at(10, 10), r, g, b)) << "item " << n;
  }
  // Pictures stored in S3 for a job: the keys the bucket lists under its prefix.
  std::size_t stored_pictures(const std::string& job) {
    net::HttpRequest r;
    r.url = s3().endpoint() + "/" + s3().bucket() + "?prefix=jobs/" + job + "/";
    r.timeout = milliseconds(10'000);
    auto listing = net::fetch(r, private_ok());
    EXPECT_TRUE(listing && listing->status == 200) << (listing ? listing->body : "");
    if (!listing) return 0;
    std::size_t n = 0;
    for (auto at = listing->body.find("<Key>"); at != std::string::npos;
         at = listing->body.find("<Key>", at + 1))
      ++n;
    return n;
  }

  PageServer pages_;
  TempDir data_;
  std::string queue_url_;
  std::string store_url_;
};

TEST_F(ScaleOutTest, KilledWorkerLosesNoCaptureAndStoresNoneTwice) {
  auto front = api();
  ASSERT_TRUE(front->start());
  auto doomed = worker({"--tabs", "3"});
  ASSERT_TRUE(doomed->start());

  constexpr int kUrls = 9;
  std::vector<std::string> urls;
  for (int i = 0; i < kUrls; ++i)
    urls.push_back(pages_.url("/slow/" + colour(i)));
  auto created = front->post("/v1/jobs", job_body(urls));
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id(json_string(created.json(), "id"));

  // Wait until the doomed worker is loading pages (holding unacked captures), then kill it.
  for (int i = 0; i < 300 && pages_.total_requests() == 0; ++i)
    std::this_thread::sleep_for(milliseconds(50));
  ASSERT_GT(pages_.total_requests(), 0u) << "the worker never started capturing";
  doomed->kill9_and_wait();

  auto a = worker({"--tabs", "2"});
  auto b = worker({"--tabs", "2"});
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(b->start());
  auto job = front->wait_job(id, 180);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(progress(job, "succeeded"), kUrls);
  EXPECT_EQ(progress(job, "failed"), 0);
  for (int i = 0; i < kUrls; ++i)
    expect_colour(*front, id, i, colour(i));
  EXPECT_EQ(stored_pictures(id), static_cast<std::size_t>(kUrls));
}

TEST_F(ScaleOutTest, BrokerDownMeans503AndAcceptedJobsCompleteAfterwards) {
  auto front = api();
  ASSERT_TRUE(front->start());
  auto w = worker({"--tabs", "2"});
  ASSERT_TRUE(w->start());
  // Accepted, and being worked on when the broker goes: acks are lost with
  // the connection, captures are redelivered, and the worker reconnects.
  constexpr int kUrls = 6;
  std::vector<std::string> urls;
  for (int i = 0; i < kUrls; ++i)
    urls.push_back(pages_.url("/slow/" + colour(i)));
  auto accepted = front->post("/v1/jobs", job_body(urls));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id(json_string(accepted.json(), "id"));
  for (int i = 0; i < 300 && pages_.total_requests() == 0; ++i)
    std::this_thread::sleep_for(milliseconds(50));

  broker().process().stop();
  auto refused = front->post("/v1/jobs", job_body({pages_.url("/c/ff0000")}));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(front->get("/readyz").status, 503);
  ASSERT_TRUE(broker().start()) << broker().log();

  auto job = front->wait_job(id, 180);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(progress(job, "succeeded"), kUrls);
  for (int i = 0; i < kUrls; ++i)
    expect_colour(*front, id, i, colour(i));
  // And the API publishes again without a restart.
  auto again = front->post("/v1/jobs", job_body({pages_.url("/c/0000ff")}));
  ASSERT_EQ(again.status, 202) << again.body;
  auto second = front->wait_job(std::string(json_string(again.json(), "id")), 120);
  EXPECT_EQ(json_string(second, "state"), "succeeded") << json::serialize(second);
}

TEST_F(ScaleOutTest, RedisRestartLosesNoAcceptedJob) {
  auto front = api();
  ASSERT_TRUE(front->start());
  auto w = worker({"--tabs", "2"});
  ASSERT_TRUE(w->start());
  constexpr int kUrls = 6;
  std::vector<std::string> urls;
  for (int i = 0; i < kUrls; ++i)
    urls.push_back(pages_.url("/slow/" + colour(i)));
  auto accepted = front->post("/v1/jobs", job_body(urls));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id(json_string(accepted.json(), "id"));
  for (int i = 0; i < 300 && pages_.total_requests() == 0; ++i)
    std::this_thread::sleep_for(milliseconds(50));

  // Restarted mid-job (AOF, fsync on every write): what was accepted is still there.
  ASSERT_TRUE(redis().process().restart()) << redis().process().log();
  auto job = front->wait_job(id, 180);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(progress(job, "succeeded"), kUrls);
  for (int i = 0; i < kUrls; ++i)
    expect_colour(*front, id, i, colour(i));
}

TEST_F(ScaleOutTest, JobStoredButNeverQueuedIsQueuedByAnotherNode) {
  // What an API node that stopped between storing a job and queueing its
  // items leaves behind: the job in the store, nothing on the queue.
  const auto now =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  Job job;
  job.id = "stranded" + std::to_string(::getpid());
  job.options_json = R"({"options":{"wait_until":"load"},"cache_ttl_s":0,"fresh":true})";
  job.created_ms = job.updated_ms = now - 60'000;  // older than the outbox's grace
  constexpr int kUrls = 3;
  for (int i = 0; i < kUrls; ++i) {
    Item item;
    item.url = pages_.url("/c/" + colour(i));
    item.created_ms = job.created_ms;
    job.items.push_back(std::move(item));
  }
  {
    auto store = open_job_store(store_url_);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->create(job));
  }

  auto front = api();
  ASSERT_TRUE(front->start());
  auto w = worker({"--tabs", "2"});
  ASSERT_TRUE(w->start());
  auto done = front->wait_job(job.id, 120);
  EXPECT_EQ(json_string(done, "state"), "succeeded") << json::serialize(done);
  EXPECT_EQ(progress(done, "succeeded"), kUrls);
  for (int i = 0; i < kUrls; ++i)
    expect_colour(*front, job.id, i, colour(i));
  EXPECT_EQ(stored_pictures(job.id), static_cast<std::size_t>(kUrls));  // each captured once
}

TEST_F(ScaleOutTest, CaptureThatAlwaysCrashesItsWorkerIsDeadLetteredAndFailed) {
  // Each delivery of /crash/ kills its worker (a test-only hook); after two
  // deliveries RabbitMQ dead-letters it and a worker marks the item failed.
  const std::vector<std::string> limit = {"--delivery-limit", "2"};
  auto front = api(limit);
  ASSERT_TRUE(front->start());
  auto created =
      front->post("/v1/jobs", job_body({pages_.url("/c/00ff00"), pages_.url("/crash/x")}));
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id(json_string(created.json(), "id"));

  std::vector<std::string> crashing = {"--tabs",          "1",      "--delivery-limit", "2",
                                       "--test-crash-on", "/crash/"};
  json::object job;
  int crashes = 0;
  auto w = worker(crashing);
  for (int round = 0; round < 8; ++round) {
    ASSERT_TRUE(w->start());
    // Until it dies or the job is done.
    for (int i = 0; i < 600 && !w->exited(); ++i) {
      job = front->get("/v1/jobs/" + id).json();
      if (json_string(job, "state") == "partial") break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    if (json_string(job, "state") == "partial") break;
    ++crashes;
    w = worker(crashing);
  }
  EXPECT_EQ(crashes, 2);
  job = front->get("/v1/jobs/" + id).json();
  ASSERT_EQ(json_string(job, "state"), "partial") << json::serialize(job);
  ASSERT_TRUE(job.contains("items") && job.at("items").is_array());
  auto* items = &job.at("items").as_array();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ(json_string(items->at(0).as_object(), "state"), "succeeded");
  auto& poison = items->at(1).as_object();
  EXPECT_EQ(json_string(poison, "state"), "failed");
  auto* error = json_object(poison, "error");
  ASSERT_TRUE(error) << json::serialize(poison);
  EXPECT_EQ(json_string(*error, "code"), "dead_lettered") << json::serialize(poison);
}

}  // namespace
}  // namespace shot::testing
