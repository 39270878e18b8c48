#include "net/egress_policy.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "core/strings.hpp"

namespace shot::net {

namespace {

// How an IPv6 range carries an IPv4 address that must be checked as well.
enum class Embedded { none, last32, last32_inverted, sixtofour };

struct BlockedRange {
  Cidr cidr;
  std::string_view name;
  bool private_use = false;  // opened by allow_private
  Embedded embedded = Embedded::none;
  bool mapped = false;  // not blocked itself: the embedded IPv4 decides alone
};

BlockedRange range(std::string_view cidr, std::string_view name, bool private_use = false,
                   Embedded embedded = Embedded::none, bool mapped = false) {
  return {parse_cidr(cidr).value(), name, private_use, embedded, mapped};
}

// Most specific first: the first match names the range in the message.
const std::vector<BlockedRange>& blocked_ranges() {
  static const std::vector<BlockedRange> ranges = {
      range("0.0.0.0/8", "this network"),
      range("10.0.0.0/8", "private", true),
      range("100.64.0.0/10", "shared address space", true),
      range("127.0.0.0/8", "loopback", true),
      range("168.63.129.16/32", "Azure platform endpoint"),
      range("169.254.0.0/16", "link-local, cloud metadata"),
      range("172.16.0.0/12", "private", true),
      range("192.0.0.0/24", "IETF protocol assignments"),
      range("192.0.2.0/24", "documentation"),
      range("192.88.99.0/24", "6to4 relay anycast"),
      range("192.168.0.0/16", "private", true),
      range("198.18.0.0/15", "benchmarking"),
      range("198.51.100.0/24", "documentation"),
      range("203.0.113.0/24", "documentation"),
      range("224.0.0.0/4", "multicast"),
      range("240.0.0.0/4", "reserved"),
      range("::/128", "unspecified"),
      range("::1/128", "loopback", true),
      range("::ffff:0:0/96", "IPv4-mapped", false, Embedded::last32, true),
      range("::ffff:0:0:0/96", "IPv4-translated", false, Embedded::last32),
      range("::/96", "IPv4-compatible", false, Embedded::last32),
      range("64:ff9b::/96", "NAT64", false, Embedded::last32),
      range("64:ff9b:1::/48", "local-use NAT64"),
      range("100::/64", "discard-only"),
      range("2001::/32", "Teredo", false, Embedded::last32_inverted),
      range("2001::/23", "IETF protocol assignments"),
      range("2001:db8::/32", "documentation"),
      range("2002::/16", "6to4", false, Embedded::sixtofour),
      range("fc00::/7", "unique local", true),
      range("fe80::/10", "link-local"),
      range("fec0::/10", "site-local"),
      range("ff00::/8", "multicast"),
  };
  return ranges;
}

const BlockedRange* find_range(const IpAddress& address) {
  for (const auto& r : blocked_ranges()) {
    if (r.cidr.contains(address)) return &r;
  }
  return nullptr;
}

IpAddress embedded_v4(const IpAddress& address, Embedded how) {
  auto b = address.bytes();
  std::size_t at = how == Embedded::sixtofour ? 2 : 12;
  std::uint32_t v = (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
                    (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
  // Teredo stores the client address inverted so NATs do not rewrite it.
  if (how == Embedded::last32_inverted) v = ~v;
  return IpAddress::v4(v);
}

// Lower-case, without the trailing dots that make "localhost." the same name.
std::string canonical_name(std::string_view host) {
  while (!host.empty() && host.back() == '.')
    host.remove_suffix(1);
  return lower_ascii(host);
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// getaddrinfo has no timeout, so it runs on its own thread and the caller waits
// only until its deadline. The resolver's own timeouts end the thread later;
// the bound keeps a dead DNS server from piling threads up.
constexpr int kMaxLookupsInFlight = 64;
std::atomic<int> lookups_in_flight{0};

struct Lookup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  int status = 0;
  std::vector<IpAddress> addresses;
};

void run_lookup(const std::shared_ptr<Lookup>& lookup, const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_IDN;
  addrinfo* list = nullptr;
  int status = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(list, &::freeaddrinfo);
  std::vector<IpAddress> addresses;
  for (auto* ai = list; status == 0 && ai != nullptr; ai = ai->ai_next) {
    std::optional<IpAddress> address;
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &sin->sin_addr, 4);
      address = IpAddress::v4(bytes);
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      std::array<std::uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      address = IpAddress::v6(bytes);
    }
    if (address && std::find(addresses.begin(), addresses.end(), *address) == addresses.end()) {
      addresses.push_back(*address);
    }
  }
  std::lock_guard lock(lookup->mutex);
  lookup->status = status;
  lookup->addresses = std::move(addresses);
  lookup->done = true;
  lookup->done_cv.notify_all();
}

Result<std::vector<IpAddress>> resolve(const std::string& host, Deadline deadline) {
  if (deadline.expired()) return fail(Errc::timeout, "no time left to resolve " + host);
  if (lookups_in_flight.fetch_add(1) >= kMaxLookupsInFlight) {
    lookups_in_flight.fetch_sub(1);
    return fail(Errc::unavailable, "too many DNS lookups in flight");
  }
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host] {
      run_lookup(lookup, host);
      lookups_in_flight.fetch_sub(1);
    }).detach();
  } catch (const std::system_error&) {
    lookups_in_flight.fetch_sub(1);
    return fail(Errc::unavailable, "cannot start a DNS lookup");
  }
  std::unique_lock lock(lookup->mutex);
  auto finished = [&] { return lookup->done; };
  if (deadline.at() == Clock::time_point::max()) {
    lookup->done_cv.wait(lock, finished);
  } else if (!lookup->done_cv.wait_until(lock, deadline.at(), finished)) {
    return fail(Errc::timeout, "DNS lookup of " + host + " timed out");
  }
  switch (lookup->status) {
    case 0:
      break;
    case EAI_AGAIN:
      return fail(Errc::unavailable, "temporary DNS failure resolving " + host);
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
      return fail(Errc::navigation_failed, "could not resolve host " + host);
    default:
      return fail(Errc::unavailable,
                  "DNS lookup of " + host + " failed: " + ::gai_strerror(lookup->status));
  }
  if (lookup->addresses.empty()) {
    return fail(Errc::navigation_failed, "could not resolve host " + host);
  }
  return std::move(lookup->addresses);
}

}  // namespace

