#include "capture/clutter.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <unordered_set>
#include <vector>

#include "cdp/params.hpp"

namespace shot::capture {
namespace {

using cdp::Params;

constexpr std::array<std::string_view, 2> kListFiles = {
    "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easylist.txt",
    "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt",
};

// When the Debian lists are missing: the largest ad and tracking networks.
constexpr std::array<std::string_view, 16> kBuiltinHosts = {"doubleclick.net",
                                                            "googlesyndication.com",
                                                            "googleadservices.com",
                                                            "google-analytics.com",
                                                            "googletagmanager.com",
                                                            "googletagservices.com",
                                                            "adnxs.com",
                                                            "criteo.com",
                                                            "criteo.net",
                                                            "taboola.com",
                                                            "outbrain.com",
                                                            "amazon-adsystem.com",
                                                            "scorecardresearch.com",
                                                            "adsrvr.org",
                                                            "pubmatic.com",
                                                            "rubiconproject.com"};
constexpr std::array<std::string_view, 5> kBuiltinPaths = {"/ads?zone=", "/pagead/", "/adserver",
                                                           "/banner_ads/", "/adframe."};

struct AdRules {
  std::unordered_set<std::string> hosts;
  std::vector<std::string> paths;  // lower case, '*' matches anything
  std::string source;
};

bool plain_path_rule(std::string_view line) {
  if (line.size() < 4 || line.front() == '|' || line.front() == '@' || line.front() == '!' ||
      line.front() == '[' || line.front() == '*')
    return false;
  return std::all_of(line.begin(), line.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("/._-*=?").find(c) != std::string_view::npos;
  });
}

// Options that only narrow a rule by resource type or party: blocking more widely is fine.
bool plain_options(std::string_view options) {
  static constexpr std::array<std::string_view, 14> kPlain = {
      "third-party", "3p",    "script", "image",  "stylesheet", "xmlhttprequest", "subdocument",
      "ping",        "media", "font",   "object", "other",      "websocket",      "beacon"};
  while (!options.empty()) {
    auto comma = options.find(',');
    auto o = options.substr(0, comma);
    if (std::find(kPlain.begin(), kPlain.end(), o) == kPlain.end()) return false;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

AdRules load_rules() {
  AdRules rules;
  for (auto file : kListFiles) {
    std::ifstream in{std::string(file)};
    if (!in) continue;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string_view l = line;
      if (l.starts_with("||")) {
        // `||host^`, alone or limited to resource types or third parties: the
        // host and its subdomains. Rules for pop-ups, documents or some sites only are skipped.
        auto caret = l.find('^');
        if (caret == std::string_view::npos) continue;
        auto rest = l.substr(caret + 1);
        if (!rest.empty() && !(rest.front() == '$' && plain_options(rest.substr(1)))) continue;
        auto host = l.substr(2, caret - 2);
        if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") !=
                                std::string_view::npos)
          continue;
        rules.hosts.emplace(host);
      } else if (plain_path_rule(l)) {
        rules.paths.push_back(lower(l));
      }
    }
    rules.source +=
        (rules.source.empty() ? "" : ", ") + std::string(file.substr(file.rfind('/') + 1));
  }
  // The built-in list always applies: the big networks, whatever options the lists gave them.
  rules.source += rules.source.empty() ? "built-in" : " and built-in";
  for (auto h : kBuiltinHosts)
    rules.hosts.emplace(h);
  for (auto p : kBuiltinPaths)
    rules.paths.emplace_back(p);
  return rules;
}

const AdRules& rules() {
  static const AdRules r = load_rules();  // once per process, thread-safe
  return r;
}

// `pattern` (with '*' wildcards) somewhere in `text`.
bool glob_in(std::string_view text, std::string_view pattern) {
  std::size_t at = 0;
  while (!pattern.empty()) {
    auto star = pattern.find('*');
    auto piece = pattern.substr(0, star);
    if (!piece.empty()) {
      auto found = text.find(piece, at);
      if (found == std::string_view::npos) return false;
      at = found + piece.size();
    }
    if (star == std::string_view::npos) break;
    pattern.remove_prefix(star + 1);
  }
  return true;
}

// Hidden from the first paint: consent platforms (OneTrust, Cookiebot,
// Quantcast, TrustArc, Didomi, Usercentrics, Sourcepoint, Osano, Complianz,
// CookieYes, Borlabs, Klaro, cookieconsent) and generic cookie-banner markers.
constexpr std::string_view kBannerSelectors =
    "#onetrust-consent-sdk, #onetrust-banner-sdk, #CybotCookiebotDialog, "
    "#CybotCookiebotDialogBodyUnderlay, .qc-cmp2-container, #qc-cmp2-container, "
    "#truste-consent-track, #consent_blackbar, .truste_overlay, .truste_box_overlay, "
    "#didomi-host, #didomi-popup, #usercentrics-root, #usercentrics-cmp-ui, "
    "div[id^='sp_message_container'], iframe[id^='sp_message_iframe'], .osano-cm-window, "
    "#cmplz-cookiebanner-container, .cmplz-cookiebanner, .cky-consent-container, .cky-overlay, "
    "#BorlabsCookieBox, .klaro .cookie-notice, .klaro .cookie-modal, .cc-window, .cc-banner, "
    "#cookie-law-info-bar, #cookie-notice, #cookieNotice, #cookie-banner, .cookie-banner, "
    "#cookie-consent, .cookie-consent, #gdpr-banner, .gdpr-banner, #cookiebanner, "
    "[aria-label*='cookie' i][role='dialog'], [aria-describedby*='cookie' i][role='dialog']";

// Generic ad slots (block_ads), collapsed so no empty frames remain.
constexpr std::string_view kAdSelectors =
    "ins.adsbygoogle, .adsbygoogle, div[id^='div-gpt-ad'], iframe[id^='google_ads_iframe'], "
    "iframe[src*='doubleclick.net'], iframe[src*='googlesyndication.com'], "
    "[id^='taboola-'], .OUTBRAIN, amp-ad";

// Reject where the platform offers it (no consent, fewer trackers), else accept.
constexpr std::string_view kDismissScript = R"JS(
  for (const sel of ['#onetrust-reject-all-handler', '#CybotCookiebotDialogBodyButtonDecline',
      '#didomi-notice-disagree-button', '.cky-btn-reject', '.osano-cm-denyAll',
      '.cmplz-btn.cmplz-deny', '#onetrust-accept-btn-handler',
      '#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll', '#didomi-notice-agree-button',
      '.qc-cmp2-summary-buttons button[mode=primary]', '#truste-consent-button',
      '.cky-btn-accept', '.osano-cm-accept-all', '.cmplz-btn.cmplz-accept', '.cc-allow',
      '.cc-dismiss', '#cookie_action_close_header']) {
    const b = document.querySelector(sel);
    if (b) { try { b.click(); } catch (e) {} break; }
  }
)JS";

