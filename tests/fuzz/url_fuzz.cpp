// Fuzz target (libFuzzer's entry point) for the parsers that face users: URL
// validation and canonicalization, IP literals, redirect resolution. Run by
// tests/fuzz/fuzz_driver.cpp in the ASan build (see tests/fuzz/CMakeLists.txt).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/egress_policy.hpp"
#include "net/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto url = shot::net::parse_target_url(input)) {
    // A normalized URL is a fixed point: parsing it again changes nothing.
    auto again = shot::net::parse_target_url(url->normalized);
    if (!again || again->normalized != url->normalized || again->host != url->host ||
        again->port != url->port) {
      std::abort();
    }
    (void)shot::net::resolve_redirect(*url, input);
  }

  if (auto address = shot::net::parse_ip_literal(input)) {
    // Canonical text reads back as the same address.
    auto back = shot::net::parse_ip_literal(address->to_url_host());
    if (!back || *back != *address) std::abort();
    (void)shot::net::EgressPolicy{}.check_address(*address, 80);
  }
  (void)shot::net::ends_in_a_number(input);
  (void)shot::net::parse_cidr(input);
  return 0;
}
