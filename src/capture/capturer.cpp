#include "capture/capturer.hpp"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

#include "capture/clutter.hpp"
#include "capture/image_size.hpp"
#include "capture/readiness.hpp"
#include "capture/run.hpp"
#include "capture/verdict.hpp"
#include "cdp/params.hpp"
#include "core/base64.hpp"
#include "core/log.hpp"

namespace shot::capture {
namespace {

using cdp::Params;

// Chromium cannot raster a single capture taller than its texture limit.
constexpr int kMaxCapturePixels = 16384;

std::string js_string_list(const std::vector<std::string>& items) {
  json::array a;
  for (auto& s : items)
    a.emplace_back(json::string(s));
  return json::serialize(a);
}

using Step = Task<Result<void>> (*)(Run&);

Task<Result<void>> await_all(std::vector<std::shared_ptr<cdp::OneShot>> replies, Deadline d) {
  for (auto& r : replies)
    if (auto ok = co_await r->wait(d); !ok) co_return fail(ok.error());
  co_return Result<void>{};
}

json::object cookie_json(const Cookie& c, const std::string& page_url) {
  Params p;
  p("name", c.name)("value", c.value)("path", c.path)("secure", c.secure)("httpOnly", c.http_only);
  if (!c.url.empty())
    p("url", c.url);
  else if (!c.domain.empty())
    p("domain", c.domain);
  else
    p("url", page_url);
  json::object out = std::move(p);
  return out;
}

std::string resource_type_cdp(std::string_view t) {
  if (t == "xhr") return "XHR";
  if (t == "websocket") return "WebSocket";
  std::string s(t);
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

Task<Result<void>> emulate(Run& run) {
  auto& s = run.session;
  auto& o = run.o;
  auto& kept = *run.baseline;
  std::vector<std::shared_ptr<cdp::OneShot>> replies;
  // The baseline: set when the kept session does not carry it already.
  std::string metrics = std::to_string(o.width) + "x" + std::to_string(o.height) + "@" +
                        std::to_string(o.device_scale_factor) + (o.mobile ? "m" : "");
  if (kept.metrics != metrics) {
    replies.push_back(s.send("Emulation.setDeviceMetricsOverride",
                             Params()("width", o.width)("height", o.height)(
                                 "deviceScaleFactor", o.device_scale_factor)("mobile", o.mobile)));
    kept.metrics = std::move(metrics);
  }
  if (!kept.network) {
    replies.push_back(s.send("Network.enable"));
    kept.network = true;
  }
  std::shared_ptr<cdp::OneShot> probes;
  if (o.wait_until == WaitUntil::automatic && o.javascript) {
    if (kept.probes.empty()) replies.push_back(probes = install_probes(run));
  } else if (!kept.probes.empty()) {
    replies.push_back(s.send("Page.removeScriptToEvaluateOnNewDocument",
                             Params()("identifier", std::exchange(kept.probes, ""))));
  }
  // Anything else: this session is not kept for the next capture.
  auto extra = [&](std::shared_ptr<cdp::OneShot> reply) {
    run.extra_overrides = true;
    replies.push_back(std::move(reply));
  };
  if (!o.user_agent.empty())
    extra(s.send("Emulation.setUserAgentOverride", Params()("userAgent", o.user_agent)));
  if (!o.locale.empty()) extra(s.send("Emulation.setLocaleOverride", Params()("locale", o.locale)));
  if (!o.timezone.empty())
    extra(s.send("Emulation.setTimezoneOverride", Params()("timezoneId", o.timezone)));
  if (o.dark_mode || o.reduced_motion || o.media != Media::unset) {
    json::array features;
    features.push_back(json::value(
        Params()("name", "prefers-color-scheme")("value", o.dark_mode ? "dark" : "light")));
    features.push_back(json::value(Params()("name", "prefers-reduced-motion")(
        "value", o.reduced_motion ? "reduce" : "no-preference")));
    std::string media = o.media == Media::print    ? "print"
                        : o.media == Media::screen ? "screen"
                                                   : "";
    extra(s.send("Emulation.setEmulatedMedia",
                 Params()("media", media)("features", std::move(features))));
  }
  if (!o.javascript) extra(s.send("Emulation.setScriptExecutionDisabled", Params()("value", true)));
  if (o.omit_background) {
    json::object transparent = Params()("r", 0)("g", 0)("b", 0)("a", 0);
    extra(s.send("Emulation.setDefaultBackgroundColorOverride",
                 Params()("color", std::move(transparent))));
  }
  json::object headers;
  for (auto& [k, v] : o.headers)
    headers[k] = v;
  if (!o.locale.empty() && !headers.contains("Accept-Language"))
    headers["Accept-Language"] = o.locale;
  if (!headers.empty())
    extra(s.send("Network.setExtraHTTPHeaders", Params()("headers", std::move(headers))));
  // Cookies go into the context's jar, which the reset clears: not the session's.
  if (!o.cookies.empty()) {
    json::array cookies;
    for (auto& c : o.cookies)
      cookies.push_back(cookie_json(c, run.url));
    replies.push_back(s.send("Network.setCookies", Params()("cookies", std::move(cookies))));
  }
  if (!o.block_urls.empty()) {
    json::array urls;
    for (auto& u : o.block_urls)
      urls.emplace_back(json::string(u));
    extra(s.send("Network.setBlockedURLs", Params()("urls", std::move(urls))));
  }

  // Requests are intercepted only when something needs deciding: blocked
  // resource types, ads and trackers, or credentials for an auth challenge.
  if (o.block_cookie_banners || o.block_ads) extra(install_clutter_css(run));
  if (!o.block_resources.empty() || o.basic_auth || o.block_ads) {
    json::array patterns;
    if (o.basic_auth || o.block_ads) {
      patterns.push_back(json::value(Params()("urlPattern", "*")));
    } else {
      for (auto& t : o.block_resources)
        patterns.push_back(json::value(Params()("resourceType", resource_type_cdp(t))));
    }
    std::unordered_set<std::string> blocked;
    for (auto& t : o.block_resources)
      blocked.insert(resource_type_cdp(t));
    std::weak_ptr<cdp::Session> weak = s.shared_from_this();
    run.listen("Fetch.requestPaused", [&run, weak, blocked](const json::object& p) {
      auto session = weak.lock();
      if (!session) return;
      std::string id(json_string(p, "requestId"));
      std::string type(json_string(p, "resourceType"));
      bool refuse = blocked.contains(type);
      // Never the page itself: only what it pulls in.
      if (!refuse && run.o.block_ads &&
          !(type == "Document" && json_string(p, "frameId") == run.target_id))
        if (auto* request = json_object(p, "request"))
          refuse = is_ad_url(json_string(*request, "url")) && ++run.ads_blocked;
      if (refuse)
        session->send("Fetch.failRequest",
                      Params()("requestId", id)("errorReason", "BlockedByClient"));
      else
        session->send("Fetch.continueRequest", Params()("requestId", id));
    });
    if (o.basic_auth) {
      auto [user, pass] = *o.basic_auth;
      run.listen("Fetch.authRequired", [weak, user, pass](const json::object& p) {
        auto session = weak.lock();
        if (!session) return;
        json::object answer =
            Params()("response", "ProvideCredentials")("username", user)("password", pass);
        session->send("Fetch.continueWithAuth",
                      Params()("requestId", std::string(json_string(p, "requestId")))(
                          "authChallengeResponse", std::move(answer)));
      });
    }
    extra(s.send("Fetch.enable", Params()("patterns", std::move(patterns))(
                                     "handleAuthRequests", o.basic_auth.has_value())));
  }
  if (auto ok = co_await await_all(std::move(replies), run.deadline); !ok) co_return ok;
  if (probes) {
    auto installed = co_await probes->wait(run.deadline);
    if (installed) kept.probes = json_string(*installed, "identifier");
  }
  co_return Result<void>{};
}

Task<Result<void>> navigate(Run& run) {
  auto start = Clock::now();
  track_network(run);
  auto& s = run.session;
  // The main frame's lifecycle event of the document this navigation loads:
  // a kept session also saw the reset's about:blank, whose late events must
  // not count. Events that come before the reply names the loader are kept.
  std::string_view event = run.o.wait_until == WaitUntil::domcontentloaded ? "DOMContentLoaded"
                           : run.o.wait_until == WaitUntil::networkidle    ? "networkIdle"
                                                                           : "load";
  auto loader = std::make_shared<std::optional<std::string>>();
  auto early = std::make_shared<std::set<std::string>>();
  auto ready = s.expect("Page.lifecycleEvent", [&run, event, loader, early](const json::object& p) {
    if (json_string(p, "name") != event || json_string(p, "frameId") != run.target_id) return false;
    std::string id(json_string(p, "loaderId"));
    if (!*loader) return early->insert(std::move(id)), false;
    return loader->value().empty() || id == **loader;
  });
  auto nav = co_await s.call("Page.navigate", Params()("url", run.url), run.deadline);
  if (!nav) co_return fail(nav.error());
  if (auto error_text = json_string(*nav, "errorText"); !error_text.empty())
    co_return fail(Errc::navigation_failed,
                   "could not load " + run.url + ": " + std::string(error_text));
  *loader = std::string(json_string(*nav, "loaderId"));
  if (early->contains(**loader)) ready->settle(json::object{});
  run.result.timings.navigate_ms = elapsed_ms(start);
  auto committed = Clock::now();
  auto loaded = co_await ready->wait(run.deadline);
  run.result.timings.load_ms = elapsed_ms(committed);
  if (!run.blocked.empty())
    co_return fail(Errc::blocked, "refused by the egress policy: " + run.blocked.substr(0, 200));
  if (!loaded) co_return fail(loaded.error());
  co_return Result<void>{};
}

Task<Result<void>> wait_ready(Run& run) {
  auto start = Clock::now();
  auto& o = run.o;
  if (o.wait_until == WaitUntil::automatic)
    if (auto r = co_await readiness_gate(run); !r) co_return fail(r.error());
  if (!o.wait_for_selector.empty()) {
    auto found = co_await evaluate(
        run, "new Promise(resolve => { const sel = " + js_string(o.wait_for_selector) +
                 "; const hit = () => document.querySelector(sel);"
                 " if (hit()) return resolve(true);"
                 " const mo = new MutationObserver(() => { if (hit()) {"
                 " mo.disconnect(); resolve(true); } });"
                 " mo.observe(document, {childList: true, subtree: true,"
                 " attributes: true}); })");
    if (!found) {
      if (found.error().code == Errc::timeout)
        co_return fail(Errc::timeout, "timed out waiting for selector " + o.wait_for_selector);
      co_return fail(found.error());
    }
  }
  if (!o.wait_for_function.empty()) {
    auto ok = co_await evaluate(
        run, "new Promise(resolve => { const f = new Function('return (' + " +
                 js_string(o.wait_for_function) +
                 " + ')'); const poll = () => { let v; try { v = f(); }"
                 " catch (e) {} if (v) resolve(true); else setTimeout(poll, 50); };"
                 " poll(); })");
    if (!ok) {
      if (ok.error().code == Errc::timeout)
        co_return fail(Errc::timeout,
                       "timed out waiting for function " + o.wait_for_function.substr(0, 100));
      co_return fail(ok.error());
    }
  }
  if (o.delay_ms > 0) {
    if (run.deadline.remaining() < Millis(o.delay_ms))
      co_return fail(Errc::timeout, "delay_ms exceeds the time left");
    co_await sleep_for(Millis(o.delay_ms));
  }
  run.result.timings.wait_ms = elapsed_ms(start);
  co_return Result<void>{};
}

// One script for everything that acts on the page: one round trip.
std::string act_script(const CaptureOptions& o) {
  std::string css = o.css;
  for (auto& sel : o.hide_selectors)
    css += "\n" + sel + " { visibility: hidden !important; }";
  std::string js = "(async () => {\n";
  if (o.scroll_to_bottom) {
    js +=
        "  for (let y = 0, i = 0; y < document.documentElement.scrollHeight && i < 200; i++) {\n"
        "    y += innerHeight; scrollTo(0, y);\n"
        "    await new Promise(r => setTimeout(r, 100));\n"
        "  }\n  scrollTo(0, 0);\n";
  }
  if (!css.empty())
    js += "  { const s = document.createElement('style'); s.textContent = " + js_string(css) +
          "; (document.head || document.documentElement).appendChild(s); }\n";
  if (!o.remove_selectors.empty())
    js += "  for (const sel of " + js_string_list(o.remove_selectors) +
          ") { try { document.querySelectorAll(sel).forEach(e => e.remove()); } catch (e) {} }\n";
  if (!o.click_selector.empty())
    js += "  { const e = document.querySelector(" + js_string(o.click_selector) +
          "); if (!e) return 'click_selector matched no element'; e.click(); }\n";
  if (o.block_cookie_banners) js += "  {" + dismiss_banners_script() + "  }\n";
  if (!o.js.empty()) js += "  await (async () => { " + o.js + "\n  })();\n";
  js +=
      "  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));\n"
      "  return '';\n})()";
  return js;
}

Task<Result<void>> act(Run& run) {
  auto& o = run.o;
  bool anything = o.scroll_to_bottom || o.block_cookie_banners || !o.css.empty() ||
                  !o.hide_selectors.empty() || !o.remove_selectors.empty() ||
                  !o.click_selector.empty() || !o.js.empty();
  if (!anything) co_return Result<void>{};
  auto start = Clock::now();
  auto r = co_await evaluate(run, act_script(o));
  if (!r) {
    if (r.error().code == Errc::invalid_argument && !o.js.empty())
      co_return fail(Errc::invalid_argument, r.error().message, "options.js");
    co_return fail(r.error());
  }
  if (r->is_string() && !r->get_string().empty())
    co_return fail(Errc::invalid_argument, std::string(r->get_string()), "options.click_selector");
  run.result.timings.act_ms = elapsed_ms(start);
  co_return Result<void>{};
}

// Links of the rendered DOM (after scripts ran), resolved, distinct, bounded.
constexpr std::string_view kLinksScript =
    "[...new Set([...document.querySelectorAll('a[href],area[href]')].map(a => a.href)"
    ".filter(h => /^https?:/i.test(h)))].slice(0, 1000)";

Task<Result<void>> facts(Run& run) {
  bool links = std::ranges::find(run.o.extract, "links") != run.o.extract.end();
  auto r = co_await evaluate(run, "({href: location.href, title: document.title" +
                                      std::string(links ? ", links: " : "") +
                                      std::string(links ? kLinksScript : "") + "})");
  if (r && r->is_object()) {
    auto& o = r->get_object();
    run.result.facts.final_url = json_string(o, "href", run.result.facts.final_url);
    run.result.facts.title = json_string(o, "title");
    if (auto* list = o.if_contains("links"); list && list->is_array())
      for (auto& l : list->get_array())
        if (l.is_string()) run.result.facts.links.emplace_back(l.get_string());
  }
  if (run.o.block_ads) run.result.trace["ads_blocked"] = run.ads_blocked;
  co_return Result<void>{};
}

// One PNG-or-other screenshot of `clip` (or the viewport), decoded from base64.
Task<Result<std::string>> screenshot(Run& run, Format format, const std::optional<Clip>& clip,
                                     bool tile = false) {
  Params p;
  p("format", format == Format::jpeg ? "jpeg" : format == Format::webp ? "webp" : "png");
  if (format != Format::png) p("quality", run.o.quality);
  p("fromSurface", true);
  // Chromium's default PNG effort costs about a third of the capture for
  // files about a quarter smaller; tiles are re-encoded when joined anyway.
  if (format == Format::png && (tile || !run.o.small_png)) p("optimizeForSpeed", true);
  if (clip) {
    p("clip", Params()("x", clip->x)("y", clip->y)("width", clip->width)("height", clip->height)(
                  "scale", 1));
    p("captureBeyondViewport", true);
  } else {
    p("captureBeyondViewport", false);
  }
  auto reply = run.session.send("Page.captureScreenshot", std::move(p));
  if (run.pool) run.pool->lull();
  auto shot = co_await reply->wait(run.deadline);
  if (!shot) co_return fail(shot.error());
  auto decode_start = Clock::now();
  auto bytes = base64_decode(json_string(*shot, "data"));
  run.result.timings.decode_ms += elapsed_ms(decode_start);
  if (!bytes || bytes->empty()) co_return fail(Errc::internal, "Chromium returned no image data");
  co_return std::move(*bytes);
}

// After the first tile, fixed and sticky elements would be painted again in
// every tile: they are taken out of the picture (they stay in the first).
constexpr std::string_view kUnpinScript = R"JS((() => {
  let n = 0;
  for (const e of document.querySelectorAll('body *')) {
    const p = getComputedStyle(e).position;
    if (p === 'fixed' || p === 'sticky') { e.style.setProperty('visibility', 'hidden', 'important'); n++; }
  }
  return n;
})())JS";

