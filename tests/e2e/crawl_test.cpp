// End to end: crawls of a generated 40-page site on 127.0.0.1 through a real
// `shot serve` and real Chromium, with only the test servers allowed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/serve_process.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"
#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

using Pages = std::set<std::string>;

std::string anchor(const std::string& href) {
  return "<a href='" + href + "'>" + href + "</a> ";
}

// Site A: /pN links to /p(2N+1) and /p(2N+2) (a binary tree of 40 pages) and
// back to /p0; /p0 also links to site B. /p2 gets a link to /js from a script
// (the raw HTML does not hold it). Site B: /b0 links to /b1 and to A's /p39.
// /slow/pN is the same tree, answering after 150 ms.
void build_site(PageServer& a, PageServer& b) {
  std::string b_url = b.url("/b0");
  a.route("*", [b_url](const Request& r) {
    std::string path = r.path();
    bool slow = path.rfind("/slow/", 0) == 0;
    if (slow) path = path.substr(5);
    if (path == "/js") return Response{.body = "<!doctype html><title>js</title>no links"};
    if (path == "/robots.txt")
      return Response{.content_type = "text/plain",
                      .body = "User-agent: *\nDisallow: /p2$\nDisallow: /slow/p2$\n"};
    if (path.rfind("/p", 0) != 0) return Response{.status = 404, .body = "no"};
    int n = std::stoi(path.substr(2));
    std::string prefix = slow ? "/slow" : "";
    std::string html = "<!doctype html><title>p" + std::to_string(n) + "</title><body>";
    for (int c : {2 * n + 1, 2 * n + 2})
      if (c < 40) html += anchor(prefix + "/p" + std::to_string(c) + "#part");
    html += anchor(prefix + "/p0#top") + anchor("mailto:someone@example.com");
    if (n == 0 && !slow) html += anchor(b_url);
    if (n == 2)
      html +=
          "<script>const a = document.createElement('a'); a.href = '/' + 'j' + 's';"
          " a.textContent = 'added'; document.body.appendChild(a);</script>";
    return Response{.body = html + "</body>", .delay_ms = slow ? 150 : 0};
  });
  std::string back = a.url("/p39");
  b.route("*", [back](const Request& r) {
    if (r.path() == "/b0") return Response{.body = anchor("/b1") + anchor(back)};
    if (r.path() == "/b1") return Response{.body = "the end"};
    return Response{.status = 404, .body = "no"};
  });
}

class CrawlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    a_ = new PageServer();
    b_ = new PageServer();
    build_site(*a_, *b_);
    shot_ = new ServeProcess(args());
    ASSERT_TRUE(shot_->start());
  }
  static void TearDownTestSuite() {
    delete shot_;
    delete b_;
    delete a_;
  }
  static std::vector<std::string> args() {
    return {"--allow-host", "127.0.0.1:" + std::to_string(a_->port()),
            "--allow-host", "127.0.0.1:" + std::to_string(b_->port()),
            "--tabs",       "2"};
  }

  // A page as the tests name it: "/p3" on A, "B/b0" on B.
  static std::string name_of(std::string_view url) {
    std::string a = a_->url(""), b = b_->url("");
    if (url.rfind(a, 0) == 0) return std::string(url.substr(a.size()));
    if (url.rfind(b, 0) == 0) return "B" + std::string(url.substr(b.size()));
    return std::string(url);
  }

  static json::object crawl(ServeProcess& shot, const std::string& fields,
                            const std::string& start = "/p0") {
    std::string body = R"({"start_url":")" + a_->url(start) + R"(",)" + fields +
                       R"(,"options":{"width":320,"height":200,"wait_until":"load"}})";
    auto created = shot.post("/v1/crawls", body);
    EXPECT_EQ(created.status, 202) << created.body;
    std::string id(json_string(created.json(), "id"));
    auto job = shot.wait_job(id, 120);
    EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
    EXPECT_EQ(json_string(job, "kind"), "crawl");
    return job;
  }

  static Pages pages_of(const json::object& job) {
    Pages out;
    if (auto* items = job.if_contains("items"))
      for (auto& item : items->as_array())
        out.insert(name_of(json_string(item.as_object(), "url")));
    return out;
  }

  static PageServer* a_;
  static PageServer* b_;
  static ServeProcess* shot_;
};

