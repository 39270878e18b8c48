// End to end: a real `shot serve`, real Chromium, pages served by the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/base64.hpp"
#include "core/digest.hpp"
#include "e2e/serve_process.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"

namespace shot::testing {
namespace {

// /c/RRGGBB is a page of that colour; /slow/N answers after N ms.
class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_.route("*", [](const Request& r) {
      auto path = r.path();
      if (path.rfind("/c/", 0) == 0) return Response{.body = solid_page("#" + path.substr(3))};
      if (path.rfind("/slow/", 0) == 0)
        return Response{.body = solid_page("#00ff00"), .delay_ms = std::stoi(path.substr(6))};
      return Response{.status = 404, .body = "no"};
    });
  }
  std::vector<std::string> args(std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--allow-private"};
    if (std::find(more.begin(), more.end(), "--tabs") == more.end())
      more.insert(more.end(), {"--tabs", "2"});
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  std::string urls_json(const std::vector<std::string>& urls) {
    json::array a;
    for (auto& u : urls)
      a.emplace_back(json::string(u));
    return json::serialize(a);
  }
  static std::string colour(int i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x", (i * 40) % 256, 255 - (i * 10) % 256,
                  (i * 90) % 256);
    return buf;
  }
  // POSTs a job of `n` solid pages, item i in colour(i).
  HttpResult post_colour_job(const ServeProcess& shot, int n) {
    std::vector<std::string> urls;
    for (int i = 0; i < n; ++i)
      urls.push_back(pages_.url("/c/" + colour(i)));
    return shot.post("/v1/jobs",
                     R"({"urls":)" + urls_json(urls) + R"(,"options":{"wait_until":"load"}})");
  }
  // The picture `png` of item i shows colour(i).
  static void expect_colour(const std::string& png, int i) {
    auto p = decode_picture(png);
    ASSERT_TRUE(p) << "item " << i;
    auto channel = [&](int at) { return std::stoi(colour(i).substr(at, 2), nullptr, 16); };
    EXPECT_TRUE(near(p->at(640, 400), channel(0), channel(2), channel(4))) << "item " << i;
  }
  PageServer pages_;
};

TEST_F(ServeTest, TwentyUrlJobCompletesWithCorrectPictures) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  auto created = post_colour_job(shot, 20);
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  EXPECT_EQ(json_string(created.json(), "status_url"), "/v1/jobs/" + id);
  auto job = shot.wait_job(id, 120);
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(json_int(*json_object(job, "progress"), "succeeded"), 20);
  auto& items = job.at("items").as_array();
  ASSERT_EQ(items.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    auto& item = items[i].as_object();
    EXPECT_EQ(json_int(item, "width"), 1280);
    EXPECT_EQ(json_int(item, "height"), 800);
    EXPECT_EQ(json_int(item, "http_status"), 200);
    auto pic = shot.get(std::string(json_string(item, "result_url")));
    ASSERT_EQ(pic.status, 200);
    EXPECT_EQ(pic.content_type, "image/png");
    EXPECT_EQ(sha256_hex(pic.body), json_string(item, "sha256"));
    expect_colour(pic.body, i);
  }
}

// --tab-uses bounds how long a tab (and its renderer) lives: with 2, five
// captures on one tab slot take three tabs, and each picture is still right.
TEST_F(ServeTest, TabUsesBoundsTheCapturesOfOneTab) {
  // No spare: one tab at a time, so five captures take exactly three tabs.
  ServeProcess shot(args({"--tabs", "1", "--spare-tabs", "0", "--tab-uses", "2"}));
  ASSERT_TRUE(shot.start());
  auto created = post_colour_job(shot, 5);
  ASSERT_EQ(created.status, 202) << created.body;
  auto job = shot.wait_job(std::string(json_string(created.json(), "id")), 120);
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  auto& items = job.at("items").as_array();
  ASSERT_EQ(items.size(), 5u);
  for (int i = 0; i < 5; ++i)
    expect_colour(shot.get(std::string(json_string(items[i].as_object(), "result_url"))).body, i);
  auto metrics = shot.get("/metrics").body;
  EXPECT_NE(metrics.find("shot_tab_preparations_total{kind=\"opened\"} 3\n"), std::string::npos)
      << metrics;
}