// A page taller than Chromium's texture limit: tiles, joined by the caller's tools.
Task<Result<std::string>> shoot_tiles(Run& run, double height, double tile) {
  std::vector<std::string> tiles;
  for (double y = 0; y < height; y += tile) {
    if (y > 0 && tiles.size() == 1)
      if (auto r = co_await evaluate(run, std::string(kUnpinScript)); r && r->is_number())
        run.result.trace["tiles_unpinned"] = r->to_number<double>();
    auto t = co_await screenshot(
        run, Format::png, Clip{0, y, static_cast<double>(run.o.width), std::min(tile, height - y)},
        true);
    if (!t) co_return fail(t.error());
    tiles.push_back(std::move(*t));
  }
  run.result.tiles = static_cast<int>(tiles.size());
  auto joined = co_await run.tools->stitch(std::move(tiles), run.o.format, run.o.quality);
  if (!joined) co_return fail(joined.error().code, "joining the tiles: " + joined.error().message);
  co_return std::move(*joined);
}

Task<Result<void>> shoot(Run& run) {
  auto start = Clock::now();
  auto& o = run.o;
  auto& s = run.session;
  Result<std::string> bytes = fail(Errc::internal, "no picture taken");
  if (o.format == Format::pdf) {
    auto pdf = co_await s.call("Page.printToPDF", Params()("printBackground", true), run.deadline);
    if (!pdf) co_return fail(pdf.error());
    bytes = base64_decode(json_string(*pdf, "data")).value_or(std::string());
  } else {
    std::optional<Clip> clip = o.clip;
    if (!o.selector.empty()) {
      auto rect = co_await evaluate(
          run, "(() => { const e = document.querySelector(" + js_string(o.selector) +
                   "); if (!e) return null; const r = e.getBoundingClientRect();"
                   " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: "
                   "r.height}; })()");
      if (!rect) co_return fail(rect.error());
      if (!rect->is_object())
        co_return fail(Errc::invalid_argument, "selector matched no element: " + o.selector,
                       "options.selector");
      auto& r = rect->get_object();
      clip = Clip{json_double(r, "x"), json_double(r, "y"), json_double(r, "width"),
                  json_double(r, "height")};
      if (clip->width < 1 || clip->height < 1)
        co_return fail(Errc::invalid_argument,
                       "selector matched an element with no size: " + o.selector,
                       "options.selector");
    }
    double tiled_height = 0, tile = 0;
    if (o.full_page) {
      auto metrics = co_await s.call("Page.getLayoutMetrics", json::object(), run.deadline);
      if (!metrics) co_return fail(metrics.error());
      double content_height = o.height;
      if (auto* size = json_object(*metrics, "cssContentSize"))
        content_height = std::max(content_height, json_double(*size, "height"));
      tile = std::floor(kMaxCapturePixels / o.device_scale_factor);
      double limit = o.max_height;
      // WebP cannot be taller than 16,383 px; without tools there is one tile.
      if (o.format == Format::webp)
        limit = std::min(limit, std::floor(16383 / o.device_scale_factor));
      if (!run.tools) limit = std::min(limit, tile);
      run.result.truncated = content_height > limit;
      double height = std::min(content_height, limit);
      clip = Clip{0, 0, static_cast<double>(o.width), height};
      if (height > tile) tiled_height = height;
    }
    if (clip) run.area = *clip;
    if (tiled_height > 0)
      bytes = co_await shoot_tiles(run, tiled_height, tile);
    else
      bytes = co_await screenshot(run, o.format, clip);
  }
  if (!bytes) co_return fail(bytes.error());
  if (bytes->empty()) co_return fail(Errc::internal, "Chromium returned no image data");
  run.result.bytes = std::move(*bytes);
  run.result.format = o.format;
  if (auto size = image_size(run.result.bytes))
    std::tie(run.result.width, run.result.height) = *size;
  run.result.timings.capture_ms = elapsed_ms(start);
  co_return Result<void>{};
}

