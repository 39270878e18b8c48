#pragma once
// Small ASCII string helpers for protocol text (header names, hosts, schemes,
// tokens). ASCII only and locale-free: bytes outside A-Z are left as they are,
// so UTF-8 passes through unchanged.

#include <string>
#include <string_view>

namespace shot {

// A copy with A-Z lower-cased.
std::string lower_ascii(std::string_view s);

// Without leading and trailing spaces, tabs, CRs and LFs (HTTP whitespace and
// line ends).
std::string_view trim(std::string_view s);

}  // namespace shot
