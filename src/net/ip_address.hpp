#pragma once
// IP addresses as the egress policy sees them, and the IP-literal forms a browser
// accepts in a URL host (so "0x7f.1" cannot slip past a check as a name).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace shot::net {

class IpAddress {
 public:
  enum class Family : std::uint8_t { v4, v6 };

  // Host byte order, so 127.0.0.1 is 0x7f000001.
  static IpAddress v4(std::uint32_t value);
  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(std::array<std::uint8_t, 16> bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  bool is_v6() const { return family_ == Family::v6; }
  // 4 bytes for v4, 16 for v6, network order.
  std::span<const std::uint8_t> bytes() const;
  // The v4 value in host byte order; only meaningful when is_v4().
  std::uint32_t v4_value() const;

  // Dotted quad, or RFC 5952 text for v6 ("::ffff:127.0.0.1"), without brackets.
  std::string to_string() const;
  // As it goes into a URL or a "host:port" pair: v6 in brackets.
  std::string to_url_host() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address range such as 10.0.0.0/8 or fc00::/7.
struct Cidr {
  IpAddress base;  // host bits cleared
  int prefix = 0;

  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

Result<Cidr> parse_cidr(std::string_view text);

// An IP literal as a URL host: IPv4 in every form the WHATWG URL standard (and so
// Chromium) accepts — 2130706433, 0177.0.0.1, 0x7f.0.0.1, 0x7f000001, 127.1,
// 127.0.1, a trailing dot — and IPv6 in brackets ("[::1]"). Bare IPv6 ("::1") is
// accepted too, since a name can never contain ':'. Anything else is nullopt.
std::optional<IpAddress> parse_ip_literal(std::string_view host);

// True when the WHATWG host parser would treat `host` as IPv4 (its last label is
// a number), so that a host which is not a valid IPv4 address must be refused
// rather than looked up as a name ("1.2.3.256", "1.2.3.4.5").
bool ends_in_a_number(std::string_view host);

}  // namespace shot::net
