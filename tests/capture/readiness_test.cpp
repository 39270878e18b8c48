// The readiness gate (wait_until "auto"): pages a naive load+screenshot gets
// wrong, captured as a person would see them.

#include <algorithm>
#include <fstream>
#include <sstream>

#include "capture/capture_fixture.hpp"

namespace shot::capture {
namespace {

using testing::near;
using testing::Response;

std::string svg(const std::string& colour) {
  return "<svg xmlns='http://www.w3.org/2000/svg' width='400' height='400'><rect width='400' "
         "height='400' fill='" +
         colour + "'/></svg>";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> unmet(const CaptureResult& r) {
  std::vector<std::string> out;
  if (auto* u = r.trace.if_contains("unmet"))
    for (auto& v : u->as_array())
      out.emplace_back(v.as_string());
  return out;
}

bool ready(const CaptureResult& r) {
  auto* v = r.trace.if_contains("ready");
  return v && v->is_bool() && v->as_bool();
}

// Pixels that differ between two pictures of the same size inside a box.
int differing(const testing::Picture& a, const testing::Picture& b, int x0, int y0, int x1,
              int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      n += !near(a.at(x, y), b.at(x, y)[0], b.at(x, y)[1], b.at(x, y)[2], 24);
  return n;
}

TEST_F(CaptureTest, LazyImagesAreInAFullPagePicture) {
  server_.route("/green.svg", [](const testing::Request&) {
    return Response{.content_type = "image/svg+xml", .body = svg("#00ff00")};
  });
  server_.route("/blue.svg", [](const testing::Request&) {
    return Response{.content_type = "image/svg+xml", .body = svg("#0000ff")};
  });
  // A native lazy image far below the fold, and one an IntersectionObserver
  // only asks for when its box comes into view.
  server_.page("/lazy", R"(<!doctype html><style>body{margin:0;background:#fff}
    img{display:block;width:400px;height:400px}</style>
    <div style="height:4000px"></div><img loading=lazy src="/green.svg">
    <div style="height:3000px"></div><img id=io data-src="/blue.svg">
    <div style="height:1000px"></div>
    <script>new IntersectionObserver((es, o) => es.forEach(e => { if (e.isIntersecting) {
      e.target.src = e.target.dataset.src; o.disconnect(); } })).observe(io);</script>)");
  auto r = shoot(server_.url("/lazy"), R"({"full_page": true})");
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  ASSERT_EQ(p.height, 4000 + 400 + 3000 + 400 + 1000);
  EXPECT_TRUE(near(p.at(200, 4200), 0, 255, 0));
  EXPECT_TRUE(near(p.at(200, 7600), 0, 0, 255));
  EXPECT_TRUE(ready(*r)) << json::serialize(r->trace);
  EXPECT_TRUE(r->trace.at("ms").as_object().contains("scroll"));
}

TEST_F(CaptureTest, ALateWebFontRendersInThatFont) {
  std::string font = read_file("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf");
  ASSERT_FALSE(font.empty());
  auto font_route = [font](int delay_ms) {
    return [font, delay_ms](const testing::Request&) {
      return Response{.content_type = "font/ttf", .body = font, .delay_ms = delay_ms};
    };
  };
  server_.route("/now.ttf", font_route(0));
  server_.route("/late.ttf", font_route(800));
  auto page = [](const std::string& src) {
    return "<!doctype html><style>@font-face{font-family:Web;src:url(" + src +
           ")}body{margin:0;background:#fff}p{margin:0;font:120px Web,monospace;color:#000}"
           "</style><p>Wag iQ</p>";
  };
  server_.page("/late", page("/late.ttf"));
  server_.page("/now", page("/now.ttf"));
  server_.page("/fallback", page("/missing.ttf"));
  auto late = shoot(server_.url("/late"));
  auto now = shoot(server_.url("/now"));
  auto fallback = shoot(server_.url("/fallback"));
  ASSERT_TRUE(late && now && fallback);
  EXPECT_GE(server_.hits("/late.ttf"), 1);
  auto a = picture(*late), b = picture(*now), c = picture(*fallback);
  // The late font's picture is the prompt font's, and not the fallback's.
  EXPECT_LT(differing(a, b, 0, 0, 800, 160), 50);
  EXPECT_GT(differing(a, c, 0, 0, 800, 160), 1000);
  EXPECT_TRUE(ready(*late)) << json::serialize(late->trace);
}

TEST_F(CaptureTest, ContentFetchedAfterLoadIsInThePicture) {
  server_.route("/colour", [](const testing::Request&) {
    return Response{.content_type = "text/plain", .body = "#00ff00"};
  });
  server_.page("/fetch", R"(<!doctype html><style>html,body{margin:0;height:100%;background:#fff}
    </style><body>Loading…<script>addEventListener('load', () => setTimeout(() =>
      fetch('/colour').then(r => r.text()).then(c => {
        document.body.textContent = ''; document.body.style.background = c; }), 700));
    </script>)");
  auto r = shoot(server_.url("/fetch"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(640, 400), 0, 255, 0));
  EXPECT_TRUE(ready(*r)) << json::serialize(r->trace);
  // `load` keeps its plain meaning: the picture of the page as the load event saw it.
  auto plain = shoot(server_.url("/fetch"), R"({"wait_until": "load"})");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(near(picture(*plain).at(640, 400), 255, 255, 255));
  EXPECT_TRUE(plain->trace.empty());
}

TEST_F(CaptureTest, AnimationsAreInTheirFinalState) {
  server_.page("/anim", R"(<!doctype html><style>body{margin:0;background:#fff}
    @keyframes go { from { background: #ff0000 } to { background: #00ff00 } }
    #css { height: 200px; animation: go 20s forwards }
    #trans { height: 200px; background: #ff0000; transition: background 20s }
    #waapi { height: 200px; background: #ff0000 }
    #spin { height: 100px; width: 100px; background: #000; animation: spin 1s infinite linear }
    @keyframes spin { to { transform: rotate(360deg) } }</style>
    <div id=css></div><div id=trans></div><div id=waapi></div><div id=spin></div>
    <script>requestAnimationFrame(() => requestAnimationFrame(() => {
      document.getElementById('trans').style.background = '#0000ff'; }));
    document.getElementById('waapi').animate([{background: '#ff0000'}, {background: '#ffff00'}],
      {duration: 20000, fill: 'forwards'});</script>)");
  auto r = shoot(server_.url("/anim"));
  ASSERT_TRUE(r) << r.error().message;
  auto p = picture(*r);
  EXPECT_TRUE(near(p.at(640, 100), 0, 255, 0));
  EXPECT_TRUE(near(p.at(640, 300), 0, 0, 255));
  EXPECT_TRUE(near(p.at(640, 500), 255, 255, 0));
  // An endless spinner is left running and does not hold the picture back.
  EXPECT_TRUE(ready(*r)) << json::serialize(r->trace);
}

TEST_F(CaptureTest, TheTraceNamesTheConditionThatTimedOut) {
  server_.route("/ping", [](const testing::Request&) {
    return Response{.content_type = "text/plain", .body = "pong"};
  });
  server_.page("/busy", R"(<!doctype html><body style="margin:0;background:#00ff00">
    <script>setInterval(() => fetch('/ping?' + Math.random()), 30);</script>)");
  auto r = shoot(server_.url("/busy"), R"({"timeout_ms": 3000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
  EXPECT_FALSE(ready(*r));
  auto reasons = unmet(*r);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "network_quiet"), reasons.end())
      << json::serialize(r->trace);
}

TEST_F(CaptureTest, AScriptAnimationDoesNotHoldThePictureToTheDeadline) {
  // A ticker rewrites the page on every frame: it never settles. With the
  // default 30 s timeout the gate could wait until 22.5 s; it gives the frames
  // condition a couple of seconds, takes the page as it is and says so.
  server_.page("/ticker", R"(<!doctype html><body style="margin:0;background:#00ff00">
    <div id=t style="font:40px sans-serif">0</div>
    <script>let n = 0; const tick = () => {
      document.getElementById('t').textContent = ++n; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);</script>)");
  auto r = shoot(server_.url("/ticker"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(640, 600), 0, 255, 0));
  auto reasons = unmet(*r);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "frames"), reasons.end())
      << json::serialize(r->trace);
  EXPECT_LT(r->trace.at("ms").at("total").to_number<double>(), 10000) << json::serialize(r->trace);
}

TEST_F(CaptureTest, StreamsAndLongPollsDoNotHoldThePicture) {
  server_.route("/events", [](const testing::Request&) { return Response{.hang = true}; });
  server_.route("/poll", [](const testing::Request&) { return Response{.hang = true}; });
  server_.page("/stream", R"(<!doctype html><body style="margin:0;background:#00ff00">
    <script>new EventSource('/events'); fetch('/poll');</script>)");
  auto r = shoot(server_.url("/stream"), R"({"timeout_ms": 15000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(near(picture(*r).at(10, 10), 0, 255, 0));
  EXPECT_TRUE(ready(*r)) << json::serialize(r->trace);
  EXPECT_EQ(r->trace.at("ignored_connections").as_int64(), 2);
}

}  // namespace
}  // namespace shot::capture