// The verdict, and a failure when the caller asked not to get such pictures.
Task<Result<void>> verdict(Run& run) {
  auto start = Clock::now();
  auto judged = co_await judge(run, run.area);
  run.result.timings.verdict_ms = elapsed_ms(start);
  if (!judged) co_return judged;
  auto& facts = run.result.facts;
  auto name = std::string(to_string(facts.verdict));
  if (facts.verdict != Verdict::ok && std::ranges::find(run.o.fail_on, name) != run.o.fail_on.end())
    co_return fail(
        Errc::unwanted_page,
        "the picture is " + name + " (" + facts.verdict_reason + ") and fail_on refuses it",
        "options.fail_on");
  co_return Result<void>{};
}

struct NamedStep {
  std::string_view name;
  Step step;
};
constexpr NamedStep kSteps[] = {
    {"emulating the device", emulate},    {"loading the page", navigate},
    {"waiting for the page", wait_ready}, {"acting on the page", act},
    {"reading page facts", facts},        {"capturing", shoot},
    {"judging the picture", verdict},
};

}  // namespace

std::string js_string(std::string_view s) {
  return json::serialize(json::value(json::string(s)));
}

// Evaluates `expression` in the page (awaiting a promise) and returns its value.
Task<Result<json::value>> evaluate(Run& run, std::string expression,
                                   std::optional<Deadline> deadline) {
  auto r = co_await run.session.call("Runtime.evaluate",
                                     Params()("expression", expression)("awaitPromise", true)(
                                         "returnByValue", true)("userGesture", true),
                                     deadline.value_or(run.deadline));
  if (!r) co_return fail(r.error());
  if (auto* ex = json_object(*r, "exceptionDetails")) {
    std::string text(json_string(*ex, "text", "exception"));
    if (auto* e = json_object(*ex, "exception")) text = json_string(*e, "description", text);
    co_return fail(Errc::invalid_argument, "page script failed: " + text.substr(0, 300));
  }
  auto* res = json_object(*r, "result");
  if (!res || !res->if_contains("value")) co_return json::value();
  co_return res->at("value");
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::blank:
      return "blank";
    case Verdict::error_page:
      return "error_page";
    case Verdict::challenge:
      return "challenge";
  }
  return "ok";
}

