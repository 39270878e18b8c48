// Fuzz target (libFuzzer's entry point) for the multipart/form-data parser:
// every upload form goes through it. The first line is the Content-Type.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  auto boundary = shot::http::multipart_boundary(input.substr(0, newline));
  auto body = input.substr(newline + 1);
  if (auto parts = shot::http::parse_multipart(body, boundary, 8)) {
    if (parts->size() > 8) __builtin_trap();
    std::size_t total = 0;
    for (const auto& part : *parts)
      total += part.body.size();
    // Parts are slices of the body: together never larger than it.
    if (total > body.size()) __builtin_trap();
  }
  return 0;
}
