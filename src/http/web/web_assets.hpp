#pragma once
// The web page's files (src/http/web), embedded at build time by embed.cmake.

#include <span>
#include <string_view>

namespace shot::http {

struct WebAsset {
  std::string_view name;    // the file name: "index.html", "app.js", ...
  std::string_view bytes;   // the file as it is in the source tree
  std::string_view sha256;  // hex SHA-256 of bytes
};

std::span<const WebAsset> web_assets();

}  // namespace shot::http