PageServer* CrawlTest::a_ = nullptr;
PageServer* CrawlTest::b_ = nullptr;
ServeProcess* CrawlTest::shot_ = nullptr;

TEST_F(CrawlTest, BfsTakesTheNearestTenPagesWithParentsAndDepths) {
  auto job = crawl(*shot_, R"("max_pages":10,"strategy":"bfs")");
  // /js is in: the link the script added to /p2 was followed.
  EXPECT_EQ(pages_of(job),
            (Pages{"/p0", "/p1", "/p2", "/p3", "/p4", "/p5", "/p6", "/js", "/p7", "/p8"}));
  std::map<std::string, std::pair<std::string, int>> parent_depth;
  auto& items = job.at("items").as_array();
  for (auto& v : items) {
    auto& item = v.as_object();
    auto parent = json_int(item, "parent");
    std::string parent_name =
        parent < 0 ? "" : name_of(json_string(items[parent].as_object(), "url"));
    parent_depth[name_of(json_string(item, "url"))] = {parent_name,
                                                       static_cast<int>(json_int(item, "depth"))};
  }
  using PD = std::pair<std::string, int>;
  EXPECT_EQ(parent_depth["/p0"], (PD{"", 0}));
  EXPECT_EQ(parent_depth["/p2"], (PD{"/p0", 1}));
  EXPECT_EQ(parent_depth["/js"], (PD{"/p2", 2}));
  EXPECT_EQ(parent_depth["/p8"], (PD{"/p3", 3}));
  EXPECT_EQ(json_int(*json_object(job, "progress"), "total"), 10);
}

TEST_F(CrawlTest, DfsGoesDeepFirst) {
  auto job = crawl(*shot_, R"("max_pages":10,"strategy":"dfs")");
  EXPECT_EQ(pages_of(job),
            (Pages{"/p0", "/p1", "/p3", "/p7", "/p15", "/p31", "/p32", "/p16", "/p33", "/p34"}));
}

TEST_F(CrawlTest, MaxDepthOneAndTwo) {
  EXPECT_EQ(pages_of(crawl(*shot_, R"("max_pages":100,"max_depth":1)")),
            (Pages{"/p0", "/p1", "/p2"}));
  EXPECT_EQ(pages_of(crawl(*shot_, R"("max_pages":100,"max_depth":2)")),
            (Pages{"/p0", "/p1", "/p2", "/p3", "/p4", "/p5", "/p6", "/js"}));
}

TEST_F(CrawlTest, SameOriginStaysAnyFollowsTheSecondOrigin) {
  EXPECT_EQ(pages_of(crawl(*shot_, R"("max_pages":100,"max_depth":1,"scope":"same-origin")")),
            (Pages{"/p0", "/p1", "/p2"}));
  EXPECT_EQ(
      pages_of(crawl(*shot_, R"("max_pages":100,"max_depth":2,"scope":"any")")),
      (Pages{"/p0", "/p1", "/p2", "B/b0", "/p3", "/p4", "/p5", "/p6", "/js", "B/b1", "/p39"}));
}

TEST_F(CrawlTest, IncludeAndExclude) {
  // Only /pN pages (not /js), and none of /p10.../p29.
  auto job = crawl(*shot_, R"("max_pages":100,"include":["/p\\d+$"],"exclude":["/p[12]\\d$"])");
  EXPECT_EQ(pages_of(job),
            (Pages{"/p0", "/p1", "/p2", "/p3", "/p4", "/p5", "/p6", "/p7", "/p8", "/p9"}));
}

TEST_F(CrawlTest, RobotsTxtIsRespectedWhenAsked) {
  EXPECT_EQ(pages_of(crawl(*shot_, R"("max_pages":100,"max_depth":1,"respect_robots":true)")),
            (Pages{"/p0", "/p1"}));
  EXPECT_GE(a_->hits("/robots.txt"), 1);
}

