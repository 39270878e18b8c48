#include "capture/readiness.hpp"

#include <strings.h>

#include <algorithm>
#include <set>

#include "cdp/params.hpp"

namespace shot::capture {
namespace {

using cdp::Params;

// Network counts as quiet after this long with nothing in flight.
constexpr Millis kQuietWindow{100};
// An XHR or fetch open longer than this is a long poll: not waited for.
constexpr Millis kLongPoll{2000};
// Time kept back from the gate for acting on the page and taking the picture.
constexpr Millis kMaxReserve{5000};
// Gate passes: another one runs when the network woke up during the last.
constexpr int kMaxPasses = 5;
// A page whose DOM or layout changes frame after frame for this long is
// animating, not loading: the frames condition stops waiting for it.
constexpr Millis kMaxSettle{2000};

// Runs before the page's own scripts, in every document of the capture: notes
// one-off timers (setTimeout soon after load, not loops) and animation frames
// requested, so the gate can wait for the first and see the second.
constexpr std::string_view kProbeScript = R"JS((() => {
  if (Object.prototype.hasOwnProperty.call(window, '__shotGate')) return;
  const st = window.setTimeout, ct = window.clearTimeout, raf = window.requestAnimationFrame;
  const pending = new Map();  // timer id -> when it is due
  let depth = 0, frames = 0;
  Object.defineProperty(window, '__shotGate', {value: {
    pending, frames: () => frames,
    setTimeout: (f, ms) => st.call(window, f, ms), raf: (f) => raf.call(window, f)}});
  window.setTimeout = function (fn, delay, ...args) {
    if (typeof fn !== 'function') return st.apply(window, arguments);
    const mine = depth + 1, ms = Number(delay) || 0;
    const id = st.call(window, function () {
      pending.delete(id);
      const outer = depth;
      depth = mine;
      try { return fn.apply(this, args); } finally { depth = outer; }
    }, delay);
    // A timer set by a timer set by a timer is a loop: not waited for.
    if (ms <= 1000 && mine <= 3) pending.set(id, performance.now() + ms);
    return id;
  };
  window.clearTimeout = function (id) { pending.delete(id); return ct.call(window, id); };
  window.requestAnimationFrame = function (cb) { frames++; return raf.call(window, cb); };
})())JS";

// Shared helpers of the in-page scripts: a frame (true; or false after 50 ms
// when no frame came), a sleep and a race against the budget that the page
// cannot slow down.
constexpr std::string_view kHelpers = R"JS(
  const g = window.__shotGate, t0 = performance.now();
  const left = () => budget - (performance.now() - t0);
  const sleep = (ms) => new Promise(r => (g ? g.setTimeout : setTimeout)(r, Math.max(0, ms)));
  const frame = () => Promise.race([
    new Promise(r => (g ? g.raf : requestAnimationFrame)(() => r(true))), sleep(50).then(() => false)]);
  const within = (p) => Promise.race([
    Promise.resolve(p).then(() => true, () => true), sleep(left()).then(() => false)]);
)JS";

// One pass of the in-page conditions, each given what is left of `budget`.
constexpr std::string_view kPassScript = R"JS(
  const ms = {}, unmet = [];
  const mark = (name, ok) => { ms[name] = Math.round(performance.now() - t0); if (!ok) unmet.push(name); };
  if (g) {  // one-off timers due within a second of now
    const soon = performance.now() + 1000;
    const due = [...g.pending].filter(([, at]) => at <= soon).map(([id]) => id);
    mark('timers', await within(new Promise(r => {
      const check = () => due.every(id => !g.pending.has(id)) ? r() : g.setTimeout(check, 10);
      check(); })));
  }
  let fonts = await within(document.fonts.ready);
  for (let i = 0; fonts && document.fonts.status === 'loading' && i < 5; i++)
    fonts = await within(document.fonts.ready);
  mark('fonts', fonts && document.fonts.status !== 'loading');
  const bottom = fullPage ? Infinity : innerHeight;
  const images = [...document.images].filter(i => {
    if (i.complete) return true;
    const r = i.getBoundingClientRect();
    return r.bottom > 0 && r.top < bottom && r.right > 0 && r.left < innerWidth; });
  mark('images', await within(Promise.all(images.map(i => i.decode().catch(() => null)))));
  const background_images = performance.getEntriesByType('resource').filter(e =>
    e.initiatorType === 'css' && !/\.(woff2?|ttf|otf|eot)(\?|$)/i.test(e.name)).length;
  // Finite animations and transitions jump to their end; infinite ones keep running.
  let finished = 0, infinite = 0;
  const finish = () => {
    infinite = 0;
    for (const a of document.getAnimations()) {
      try {
        const t = a.effect && a.effect.getComputedTiming();
        if (!t || a.playState === 'finished' || a.playState === 'idle') continue;
        if (!isFinite(t.endTime)) { infinite++; continue; }
        a.finish(); finished++;
      } catch (e) {}
    }
  };
  finish();
  mark('animations', true);
  // Frames: two in a row in which nothing in the DOM changed, nothing shifted
  // and the document kept its height. Only frames that really came count: on
  // a busy machine a frame can take longer than the 50 ms fallback, and the
  // page's own frame callbacks have not run yet. Half a second without any
  // frame (a page that never paints) counts as quiet too. A page that keeps
  // changing for settleMs (a script-driven animation, a ticker) will not
  // settle: it is taken as it is, and the trace says so.
  let changed = false, shifted = false;
  const mo = new MutationObserver(() => { changed = true; });
  mo.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  let po = null;
  try {
    po = new PerformanceObserver(l => { for (const e of l.getEntries()) if (e.value > 0) shifted = true; });
    po.observe({type: 'layout-shift'});
  } catch (e) {}
  const height = () => document.documentElement ? document.documentElement.scrollHeight : 0;
  let quiet = 0, lastHeight = height(), lastChanged = false, lastShifted = false, busyFrames = false;
  let stalls = 0;
  const settling = performance.now();
  while (quiet < 2 && left() > 0 && performance.now() - settling < settleMs) {
    const f0 = g ? g.frames() : 0;
    const painted = await Promise.race([frame(), sleep(left()).then(() => false)]);
    finish();
    const h = height();
    busyFrames = g ? g.frames() > f0 : false;
    lastChanged = changed;
    lastShifted = shifted || h !== lastHeight;
    quiet = lastChanged || lastShifted ? 0 : painted || ++stalls >= 10 ? quiet + 1 : quiet;
    changed = shifted = false;
    lastHeight = h;
  }
  mo.disconnect();
  if (po) po.disconnect();
  mark('frames', quiet >= 2 || !lastChanged);
  mark('layout', quiet >= 2 || !lastShifted);
  return {ms, unmet, images: images.length, background_images, animations_finished: finished,
          animations_infinite: infinite, animation_frames_requested: busyFrames};
)JS";

