#include "net/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/strings.hpp"
#include "net/ip_address.hpp"

namespace shot::net {

namespace urls = boost::urls;

namespace {

constexpr std::size_t kMaxUrlLength = 16 * 1024;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// What a browser does before parsing: trims outer whitespace and drops tabs and
// newlines; and what it does to characters RFC 3986 forbids (a space, non-ASCII
// in a path): percent-encodes them. Backslashes stay, and so the strict parser
// refuses them: browsers read them as '/', the classic parser-confusion trick.
std::string prepare(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= 0x20)
    text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= 0x20)
    text.remove_suffix(1);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || c == '\n' || c == '\r') continue;
    bool stray_percent =
        c == '%' && !(i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2]));
    if (c < 0x20 || c >= 0x7f || c == ' ' || c == '"' || c == '<' || c == '>' || c == '`' ||
        c == '{' || c == '}' || c == '|' || c == '^' || stray_percent) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The part of UTS #46 mapping that matters for IP literals: full-width ASCII
// (U+FF01..U+FF5E) and the ideographic full stops fold to ASCII, as Chromium
// folds them, so "１２７．０．０．１" is seen as the loopback address it is.
std::string fold_width(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto b0 = static_cast<unsigned char>(s[i]);
    if (i + 2 < s.size() && (b0 == 0xEF || b0 == 0xE3)) {
      auto b1 = static_cast<unsigned char>(s[i + 1]);
      auto b2 = static_cast<unsigned char>(s[i + 2]);
      unsigned cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80) {
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
          out += static_cast<char>(cp - 0xFEE0);
          i += 2;
          continue;
        }
        if (cp == 0x3002 || cp == 0xFF61) {
          out += '.';
          i += 2;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

// WHATWG "forbidden domain code points" (ASCII part): a decoded host holding one
// is not a host.
bool forbidden_in_host(unsigned char c) {
  static constexpr std::string_view kForbidden = " #%/:<>?@[\\]^|";
  return c < 0x20 || c == 0x7f || kForbidden.find(static_cast<char>(c)) != std::string_view::npos;
}

auto invalid(std::string message) {
  return fail(Errc::invalid_argument, std::move(message));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (std::tolower(static_cast<unsigned char>(c)) - 'a') + 10;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 reg-name characters, percent escapes included.
bool reg_name_char(char c) {
  static constexpr std::string_view kOther = "-._~!$&'()*+,;=%";
  return std::isalnum(static_cast<unsigned char>(c)) || kOther.find(c) != std::string_view::npos;
}

Result<std::string> parse_host(std::string_view raw) {
  if (raw.empty()) return invalid("the URL has no host");
  if (raw.front() == '[') {
    auto address = parse_ip_literal(raw);
    if (!address || !address->is_v6()) return invalid("not a valid IPv6 address in the URL's host");
    return address->to_url_host();
  }
  if (!std::all_of(raw.begin(), raw.end(), reg_name_char)) {
    return invalid("the URL's host has characters a host name cannot have");
  }
  auto host = lower_ascii(fold_width(percent_decode(raw)));
  if (std::any_of(host.begin(), host.end(),
                  [](char c) { return forbidden_in_host(static_cast<unsigned char>(c)); })) {
    return invalid("the URL's host has characters a host name cannot have");
  }
  // A host ending in a number is an IPv4 address to a browser, or nothing.
  if (ends_in_a_number(host)) {
    auto address = parse_ip_literal(host);
    if (!address) return invalid("not a valid IPv4 address in the URL: " + host);
    return address->to_string();
  }
  return host;
}

// The authority is split here rather than by Boost.URL: 1.81 reads an IPv4
// prefix greedily ("http://1.2.3.4.5/" as host 1.2.3.4, path ".5/") and refuses
// names that start like one ("127.0.0.1.nip.io").
Result<void> parse_authority(std::string_view authority, ParsedUrl& out) {
  if (authority.find('@') != std::string_view::npos) {
    return invalid("URLs with user:password@ are not allowed");
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("not a valid IPv6 address in the URL");
    host = authority.substr(0, close + 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return invalid("not a valid URL");
    has_port = !rest.empty();
    if (has_port) port = rest.substr(1);
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  auto parsed_host = parse_host(host);
  if (!parsed_host) return fail(parsed_host.error());
  out.host = std::move(*parsed_host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (has_port && !port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid("not a valid port in the URL");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return {};
}

bool is_scheme(std::string_view s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
         });
}

}  // namespace

Result<ParsedUrl> parse_target_url(std::string_view text) {
  if (text.size() > kMaxUrlLength) {
    return invalid("URL longer than " + std::to_string(kMaxUrlLength) + " bytes");
  }
  auto prepared = prepare(text);
  if (prepared.empty()) return invalid("the URL is empty");
  std::string_view rest = prepared;

  auto colon = rest.find(':');
  if (colon == std::string_view::npos || !is_scheme(rest.substr(0, colon))) {
    return invalid("not a valid URL: it must start with http:// or https://");
  }
  ParsedUrl out;
  out.scheme = lower_ascii(rest.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") {
    return invalid("only http and https URLs are allowed");
  }
  // Browsers read '\\' as '/': refusing it leaves no two readings of one URL.
  if (rest.find('\\') != std::string_view::npos) {
    return invalid("backslashes are not allowed in URLs");
  }
  rest.remove_prefix(colon + 1);
  if (!rest.starts_with("//")) return invalid("the URL has no host");
  rest.remove_prefix(2);
  auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  if (auto ok = parse_authority(rest.substr(0, authority_end), out); !ok) return fail(ok.error());
  rest.remove_prefix(authority_end);

  // Path and query, validated by Boost.URL behind a stand-in authority.
  std::string stand_in = "http://h" + std::string(rest);  // outlives the view of it
  auto parsed = urls::parse_uri(stand_in);
  if (!parsed) return invalid("not a valid URL");
  // Dot segments and needlessly escaped characters go, as in a browser.
  urls::url normalized_path(*parsed);
  normalized_path.normalize_path();
  out.target = std::string(normalized_path.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (!out.target.starts_with('/')) return invalid("not a valid URL");
  if (parsed->has_query()) out.target += "?" + std::string(parsed->encoded_query());

  out.normalized = out.scheme + "://" + out.host;
  if (out.port != (out.scheme == "https" ? 443 : 80))
    out.normalized += ":" + std::to_string(out.port);
  out.normalized += out.target;
  return out;
}

Result<ParsedUrl> resolve_redirect(const ParsedUrl& base, std::string_view location) {
  if (location.size() > kMaxUrlLength) return invalid("redirect Location too long");
  auto prepared = prepare(location);
  // Absolute and scheme-relative references carry their own authority: parse them
  // like any URL (Boost.URL's authority parsing is not trusted, see above).
  auto colon = prepared.find(':');
  auto first_special = prepared.find_first_of("/?#");
  if (colon != std::string::npos && colon < first_special && is_scheme(prepared.substr(0, colon))) {
    return parse_target_url(prepared);
  }
  if (prepared.starts_with("//")) return parse_target_url(base.scheme + ":" + prepared);
  if (prepared.find('\\') != std::string::npos) {
    return invalid("backslashes are not allowed in URLs");
  }
  // A relative reference changes only path and query: resolve it against a
  // stand-in origin and keep the base's own.
  constexpr std::string_view kStandIn = "http://h";
  auto reference = urls::parse_uri_reference(prepared);
  std::string stand_in_base = std::string(kStandIn) + base.target;
  auto base_view = urls::parse_uri(stand_in_base);
  if (!reference || !base_view) return invalid("not a valid redirect Location");
  urls::url target;
  if (!urls::resolve(*base_view, *reference, target) || !target.buffer().starts_with(kStandIn)) {
    return invalid("not a valid redirect Location");
  }
  auto origin = base.normalized.substr(0, base.normalized.size() - base.target.size());
  return parse_target_url(origin + std::string(target.buffer().substr(kStandIn.size())));
}

}  // namespace shot::net
