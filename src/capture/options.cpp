#include "capture/options.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace shot::capture {
namespace {

constexpr std::array<std::string_view, 4> kFormats = {"png", "jpeg", "webp", "pdf"};
constexpr std::array<std::string_view, 2> kPngEncodings = {"fast", "small"};
constexpr std::array<std::string_view, 4> kWaits = {"auto", "load", "domcontentloaded",
                                                    "networkidle"};
constexpr std::array<std::string_view, 2> kMedia = {"screen", "print"};
constexpr std::array<std::string_view, 11> kResourceTypes = {
    "document", "stylesheet", "image",     "media",    "font", "script",
    "xhr",      "fetch",      "websocket", "manifest", "other"};
constexpr std::array<std::string_view, 5> kDevices = {"iphone-15", "pixel-8", "ipad", "desktop-hd",
                                                      "desktop-4k"};
constexpr std::array<std::string_view, 1> kExtract = {"links"};
constexpr std::array<std::string_view, 3> kVerdicts = {"blank", "error_page", "challenge"};
constexpr std::size_t kMaxString = 2048;
constexpr std::size_t kMaxScript = 64 * 1024;
constexpr std::size_t kMaxListItems = 64;

using T = OptionType;
constexpr OptionSpec kSpecs[] = {
    {"width", T::integer, "viewport width in CSS pixels", 16, 7680},
    {"height", T::integer, "viewport height in CSS pixels", 16, 16384},
    {"device_scale_factor", T::number, "device pixels per CSS pixel", 0.25, 4},
    {"mobile", T::boolean, "emulate a mobile device (meta viewport, touch)"},
    {"device", T::enumeration, "a named device preset (sets size, scale, mobile, user agent)", 0, 0,
     kDevices},
    {"full_page", T::boolean, "capture the whole page, not only the viewport"},
    {"max_height", T::integer, "full-page height limit in CSS pixels", 16, 50000},
    {"selector", T::string, "capture only the first element matching this CSS selector"},
    {"clip", T::object, "capture this rectangle {x,y,width,height} in CSS pixels"},
    {"omit_background", T::boolean, "transparent background where the page sets none (png, webp)"},
    {"format", T::enumeration, "image format", 0, 0, kFormats},
    {"quality", T::integer, "jpeg/webp quality", 1, 100},
    {"png_encoding", T::enumeration,
     "png: fast (the default: quick to encode, about 30 % larger) or small (the smallest file, "
     "about a third more encoding time)",
     0, 0, kPngEncodings},
    {"wait_until", T::enumeration, "when the page counts as loaded", 0, 0, kWaits},
    {"wait_for_selector", T::string, "wait until an element matches this CSS selector"},
    {"wait_for_function",
     T::string,
     "wait until this JavaScript expression is truthy",
     0,
     0,
     {},
     kMaxScript},
    {"delay_ms", T::integer, "wait this long before capturing", 0, 30000},
    {"timeout_ms", T::integer, "the whole capture's time limit", 100, 120000},
    {"scroll_to_bottom", T::boolean, "scroll through the page first so lazy content loads"},
    {"user_agent", T::string, "User-Agent header and navigator.userAgent"},
    {"headers", T::object, "extra HTTP request headers {name: value}"},
    {"cookies", T::object,
     "cookies to set: [{name, value, domain?, path?, url?, secure?, http_only?}]"},
    {"basic_auth", T::object, "HTTP basic auth {username, password}"},
    {"locale", T::string, "emulated locale, e.g. de-DE"},
    {"timezone", T::string, "emulated time zone, e.g. Europe/Berlin"},
    {"dark_mode", T::boolean, "prefers-color-scheme: dark"},
    {"reduced_motion", T::boolean, "prefers-reduced-motion: reduce"},
    {"media", T::enumeration, "emulated CSS media type", 0, 0, kMedia},
    {"javascript", T::boolean, "run the page's JavaScript"},
    {"hide_selectors", T::string_list, "make matching elements invisible"},
    {"remove_selectors", T::string_list, "remove matching elements"},
    {"click_selector", T::string, "click the first matching element before capturing"},
    {"css", T::string, "CSS to add to the page", 0, 0, {}, kMaxScript},
    {"js",
     T::string,
     "JavaScript to run before capturing (may return a promise)",
     0,
     0,
     {},
     kMaxScript},
    {"block_resources", T::string_list, "resource types not to load", 0, 0, kResourceTypes},
    {"block_urls", T::string_list, "URL patterns not to load (* is a wildcard)"},
    {"thumbnail", T::object,
     "also store a thumbnail {width,height,fit: contain|cover|fill|inside,format,quality}"},
    {"extract", T::string_list,
     "page content returned with the picture: links (every link's resolved href, after scripts "
     "ran)",
     0, 0, kExtract},
    {"block_ads", T::boolean, "block ads and trackers (EasyList, EasyPrivacy network rules)"},
    {"block_cookie_banners", T::boolean,
     "hide cookie-consent banners and dismiss them (reject where offered)"},
    {"fail_on", T::string_list,
     "verdicts that fail the capture (unwanted_page) instead of returning the picture", 0, 0,
     kVerdicts},
};

std::string field(std::string_view name) {
  return "options." + std::string(name);
}

Error bad(std::string_view name, std::string message) {
  return Error{Errc::invalid_argument, "option " + std::string(name) + ": " + message, field(name)};
}

std::string range_text(const OptionSpec& s) {
  auto num = [](double d) {
    return d == std::floor(d) ? std::to_string(static_cast<long long>(d)) : std::to_string(d);
  };
  return "must be between " + num(s.min) + " and " + num(s.max);
}

// Checks one value against its spec (type, range, choices, length).
std::optional<Error> check(const OptionSpec& s, const json::value& v) {
  switch (s.type) {
    case T::integer: {
      if (!v.is_int64() && !v.is_uint64()) return bad(s.name, "must be an integer");
      double d =
          v.is_int64() ? static_cast<double>(v.get_int64()) : static_cast<double>(v.get_uint64());
      if (d < s.min || d > s.max) return bad(s.name, range_text(s));
      return std::nullopt;
    }
    case T::number: {
      if (!v.is_number()) return bad(s.name, "must be a number");
      double d = v.is_double()  ? v.get_double()
                 : v.is_int64() ? static_cast<double>(v.get_int64())
                                : static_cast<double>(v.get_uint64());
      if (!(d >= s.min && d <= s.max)) return bad(s.name, range_text(s));
      return std::nullopt;
    }
    case T::boolean:
      if (!v.is_bool()) return bad(s.name, "must be true or false");
      return std::nullopt;
    case T::string: {
      if (!v.is_string()) return bad(s.name, "must be a string");
      std::size_t limit = s.max_length ? s.max_length : kMaxString;
      if (v.get_string().size() > limit)
        return bad(s.name, "is longer than " + std::to_string(limit) + " bytes");
      return std::nullopt;
    }
    case T::enumeration: {
      if (!v.is_string()) return bad(s.name, "must be a string");
      std::string_view got = v.get_string();
      if (std::find(s.choices.begin(), s.choices.end(), got) == s.choices.end()) {
        std::string list;
        for (auto c : s.choices)
          list += (list.empty() ? "" : ", ") + std::string(c);
        return bad(s.name, "must be one of " + list);
      }
      return std::nullopt;
    }
    case T::string_list: {
      if (!v.is_array()) return bad(s.name, "must be a list of strings");
      if (v.get_array().size() > kMaxListItems)
        return bad(s.name, "has more than " + std::to_string(kMaxListItems) + " entries");
      for (auto& item : v.get_array()) {
        if (!item.is_string() || item.get_string().empty() || item.get_string().size() > kMaxString)
          return bad(s.name, "must be a list of non-empty strings");
        if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(),
                                            std::string_view(item.get_string())) == s.choices.end())
          return bad(s.name, "has an unknown entry \"" + std::string(item.get_string()) + "\"");
      }
      return std::nullopt;
    }
    case T::object:
      return std::nullopt;  // shaped per option below
  }
  return std::nullopt;
}

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (auto& item : v.get_array())
    out.emplace_back(item.get_string());
  return out;
}