TEST_F(CrawlTest, BadRequestsNameTheField) {
  struct Case {
    std::string body, field;
  };
  std::string start = R"("start_url":")" + a_->url("/p0") + R"(")";
  for (auto& c : std::vector<Case>{
           {"{}", "start_url"},
           {R"({"start_url":"ftp://x/"})", "start_url"},
           {"{" + start + R"(,"max_pages":10001})", "max_pages"},
           {"{" + start + R"(,"max_depth":-1})", "max_depth"},
           {"{" + start + R"(,"strategy":"random"})", "strategy"},
           {"{" + start + R"(,"scope":"planet"})", "scope"},
           {"{" + start + R"(,"include":["("]})", "include[0]"},
           {"{" + start + R"(,"exclude":["ok","(a)\\1"]})", "exclude[1]"},
           {"{" + start + R"(,"options":{"width":1}})", "options.width"},
           {"{" + start + R"(,"nope":1})", "nope"},
       }) {
    auto r = shot_->post("/v1/crawls", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " → " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << c.body;
    EXPECT_EQ(json_string(r.json(), "field"), c.field) << c.body << " → " << r.body;
  }
}

TEST_F(CrawlTest, SeedRoutesAnswerAsTheOriginalDid) {
  auto created = shot_->post("/screenshots",
                             R"({"start_url":")" + a_->url("/p0") + R"(","number_of_links":3})");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id(json_string(created.json(), "id"));
  ASSERT_FALSE(id.empty());
  auto job = shot_->wait_job(id, 120);
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);

  auto listed = shot_->get("/screenshots/" + id);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.content_type, "application/json");
  auto links = parse_json(listed.body);
  ASSERT_TRUE(links && links->is_array()) << listed.body;
  ASSERT_EQ(links->as_array().size(), 3u);  // the start page counts
  for (auto& link : links->as_array()) {
    std::string url(link.as_string());
    ASSERT_EQ(url.rfind(shot_->base_url() + "/screenshots/" + id + "/", 0), 0u) << url;
    auto picture = shot_->get(url.substr(shot_->base_url().size()));
    EXPECT_EQ(picture.status, 200);
    EXPECT_EQ(picture.content_type, "image/png");
    auto png = decode_picture(picture.body);
    ASSERT_TRUE(png);
    EXPECT_EQ(png->width, 1280);
  }
  EXPECT_EQ(pages_of(job), (Pages{"/p0", "/p1", "/p2"}));

  EXPECT_EQ(shot_->get("/screenshots/unknown").status, 404);
  auto bad = shot_->post("/screenshots",
                         R"({"start_url":")" + a_->url("/p0") + R"(","number_of_links":0})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_string(bad.json(), "field"), "number_of_links");
  auto alive = shot_->get("/isalive");
  EXPECT_EQ(alive.status, 200);
  EXPECT_FALSE(json_string(alive.json(), "status").empty());
}

TEST_F(CrawlTest, OpenApiDescribesTheCrawlRoute) {
  auto doc = shot_->get("/openapi.json").json();
  auto& paths = doc.at("paths").as_object();
  for (auto path : {"/v1/crawls", "/screenshots", "/screenshots/{id}"})
    EXPECT_TRUE(paths.contains(path)) << path;
  auto& props = doc.at("components").at("schemas").at("CrawlRequest").at("properties").as_object();
  for (auto name : {"start_url", "max_pages", "max_depth", "strategy", "scope", "include",
                    "exclude", "respect_robots", "options"})
    EXPECT_TRUE(props.contains(name)) << name;
}

// Killed while pages are being captured, the crawl goes on after a restart and
// ends with the same pages.
TEST_F(CrawlTest, ACrawlSurvivesKillNine) {
  ServeProcess first(args());
  ASSERT_TRUE(first.start());
  std::string body =
      R"({"start_url":")" + a_->url("/slow/p0") +
      R"(","max_pages":12,"options":{"width":320,"height":200,"wait_until":"load"}})";
  auto created = first.post("/v1/crawls", body);
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  // Wait until the crawl has grown past its start page, then kill it.
  for (int i = 0; i < 600; ++i) {
    auto job = first.get("/v1/jobs/" + id).json();
    if (json_int(*json_object(job, "progress"), "total") >= 3) break;
    std::this_thread::sleep_for(Millis(20));
  }
  first.kill9_and_wait();

  ServeProcess second(args(), first.data_dir());
  ASSERT_TRUE(second.start());
  auto job = second.wait_job(id, 120);
  EXPECT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  Pages expected;
  for (auto p :
       {"/p0", "/p1", "/p2", "/p3", "/p4", "/p5", "/p6", "/js", "/p7", "/p8", "/p9", "/p10"})
    expected.insert(std::string(p) == "/js" ? "/js" : "/slow" + std::string(p));
  EXPECT_EQ(pages_of(job), expected);
}