std::string ResolvedAddress::to_string() const {
  return address.to_url_host() + ":" + std::to_string(port);
}

Result<EgressPolicy> EgressPolicy::create(const EgressConfig& config) {
  EgressPolicy policy;
  policy.allow_private_ = config.allow_private;
  for (const auto& entry : config.allow_hosts) {
    std::string_view text = entry;
    std::string_view host = text;
    std::optional<std::uint16_t> port;
    auto bad = [&] { return fail(Errc::invalid_argument, "bad allow_hosts entry: " + entry); };
    if (text.starts_with('[')) {
      auto close = text.find(']');
      if (close == std::string_view::npos) return bad();
      host = text.substr(0, close + 1);
      auto rest = text.substr(close + 1);
      if (!rest.empty()) {
        if (!rest.starts_with(':') || !(port = parse_port(rest.substr(1)))) return bad();
      }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
      auto colon = text.find(':');
      host = text.substr(0, colon);
      if (!(port = parse_port(text.substr(colon + 1)))) return bad();
    }
    AllowedHost allowed;
    allowed.port = port;
    allowed.literal = parse_ip_literal(host);
    if (!allowed.literal) {
      if (host.find_first_of(":/[]@ ") != std::string_view::npos || ends_in_a_number(host)) {
        return bad();
      }
      allowed.name = canonical_name(host);
      if (allowed.name.empty()) return bad();
    }
    policy.allow_hosts_.push_back(std::move(allowed));
  }
  for (const auto& entry : config.allow_cidrs) {
    auto cidr = parse_cidr(entry);
    if (!cidr) return fail(Errc::invalid_argument, "bad allow_cidrs entry: " + entry);
    policy.allow_cidrs_.push_back(*cidr);
  }
  return policy;
}

bool EgressPolicy::host_allowed(std::string_view host, std::optional<std::uint16_t> port) const {
  auto literal = parse_ip_literal(host);
  std::string name = literal ? std::string() : canonical_name(host);
  return std::any_of(allow_hosts_.begin(), allow_hosts_.end(), [&](const AllowedHost& a) {
    if (a.port && a.port != port) return false;
    return literal ? a.literal == literal : (!a.literal && a.name == name);
  });
}