// Scrolls down viewport by viewport (up to max height) so lazy images and
// intersection-observer content load, then back to the top.
constexpr std::string_view kScrollScript = R"JS(
  const step = Math.max(200, innerHeight);
  const end = () => Math.min(document.documentElement.scrollHeight, maxHeight);
  let y = 0, steps = 0;
  while (y + innerHeight < end() && left() > 0 && steps < 1000) {
    y += step;
    scrollTo({top: y, left: 0, behavior: 'instant'});
    steps++;
    await frame(); await frame();
  }
  scrollTo({top: 0, left: 0, behavior: 'instant'});
  await frame();
  return {steps, height: document.documentElement.scrollHeight};
)JS";

std::string page_function(std::string_view body, std::string_view params, std::string args) {
  return "(async (" + std::string(params) + ") => {" + std::string(kHelpers) + std::string(body) +
         "})(" + args + ")";
}

bool quiet_now(const Run& run) {
  auto now = Clock::now();
  for (auto& [id, r] : run.inflight)
    if (!r.stream && now - r.start < kLongPoll) return false;
  return now - run.last_activity >= kQuietWindow;
}

// Waits (polling the state the network listeners keep) until quiet or `until`.
Task<bool> network_quiet(Run& run, Deadline until) {
  while (!quiet_now(run)) {
    if (until.expired()) co_return false;
    co_await sleep_for(std::min(Millis(20), until.remaining()));
  }
  co_return true;
}

Deadline gate_deadline(const Run& run) {
  auto reserve = std::min(kMaxReserve, Millis(run.o.timeout_ms / 4));
  return Deadline(run.deadline.at() - reserve);
}

}  // namespace

namespace {

// Stops the page at its first limit: nothing more loads, and the capture fails.
void stop_over_limit(Run& run, std::string why) {
  if (!run.over_limit.empty()) return;
  run.over_limit = std::move(why);
  run.session.send("Network.setBlockedURLs", Params()("urls", json::array{"*"}));
  run.session.send("Page.stopLoading");
}

void count_bytes(Run& run, const std::string& request_id, std::int64_t total_for_request) {
  auto& seen = run.bytes_by_request[request_id];
  if (total_for_request <= seen) return;
  run.bytes += total_for_request - seen;
  seen = total_for_request;
  if (run.bytes > run.limits.max_bytes)
    stop_over_limit(run, "the page loaded more than " + std::to_string(run.limits.max_bytes) +
                             " bytes (the server's per-page limit)");
}

}  // namespace

