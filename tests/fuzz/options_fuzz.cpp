// Fuzz target (libFuzzer's entry point) for capture options: the JSON every
// API request carries, parsed with limits, then checked against the option table.
// Run by tests/fuzz/fuzz_driver.cpp in the ASan build.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "capture/options.hpp"
#include "core/json.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "options_fuzz: invariant broken: %s\n", what);
  std::abort();
}

// A value the parser accepted lies inside the table's range for that option.
void check_range(std::string_view name, double value) {
  for (const auto& spec : shot::capture::option_specs())
    if (spec.name == name) require(value >= spec.min && value <= spec.max, spec.name.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = shot::parse_json(text);
  if (!doc || !doc->is_object()) return 0;
  const auto& object = doc->get_object();

  auto options = shot::capture::parse_options(object);
  if (!options) {
    // Refusals are the client's fault and name the option at fault.
    require(options.error().code == shot::Errc::invalid_argument, "refusal is invalid_argument");
    require(options.error().field.starts_with("options."), "refusal names options.<name>");
    return 0;
  }
  check_range("width", options->width);
  check_range("height", options->height);
  check_range("device_scale_factor", options->device_scale_factor);
  check_range("max_height", options->max_height);
  check_range("quality", options->quality);
  check_range("delay_ms", options->delay_ms);
  check_range("timeout_ms", options->timeout_ms);

  // The canonical form (a cache key) is JSON that reads back as the same
  // options and is its own canonical form.
  std::string canonical = shot::capture::canonical_json(object);
  auto again = shot::parse_json(canonical);
  require(again && again->is_object(), "canonical JSON parses");
  require(shot::capture::canonical_json(again->get_object()) == canonical,
          "canonical JSON is a fixed point");
  auto reparsed = shot::capture::parse_options(again->get_object());
  require(reparsed && reparsed->width == options->width && reparsed->height == options->height &&
              reparsed->format == options->format && reparsed->headers == options->headers &&
              reparsed->device_scale_factor == options->device_scale_factor,
          "canonical JSON gives the same options");
  return 0;
}
