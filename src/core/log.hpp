#pragma once
// Logging: one line per event, text on a terminal, JSON lines when asked.

#include <spdlog/spdlog.h>

namespace shot::log {

enum class Format { text, json };

void setup(Format format, spdlog::level::level_enum level = spdlog::level::info);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace shot::log