void track_network(Run& run) {
  run.listen("Network.requestWillBeSent", [&run](const json::object& p) {
    if (++run.requests > run.limits.max_requests)
      stop_over_limit(run, "the page made more than " + std::to_string(run.limits.max_requests) +
                               " requests (the server's per-page limit)");
    auto type = json_string(p, "type");
    run.inflight[std::string(json_string(p, "requestId"))] =
        Run::Request{Clock::now(), type == "EventSource"};
    if (type != "EventSource") run.last_activity = Clock::now();
  });
  auto done = [&run](const json::object& p) {
    auto it = run.inflight.find(std::string(json_string(p, "requestId")));
    if (it == run.inflight.end()) return;
    if (!it->second.stream) run.last_activity = Clock::now();
    run.inflight.erase(it);
  };
  run.listen("Network.dataReceived", [&run](const json::object& p) {
    std::string id(json_string(p, "requestId"));
    count_bytes(run, id, run.bytes_by_request[id] + json_int(p, "encodedDataLength"));
  });
  run.listen("Network.loadingFinished", [&run, done](const json::object& p) {
    count_bytes(run, std::string(json_string(p, "requestId")), json_int(p, "encodedDataLength"));
    done(p);
  });
  run.listen("Network.loadingFailed", done);
  run.listen("Network.responseReceived", [&run](const json::object& p) {
    // The main document's response: its status is the page's HTTP status.
    if (json_string(p, "type") != "Document" || json_string(p, "frameId") != run.target_id) return;
    if (auto* resp = json_object(p, "response")) {
      run.result.facts.http_status = static_cast<int>(json_int(*resp, "status"));
      run.result.facts.final_url = json_string(*resp, "url");
      // shot's egress proxy marks what it refused: the page is its refusal, not the site.
      if (auto* headers = json_object(*resp, "headers"))
        for (auto& [name, value] : *headers)
          if (value.is_string() && name.size() == 14 &&
              strcasecmp(std::string(name).c_str(), "x-shot-blocked") == 0)
            run.blocked = std::string(value.get_string());
    }
  });
  // A WebSocket never finishes; its handshake must not hold the page "busy".
  run.listen("Network.webSocketCreated", done);
}

std::shared_ptr<cdp::OneShot> install_probes(Run& run) {
  return run.session.send("Page.addScriptToEvaluateOnNewDocument",
                          Params()("source", std::string(kProbeScript)));
}

Task<Result<void>> readiness_gate(Run& run) {
  const auto start = Clock::now();
  const Deadline gate = gate_deadline(run);
  auto since_start = [&] { return std::round(elapsed_ms(start)); };
  json::object ms;
  json::object page;
  std::set<std::string> unmet;
  bool network = co_await network_quiet(run, gate);
  ms["network_quiet"] = since_start();

  if (run.o.full_page && run.o.javascript) {
    auto budget = std::to_string(std::max<long long>(100, gate.remaining().count()));
    auto scrolled =
        co_await evaluate(run, page_function(kScrollScript, "budget, maxHeight",
                                             budget + "," + std::to_string(run.o.max_height)));
    if (!scrolled) co_return fail(scrolled.error());
    ms["scroll"] = since_start();
    if (scrolled->is_object()) page["scroll_steps"] = json_int(scrolled->get_object(), "steps");
  }

  int passes = 0;
  while (passes < kMaxPasses) {
    ++passes;
    unmet.clear();
    network = co_await network_quiet(run, gate);
    ms["network_quiet"] = since_start();
    if (!network) unmet.insert("network_quiet");
    if (!run.o.javascript) break;
    auto pass_start = Clock::now();
    auto offset = since_start();
    // Even out of time, one short pass: animations are still fast-forwarded
    // and the trace still says which conditions held.
    auto budget = std::to_string(std::max<long long>(150, gate.remaining().count()));
    auto r =
        co_await evaluate(run, page_function(kPassScript, "budget, fullPage, settleMs",
                                             budget + "," + (run.o.full_page ? "true" : "false") +
                                                 "," + std::to_string(kMaxSettle.count())));
    if (!r) {
      if (run.session.gone() || r.error().code == Errc::timeout) co_return fail(r.error());
      unmet.insert("page_script");  // the page broke something the probes rely on
      break;
    }
    if (r->is_object()) {
      auto& o = r->get_object();
      if (auto* pms = json_object(o, "ms"))
        for (auto& [k, v] : *pms)
          ms[k] = offset + (v.is_number() ? v.to_number<double>() : 0);
      if (auto* u = o.if_contains("unmet"); u && u->is_array())
        for (auto& v : u->get_array())
          if (v.is_string()) unmet.insert(std::string(v.get_string()));
      for (auto key : {"images", "background_images", "animations_finished", "animations_infinite",
                       "animation_frames_requested"})
        if (auto* v = o.if_contains(key)) page[key] = *v;
    }
    // The network woke up while the page settled (fetched data, lazy images):
    // what it brings needs another look.
    if (run.last_activity <= pass_start || gate.expired()) break;
  }
  if (!quiet_now(run) && unmet.empty()) unmet.insert("network_quiet");

  auto& trace = run.result.trace;
  trace["wait_until"] = "auto";
  trace["ready"] = unmet.empty();
  json::array reasons;
  for (auto& u : unmet)
    reasons.emplace_back(json::string(u));
  trace["unmet"] = std::move(reasons);
  ms["total"] = since_start();
  trace["ms"] = std::move(ms);
  trace["passes"] = passes;
  int streams = 0;
  for (auto& [id, r] : run.inflight)
    streams += r.stream || Clock::now() - r.start >= kLongPoll;
  trace["ignored_connections"] = streams;
  if (!page.empty()) trace["page"] = std::move(page);
  co_return Result<void>{};
}

}  // namespace shot::capture
