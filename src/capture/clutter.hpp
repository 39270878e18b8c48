#pragma once
// Clutter: `block_ads` and `block_cookie_banners`.
//
// Ads and trackers: uBlock Origin's Debian package (webext-ublock-origin-
// chromium) ships EasyList and EasyPrivacy, but as a Manifest V2 extension it
// cannot run in Chromium 156 (MV2 support is gone). shot reads the lists'
// network rules instead — `||host^` (the host and its subdomains) and plain
// path rules like `/ads?zone=` — and refuses matching requests at the Fetch
// domain, so they never leave the browser. Exception and cosmetic rules are not
// applied; a compact built-in list stands in when the package is missing.
//
// Cookie banners: CSS that hides the containers of the common consent
// platforms (and generic cookie-banner markers) from the first paint, then a
// click on their "reject" (or else "accept") button before the picture.

#include <string>
#include <string_view>

#include "capture/run.hpp"

namespace shot::capture {

// Whether a sub-resource request to `url` is an ad or a tracker.
bool is_ad_url(std::string_view url);

// Where the rules came from and how many: for the trace and the docs.
std::string ad_rules_summary();

// Installs the CSS that hides banners (and generic ad slots) in every document.
std::shared_ptr<cdp::OneShot> install_clutter_css(Run& run);

// JavaScript (for the act step) that clicks a consent platform's button.
std::string dismiss_banners_script();

}  // namespace shot::capture
