// Fuzz target (libFuzzer's entry point) for the CDP pipe's frame splitting.
// The input is both the control and the stream: byte 0 picks the frame limit,
// byte 1 seeds the read sizes, the rest is the byte stream from Chromium, fed in
// chunks as a pipe might deliver it. Checks, after every read, that the frames
// seen so far plus their NULs plus the buffered tail are exactly the stream read
// so far, and that a refusal means a frame really outgrew the limit.
// Run by tests/fuzz/fuzz_driver.cpp in the ASan build.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cdp/frame_splitter.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "frame_splitter_fuzz: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::size_t max_frame = 1 + data[0] % 64;
  uint32_t chunk_state = data[1] | 0x100u;
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  shot::cdp::FrameSplitter splitter(max_frame);
  std::string seen;  // every frame delivered, each followed by its NUL
  std::size_t fed = 0;
  while (fed < stream.size()) {
    // Read sizes from a small LCG over byte 1: 1..16 bytes, sometimes many more.
    chunk_state = chunk_state * 1103515245u + 12345u;
    std::size_t want =
        (chunk_state >> 16) % 8 == 0 ? 1 + (chunk_state >> 8) % 256 : 1 + (chunk_state >> 16) % 16;
    std::size_t n = std::min(want, stream.size() - fed);
    bool ok = splitter.feed(stream.substr(fed, n), [&](std::string&& frame) {
      require(frame.size() <= max_frame, "no frame above the limit");
      require(frame.find('\0') == std::string::npos, "no NUL inside a frame");
      seen += frame;
      seen.push_back('\0');
    });
    fed += n;
    std::string_view read = stream.substr(0, fed);
    require(read.starts_with(seen), "frames are the stream's prefix, in order");
    if (!ok) {
      // The frame after the last one delivered (up to its NUL, or to the end of
      // what was read) is longer than the limit.
      std::string_view rest = read.substr(seen.size());
      std::size_t nul = rest.find('\0');
      std::size_t length = nul == std::string_view::npos ? rest.size() : nul;
      require(length > max_frame, "a refusal means an oversized frame");
      return 0;
    }
    require(splitter.buffered() == fed - seen.size(), "frames + buffered tail = bytes read");
    require(read.substr(seen.size()).find('\0') == std::string_view::npos,
            "the buffered tail holds no NUL");
  }
  return 0;
}
