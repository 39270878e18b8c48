#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace shot::log {

void setup(Format format, spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("shot");
  if (format == Format::json) {
    // Messages are built by the callers without quotes or control characters
    // in the fixed part; the payload is escaped by the %v field's producer.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace shot::log
