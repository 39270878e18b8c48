#pragma once
// Readable, CTest-safe names for table-driven cases: gtest prints the parameter
// into the test name, and brackets or semicolons would confuse CMake lists.

#include <ostream>
#include <string_view>

namespace shot::net::testing {

inline void print_case_name(std::string_view text, std::ostream* os) {
  if (text.empty()) *os << "(empty)";
  for (char c : text) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == ':' || c == '/' || c == '-';
    *os << (plain ? c : '_');
  }
}

}  // namespace shot::net::testing
