#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shot {

std::string base64_encode(std::string_view bytes);

// Decodes standard base64 (padding optional, no whitespace); nullopt on bad input.
// Table-driven, four characters a step: screenshots arrive as megabytes of it.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace shot
