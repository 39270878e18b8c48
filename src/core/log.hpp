#pragma once
// Logging: one line per event, text on a terminal, JSON lines when asked.

#include <spdlog/spdlog.h>
#include <memory>
#include <string>
#include <string_view>

namespace shot::log {

enum class Format { text, json };

void setup(Format format, spdlog::level::level_enum level = spdlog::level::info);

// The formatter setup() gives the logger: in JSON, every line one object with
// ts, level and msg, the message escaped (quotes, backslashes, control characters).
std::unique_ptr<spdlog::formatter> make_formatter(Format format);

// `s` as the inside of a JSON string literal (no surrounding quotes).
std::string json_escape(std::string_view s);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace shot::log
