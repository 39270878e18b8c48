#pragma once
// Image formats, told apart by their magic bytes only: a file name or a
// Content-Type header is a claim, the first bytes are a fact.

#include <optional>
#include <string_view>

namespace shot::image {

enum class Format { png, jpeg, webp, gif, avif, heif, pdf, unknown };

// The format the leading bytes announce; unknown when none matches.
Format sniff(std::string_view bytes);

std::string_view mime_type(Format format);  // "image/png"; unknown: "application/octet-stream"
std::string_view extension(Format format);  // "png", "jpg"; unknown: "bin"
std::string_view to_string(Format format);  // "png", "jpeg", ...

// A format named by a user ("png", "jpeg", "jpg", "webp", "avif", ...; any case).
std::optional<Format> format_from_name(std::string_view name);

}  // namespace shot::image