bool EgressPolicy::address_allowed(const IpAddress& address, std::uint16_t port) const {
  if (std::any_of(allow_cidrs_.begin(), allow_cidrs_.end(),
                  [&](const Cidr& c) { return c.contains(address); })) {
    return true;
  }
  return std::any_of(allow_hosts_.begin(), allow_hosts_.end(), [&](const AllowedHost& a) {
    return a.literal == address && (!a.port || *a.port == port);
  });
}

namespace {

// Why `address` is refused, or nullopt when it may be used.
template <class Allowed>
std::optional<std::string> blocked_reason(const IpAddress& address, std::uint16_t port,
                                          bool allow_private, const Allowed& allowed) {
  if (allowed(address, port)) return std::nullopt;
  const BlockedRange* r = find_range(address);
  if (r == nullptr) return std::nullopt;
  if (r->embedded != Embedded::none) {
    auto v4 = embedded_v4(address, r->embedded);
    if (auto inner = blocked_reason(v4, port, allow_private, allowed)) {
      return *inner + ", via embedded IPv4 " + v4.to_string();
    }
    // ::ffff:8.8.8.8 is 8.8.8.8 on the wire; it is as good as the IPv4 it maps.
    if (r->mapped) return std::nullopt;
  }
  if (allow_private && r->private_use) return std::nullopt;
  return r->cidr.to_string() + " " + std::string(r->name);
}

}  // namespace

Result<void> EgressPolicy::check_address(const IpAddress& address, std::uint16_t port) const {
  auto allowed = [this](const IpAddress& a, std::uint16_t p) { return address_allowed(a, p); };
  if (auto reason = blocked_reason(address, port, allow_private_, allowed)) {
    return fail(Errc::blocked,
                "address " + address.to_string() + " is in a blocked range (" + *reason + ")");
  }
  return {};
}

Result<void> EgressPolicy::check_host_name(std::string_view host,
                                           std::optional<std::uint16_t> port) const {
  if (parse_ip_literal(host)) return {};
  auto name = canonical_name(host);
  bool special =
      name == "localhost" || name.ends_with(".localhost") || name == "metadata.google.internal";
  if (special && !host_allowed(host, port)) {
    return fail(Errc::blocked, "host name " + name + " is not allowed");
  }
  return {};
}

Result<std::vector<ResolvedAddress>> EgressPolicy::resolve_and_check(std::string_view host,
                                                                     std::uint16_t port,
                                                                     Deadline deadline) const {
  if (host.empty()) return fail(Errc::invalid_argument, "no host to connect to");
  if (auto literal = parse_ip_literal(host)) {
    if (auto ok = check_address(*literal, port); !ok) return fail(ok.error());
    return std::vector<ResolvedAddress>{{*literal, port}};
  }
  if (ends_in_a_number(host) || host.find_first_of(":/[]@ ") != std::string_view::npos) {
    return fail(Errc::invalid_argument, "not a valid host: " + std::string(host));
  }
  if (auto ok = check_host_name(host, port); !ok) return fail(ok.error());
  auto addresses = resolve(std::string(host), deadline);
  if (!addresses) return fail(addresses.error());
  // A name on the allow list may resolve anywhere: the operator vouched for it.
  bool vouched = host_allowed(host, port);
  std::vector<ResolvedAddress> checked;
  for (const auto& address : *addresses) {
    if (!vouched) {
      if (auto ok = check_address(address, port); !ok) {
        return fail(Errc::blocked, "host " + std::string(host) + ": " + ok.error().message);
      }
    }
    checked.push_back({address, port});
  }
  return checked;
}

Result<ParsedUrl> check_submitted_url(const EgressPolicy& policy, std::string_view url) {
  auto parsed = parse_target_url(url);
  if (!parsed) return fail(parsed.error());
  if (auto ip = parse_ip_literal(parsed->host)) {
    if (auto ok = policy.check_address(*ip, parsed->port); !ok) return fail(ok.error());
  } else if (auto ok = policy.check_host_name(parsed->host, parsed->port); !ok) {
    return fail(ok.error());
  }
  return parsed;
}

}  // namespace shot::net
