#include "net/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

namespace shot::net {

namespace {

// Any value above this is invalid in every position, so parsing saturates here
// instead of overflowing on "99999999999999999999".
constexpr std::uint64_t kSaturated = std::uint64_t{1} << 40;

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// The WHATWG "IPv4 number parser": 0x/0X means hex, a leading 0 octal, and a bare
// prefix ("0x", "0") is zero.
std::optional<std::uint64_t> parse_ipv4_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    radix = 16;
  } else if (s.size() >= 2 && s[0] == '0') {
    s.remove_prefix(1);
    radix = 8;
  }
  std::uint64_t value = 0;
  for (char c : s) {
    int d = digit_value(c);
    if (d >= radix) return std::nullopt;
    value = std::min(kSaturated, value * static_cast<std::uint64_t>(radix) + d);
  }
  return value;
}

std::optional<IpAddress> parse_whatwg_ipv4(std::string_view host) {
  auto parts = split_dots(host);
  if (parts.back().empty() && parts.size() > 1) parts.pop_back();
  if (parts.size() > 4) return std::nullopt;
  std::vector<std::uint64_t> numbers;
  for (auto part : parts) {
    auto n = parse_ipv4_number(part);
    if (!n) return std::nullopt;
    numbers.push_back(*n);
  }
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) return std::nullopt;
  }
  // The last part fills all the bytes the others left: 127.1 is 127.0.0.1.
  std::uint64_t limit = std::uint64_t{1} << (8 * (5 - numbers.size()));
  if (numbers.back() >= limit) return std::nullopt;
  std::uint64_t value = numbers.back();
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    value += numbers[i] << (8 * (3 - i));
  }
  return IpAddress::v4(static_cast<std::uint32_t>(value));
}

std::optional<IpAddress> parse_ipv6(std::string_view text) {
  // inet_pton wants a NUL-terminated string; an IPv6 text is never long.
  if (text.empty() || text.size() > 64) return std::nullopt;
  char buffer[65] = {};
  std::memcpy(buffer, text.data(), text.size());
  std::array<std::uint8_t, 16> bytes{};
  if (::inet_pton(AF_INET6, buffer, bytes.data()) != 1) return std::nullopt;
  return IpAddress::v6(bytes);
}

std::optional<IpAddress> parse_strict_ip(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_ipv6(text);
  if (text.empty() || text.size() > 15) return std::nullopt;
  char buffer[16] = {};
  std::memcpy(buffer, text.data(), text.size());
  std::array<std::uint8_t, 4> bytes{};
  if (::inet_pton(AF_INET, buffer, bytes.data()) != 1) return std::nullopt;
  return IpAddress::v4(bytes);
}

}  // namespace

IpAddress IpAddress::v4(std::uint32_t value) {
  return v4({static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
             static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = Family::v4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = Family::v6;
  a.bytes_ = bytes;
  return a;
}

std::span<const std::uint8_t> IpAddress::bytes() const {
  return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
}

std::uint32_t IpAddress::v4_value() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
  return buffer;
}

std::string IpAddress::to_url_host() const {
  return is_v4() ? to_string() : "[" + to_string() + "]";
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.family() != base.family()) return false;
  auto a = address.bytes();
  auto b = base.bytes();
  int bits = prefix;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
    auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

std::string Cidr::to_string() const {
  return base.to_string() + "/" + std::to_string(prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto address = parse_strict_ip(text.substr(0, slash));
  if (!address) return fail(Errc::invalid_argument, "not a CIDR: " + std::string(text));
  int max_prefix = address->is_v4() ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > max_prefix) {
      return fail(Errc::invalid_argument, "bad prefix length in CIDR: " + std::string(text));
    }
  }
  // Clear the host bits so the range prints as what it means.
  auto bytes = address->bytes();
  std::array<std::uint8_t, 16> cleared{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int keep = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    cleared[i] = static_cast<std::uint8_t>(bytes[i] & (0xff << (8 - keep)));
  }
  IpAddress base = address->is_v4() ? IpAddress::v4(std::array<std::uint8_t, 4>{
                                          cleared[0], cleared[1], cleared[2], cleared[3]})
                                    : IpAddress::v6(cleared);
  return Cidr{base, prefix};
}

bool ends_in_a_number(std::string_view host) {
  auto parts = split_dots(host);
  if (parts.back().empty()) {
    if (parts.size() == 1) return false;
    parts.pop_back();
  }
  auto last = parts.back();
  if (!last.empty() &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return true;
  }
  return parse_ipv4_number(last).has_value();
}

std::optional<IpAddress> parse_ip_literal(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return parse_ipv6(host.substr(1, host.size() - 2));
  }
  if (host.find(':') != std::string_view::npos) return parse_ipv6(host);
  if (host.empty() || !ends_in_a_number(host)) return std::nullopt;
  return parse_whatwg_ipv4(host);
}

}  // namespace shot::net