// `shot crawl ARGS -o OUT`, its output kept in DIR: its exit status and what it printed.
struct CrawlRun {
  int status;
  std::string log;
};
CrawlRun run_shot_crawl(const std::string& args, const TempDir& dir, const std::string& out) {
  auto log_path = (dir.path() / "log").string();
  int status = std::system(
      (std::string(SHOT_BINARY) + " crawl " + args + " -o " + out + " > " + log_path + " 2>&1")
          .c_str());
  std::stringstream log;
  log << std::ifstream(log_path).rdbuf();
  return {status, log.str()};
}

// `shot crawl` without a server: the same pages as the API's bfs crawl, one
// picture each, and crawl.json naming them.
TEST_F(CrawlTest, CommandLineCrawlWritesPicturesAndAManifest) {
  TempDir dir;
  std::string out = (dir.path() / "site").string();
  auto [status, log] =
      run_shot_crawl(a_->url("/p0") +
                         " --max-pages 10 --max-depth 3 --scope same-origin --tabs 2"
                         " --width 320 --height 200 --wait-until load",
                     dir, out);
  ASSERT_EQ(status, 0) << log;
  std::ifstream manifest_file(std::filesystem::path(out) / "crawl.json");
  std::stringstream text;
  text << manifest_file.rdbuf();
  auto manifest = parse_json(text.str());
  ASSERT_TRUE(manifest && manifest->is_object()) << text.str();
  Pages pages;
  for (auto& v : manifest->as_object().at("pages").as_array()) {
    auto& page = v.as_object();
    pages.insert(name_of(json_string(page, "url")));
    auto png = std::filesystem::path(out) / std::string(json_string(page, "file"));
    std::ifstream in(png, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto picture = decode_picture(bytes);
    ASSERT_TRUE(picture) << png;
    EXPECT_EQ(picture->width, 320);
  }
  EXPECT_EQ(pages, (Pages{"/p0", "/p1", "/p2", "/p3", "/p4", "/p5", "/p6", "/js", "/p7", "/p8"}));
  EXPECT_NE(log.find("10 pages captured, 0 failed"), std::string::npos) << log;
}

// Taller than Chromium can capture at once at twice the pixels: joined from tiles.
TEST_F(CrawlTest, CommandLineCrawlCapturesATallPageWhole) {
  PageServer tall;
  tall.page("/tall", solid_page("#00ff00", 10000));
  TempDir dir;
  std::string out = (dir.path() / "site").string();
  auto [status, log] =
      run_shot_crawl(tall.url("/tall") +
                         " --max-pages 1 --tabs 1 --width 320 --height 200 --full-page"
                         " --device-scale-factor 2 --wait-until load",
                     dir, out);
  ASSERT_EQ(status, 0) << log;
  std::filesystem::path png;
  for (auto& entry : std::filesystem::directory_iterator(out))
    if (entry.path().extension() == ".png") png = entry.path();
  std::ifstream in(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto picture = decode_picture(bytes);
  ASSERT_TRUE(picture) << png << "\n" << log;
  EXPECT_EQ(picture->width, 640);
  EXPECT_EQ(picture->height, 20000);
  EXPECT_TRUE(near(picture->at(320, 19990), 0, 255, 0));
}

}  // namespace
}  // namespace shot::testing
