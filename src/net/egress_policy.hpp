#pragma once
// The egress policy (SSRF defence): which addresses the service may connect to on
// a user's behalf. Checked after DNS resolution, against the address actually
// connected to (DESIGN.md §7).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "net/ip_address.hpp"
#include "net/url.hpp"

namespace shot::net {

struct EgressConfig {
  // Development and tests: opens loopback and private networks (127/8, ::1,
  // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). Link-local (cloud
  // metadata), multicast and reserved ranges stay closed; use allow_cidrs.
  bool allow_private = false;
  // "HOST" or "HOST:PORT" ("[::1]:8080" for IPv6): a name or IP literal whose
  // addresses are allowed even when in a blocked range.
  std::vector<std::string> allow_hosts;
  // Ranges allowed even when inside a blocked one ("10.1.0.0/16").
  std::vector<std::string> allow_cidrs;
};

struct ResolvedAddress {
  IpAddress address;
  std::uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:80", "[::1]:443"
  friend bool operator==(const ResolvedAddress&, const ResolvedAddress&) = default;
};

class EgressPolicy {
 public:
  // The default: every special-purpose range blocked, nothing allowed.
  EgressPolicy() = default;
  // Fails (invalid_argument) on a malformed allow_hosts or allow_cidrs entry.
  static Result<EgressPolicy> create(const EgressConfig& config);

  // Ok, or Errc::blocked naming the range:
  // "address 127.0.0.2 is in a blocked range (127.0.0.0/8 loopback)".
  Result<void> check_address(const IpAddress& address, std::uint16_t port) const;

  // Refuses names that must never reach DNS: localhost, *.localhost,
  // metadata.google.internal (any case, trailing dot or not), unless allow_hosts
  // names them. With a port, "HOST:PORT" entries count as well.
  Result<void> check_host_name(std::string_view host,
                               std::optional<std::uint16_t> port = std::nullopt) const;

  // Resolves `host` once (getaddrinfo; blocking, so run it off the I/O thread) and
  // refuses when ANY address is blocked. The caller connects to one of the
  // returned addresses and never resolves again, so DNS rebinding cannot swap
  // in another address after the check. `host` may be an IP literal in any URL
  // form, IPv6 in brackets.
  Result<std::vector<ResolvedAddress>> resolve_and_check(std::string_view host, std::uint16_t port,
                                                         Deadline deadline) const;

 private:
  struct AllowedHost {
    std::string name;                   // lower-case, no trailing dot; empty for a literal
    std::optional<IpAddress> literal;   // set when the entry is an IP
    std::optional<std::uint16_t> port;  // nullopt: any port
  };

  bool host_allowed(std::string_view host, std::optional<std::uint16_t> port) const;
  bool address_allowed(const IpAddress& address, std::uint16_t port) const;

  bool allow_private_ = false;
  std::vector<AllowedHost> allow_hosts_;
  std::vector<Cidr> allow_cidrs_;
};

// A URL a user submits (page, image, webhook): http(s), no user-info, and not
// naming a blocked address or host outright. No DNS: a job of 1000 URLs must not
// wait on 1000 look-ups, and an answer now proves nothing at fetch time, where
// the egress proxy and the HTTP client check the address actually connected to.
Result<ParsedUrl> check_submitted_url(const EgressPolicy& policy, std::string_view url);

}  // namespace shot::net
