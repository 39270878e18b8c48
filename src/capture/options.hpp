#pragma once
// Capture options (DESIGN §5.1): names, defaults, limits. One table
// (option_specs) drives validation, the CLI flags and the API description.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace shot::capture {

enum class Format { png, jpeg, webp, pdf };
enum class WaitUntil { automatic, load, domcontentloaded, networkidle };
enum class Media { unset, screen, print };

struct Clip {
  double x = 0, y = 0, width = 0, height = 0;
};

struct Cookie {
  std::string name, value, domain, path = "/", url;
  bool secure = false, http_only = false;
};

struct CaptureOptions {
  int width = 1280;
  int height = 800;
  double device_scale_factor = 1;
  bool mobile = false;
  std::string device;
  bool full_page = false;
  int max_height = 16384;
  std::string selector;
  std::optional<Clip> clip;
  bool omit_background = false;
  bool small_png = false;  // png_encoding "small": Chromium's slower, tighter PNG
  Format format = Format::png;
  int quality = 80;  // jpeg and webp
  WaitUntil wait_until = WaitUntil::automatic;
  std::string wait_for_selector;
  std::string wait_for_function;
  int delay_ms = 0;
  int timeout_ms = 30'000;
  bool scroll_to_bottom = false;
  std::string user_agent;
  std::map<std::string, std::string> headers;
  std::vector<Cookie> cookies;
  std::optional<std::pair<std::string, std::string>> basic_auth;  // user, password
  std::string locale;
  std::string timezone;
  bool dark_mode = false;
  bool reduced_motion = false;
  Media media = Media::unset;
  bool javascript = true;
  std::vector<std::string> hide_selectors;
  std::vector<std::string> remove_selectors;
  std::string click_selector;
  std::string css;
  std::string js;
  std::vector<std::string> block_resources;  // CDP resource types, lower case
  std::vector<std::string> block_urls;       // patterns with * wildcards
  std::vector<std::string> extract;          // "links": return the page's links
  std::vector<std::string> fail_on;          // verdicts that fail the capture
  bool block_ads = false;
  bool block_cookie_banners = false;

  // Cookies, request headers or a password: what the page may see of the
  // user that it must not pass to a later capture's page.
  bool carries_credentials() const { return !cookies.empty() || !headers.empty() || basic_auth; }
};

enum class OptionType { integer, number, boolean, string, string_list, enumeration, object };

struct OptionSpec {
  std::string_view name;
  OptionType type;
  std::string_view help;
  double min = 0, max = 0;                    // integer and number
  std::span<const std::string_view> choices;  // enumeration and string_list items
  std::size_t max_length = 0;                 // string / list bytes; 0 = the default limit
};

std::span<const OptionSpec> option_specs();

// Validates `o` against the table: an unknown option or a bad value is
// Errc::invalid_argument with `field` = "options.<name>".
Result<CaptureOptions> parse_options(const json::object& o);

// The options in canonical JSON (defaults omitted, keys sorted): for cache keys.
std::string canonical_json(const json::object& o);

std::string_view mime_type(Format f);
std::string_view file_extension(Format f);

}  // namespace shot::capture