struct Device {
  std::string_view name;
  int width, height;
  double scale;
  bool mobile;
  std::string_view user_agent;
};
constexpr Device kDeviceTable[] = {
    {"iphone-15", 393, 852, 3, true,
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1"},
    {"pixel-8", 412, 915, 2.625, true,
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Mobile Safari/537.36"},
    {"ipad", 820, 1180, 2, true,
     "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1"},
    {"desktop-hd", 1920, 1080, 1, false, ""},
    {"desktop-4k", 3840, 2160, 1, false, ""},
};

Result<void> parse_objects(const json::object& o, CaptureOptions& out) {
  if (auto* v = o.if_contains("clip")) {
    if (!v->is_object()) return fail(bad("clip", "must be an object {x,y,width,height}"));
    auto& c = v->get_object();
    for (auto k : {"x", "y", "width", "height"})
      if (!c.if_contains(k) || !c.at(k).is_number())
        return fail(bad("clip", std::string("needs a number ") + k));
    if (c.size() != 4) return fail(bad("clip", "takes only x, y, width and height"));
    Clip clip{json_double(c, "x"), json_double(c, "y"), json_double(c, "width"),
              json_double(c, "height")};
    if (clip.x < 0 || clip.y < 0 || clip.width < 1 || clip.height < 1 || clip.width > 16384 ||
        clip.height > 50000 || clip.x > 1e6 || clip.y > 1e6)
      return fail(bad("clip", "must lie within the page, width 1..16384 and height 1..50000"));
    out.clip = clip;
  }
  if (auto* v = o.if_contains("headers")) {
    if (!v->is_object()) return fail(bad("headers", "must be an object of name: value strings"));
    if (v->get_object().size() > kMaxListItems) return fail(bad("headers", "has too many entries"));
    for (auto& [k, val] : v->get_object()) {
      if (!val.is_string() || k.empty() || k.size() > 256 || val.get_string().size() > kMaxString)
        return fail(bad("headers", "must be an object of name: value strings"));
      for (char c : std::string_view(k))
        if (c <= ' ' || c == ':' || c >= 127)
          return fail(bad("headers", "has an invalid header name"));
      for (char c : std::string_view(val.get_string()))
        if (c == '\r' || c == '\n')
          return fail(bad("headers", "values may not contain line breaks"));
      out.headers.emplace(k, val.get_string());
    }
  }
  if (auto* v = o.if_contains("cookies")) {
    if (!v->is_array()) return fail(bad("cookies", "must be a list of {name, value, ...}"));
    if (v->get_array().size() > kMaxListItems) return fail(bad("cookies", "has too many entries"));
    for (auto& item : v->get_array()) {
      if (!item.is_object()) return fail(bad("cookies", "must be a list of {name, value, ...}"));
      auto& c = item.get_object();
      // Every key is known and of its type: the options are the cache key.
      for (const auto& [key, value] : c) {
        bool flag = key == "secure" || key == "http_only";
        bool text =
            key == "name" || key == "value" || key == "domain" || key == "path" || key == "url";
        if (!flag && !text)
          return fail(bad("cookies",
                          "a cookie takes only name, value, domain, path, url, secure "
                          "and http_only"));
        if (flag ? !value.is_bool() : !value.is_string() || value.get_string().size() > kMaxString)
          return fail(bad("cookies", "cookie " + std::string(key) + " must be " +
                                         (flag ? "true or false" : "a string")));
      }
      Cookie cookie{std::string(json_string(c, "name")),
                    std::string(json_string(c, "value")),
                    std::string(json_string(c, "domain")),
                    std::string(json_string(c, "path", "/")),
                    std::string(json_string(c, "url")),
                    json_bool(c, "secure"),
                    json_bool(c, "http_only")};
      if (cookie.name.empty()) return fail(bad("cookies", "every cookie needs a name"));
      out.cookies.push_back(std::move(cookie));
    }
  }
  if (auto* v = o.if_contains("basic_auth")) {
    if (!v->is_object()) return fail(bad("basic_auth", "must be {username, password}"));
    auto& a = v->get_object();
    auto* u = a.if_contains("username");
    auto* p = a.if_contains("password");
    if (!u || !u->is_string() || !p || !p->is_string() || a.size() != 2)
      return fail(bad("basic_auth", "must be {username, password}, both strings"));
    out.basic_auth = std::make_pair(std::string(u->get_string()), std::string(p->get_string()));
  }
  return {};
}

}  // namespace

std::span<const OptionSpec> option_specs() {
  return kSpecs;
}

Result<CaptureOptions> parse_options(const json::object& o) {
  for (auto& [key, value] : o) {
    auto spec = std::find_if(std::begin(kSpecs), std::end(kSpecs),
                             [&](const OptionSpec& s) { return s.name == std::string_view(key); });
    if (spec == std::end(kSpecs))
      return fail(Errc::invalid_argument, "unknown option \"" + std::string(key) + "\"",
                  field(key));
    if (auto err = check(*spec, value)) return fail(*err);
  }

  CaptureOptions out;
  if (auto* d = o.if_contains("device")) {
    std::string_view name = d->get_string();
    for (auto& dev : kDeviceTable)
      if (dev.name == name) {
        out.device = name;
        out.width = dev.width;
        out.height = dev.height;
        out.device_scale_factor = dev.scale;
        out.mobile = dev.mobile;
        out.user_agent = dev.user_agent;
      }
  }
  out.width = static_cast<int>(json_int(o, "width", out.width));
  out.height = static_cast<int>(json_int(o, "height", out.height));
  out.device_scale_factor = json_double(o, "device_scale_factor", out.device_scale_factor);
  out.mobile = json_bool(o, "mobile", out.mobile);
  out.full_page = json_bool(o, "full_page");
  out.max_height = static_cast<int>(json_int(o, "max_height", out.max_height));
  out.selector = json_string(o, "selector");
  out.omit_background = json_bool(o, "omit_background");
  std::string_view format = json_string(o, "format", "png");
  out.format = format == "jpeg"   ? Format::jpeg
               : format == "webp" ? Format::webp
               : format == "pdf"  ? Format::pdf
                                  : Format::png;
  out.quality = static_cast<int>(json_int(o, "quality", out.quality));
  out.small_png = json_string(o, "png_encoding") == "small";
  std::string_view wait = json_string(o, "wait_until", "auto");
  out.wait_until = wait == "load"               ? WaitUntil::load
                   : wait == "domcontentloaded" ? WaitUntil::domcontentloaded
                   : wait == "networkidle"      ? WaitUntil::networkidle
                                                : WaitUntil::automatic;
  out.wait_for_selector = json_string(o, "wait_for_selector");
  out.wait_for_function = json_string(o, "wait_for_function");
  out.delay_ms = static_cast<int>(json_int(o, "delay_ms"));
  out.timeout_ms = static_cast<int>(json_int(o, "timeout_ms", out.timeout_ms));
  out.scroll_to_bottom = json_bool(o, "scroll_to_bottom");
  out.user_agent = json_string(o, "user_agent", out.user_agent);
  out.locale = json_string(o, "locale");
  out.timezone = json_string(o, "timezone");
  out.dark_mode = json_bool(o, "dark_mode");
  out.reduced_motion = json_bool(o, "reduced_motion");
  std::string_view media = json_string(o, "media");
  out.media = media == "screen" ? Media::screen : media == "print" ? Media::print : Media::unset;
  out.javascript = json_bool(o, "javascript", true);
  if (auto* v = o.if_contains("hide_selectors")) out.hide_selectors = strings(*v);
  if (auto* v = o.if_contains("remove_selectors")) out.remove_selectors = strings(*v);
  out.click_selector = json_string(o, "click_selector");
  out.css = json_string(o, "css");
  out.js = json_string(o, "js");
  if (auto* v = o.if_contains("block_resources")) out.block_resources = strings(*v);
  if (auto* v = o.if_contains("block_urls")) out.block_urls = strings(*v);
  if (auto* v = o.if_contains("extract")) out.extract = strings(*v);
  if (auto* v = o.if_contains("fail_on")) out.fail_on = strings(*v);
  out.block_ads = json_bool(o, "block_ads");
  out.block_cookie_banners = json_bool(o, "block_cookie_banners");
  if (auto r = parse_objects(o, out); !r) return fail(r.error());

  if (!out.selector.empty() && out.clip)
    return fail(Errc::invalid_argument, "option selector: cannot be combined with clip",
                field("selector"));
  if (out.full_page && (out.clip || !out.selector.empty()))
    return fail(Errc::invalid_argument,
                "option full_page: cannot be combined with clip or selector", field("full_page"));
  if (static_cast<double>(out.width) * out.device_scale_factor > 16384 ||
      static_cast<double>(out.height) * out.device_scale_factor > 16384)
    return fail(Errc::invalid_argument,
                "option device_scale_factor: the picture would exceed 16384 px",
                field("device_scale_factor"));
  return out;
}

std::string canonical_json(const json::object& o) {
  std::vector<std::string_view> keys;
  for (auto& [k, v] : o)
    keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::string out = "{";
  for (auto k : keys) {
    if (out.size() > 1) out += ',';
    out += json::serialize(json::value(json::string(k)));
    out += ':';
    const json::value& v = o.at(k);
    out += v.is_object() ? canonical_json(v.get_object()) : json::serialize(v);
  }
  return out + "}";
}

std::string_view mime_type(Format f) {
  switch (f) {
    case Format::png:
      return "image/png";
    case Format::jpeg:
      return "image/jpeg";
    case Format::webp:
      return "image/webp";
    case Format::pdf:
      return "application/pdf";
  }
  return "application/octet-stream";
}

std::string_view file_extension(Format f) {
  switch (f) {
    case Format::png:
      return "png";
    case Format::jpeg:
      return "jpg";
    case Format::webp:
      return "webp";
    case Format::pdf:
      return "pdf";
  }
  return "bin";
}

}  // namespace shot::capture
