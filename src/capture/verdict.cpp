#include "capture/verdict.hpp"

#include <cmath>
#include <optional>

#include "cdp/params.hpp"

namespace shot::capture {
namespace {

using cdp::Params;

// Pixels in the small copy judged for blankness: enough that a line of text
// still shows as ink after scaling down a tall page.
constexpr double kJudgedPixels = 200'000;
// How far (per channel, 0-255) a pixel may stray from the first and the
// picture still count as one colour: rounding noise, not content. JPEG and
// WebP smear even a flat colour by up to ~8 (WebP at quality 50).
constexpr int kTolerance = 2;
constexpr int kLossyTolerance = 16;

// Runs in an isolated world: the page's globals cannot lie to it. Returns
// where the page is a bot wall, Chromium's error page, or one colour.
constexpr std::string_view kJudgeScript = R"JS(
  const out = {error_page: location.href.startsWith('chrome-error://'), challenge: ''};
  const has = (s) => { try { return document.querySelector(s) !== null; } catch (e) { return false; } };
  const title = (document.title || '').trim();
  const text = document.body ? (document.body.innerText || '').length : 0;
  if (/^(just a moment|attention required|checking your browser|verifying you are human)/i.test(title) ||
      has('#challenge-form, #cf-challenge-running, .cf-browser-verification, #cf-chl-widget, ' +
          '#challenge-running, iframe[src*="challenges.cloudflare.com"]'))
    out.challenge = 'cloudflare challenge';
  else if (text < 2000 && has('.g-recaptcha, .h-captcha, .cf-turnstile, #px-captcha, ' +
          'iframe[src*="/recaptcha/"], iframe[src*="hcaptcha.com"], iframe[src*="captcha-delivery.com"]'))
    out.challenge = 'captcha';
  if (png) {
    const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
    const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    let single = true;
    for (let i = 4; i < d.length && single; i += 4)
      for (let c = 0; c < 4; c++) if (Math.abs(d[i + c] - d[c]) > 2) { single = false; break; }
    out.single_colour = single;
    out.colour = '#' + [d[0], d[1], d[2]].map(v => v.toString(16).padStart(2, '0')).join('');
  }
  return out;
)JS";

// A small copy of `area` as Chromium renders it, base64 PNG; empty when it cannot.
Task<std::string> small_copy(Run& run, const Clip& area) {
  double scale = std::min(1.0, std::sqrt(kJudgedPixels / std::max(1.0, area.width * area.height)) /
                                   run.o.device_scale_factor);
  // Within the viewport Chromium copies what it has painted; beyond it, it
  // must lay the page out again at full size first.
  bool beyond = area.y + area.height > run.o.height || area.x + area.width > run.o.width;
  auto shot = co_await run.session.call(
      "Page.captureScreenshot",
      Params()("format", "png")("fromSurface", true)("captureBeyondViewport", beyond)(
          "clip", Params()("x", area.x)("y", area.y)("width", area.width)("height", area.height)(
                      "scale", scale)),
      run.deadline);
  if (!shot) co_return std::string();
  co_return std::string(json_string(*shot, "data"));
}

}  // namespace

Task<Result<void>> judge(Run& run, const Clip& area) {
  auto& facts = run.result.facts;
  // The picture itself when the tools can read it (usually its first rows
  // only); otherwise a small copy Chromium renders, decoded in the page.
  bool judged = false;
  std::optional<std::string> colour;  // when judged: the one colour, if any
  if (run.tools && run.o.format != Format::pdf && !run.result.bytes.empty()) {
    int tolerance = run.o.format == Format::png ? kTolerance : kLossyTolerance;
    auto one = co_await run.tools->single_colour(run.result.bytes, tolerance);
    judged = one.has_value();
    if (one) colour = std::move(*one);
  }
  std::string png;
  if (!judged) png = co_await small_copy(run, area);
  auto world = co_await run.session.call(
      "Page.createIsolatedWorld", Params()("frameId", run.target_id)("worldName", "shot-verdict"),
      run.deadline);
  json::object page;
  if (world) {
    std::string expression =
        "(async (png) => {" + std::string(kJudgeScript) + "})(" + js_string(png) + ")";
    auto r = co_await run.session.call(
        "Runtime.evaluate",
        Params()("expression", expression)("contextId", json_int(*world, "executionContextId"))(
            "awaitPromise", true)("returnByValue", true),
        run.deadline);
    if (r)
      if (auto* res = json_object(*r, "result"))
        if (auto* v = res->if_contains("value"); v && v->is_object()) page = v->get_object();
  }
  if (auto challenge = json_string(page, "challenge"); !challenge.empty()) {
    facts.verdict = Verdict::challenge;
    facts.verdict_reason = challenge;
  } else if (facts.http_status >= 400) {
    facts.verdict = Verdict::error_page;
    facts.verdict_reason = "HTTP " + std::to_string(facts.http_status);
  } else if (json_bool(page, "error_page")) {
    facts.verdict = Verdict::error_page;
    facts.verdict_reason = "the browser's error page";
  } else if (colour) {
    facts.verdict = Verdict::blank;
    facts.verdict_reason = "a single colour, " + *colour;
  } else if (json_bool(page, "single_colour")) {
    facts.verdict = Verdict::blank;
    facts.verdict_reason = "a single colour, " + std::string(json_string(page, "colour"));
  }
  co_return Result<void>{};
}

}  // namespace shot::capture
