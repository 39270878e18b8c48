// Fuzz target (libFuzzer's entry point) for probe(): the header parsers face
// every upload. Run by tests/fuzz/fuzz_driver.cpp in the ASan build.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Tight limits so the fuzzer explores parsers, not the allocator.
  shot::image::Limits limits{.max_pixels = 4'000'000, .max_bytes = 1 << 20, .max_dimension = 4'000};
  if (auto info = shot::image::probe(bytes, limits)) {
    // A header that passed must describe a size inside the limits.
    if (info->width <= 0 || info->height <= 0 || info->width > limits.max_dimension)
      __builtin_trap();
  }
  return 0;
}
