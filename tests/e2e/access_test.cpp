// End to end: API keys, rate limits and signed URLs on a real `shot serve`.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "core/digest.hpp"
#include "e2e/serve_process.hpp"
#include "http/access.hpp"
#include "http/message.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"

namespace shot::testing {
namespace {

const std::string kAlice = "shot_alice-e2e-key";
const std::string kBob = "shot_bob-e2e-key";
const std::string kSecret = "e2e-signing-secret";

net::HttpHeaders bearer(const std::string& key) {
  net::HttpHeaders h;
  h.emplace_back("Authorization", "Bearer " + key);
  return h;
}

class AccessE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_.route("*", [](const Request&) { return Response{.body = solid_page("#ff0000")}; });
    char tmpl[] = "/tmp/shot-access-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    keys_file_ = dir_ + "/keys.txt";
    std::ofstream(keys_file_) << "# e2e\nalice " << sha256_hex(kAlice) << "\nbob "
                              << sha256_hex(kBob) << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> args(std::vector<std::string> more = {}) {
    std::vector<std::string> a;
    a.push_back("--allow-private");
    a.push_back("--tabs");
    a.push_back("2");
    a.push_back("--api-keys-file");
    a.push_back(keys_file_);
    a.push_back("--signing-secret");
    a.push_back(kSecret);
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }

  // ServeProcess::wait_job sends no key; this one does.
  json::object wait_job(const ServeProcess& shot, const std::string& id, const std::string& key) {
    auto until = Clock::now() + std::chrono::seconds(60);
    json::object job;
    while (Clock::now() < until) {
      job = shot.get("/v1/jobs/" + id, bearer(key)).json();
      auto state = json_string(job, "state");
      if (state == "succeeded" || state == "failed" || state == "partial" || state == "canceled")
        break;
      std::this_thread::sleep_for(Millis(200));
    }
    return job;
  }

  std::string job_body() { return R"({"url":")" + pages_.url("/") + R"("})"; }

  PageServer pages_;
  std::string dir_;
  std::string keys_file_;
};

TEST_F(AccessE2e, KeysAreRequiredAndJobsAreTheirOwners) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());

  auto none = shot.post("/v1/jobs", job_body());
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.content_type, "application/problem+json");
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(shot.get("/v1/jobs").status, 401);
  EXPECT_EQ(shot.post("/v1/jobs", job_body(), bearer("shot_wrong")).status, 401);

  auto created = shot.post("/v1/jobs", job_body(), bearer(kAlice));
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  auto job = wait_job(shot, id, kAlice);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  auto picture = shot.get("/v1/jobs/" + id + "/items/0", bearer(kAlice));
  EXPECT_EQ(picture.status, 200);
  EXPECT_EQ(picture.content_type, "image/png");

  // Bob cannot see, read or cancel Alice's job, and his list is empty.
  EXPECT_EQ(shot.get("/v1/jobs/" + id, bearer(kBob)).status, 404);
  EXPECT_EQ(shot.get("/v1/jobs/" + id + "/items/0", bearer(kBob)).status, 404);
  auto bobs = shot.get("/v1/jobs", bearer(kBob));
  ASSERT_EQ(bobs.status, 200);
  EXPECT_TRUE(bobs.json().at("jobs").as_array().empty()) << bobs.body;
  auto alices = shot.get("/v1/jobs", bearer(kAlice));
  ASSERT_EQ(alices.json().at("jobs").as_array().size(), 1u) << alices.body;

  // Open routes stay open.
  EXPECT_EQ(shot.get("/healthz").status, 200);
  EXPECT_EQ(shot.get("/isalive").status, 200);
}

TEST_F(AccessE2e, OverTheRateIs429WithRetryAfter) {
  ServeProcess shot(args({"--rate-per-second", "0.2", "--rate-burst", "3"}));
  ASSERT_TRUE(shot.start());
  int ok = 0;
  HttpResult limited;
  for (int i = 0; i < 6 && limited.status == 0; ++i) {
    auto r = shot.get("/v1/jobs", bearer(kAlice));
    if (r.status == 200) ++ok;
    if (r.status == 429) limited = r;
  }
  EXPECT_EQ(ok, 3);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.content_type, "application/problem+json");
  int after = std::atoi(limited.header("retry-after").c_str());
  EXPECT_GE(after, 1);
  EXPECT_LE(after, 5);
  EXPECT_EQ(shot.get("/v1/jobs", bearer(kBob)).status, 200);  // bob has his own bucket
}

TEST_F(AccessE2e, SignedScreenshotUrlServesThePictureAndRefusesTampering) {
  ServeProcess shot(args({"--no-seed-routes"}));
  ASSERT_TRUE(shot.start());
  http::QueryParams q;
  q.emplace_back("url", pages_.url("/red"));
  q.emplace_back("width", "400");
  q.emplace_back("height", "300");
  q.emplace_back("wait_until", "load");
  http::UrlSigner signer(kSecret);
  auto target = signer.signed_target("/v1/screenshot", q);
  auto picture = shot.get(target);
  ASSERT_EQ(picture.status, 200) << picture.body;
  EXPECT_EQ(picture.content_type, "image/png");
  auto p = decode_picture(picture.body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 400);
  EXPECT_TRUE(near(p->at(200, 150), 255, 0, 0));

  std::string changed = target;
  changed.replace(changed.find("width=400"), 9, "width=401");
  auto tampered = shot.get(changed);
  EXPECT_EQ(tampered.status, 403);
  EXPECT_EQ(tampered.content_type, "application/problem+json");
  EXPECT_EQ(json_string(tampered.json(), "field"), "signature");
  EXPECT_EQ(shot.get("/v1/screenshot?url=" + http::UrlSigner::encode(pages_.url("/red"))).status,
            401);

  q.emplace_back("expires", "1000");  // 1970
  EXPECT_EQ(shot.get(signer.signed_target("/v1/screenshot", q)).status, 403);

  EXPECT_EQ(shot.get("/isalive").status, 404);  // --no-seed-routes
}

TEST(KeysCommand, NewKeyPrintsTheKeyAndItsLine) {
  std::string command = std::string(SHOT_BINARY) + " keys new alice";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  std::array<char, 256> buf;
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe.get()))
    out.append(buf.data(), n);
  auto newline = out.find('\n');
  ASSERT_NE(newline, std::string::npos) << out;
  std::string key = out.substr(0, newline);
  std::string line = out.substr(newline + 1);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(key.rfind("shot_", 0), 0u) << key;
  EXPECT_EQ(line, "alice " + sha256_hex(key));
}

}  // namespace
}  // namespace shot::testing