json::object to_json(const PageFacts& f, const Timings& t) {
  json::object timings = Params()("acquire_ms", t.acquire_ms)("navigate_ms", t.navigate_ms)(
      "load_ms", t.load_ms)("wait_ms", t.wait_ms)("act_ms", t.act_ms)("capture_ms", t.capture_ms)(
      "decode_ms", t.decode_ms)("verdict_ms", t.verdict_ms)("total_ms", t.total_ms);
  json::object out = Params()("final_url", f.final_url)("http_status", f.http_status)(
      "title", f.title)("verdict", to_string(f.verdict))("timings", std::move(timings));
  if (!f.verdict_reason.empty()) out["verdict_reason"] = f.verdict_reason;
  if (!f.links.empty()) {
    json::array links;
    for (auto& l : f.links)
      links.emplace_back(json::string(l));
    out["links"] = std::move(links);
  }
  return out;
}

Task<Result<CaptureResult>> Capturer::capture(std::string url, CaptureOptions options) {
  const auto start = Clock::now();
  const Deadline deadline = Deadline::in(Millis(options.timeout_ms));
  Error last{Errc::internal, "no attempt made"};
  for (int attempt = 1; attempt <= max_attempts_; ++attempt) {
    auto acquired_at = Clock::now();
    auto lease = co_await pool_.acquire(
        deadline, browser::TabNeeds{.own_renderer = options.carries_credentials()});
    if (!lease) {
      last = lease.error();
      if (!last.retryable() || deadline.expired()) break;
      continue;
    }
    auto& page = lease->page();
    Run run{page.session(), page.target_id(), url,     options,
            deadline,       tools_,           limits_, &page.baseline()};
    run.area = Clip{0, 0, static_cast<double>(options.width), static_cast<double>(options.height)};
    run.result.timings.acquire_ms = elapsed_ms(acquired_at);
    run.pool = &pool_;
    std::optional<Error> error;
    for (auto& [name, step] : kSteps) {
      if (deadline.expired()) {
        error = Error{Errc::timeout, "timed out before " + std::string(name)};
        break;
      }
      auto r = co_await step(run);
      if (!run.over_limit.empty()) r = fail(Errc::too_large, run.over_limit);
      if (!r) {
        error = r.error();
        if (error->code == Errc::timeout)
          error->message = "capture timed out after " + std::to_string(options.timeout_ms) +
                           " ms while " + std::string(name) + " (" + error->message + ")";
        break;
      }
    }
    if (!error) {
      if (!run.extra_overrides) page.keep(true);
      run.result.attempts = attempt;
      run.result.timings.total_ms = elapsed_ms(start);
      co_return std::move(run.result);
    }
    last = std::move(*error);
    if (!last.retryable() || deadline.expired()) break;
    log::warn("capture of {} failed ({}), retrying: attempt {}", url, last.message, attempt + 1);
  }
  co_return fail(std::move(last));
}

}  // namespace shot::capture
