#pragma once
// Pixel size from the header of an image Chromium produced (PNG, JPEG, WebP).

#include <optional>
#include <string_view>
#include <utility>

namespace shot::capture {

std::optional<std::pair<int, int>> image_size(std::string_view bytes);

}  // namespace shot::capture
