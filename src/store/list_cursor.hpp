#pragma once
// The paging cursor every backend hands out for JobStore::list:
// "<created_ms>.<id>" of the last job on the previous page.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace shot::store {

inline std::string make_cursor(std::int64_t created_ms, std::string_view id) {
  return std::to_string(created_ms) + "." + std::string(id);
}

inline bool parse_cursor(std::string_view cursor, std::int64_t& created_ms, std::string& id) {
  auto dot = cursor.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + dot, created_ms);
  if (ec != std::errc() || end != cursor.data() + dot) return false;
  id = std::string(cursor.substr(dot + 1));
  return !id.empty();
}

}  // namespace shot::store