TEST_F(ServeTest, SeedClientFlowAnswersWithTheOldTexts) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  std::string slow = pages_.url("/slow/1500");
  auto created = shot.post("/screenshot", R"({"urls":[")" + slow + R"("]})");
  ASSERT_EQ(created.status, 200);
  EXPECT_NE(created.content_type.find("text/plain"), std::string::npos);
  std::string id = created.body;
  auto early = shot.get("/screenshot/" + id);
  EXPECT_EQ(early.body, "We are still processing your request. Try again later.");
  auto alive = shot.get("/isalive").json();
  EXPECT_EQ(json_string(alive, "status"), "in_progress");
  shot.wait_job(id);
  auto done = shot.get("/screenshot/" + id);
  ASSERT_EQ(done.status, 200);
  auto result = done.json();
  ASSERT_TRUE(result.contains(slow)) << done.body;
  auto png = base64_decode(result.at(slow).as_string());
  ASSERT_TRUE(png);
  EXPECT_EQ(png->substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(json_string(shot.get("/isalive").json(), "status"), "idle");

  auto bad = shot.post("/screenshot",
                       R"({"urls":[")" + pages_.url("/missing-host-returns-404") + R"("]})");
  auto failing = shot.post("/screenshot", R"({"urls":["http://127.0.0.1:1/"]})");
  shot.wait_job(failing.body);
  EXPECT_EQ(shot.get("/screenshot/" + failing.body).body,
            "There was a problem when taking your screenshots.");
}

TEST_F(ServeTest, MalformedRequestsGetProblemJsonNamingTheField) {
  ServeProcess shot(args({"--max-urls-per-job", "5"}));
  ASSERT_TRUE(shot.start());
  struct Case {
    std::string body;
    int status;
    std::string field;
  } cases[] = {
      {"{not json", 400, "body"},
      {"[]", 400, "body"},
      {R"({"urls":[]})", 400, "urls"},
      {R"({"options":{}})", 400, "urls"},
      {R"({"urls":["file:///etc/passwd"]})", 400, "urls[0]"},
      {R"({"urls":["http://a.example/","ftp://x/"]})", 400, "urls[1]"},
      {R"({"urls":["http://1/","http://2/","http://3/","http://4/","http://5/","http://6/"]})", 400,
       "urls"},
      {R"({"urls":["http://a.example/"],"options":{"widht":3}})", 400, "options.widht"},
      {R"({"urls":["http://a.example/"],"options":{"width":99999}})", 400, "options.width"},
      {R"({"urls":["http://a.example/"],"colour":"red"})", 400, "colour"},
  };
  for (auto& c : cases) {
    auto r = shot.post("/v1/jobs", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " → " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << c.body;
    auto p = r.json();
    EXPECT_EQ(json_string(p, "field"), c.field) << c.body << " → " << r.body;
    EXPECT_EQ(json_int(p, "status"), c.status);
    EXPECT_FALSE(json_string(p, "title").empty());
    EXPECT_FALSE(json_string(p, "detail").empty());
  }
  auto big = shot.post("/v1/jobs", R"({"urls":[")" + std::string(11 << 20, 'a') + R"("]})");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.content_type, "application/problem+json");
  auto missing = shot.get("/v1/jobs/doesnotexist");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
}

TEST_F(ServeTest, AcceptedJobsSurviveKillNine) {
  ServeProcess first(args({"--tabs", "1"}));
  ASSERT_TRUE(first.start());
  std::vector<std::string> urls;
  for (int i = 0; i < 10; ++i)
    urls.push_back(pages_.url("/slow/" + std::to_string(400 + i)));
  auto created = first.post("/v1/jobs", R"({"urls":)" + urls_json(urls) + "}");
  ASSERT_EQ(created.status, 202);
  std::string id(json_string(created.json(), "id"));
  std::this_thread::sleep_for(Millis(300));  // one capture under way, the rest queued
  first.kill9_and_wait();

  ServeProcess second(args(), first.data_dir());
  ASSERT_TRUE(second.start());
  auto job = second.wait_job(id, 120);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(json_int(*json_object(job, "progress"), "succeeded"), 10);
}

TEST_F(ServeTest, SigtermFinishesRunningCaptures) {
  ServeProcess shot(args({"--tabs", "1"}));
  ASSERT_TRUE(shot.start());
  auto created = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/slow/2000") + R"("]})");
  std::string id(json_string(created.json(), "id"));
  auto until = Clock::now() + Millis(10000);
  while (pages_.hits("/slow/2000") == 0 && Clock::now() < until)
    std::this_thread::sleep_for(Millis(20));
  ASSERT_EQ(pages_.hits("/slow/2000"), 1);
  shot.sigterm_and_wait();  // the capture under way must finish before exit
  ServeProcess again(args(), shot.data_dir());
  ASSERT_TRUE(again.start());
  auto job = again.get("/v1/jobs/" + id).json();
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(pages_.hits("/slow/2000"), 1);  // done before the stop, not again after
}

// With --log-format json every line is a JSON object, and the request id a
// client sends with a job is answered back and found in the workers' lines;
// /metrics shows the job, its item and the capture's phases.
TEST_F(ServeTest, OneJobInJsonLogsWithItsRequestIdAndInMetrics) {
  ServeProcess shot(args({"--log-format", "json"}));
  shot.keep_log();
  ASSERT_TRUE(shot.start());
  auto created = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/c/123456") + R"("]})",
                           {{"X-Request-Id", "abc-123"}});
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(created.header("x-request-id"), "abc-123");
  auto job = shot.wait_job(std::string(json_string(created.json(), "id")));
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  // Other answers carry an id too: a generated one when none or a bad one is given.
  auto status = shot.get("/healthz");
  EXPECT_FALSE(status.header("x-request-id").empty());
  auto odd = shot.get("/healthz", {{"X-Request-Id", "no spaces/allowed"}});
  EXPECT_NE(odd.header("x-request-id"), "no spaces/allowed");
  EXPECT_FALSE(odd.header("x-request-id").empty());

  // The item's last line is written just after the item is stored as finished.
  std::vector<std::string> with_id;
  for (int tries = 0; tries < 50; ++tries) {
    with_id.clear();
    auto log = shot.log();
    std::istringstream lines(log.substr(0, log.rfind('\n') + 1));  // whole lines only
    for (std::string line; std::getline(lines, line);) {
      auto v = parse_json(line);
      ASSERT_TRUE(v && v->is_object()) << "not a JSON line: " << line;
      auto msg = std::string(json_string(v->as_object(), "msg"));
      if (msg.find("abc-123") != std::string::npos) with_id.push_back(msg);
    }
    if (with_id.size() >= 2) break;
    std::this_thread::sleep_for(Millis(100));
  }
  ASSERT_EQ(with_id.size(), 2u) << shot.log();
  EXPECT_NE(with_id[0].find("started"), std::string::npos) << with_id[0];
  EXPECT_NE(with_id[1].find("succeeded"), std::string::npos) << with_id[1];

  // The same capture in /metrics: its phases timed, its job and item counted.
  auto metrics = shot.get("/metrics").body;
  auto sample = [&](const std::string& series) {
    auto at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + series.size() + 2));
  };
  for (auto* phase : {"queue_wait", "acquire", "navigate", "wait", "capture", "store"}) {
    std::string p = std::string("phase=\"") + phase + "\"";
    EXPECT_EQ(sample("shot_capture_phase_seconds_count{" + p + "}"), 1) << phase << metrics;
    EXPECT_EQ(sample("shot_capture_phase_seconds_bucket{" + p + ",le=\"+Inf\"}"), 1) << phase;
    EXPECT_GE(sample("shot_capture_phase_seconds_sum{" + p + "}"), 0) << phase;
    EXPECT_LT(sample("shot_capture_phase_seconds_sum{" + p + "}"), 60) << phase;
  }
  EXPECT_GT(sample("shot_capture_phase_seconds_sum{phase=\"navigate\"}"), 0);
  EXPECT_EQ(sample("shot_jobs_total{state=\"submitted\"}"), 1) << metrics;
  EXPECT_EQ(sample("shot_jobs_total{state=\"succeeded\"}"), 1);
  EXPECT_EQ(sample("shot_items_total{state=\"succeeded\"}"), 1);
  EXPECT_EQ(sample("shot_items_total{state=\"failed\"}"), 0);
  EXPECT_EQ(sample("shot_items_running"), 0);
  EXPECT_EQ(sample("shot_captures_total{outcome=\"ok\"}"), 1);
  EXPECT_EQ(sample("shot_captures_total{outcome=\"blocked\"}"), 0);
  EXPECT_EQ(sample("shot_webhooks_total{outcome=\"delivered\"}"), 0);
  EXPECT_EQ(sample("shot_queue_depth"), 0);
}

TEST_F(ServeTest, CacheHitDoesNotTouchChromium) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  std::string target = "/v1/screenshot?url=" + pages_.url("/c/ff0000") + "&wait_until=load";
  auto first = shot.get(target);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.content_type, "image/png");
  EXPECT_EQ(first.header("x-shot-cache"), "miss");
  auto second = shot.get(target);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-shot-cache"), "hit");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(pages_.hits("/c/ff0000"), 1);
  auto etag = first.header("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(shot.get(target, {{"If-None-Match", etag}}).status, 304);
  auto fresh = shot.get(target + "&fresh=true");
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(pages_.hits("/c/ff0000"), 2);
  // The second request and the ETag revalidation were both served from the cache.
  auto metrics = shot.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("shot_cache_total{result=\"hit\"} 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("shot_captures_total{outcome=\"ok\"} 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find("shot_http_requests_total{route=\"/v1/screenshot\",status=\"200\"} 3\n"),
      std::string::npos);
  auto bad = shot.get("/v1/screenshot?url=" + pages_.url("/c/ff0000") + "&colour=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_string(bad.json(), "field"), "options.colour");
}

// The cache is looked up only after the egress check: a picture cached while
// loopback was allowed is refused once a restart forbids it, even though it is
// still in the store and was hot in memory.
TEST_F(ServeTest, CachedPictureIsRefusedOnceThePolicyForbidsItsHost) {
  ServeProcess open(args({"--tabs", "1"}));
  ASSERT_TRUE(open.start());
  std::string target = "/v1/screenshot?url=" + pages_.url("/c/00ff00") + "&wait_until=load";
  auto first = open.get(target);
  ASSERT_EQ(first.status, 200) << first.body;
  auto hot = open.get(target);  // from the hot pictures in memory
  ASSERT_EQ(hot.status, 200);
  EXPECT_EQ(hot.header("x-shot-cache"), "hit");
  EXPECT_EQ(hot.body, first.body);
  EXPECT_EQ(hot.header("etag"), first.header("etag"));
  open.sigterm_and_wait();

  ServeProcess closed({"--tabs", "1"}, open.data_dir());  // the default policy: no loopback
  ASSERT_TRUE(closed.start());
  auto refused = closed.get(target);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(json_string(refused.json(), "field"), "url");
  EXPECT_EQ(pages_.hits("/c/00ff00"), 1);
}

// Without the hot pictures (--picture-cache-mb 0) a hit is streamed from disk,
// byte for byte the same, and revalidates the same.
TEST_F(ServeTest, CacheHitWithoutHotPicturesIsServedFromDisk) {
  ServeProcess shot(args({"--picture-cache-mb", "0"}));
  ASSERT_TRUE(shot.start());
  std::string target = "/v1/screenshot?url=" + pages_.url("/c/0000ff") + "&wait_until=load";
  auto first = shot.get(target);
  ASSERT_EQ(first.status, 200) << first.body;
  auto second = shot.get(target);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-shot-cache"), "hit");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(shot.get(target, {{"If-None-Match", first.header("etag")}}).status, 304);
}

TEST_F(ServeTest, IdenticalConcurrentRequestsShareOneCapture) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  std::string target = "/v1/screenshot?url=" + pages_.url("/slow/1000");
  std::vector<std::thread> clients;
  std::vector<int> statuses(10);
  for (int i = 0; i < 10; ++i)
    clients.emplace_back([&, i] { statuses[i] = shot.get(target).status; });
  for (auto& t : clients)
    t.join();
  for (int s : statuses)
    EXPECT_EQ(s, 200);
  EXPECT_EQ(pages_.hits("/slow/1000"), 1);
}

TEST_F(ServeTest, WebhookArrivesSigned) {
  PageServer receiver;
  receiver.route("/hook", [](const Request&) { return Response{.body = "ok"}; });
  ServeProcess shot(args({"--webhook-secret", "s3cret"}));
  ASSERT_TRUE(shot.start());
  auto created =
      shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/c/0000ff") + R"("],"callback_url":")" +
                                receiver.url("/hook") + R"("})");
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  auto until = Clock::now() + Millis(60000);
  while (receiver.hits("/hook") == 0 && Clock::now() < until)
    std::this_thread::sleep_for(Millis(50));
  ASSERT_EQ(receiver.hits("/hook"), 1);
  auto req = receiver.requests().back();
  EXPECT_EQ(json_string(parse_json(req.body)->as_object(), "id"), id);
  EXPECT_EQ(json_string(parse_json(req.body)->as_object(), "state"), "succeeded");
  // X-Shot-Signature: t=<seconds>,v1=<hex hmac of "<t>.<body>">
  auto sig = req.header("x-shot-signature");
  auto comma = sig.find(",v1=");
  ASSERT_EQ(sig.rfind("t=", 0), 0u);
  ASSERT_NE(comma, std::string::npos);
  std::string t = sig.substr(2, comma - 2);
  EXPECT_EQ(sig.substr(comma + 4), hmac_sha256_hex("s3cret", t + "." + req.body));
  EXPECT_NE(sig.substr(comma + 4), hmac_sha256_hex("wrong", t + "." + req.body));
}

TEST_F(ServeTest, IdempotencyKeyReplayReturnsTheSameJob) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  std::string body = R"({"urls":[")" + pages_.url("/c/00ff00") + R"("]})";
  auto a = shot.post("/v1/jobs", body, {{"Idempotency-Key", "order-42"}});
  auto b = shot.post("/v1/jobs", body, {{"Idempotency-Key", "order-42"}});
  ASSERT_EQ(a.status, 202);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(json_string(a.json(), "id"), json_string(b.json(), "id"));
  auto other = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/c/0000ff") + R"("]})",
                         {{"Idempotency-Key", "order-42"}});
  EXPECT_EQ(other.status, 409);
  auto c = shot.post("/v1/jobs", body);
  EXPECT_NE(json_string(c.json(), "id"), json_string(a.json(), "id"));
}

TEST_F(ServeTest, FullQueueAnswers429WithRetryAfter) {
  ServeProcess shot(args({"--tabs", "1", "--max-queue", "3"}));
  ASSERT_TRUE(shot.start());
  std::vector<std::string> urls;
  for (int i = 0; i < 3; ++i)
    urls.push_back(pages_.url("/slow/" + std::to_string(3000 + i)));
  auto first = shot.post("/v1/jobs", R"({"urls":)" + urls_json(urls) + "}");
  ASSERT_EQ(first.status, 202);
  auto second = shot.post("/v1/jobs", R"({"urls":)" + urls_json(urls) + "}");
  EXPECT_EQ(second.status, 429) << second.body;
  EXPECT_EQ(second.content_type, "application/problem+json");
  EXPECT_FALSE(second.header("retry-after").empty());
}

TEST_F(ServeTest, ShotSubmitWritesEveryPicture) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  auto dir = shot.data_dir() + "/submit-out";
  auto list = shot.data_dir() + "/urls.txt";
  {
    std::ofstream f(list);
    f << "# three pages\n"
      << pages_.url("/c/ff0000") << "\n\n"
      << pages_.url("/c/00ff00") << "\n"
      << pages_.url("/c/0000ff") << "\n";
  }
  std::string cmd = std::string(SHOT_BINARY) + " submit " + list + " --server " + shot.base_url() +
                    " -o " + dir + " --wait-until load 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  }
  EXPECT_EQ(files, 3);
  {
    std::ofstream f(list, std::ios::app);
    f << "not a url\n";
  }
  std::string bad = std::string(SHOT_BINARY) + " submit " + list + " --server " + shot.base_url() +
                    " -o " + dir + " 2>&1 | grep -q 'line 6'";
  EXPECT_EQ(std::system(bad.c_str()), 0);
}