std::string hide_css(const CaptureOptions& o) {
  std::string css;
  if (o.block_cookie_banners)
    css += ":is(" + std::string(kBannerSelectors) +
           "):not(html):not(body) { display: none !important; }\n";
  if (o.block_ads) css += ":is(" + std::string(kAdSelectors) + ") { display: none !important; }\n";
  return css;
}

}  // namespace

bool is_ad_url(std::string_view url) {
  auto& r = rules();
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  auto rest = url.substr(scheme + 3);
  auto host_end = rest.find_first_of(":/?#");
  std::string host = lower(rest.substr(0, host_end));
  if (auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  for (std::string_view h = host; !h.empty();) {
    if (r.hosts.contains(std::string(h))) return true;
    auto dot = h.find('.');
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
  if (host_end == std::string_view::npos) return false;
  std::string path = lower(rest.substr(host_end));
  return std::any_of(r.paths.begin(), r.paths.end(),
                     [&](const std::string& p) { return glob_in(path, p); });
}

std::string ad_rules_summary() {
  auto& r = rules();
  return r.source + ": " + std::to_string(r.hosts.size()) + " hosts, " +
         std::to_string(r.paths.size()) + " path rules";
}

std::shared_ptr<cdp::OneShot> install_clutter_css(Run& run) {
  std::string source = "(() => { const css = " + js_string(hide_css(run.o)) + R"JS(;
    const add = () => { const s = document.createElement('style'); s.textContent = css;
      (document.head || document.documentElement).appendChild(s); };
    if (document.documentElement) add();
    else document.addEventListener('readystatechange', add, {once: true});
  })())JS";
  return run.session.send("Page.addScriptToEvaluateOnNewDocument",
                          Params()("source", std::move(source)));
}

std::string dismiss_banners_script() {
  return std::string(kDismissScript);
}

}  // namespace shot::capture
