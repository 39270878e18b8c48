// End to end: with only the test page server allowed, a real `shot serve` and
// real Chromium never reach a canary server on another loopback address, by
// any URL spelling, redirect or sub-resource (DESIGN.md §7).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "e2e/serve_process.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"
#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

// A green page whose every way of reaching out aims at the canaries.
std::string lure_page(const std::string& canary, const std::string& canary_port,
                      const std::string& canary6) {
  std::string decimal = "http://2130706434:" + canary_port;
  std::string html =
      "<!doctype html><html><head><style>html,body{margin:0;background:#00ff00;height:100%}"
      "iframe,img{position:absolute;left:0;top:0;width:8px;height:8px;border:0}</style></head>"
      "<body><img src='" +
      canary + "/img'><img src='" + decimal + "/img-decimal'><iframe src='" + canary +
      "/frame'></iframe>";
  if (!canary6.empty()) html += "<img src='" + canary6 + "/img6'>";
  html += "<script>fetch('" + canary + "/fetch').catch(()=>{});";
  html += "fetch('http://0x7f000002:" + canary_port + "/fetch-hex').catch(()=>{});";
  html += "try{new WebSocket('ws://127.0.0.2:" + canary_port + "/ws')}catch(e){}";
  html += "try{new Worker('" + canary + "/worker.js')}catch(e){}";
  html += "try{new Worker('/worker.js')}catch(e){}";
  html += "</script></body></html>";
  return html;
}

// For a URL inside a query string: the test client refuses raw brackets.
std::string query_escape(const std::string& url) {
  std::string out;
  for (char c : url)
    out += c == '[' ? "%5B" : c == ']' ? "%5D" : std::string(1, c);
  return out;
}

class EgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      canary6_ = std::make_unique<PageServer>("::1");
    } catch (const std::exception&) {
      // No IPv6 on this machine: the ::1 canary is skipped, the rest still runs.
    }
    auto trap = [](const Request&) { return Response{.body = "canary reached"}; };
    canary_.route("*", trap);
    if (canary6_) canary6_->route("*", trap);
    std::string c6 = canary6_ ? canary6_->url("") : "";
    pages_.page("/green", solid_page("#00ff00"));
    pages_.page("/lure", lure_page(canary_.url(""), std::to_string(canary_.port()), c6));
    std::string worker = "fetch('" + canary_.url("/from-worker") +
                         "').catch(()=>{});try{importScripts('" + canary_.url("/import") +
                         "')}catch(e){}";
    pages_.route("/worker.js", [worker](const Request&) {
      return Response{.content_type = "text/javascript", .body = worker};
    });
    std::string target = canary_.url("/redirected");
    pages_.route("/redirect", [target](const Request&) {
      return Response{.status = 302, .headers = {{"Location", target}}};
    });
  }

  std::vector<std::string> args() {
    std::vector<std::string> a;
    a.push_back("--allow-host");
    a.push_back("127.0.0.1:" + std::to_string(pages_.port()));
    a.push_back("--tabs");
    a.push_back("1");
    return a;
  }

  std::size_t canary_requests() const {
    return canary_.total_requests() + (canary6_ ? canary6_->total_requests() : 0);
  }

  PageServer pages_{"127.0.0.1"};
  PageServer canary_{"127.0.0.2"};
  std::unique_ptr<PageServer> canary6_;
};