TEST_F(ServeTest, EventsStreamProgressUntilDone) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  auto created = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/slow/800") + R"(",")" +
                                           pages_.url("/c/123456") + R"("]})");
  std::string id(json_string(created.json(), "id"));
  auto events = shot.get("/v1/jobs/" + id + "/events");  // the stream ends with the job
  ASSERT_EQ(events.status, 200);
  EXPECT_NE(events.content_type.find("text/event-stream"), std::string::npos);
  EXPECT_NE(events.body.find("event: progress"), std::string::npos) << events.body;
  auto done = events.body.find("event: done");
  ASSERT_NE(done, std::string::npos) << events.body;
  auto data = events.body.substr(done);
  data = data.substr(data.find("data: ") + 6);
  auto final_state = parse_json(data.substr(0, data.find('\n')));
  ASSERT_TRUE(final_state);
  EXPECT_EQ(json_string(final_state->as_object(), "state"), "succeeded");
}

TEST_F(ServeTest, CancelAndListJobs) {
  ServeProcess shot(args({"--tabs", "1"}));
  ASSERT_TRUE(shot.start());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = shot.post(
        "/v1/jobs", R"({"urls":[")" + pages_.url("/slow/" + std::to_string(1500 + i)) + R"("]})");
    ids.emplace_back(json_string(r.json(), "id"));
  }
  auto canceled = shot.del("/v1/jobs/" + ids[2]);
  EXPECT_EQ(canceled.status, 200);
  EXPECT_EQ(json_string(canceled.json(), "state"), "canceled");
  auto page = shot.get("/v1/jobs?limit=2").json();
  auto& jobs = page.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(json_string(jobs[0].as_object(), "id"), ids[2]);  // newest first
  EXPECT_EQ(json_string(jobs[1].as_object(), "id"), ids[1]);
  auto rest =
      shot.get("/v1/jobs?limit=2&cursor=" + std::string(json_string(page, "next_cursor"))).json();
  ASSERT_EQ(rest.at("jobs").as_array().size(), 1u);
  EXPECT_EQ(json_string(rest.at("jobs").as_array()[0].as_object(), "id"), ids[0]);
  shot.wait_job(ids[1]);
  EXPECT_EQ(pages_.hits("/slow/1502"), 0);                // the canceled job never reached Chromium
  EXPECT_EQ(shot.del("/v1/jobs/" + ids[1]).status, 409);  // already finished
}

TEST_F(ServeTest, OpenApiDescribesEveryRouteAndOption) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());
  auto doc = shot.get("/openapi.json").json();
  auto& paths = doc.at("paths").as_object();
  for (auto path :
       {"/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/jobs/{id}/items/{n}",
        "/v1/screenshot", "/healthz", "/readyz", "/screenshot", "/screenshot/{id}", "/isalive"})
    EXPECT_TRUE(paths.contains(path)) << path;
  auto& options =
      doc.at("components").at("schemas").at("CaptureOptions").at("properties").as_object();
  for (auto name : {"width", "full_page", "format", "wait_until", "block_resources", "basic_auth",
                    "timeout_ms"})
    EXPECT_TRUE(options.contains(name)) << name;
  auto ready = shot.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(json_string(*json_object(ready.json(), "checks"), "browser"), "ok");
}

}  // namespace
}  // namespace shot::testing
