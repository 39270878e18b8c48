#pragma once
// Validation of the URLs users hand us (pages, images, webhooks): http and https
// only, no credentials, a host, and one normalized spelling for cache keys.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace shot::net {

struct ParsedUrl {
  std::string scheme;      // "http" or "https"
  std::string host;        // lower-case; IPv4 canonical ("0x7f.1" → "127.0.0.1"); IPv6 in []
  std::uint16_t port = 0;  // explicit, or the scheme's default
  std::string target;      // path and query as sent on the request line, "/" at least
  std::string normalized;  // scheme://host[:port]/path[?query], no fragment, default port dropped
};

// Errc::invalid_argument with a message fit for the user ("only http and https
// URLs are allowed") when `text` is not a URL we will fetch. Hosts are read the
// way Chromium reads them: percent-decoded, full-width digits and dots folded,
// and IPv4 in any numeric form canonicalized, so the egress check sees what the
// browser would connect to.
Result<ParsedUrl> parse_target_url(std::string_view text);

// `location` (absolute or relative, as in a Location header) resolved against
// `base`, then validated like parse_target_url.
Result<ParsedUrl> resolve_redirect(const ParsedUrl& base, std::string_view location);

}  // namespace shot::net