TEST_F(EgressTest, TheCanaryIsNeverReached) {
  ServeProcess shot(args());
  ASSERT_TRUE(shot.start());

  // Every spelling of the canary is refused at submission, naming the field.
  auto port = std::to_string(canary_.port());
  std::vector<std::string> refused;
  refused.push_back(canary_.url("/"));
  refused.push_back("http://2130706434:" + port + "/");
  refused.push_back("http://0177.0.0.2:" + port + "/");
  refused.push_back("http://0x7f000002:" + port + "/");
  refused.push_back("http://127.2:" + port + "/");
  refused.push_back("http://[::ffff:127.0.0.2]:" + port + "/");
  refused.push_back("http://localhost:" + port + "/");
  if (canary6_) refused.push_back(canary6_->url("/"));
  for (const auto& url : refused) {
    auto r = shot.post("/v1/jobs", R"({"urls":[")" + url + R"("]})");
    EXPECT_GE(r.status, 400) << url << ": " << r.body;
    EXPECT_LT(r.status, 500) << url;
    EXPECT_EQ(json_string(r.json(), "field"), "urls[0]") << url << ": " << r.body;
    auto sync = shot.get("/v1/screenshot?url=" + query_escape(url));
    EXPECT_GE(sync.status, 400) << url;
    EXPECT_LT(sync.status, 500) << url;
  }

  // A webhook to the canary is refused at submission too.
  auto hook = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/green") +
                                        R"("],"callback_url":")" + canary_.url("/hook") + R"("})");
  EXPECT_GE(hook.status, 400) << hook.body;
  EXPECT_LT(hook.status, 500);
  EXPECT_EQ(json_string(hook.json(), "field"), "callback_url") << hook.body;

  // The allowed server renders, through the proxy.
  auto green = shot.get("/v1/screenshot?url=" + pages_.url("/green") + "&wait_until=load");
  ASSERT_EQ(green.status, 200) << green.body;
  auto green_picture = decode_picture(green.body);
  ASSERT_TRUE(green_picture);
  EXPECT_TRUE(near(green_picture->at(640, 400), 0, 255, 0));

  // A page whose img, iframe, fetch, WebSocket and workers aim at the canary
  // still renders; none of them gets through.
  auto lure = shot.get("/v1/screenshot?url=" + pages_.url("/lure") + "&wait_until=load");
  ASSERT_EQ(lure.status, 200) << lure.body;
  auto lure_picture = decode_picture(lure.body);
  ASSERT_TRUE(lure_picture);
  EXPECT_TRUE(near(lure_picture->at(640, 400), 0, 255, 0));
  EXPECT_EQ(pages_.hits("/lure"), 1);

  // A redirect from the allowed server to the canary: the proxy refuses the
  // second hop, and the capture fails as blocked (not a picture of the refusal).
  auto created = shot.post("/v1/jobs", R"({"urls":[")" + pages_.url("/redirect") + R"("]})");
  ASSERT_EQ(created.status, 202) << created.body;
  auto job = shot.wait_job(std::string(json_string(created.json(), "id")), 60);
  auto& item = job.at("items").as_array().at(0).as_object();
  EXPECT_EQ(json_string(item, "state"), "failed") << json::serialize(job);
  ASSERT_TRUE(item.contains("error")) << json::serialize(job);
  EXPECT_EQ(json_string(item.at("error").as_object(), "code"), "blocked") << json::serialize(job);
  EXPECT_EQ(pages_.hits("/redirect"), 1);

  // A name that does not resolve fails cleanly.
  auto unresolvable = shot.post("/v1/jobs", R"({"urls":["http://no-such-host.invalid/"]})");
  ASSERT_EQ(unresolvable.status, 202) << unresolvable.body;
  auto nx = shot.wait_job(std::string(json_string(unresolvable.json(), "id")), 60);
  auto& nx_item = nx.at("items").as_array().at(0).as_object();
  EXPECT_TRUE(nx_item.contains("error") || json_int(nx_item, "http_status") >= 500)
      << json::serialize(nx);

  EXPECT_EQ(canary_requests(), 0u);
  for (const auto& r : canary_.requests())
    ADD_FAILURE() << "canary saw " << r.method << " " << r.target;
}

TEST_F(EgressTest, ANameThatResolvesToTheCanaryIsRefused) {
  // shot runs with its own /etc/hosts, where canary.test is the canary.
  TempDir dir;
  auto hosts = dir.path() / "hosts";
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.2 canary.test\n";
  ServeProcess shot(args());
  shot.use_hosts_file(hosts.string());
  ASSERT_TRUE(shot.start());
  const std::string by_name = "http://canary.test:" + std::to_string(canary_.port());

  // The name passes submission (names are resolved when fetched, once, by the
  // proxy), and the capture fails as blocked: the proxy saw the canary's address.
  auto submitted = shot.post("/v1/jobs", R"({"urls":[")" + by_name + R"(/"]})");
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  auto job = shot.wait_job(std::string(json_string(submitted.json(), "id")), 60);
  auto& item = job.at("items").as_array().at(0).as_object();
  EXPECT_EQ(json_string(item, "state"), "failed") << json::serialize(job);
  ASSERT_TRUE(item.contains("error")) << json::serialize(job);
  EXPECT_EQ(json_string(item.at("error").as_object(), "code"), "blocked") << json::serialize(job);
  auto sync = shot.get("/v1/screenshot?url=" + query_escape(by_name + "/"));
  EXPECT_GE(sync.status, 400) << sync.body;
  EXPECT_LT(sync.status, 500) << sync.body;

  // From inside an allowed page, the name gets no further: the proxy resolves
  // it, sees the canary's address and refuses; the page still renders.
  pages_.page("/lure-by-name",
              "<style>html,body{margin:0;height:100%;background:#00ff00}</style>"
              "<img src='" +
                  by_name + "/img'><script>fetch('" + by_name +
                  "/fetch').catch(() => {})</script>");
  auto lure = shot.get("/v1/screenshot?url=" + pages_.url("/lure-by-name") + "&wait_until=load");
  ASSERT_EQ(lure.status, 200) << lure.body;
  auto picture = decode_picture(lure.body);
  ASSERT_TRUE(picture);
  EXPECT_TRUE(near(picture->at(640, 400), 0, 255, 0));

  EXPECT_EQ(canary_requests(), 0u);
  for (const auto& r : canary_.requests())
    ADD_FAILURE() << "canary saw " << r.method << " " << r.target;
}

}  // namespace
}  // namespace shot::testing
