// The web page (GET /) in a real browser: a real `shot serve` and a page
// server with three solid-colour pages; tests/web/web_test.mjs drives Debian's
// Chromium through playwright-core to submit them, watch the thumbnails, open
// one and download the zip; then crawl from a page linking to them. Once with
// the API open, once with API keys (without the crawl).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/deadline.hpp"
#include "core/digest.hpp"
#include "e2e/serve_process.hpp"
#include "support/page_server.hpp"

namespace shot::testing {
namespace {

const std::string kKey = "shot_web-page-test-key";
constexpr auto kNodeDeadline = std::chrono::seconds(300);

std::string titled_page(const std::string& title, const std::string& colour) {
  return "<!doctype html><html><head><title>" + title +
         "</title><style>html,body{margin:0;height:100%;background:" + colour +
         "}</style></head><body></body></html>";
}

// Runs node on the test script in its own process group (so Chromium goes with
// it on a timeout); its output is the test's. `env` is added to its
// environment. The exit status, or -1.
int run_node(const std::vector<std::string>& args,
             const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> argv = {SHOT_NODE, SHOT_WEB_TEST_SCRIPT};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    for (auto& [name, value] : env)
      ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> c;
    for (auto& a : argv)
      c.push_back(a.data());
    c.push_back(nullptr);
    ::execv(c[0], c.data());
    ::_exit(127);
  }
  if (pid < 0) return -1;
  ::setpgid(pid, pid);
  auto until = Clock::now() + kNodeDeadline;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > until) {
      ADD_FAILURE() << "the browser test took longer than " << kNodeDeadline.count() << " s";
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(Millis(100));
  }
  ::kill(-pid, SIGKILL);  // anything the script left behind in its group
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class WebPage : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_.page("/red", titled_page("Red page", "#ff0000"));
    pages_.page("/green", titled_page("Green page", "#00ff00"));
    pages_.page("/blue", titled_page("Blue page", "#0000ff"));
    pages_.page("/start",
                "<!doctype html><html><head><title>Start page</title></head><body>"
                "<a href='/red'>red</a> <a href='/green'>green</a> "
                "<a href='/blue'>blue</a></body></html>");
  }

  std::vector<std::string> serve_args() const {
    return {"--allow-host", "127.0.0.1:" + std::to_string(pages_.port()), "--tabs", "2"};
  }

  std::vector<std::string> node_args(const ServeProcess& shot) const {
    return {shot.base_url(), pages_.url("/red"), pages_.url("/green"), pages_.url("/blue")};
  }

  PageServer pages_;
};

TEST_F(WebPage, SubmitWatchOpenAndZipInChromium) {
  ServeProcess shot(serve_args());
  ASSERT_TRUE(shot.start());
  EXPECT_EQ(run_node(node_args(shot), {{"SHOT_WEB_CRAWL_URL", pages_.url("/start")}}), 0);
}

TEST_F(WebPage, WorksWithApiKeysEnteredInThePage) {
  char tmpl[] = "/tmp/shot-web-keys-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string keys = dir + "/keys.txt";
  std::ofstream(keys) << "web " << sha256_hex(kKey) << "\n";
  auto args = serve_args();
  args.push_back("--api-keys-file");
  args.push_back(keys);
  {
    ServeProcess shot(args);
    ASSERT_TRUE(shot.start());
    EXPECT_EQ(shot.get("/v1/jobs").status, 401);
    EXPECT_EQ(shot.get("/").status, 200);  // the page itself needs no key
    EXPECT_EQ(run_node(node_args(shot), {{"SHOT_WEB_KEY", kKey}}), 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shot::testing
