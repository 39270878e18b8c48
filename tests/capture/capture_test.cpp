#include <gmock/gmock.h>
#include <sched.h>
#include <signal.h>

#include <set>

#include "capture/capture_fixture.hpp"
#include "core/processes.hpp"

namespace shot::capture {
namespace {

using testing::near;
using testing::Response;
using testing::solid_page;

// Chromium's living renderer processes in process group `group`, by PID.
std::set<pid_t> renderer_pids(pid_t group) {
  std::set<pid_t> out;
  for (const auto& p : list_processes())
    if (p.group == group && p.living() &&
        process_cmdline(p.pid).find("--type=renderer") != std::string::npos)
      out.insert(p.pid);
  return out;
}

constexpr const char* kHalves = R"(<!doctype html><style>html,body{margin:0}
  #top{height:400px;background:#ff0000} #bottom{height:400px;background:#0000ff}</style>
  <div id=top></div><div id=bottom></div>)";

TEST_F(CaptureTest, PixelColoursAtKnownPoints) {
  server_.page("/", kHalves);
  auto r = shoot(server_.url("/"), R"({"wait_until": "load"})");
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  EXPECT_EQ(p.width, 1280);
  EXPECT_EQ(p.height, 800);
  EXPECT_TRUE(near(p.at(10, 10), 255, 0, 0));
  EXPECT_TRUE(near(p.at(1270, 390), 255, 0, 0));
  EXPECT_TRUE(near(p.at(10, 410), 0, 0, 255));
  EXPECT_TRUE(near(p.at(640, 790), 0, 0, 255));
  EXPECT_EQ(r->width, 1280);
  EXPECT_EQ(r->height, 800);
}

TEST_F(CaptureTest, ReportsPageFacts) {
  server_.page("/start", "<title>Hello facts</title><body>hi");
  server_.route("/redirect", [&](const testing::Request&) {
    return Response{.status = 302, .headers = {{"Location", "/start"}}};
  });
  server_.route("/missing", [](const testing::Request&) {
    return Response{.status = 404, .body = "<title>Nope</title>"};
  });
  auto r = shoot(server_.url("/redirect"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->facts.final_url, server_.url("/start"));
  EXPECT_EQ(r->facts.http_status, 200);
  EXPECT_EQ(r->facts.title, "Hello facts");
  EXPECT_GT(r->timings.navigate_ms, 0);
  EXPECT_GT(r->timings.capture_ms, 0);
  EXPECT_GE(r->timings.total_ms, r->timings.capture_ms);
  auto missing = shoot(server_.url("/missing"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->facts.http_status, 404);
  EXPECT_EQ(missing->facts.title, "Nope");
}

TEST_F(CaptureTest, FullPageIsAsTallAsThePage) {
  server_.page("/tall", solid_page("#00ff00", 5000));
  auto r = shoot(server_.url("/tall"), R"({"full_page": true, "wait_until": "load"})");
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  EXPECT_EQ(p.width, 1280);
  EXPECT_EQ(p.height, 5000);
  EXPECT_TRUE(near(p.at(640, 4990), 0, 255, 0));
  EXPECT_FALSE(r->truncated);
}

TEST_F(CaptureTest, FullPageIsClampedToMaxHeight) {
  server_.page("/tall", solid_page("#00ff00", 5000));
  auto r = shoot(server_.url("/tall"), R"({"full_page": true, "max_height": 3000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(picture(*r).height, 3000);
  EXPECT_TRUE(r->truncated);
}

TEST_F(CaptureTest, SelectorCapturesTheElementBounds) {
  server_.page("/el", R"(<style>body{margin:0;background:#fff}
    #box{position:absolute;left:100px;top:1200px;width:300px;height:200px;background:#ff00ff}</style>
    <div style="height:2000px"></div><div id=box></div>)");
  auto r = shoot(server_.url("/el"), R"({"selector": "#box"})");
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  EXPECT_EQ(p.width, 300);
  EXPECT_EQ(p.height, 200);
  EXPECT_TRUE(near(p.at(5, 5), 255, 0, 255));
  EXPECT_TRUE(near(p.at(295, 195), 255, 0, 255));
  auto none = shoot(server_.url("/el"), R"({"selector": "#nothing"})");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().field, "options.selector");
}

TEST_F(CaptureTest, DeviceScaleFactorTwoDoublesThePixels) {
  server_.page("/", kHalves);
  auto r = shoot(server_.url("/"), R"({"device_scale_factor": 2})");
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  EXPECT_EQ(p.width, 2560);
  EXPECT_EQ(p.height, 1600);
  EXPECT_TRUE(near(p.at(20, 790), 255, 0, 0));
  EXPECT_TRUE(near(p.at(20, 810), 0, 0, 255));
}

TEST_F(CaptureTest, FormatsHaveTheirMagicBytes) {
  server_.page("/", kHalves);
  auto jpeg = shoot(server_.url("/"), R"({"format": "jpeg"})");
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  EXPECT_EQ(jpeg->bytes.substr(0, 3), "\xff\xd8\xff");
  auto webp = shoot(server_.url("/"), R"({"format": "webp"})");
  ASSERT_TRUE(webp) << webp.error().message;
  EXPECT_EQ(webp->bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(webp->bytes.substr(8, 4), "WEBP");
  EXPECT_EQ(picture(*webp).width, 1280);
  auto pdf = shoot(server_.url("/"), R"({"format": "pdf"})");
  ASSERT_TRUE(pdf) << pdf.error().message;
  EXPECT_EQ(pdf->bytes.substr(0, 5), "%PDF-");
  auto png = shoot(server_.url("/"));
  ASSERT_TRUE(png);
  EXPECT_EQ(png->bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
}

TEST_F(CaptureTest, JpegQualityChangesTheSize) {
  // A noisy page, so quality matters.
  server_.page("/noise", R"(<canvas id=c width=1280 height=800></canvas><script>
    const x = document.getElementById('c').getContext('2d'); let s = 1;
    for (let i = 0; i < 4000; i++) { s = (s * 16807) % 2147483647;
      x.fillStyle = '#' + (s % 0xffffff).toString(16).padStart(6, '0');
      x.fillRect(s % 1280, (s >> 8) % 800, 20, 20); }</script>)");
  auto low = shoot(server_.url("/noise"), R"({"format": "jpeg", "quality": 10})");
  auto high = shoot(server_.url("/noise"), R"({"format": "jpeg", "quality": 95})");
  ASSERT_TRUE(low && high);
  EXPECT_LT(low->bytes.size() * 2, high->bytes.size());
}

TEST_F(CaptureTest, WaitForSelectorCatchesLateContent) {
  server_.page(
      "/late",
      R"(<style>body{margin:0;background:#fff}#late{height:100vh;background:#00ff00}</style>
    <script>setTimeout(() => { const d = document.createElement('div'); d.id = 'late';
      document.body.appendChild(d); }, 500);</script><body></body>)");
  auto r = shoot(server_.url("/late"), R"({"wait_until": "load", "wait_for_selector": "#late"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(640, 400), 0, 255, 0));
  EXPECT_GE(r->timings.wait_ms, 400);
}

TEST_F(CaptureTest, WaitForFunction) {
  server_.page("/flag", R"(<body style="margin:0"><script>setTimeout(() => {
    window.ready = true; document.body.style.background = '#00ff00'; }, 300);</script>)");
  auto r = shoot(server_.url("/flag"),
                 R"({"wait_until": "load", "wait_for_function": "window.ready === true"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
}

TEST_F(CaptureTest, NeverLoadingPageTimesOutOnTime) {
  server_.route("/hang", [](const testing::Request&) { return Response{.hang = true}; });
  auto start = Clock::now();
  auto r = shoot(server_.url("/hang"), R"({"timeout_ms": 2000})");
  auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  EXPECT_NE(r.error().message.find("2000 ms"), std::string::npos) << r.error().message;
  EXPECT_LT(took, Millis(2000 + 1500));
  EXPECT_GE(took, Millis(1900));
}

TEST_F(CaptureTest, UnreachablePageFailsWithTheReason) {
  // A port that was just free: nothing listens there.
  int port;
  {
    testing::PageServer closed;
    port = closed.port();
  }
  auto r = shoot("http://127.0.0.1:" + std::to_string(port) + "/", R"({"timeout_ms": 5000})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::navigation_failed);
  EXPECT_NE(r.error().message.find("ERR_CONNECTION_REFUSED"), std::string::npos)
      << r.error().message;
}

TEST_F(CaptureTest, DarkModeFlipsPrefersColorScheme) {
  server_.page("/scheme", R"(<style>html,body{margin:0;height:100%;background:#ffffff}
    @media (prefers-color-scheme: dark) { html,body { background: #000000 } }</style>)");
  auto light = shoot(server_.url("/scheme"));
  auto dark = shoot(server_.url("/scheme"), R"({"dark_mode": true})");
  ASSERT_TRUE(light && dark);
  EXPECT_TRUE(near(picture(*light).at(100, 100), 255, 255, 255));
  EXPECT_TRUE(near(picture(*dark).at(100, 100), 0, 0, 0));
}

TEST_F(CaptureTest, HideAndRemoveSelectorsTakeEffect) {
  server_.page("/ad", R"(<style>html,body{margin:0;height:100%;background:#ffffff}
    .ad{position:fixed;left:0;top:0;width:400px;height:400px;background:#ff0000}</style>
    <div class=ad id=one></div>)");
  auto plain = shoot(server_.url("/ad"));
  auto hidden = shoot(server_.url("/ad"), R"({"hide_selectors": [".ad"]})");
  auto removed = shoot(server_.url("/ad"), R"({"remove_selectors": ["#one"]})");
  ASSERT_TRUE(plain && hidden && removed);
  EXPECT_TRUE(near(picture(*plain).at(100, 100), 255, 0, 0));
  EXPECT_TRUE(near(picture(*hidden).at(100, 100), 255, 255, 255));
  EXPECT_TRUE(near(picture(*removed).at(100, 100), 255, 255, 255));
}

TEST_F(CaptureTest, CssAndJsRunBeforeTheCapture) {
  server_.page("/", kHalves);
  auto css = shoot(server_.url("/"), R"({"css": "#top { background: #00ff00 !important }"})");
  auto js = shoot(server_.url("/"),
                  R"({"js": "document.getElementById('bottom').style.background = '#ffff00'"})");
  ASSERT_TRUE(css && js);
  EXPECT_TRUE(near(picture(*css).at(10, 10), 0, 255, 0));
  EXPECT_TRUE(near(picture(*js).at(10, 600), 255, 255, 0));
  auto broken = shoot(server_.url("/"), R"J({"js": "throw new Error('boom')"})J");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().field, "options.js");
  EXPECT_NE(broken.error().message.find("boom"), std::string::npos);
}

TEST_F(CaptureTest, CookiesHeadersAndBasicAuthReachTheServer) {
  server_.route("/private", [](const testing::Request& req) {
    // "user:secret" in base64
    if (req.header("authorization") != "Basic dXNlcjpzZWNyZXQ=")
      return Response{
          .status = 401, .body = "no", .headers = {{"WWW-Authenticate", "Basic realm=\"t\""}}};
    return Response{.body = solid_page("#00ff00")};
  });
  auto r = shoot(server_.url("/private"), R"({"headers": {"X-Shot-Test": "yes"},
      "cookies": [{"name": "session", "value": "abc123"}],
      "basic_auth": {"username": "user", "password": "secret"}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
  bool saw_header = false, saw_cookie = false;
  for (auto& req : server_.requests()) {
    if (req.path() != "/private") continue;
    saw_header |= req.header("x-shot-test") == "yes";
    saw_cookie |= req.header("cookie").find("session=abc123") != std::string::npos;
  }
  EXPECT_TRUE(saw_header);
  EXPECT_TRUE(saw_cookie);
  EXPECT_EQ(r->facts.http_status, 200);
}

TEST_F(CaptureTest, BlockResourcesStopsImagesBeingRequested) {
  server_.page("/img", R"(<img src="/pixel.png"><p>text</p>)");
  server_.route("/pixel.png", [](const testing::Request&) {
    return Response{.content_type = "image/png", .body = "not really a png"};
  });
  auto blocked = shoot(server_.url("/img"), R"({"block_resources": ["image"]})");
  ASSERT_TRUE(blocked) << blocked.error().message;
  EXPECT_EQ(server_.hits("/pixel.png"), 0);
  auto normal = shoot(server_.url("/img"));
  ASSERT_TRUE(normal) << normal.error().message;
  EXPECT_EQ(server_.hits("/pixel.png"), 1);
}

TEST_F(CaptureTest, DialogsAndPopupsDoNotStopTheCapture) {
  server_.page("/", solid_page("#00ff00"));
  server_.page("/annoying",
               R"(<style>html,body{margin:0;height:100%;background:#00ff00}</style><script>
    alert('hello'); confirm('sure?'); window.open('/popup');
    window.onbeforeunload = e => { e.preventDefault(); e.returnValue = 'stay'; };</script>)");
  auto r = shoot(server_.url("/annoying"), R"({"timeout_ms": 10000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
  EXPECT_EQ(server_.hits("/popup"), 0);
}

TEST_F(CaptureTest, CapturesAreIsolatedFromEachOther) {
  expect_captures_isolated();
}

TEST_F(CaptureTest, APageCannotKeepItsSessionStorageByReplacingClear) {
  // The page sabotages the obvious clearing (its own sessionStorage.clear())
  // and writes again on a timer and while it is unloaded.
  server_.page("/set", R"(<title></title><script>
    Storage.prototype.clear = function () {};
    sessionStorage.setItem('k', 'v1');
    setInterval(() => sessionStorage.setItem('k', 'timer'), 1);
    addEventListener('pagehide', () => sessionStorage.setItem('k', 'pagehide'));
    document.title = 'done';</script>)");
  server_.page("/read",
               "<title></title><script>document.title = 'done session=' + "
               "sessionStorage.getItem('k');</script>");
  const auto wait_done = R"j({"wait_for_function": "document.title.startsWith('done')"})j";
  const int reused_before = pool_->stats().tabs_reset;
  for (int i = 0; i < 3; ++i) {
    auto set = shoot(server_.url("/set"), wait_done);
    ASSERT_TRUE(set) << set.error().message;
    auto r = shoot(server_.url("/read"), wait_done);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->facts.title, "done session=null");
  }
  EXPECT_GE(pool_->stats().tabs_reset - reused_before, 4);
}

TEST_F(CaptureTest, OverridesOfOneCaptureDoNotReachTheNext) {
  // A capture's session is kept for the tab's next capture only when it set
  // nothing but the device metrics: these options must not outlive theirs.
  server_.page("/who", R"(<title></title><script>
    document.title = 'ua=' + navigator.userAgent.includes('Leaky') + ';tz=' +
      Intl.DateTimeFormat().resolvedOptions().timeZone + ';w=' + innerWidth + ';dark=' +
      matchMedia('(prefers-color-scheme: dark)').matches + ';js=on';</script>)");
  const auto plain = shoot(server_.url("/who"), R"({"wait_until": "load"})");
  ASSERT_TRUE(plain) << plain.error().message;
  const std::string expected = plain->facts.title;
  ASSERT_NE(expected.find("ua=false;"), std::string::npos) << expected;
  ASSERT_NE(expected.find(";w=1280;"), std::string::npos) << expected;
  const char* dirty[] = {
      R"({"wait_until": "load", "user_agent": "Leaky/1.0", "headers": {"X-Leak": "1"}})",
      R"({"wait_until": "load", "timezone": "Pacific/Kiritimati", "dark_mode": true})",
      R"({"wait_until": "load", "width": 640})",
      R"({"wait_until": "load", "javascript": false})",
      R"({"wait_until": "auto"})",
  };
  for (const char* options : dirty) {
    // More captures than tabs, so each slot sees the dirty capture's tab.
    for (int i = 0; i < 2; ++i) {
      auto d = shoot(server_.url("/who"), options);
      ASSERT_TRUE(d) << options << ": " << d.error().message;
    }
    for (int i = 0; i < 2; ++i) {
      auto r = shoot(server_.url("/who"), R"({"wait_until": "load"})");
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->facts.title, expected) << "after " << options;
    }
  }
  for (auto& req : server_.requests()) {
    if (req.path() == "/who" && req.header("user-agent").find("Leaky") == std::string::npos) {
      EXPECT_EQ(req.header("x-leak"), "");
    }
  }
}

TEST_F(CaptureTest, StateOfOtherSitesFramesIsNotCarriedOver) {
  // A third-party frame keeps storage partitioned under the page's site, out
  // of reach of clearing by origin: its tab is replaced, not reused.
  testing::PageServer other;
  other.page("/frame", R"(<script>
    const seen = localStorage.getItem('k');
    localStorage.setItem('k', 'v1');
    parent.postMessage('frame=' + seen, '*');</script>)");
  server_.page("/host",
               "<title></title><script>onmessage = e => document.title = 'done ' + e.data;"
               "</script><iframe src='" +
                   other.url("/frame") + "'></iframe>");
  const auto wait_done = R"j({"wait_for_function": "document.title.startsWith('done')"})j";
  for (int i = 0; i < 3; ++i) {
    auto r = shoot(server_.url("/host"), wait_done);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->facts.title, "done frame=null");
  }
}

TEST_F(CaptureTest, KillingChromiumMidCaptureStillYieldsThePicture) {
  server_.route("/slow", [](const testing::Request&) {
    return Response{.body = solid_page("#00ff00"), .delay_ms = 1500};
  });
  Result<CaptureResult> r = fail(Errc::internal, "not run");
  pid_t killed = -1;
  auto parsed = parse_options(parse_json(R"({"timeout_ms": 20000})")->as_object());
  bool finished = testing::run_task(*io_, [&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        [&]() -> Task<void> {
          co_await sleep_for(Millis(700));  // the page is loading now
          auto browser = pool_->current_browser();
          if (!browser) co_return;
          killed = browser->pid();
          ::kill(killed, SIGKILL);
        },
        asio::detached);
    r = co_await capturer_->capture(server_.url("/slow"), *parsed);
  });
  ASSERT_TRUE(finished);
  ASSERT_GT(killed, 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(r->attempts, 2);
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
  EXPECT_NE(pool_->current_browser()->pid(), killed);
  // The next capture runs on the new browser as usual.
  auto after = shoot(server_.url("/slow"));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->attempts, 1);
}

TEST_F(CaptureTest, ClipAndOmitBackground) {
  server_.page("/", kHalves);
  auto clip =
      shoot(server_.url("/"), R"({"clip": {"x": 0, "y": 350, "width": 100, "height": 100}})");
  ASSERT_TRUE(clip);
  auto p = picture(*clip);
  EXPECT_EQ(p.width, 100);
  EXPECT_EQ(p.height, 100);
  EXPECT_TRUE(near(p.at(50, 10), 255, 0, 0));
  EXPECT_TRUE(near(p.at(50, 90), 0, 0, 255));
  server_.page("/bare", "<p style='margin:0'>x</p>");
  auto transparent = shoot(server_.url("/bare"), R"({"omit_background": true})");
  ASSERT_TRUE(transparent);
  EXPECT_EQ(picture(*transparent).at(600, 600)[3], 0);
}

TEST_F(CaptureTest, PngEncodingSmallGivesTheSamePixelsInASmallerFile) {
  // Text and stripes: something for the encoder to compress.
  std::string page = "<body style='margin:0'>";
  for (int i = 0; i < 60; ++i)
    page += "<p style='margin:0;color:#" + std::string(i % 2 ? "c03" : "039") + "'>Line " +
            std::to_string(i) + " of words, words and more words.</p>";
  server_.page("/text", page);
  auto fast = shoot(server_.url("/text"));
  auto small = shoot(server_.url("/text"), R"({"png_encoding": "small"})");
  ASSERT_TRUE(fast && small);
  EXPECT_LT(small->bytes.size(), fast->bytes.size());
  auto a = picture(*fast), b = picture(*small);
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST_F(CaptureTest, APageOverTheServersLimitsFailsAsTooLarge) {
  server_.route("/big.bin", [](const testing::Request&) {
    return Response{.content_type = "application/octet-stream",
                    .body = std::string(512 * 1024, 'x')};
  });
  std::string heavy = "<p>heavy</p>";
  for (int i = 0; i < 6; ++i)
    heavy += "<script>fetch('/big.bin?" + std::to_string(i) + "')</script>";
  server_.page("/heavy", heavy);
  std::string many = "<p>many</p>";
  for (int i = 0; i < 30; ++i)
    many += "<img src='/missing" + std::to_string(i) + ".png'>";
  server_.page("/many", many);

  Capturer limited(*pool_);
  limited.set_limits({.max_bytes = 1024 * 1024, .max_requests = 10});
  auto options = parse_options(parse_json("{}")->as_object());
  Result<CaptureResult> heavy_r = fail(Errc::internal, "not run");
  Result<CaptureResult> many_r = fail(Errc::internal, "not run");
  Result<CaptureResult> light_r = fail(Errc::internal, "not run");
  server_.page("/light", solid_page("#00ff00"));
  ASSERT_TRUE(testing::run_task(*io_, [&]() -> Task<void> {
    heavy_r = co_await limited.capture(server_.url("/heavy"), *options);
    many_r = co_await limited.capture(server_.url("/many"), *options);
    light_r = co_await limited.capture(server_.url("/light"), *options);
  }));
  ASSERT_FALSE(heavy_r);
  EXPECT_EQ(heavy_r.error().code, Errc::too_large);
  EXPECT_THAT(heavy_r.error().message, ::testing::HasSubstr("more than 1048576 bytes"));
  ASSERT_FALSE(many_r);
  EXPECT_EQ(many_r.error().code, Errc::too_large);
  EXPECT_THAT(many_r.error().message, ::testing::HasSubstr("more than 10 requests"));
  // Within the limits, the same capturer works as usual.
  ASSERT_TRUE(light_r) << light_r.error().message;
  EXPECT_TRUE(near(picture(*light_r).at(10, 10), 0, 255, 0));
  // And the default limits let the heavy page through.
  auto unlimited = shoot(server_.url("/heavy"));
  EXPECT_TRUE(unlimited) << unlimited.error().message;
}

TEST_F(CaptureTest, BrowserIsRecycledAfterItsPageBudget) {
  browser::PoolOptions o;
  o.tabs = 1;
  o.recycle_after = 2;  // pages per browser, prepared ones included
  browser::PagePool pool(io_->get_executor(), o);
  Capturer capturer(pool);
  server_.page("/", solid_page("#00ff00"));
  auto options = parse_options(parse_json(R"({"wait_until": "load"})")->as_object());
  std::vector<pid_t> pids;
  bool ok = testing::run_task(*io_, [&]() -> Task<void> {
    for (int i = 0; i < 4; ++i) {
      auto r = co_await capturer.capture(server_.url("/"), *options);
      CO_ASSERT_OK(r);
      EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
      pids.push_back(pool.current_browser()->pid());
    }
  });
  ASSERT_TRUE(ok);
  EXPECT_GE(pool.stats().browser_launches, 2);
  EXPECT_NE(pids.front(), pids.back());
  pool.shutdown();
}

// Chromium's processes run as batch work, so they never preempt shot's own
// short tasks and switch among themselves less (docs/performance.md).
TEST_F(CaptureTest, ChromiumRunsAsBatchWork) {
  server_.page("/", solid_page("#00ff00"));
  auto r = shoot(server_.url("/"), R"({"wait_until": "load"})");
  ASSERT_TRUE(r) << r.error().message;
  pid_t group = pool_->stats().browser_pid;
  int renderers = 0, others = 0;
  for (const auto& p : list_processes()) {
    if (p.group != group || !p.living()) continue;
    EXPECT_EQ(::sched_getscheduler(p.pid), SCHED_BATCH) << process_cmdline(p.pid);
    ++(process_cmdline(p.pid).find("--type=renderer") != std::string::npos ? renderers : others);
  }
  EXPECT_GE(renderers, 1);
  EXPECT_GE(others, 1);  // the browser itself
}

// Two tabs are two browser contexts taking turns. Chromium's spare renderer
// is kept for the context that navigated last, so each capture would start a
// renderer for the other one and throw it away: a process per capture. And
// each context would have a renderer for the address bar's pop-up.
TEST_F(CaptureTest, EachTabCostsOneRendererAndCapturesStartNone) {
  browser::PoolOptions o;
  o.tabs = 2;
  browser::PagePool pool(io_->get_executor(), o);
  Capturer capturer(pool);
  server_.page("/", solid_page("#00ff00"));
  auto options = parse_options(parse_json(R"({"wait_until": "load"})")->as_object());
  std::set<pid_t> warm, seen;
  bool ok = testing::run_task(*io_, [&]() -> Task<void> {
    for (int i = 0; i < 6; ++i) {
      auto r = co_await capturer.capture(server_.url("/"), *options);
      CO_ASSERT_OK(r);
      EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
      auto now = renderer_pids(pool.stats().browser_pid);
      if (i == 1) {  // both tabs have shown the site; the start page's renderer may be exiting
        for (int wait = 0; wait < 50 && now.size() > 2; ++wait) {
          co_await sleep_for(Millis(100));
          now = renderer_pids(pool.stats().browser_pid);
        }
        warm = now;
      }
      if (i >= 1) seen.insert(now.begin(), now.end());
    }
  });
  ASSERT_TRUE(ok);
  EXPECT_EQ(pool.stats().tabs_opened, 2);
  // One renderer per tab: none for the page Chromium starts with, and no
  // address-bar pop-up, spare or other helper renderer per browser context.
  EXPECT_THAT(warm, ::testing::SizeIs(2));
  EXPECT_EQ(seen, warm) << "renderers were started after both tabs had the site";
  pool.shutdown();
}

// Real traffic is cross-site. A tab keeps its renderer for every site it
// captures; with --renderer-per-site (Chrome's site isolation) Chromium starts
// one for each new site, on the capture's critical path.
TEST_F(CaptureTest, ATabKeepsItsRendererAcrossSites) {
  testing::PageServer other("127.0.0.2");  // another site on the loopback
  server_.page("/", solid_page("#00ff00"));
  other.page("/", solid_page("#0000ff"));
  auto options = parse_options(parse_json(R"({"wait_until": "load"})")->as_object());
  for (bool per_site : {false, true}) {
    browser::PoolOptions o;
    o.tabs = 1;
    o.chromium.renderer_per_site = per_site;
    browser::PagePool pool(io_->get_executor(), o);
    Capturer capturer(pool);
    std::set<pid_t> seen;
    bool ok = testing::run_task(*io_, [&]() -> Task<void> {
      for (int i = 0; i < 6; ++i) {
        bool green = i % 2 == 0;
        // (Named first: GCC 12 destroys a ?: temporary in co_await twice.)
        std::string url = green ? server_.url("/") : other.url("/");
        auto r = co_await capturer.capture(url, *options);
        CO_ASSERT_OK(r);
        EXPECT_TRUE(near(picture(*r).at(10, 10), 0, green ? 255 : 0, green ? 0 : 255));
        auto now = renderer_pids(pool.stats().browser_pid);
        // The start page's renderer may be exiting still.
        for (int wait = 0; !per_site && i == 0 && wait < 50 && now.size() > 1; ++wait) {
          co_await sleep_for(Millis(100));
          now = renderer_pids(pool.stats().browser_pid);
        }
        seen.insert(now.begin(), now.end());
      }
    });
    ASSERT_TRUE(ok);
    EXPECT_EQ(pool.stats().tabs_opened, 1);
    if (per_site)
      EXPECT_GE(seen.size(), 4u) << "a renderer per site: one started for each of 5 new sites";
    else
      EXPECT_THAT(seen, ::testing::SizeIs(1)) << "renderers were started for new sites";
    pool.shutdown();
  }
}

// A page that took over its renderer must not read a later capture's
// credentials: a capture with cookies, headers or a password gets a tab no
// page has used, and its tab is not reused after it.
TEST_F(CaptureTest, ACaptureWithCredentialsHasARendererOfItsOwn) {
  browser::PoolOptions o;
  o.tabs = 1;
  browser::PagePool pool(io_->get_executor(), o);
  Capturer capturer(pool);
  server_.page("/", R"(<title></title><script>document.title = 'cookie=' + document.cookie;
    </script>)");
  auto plain = parse_options(parse_json(R"({"wait_until": "load"})")->as_object());
  auto with_cookie = parse_options(
      parse_json(R"({"wait_until": "load", "cookies": [{"name": "session", "value": "s3cret"}]})")
          ->as_object());
  bool ok = testing::run_task(*io_, [&]() -> Task<void> {
    std::vector<std::pair<const CaptureOptions*, std::string>> captures{
        {&*plain, "cookie="},
        {&*with_cookie, "cookie=session=s3cret"},
        {&*with_cookie, "cookie=session=s3cret"},
        {&*plain, "cookie="}};
    std::vector<int> opened;  // tabs opened so far, after each capture
    for (auto& [options, title] : captures) {
      auto r = co_await capturer.capture(server_.url("/"), *options);
      CO_ASSERT_OK(r);
      EXPECT_EQ(r->facts.title, title);
      opened.push_back(pool.stats().tabs_opened);
    }
    // Each credentialed capture opened a tab (a new browser context, so a
    // new renderer); the plain capture after them reused the first tab.
    EXPECT_THAT(opened, ::testing::ElementsAre(1, 2, 3, 3));
    // The credentialed captures' tabs are gone with their renderers.
    auto now = renderer_pids(pool.stats().browser_pid);
    for (int wait = 0; wait < 50 && now.size() > 1; ++wait) {
      co_await sleep_for(Millis(100));
      now = renderer_pids(pool.stats().browser_pid);
    }
    EXPECT_THAT(now, ::testing::SizeIs(1));
  });
  ASSERT_TRUE(ok);
  pool.shutdown();
}

}  // namespace
}  // namespace shot::capture
