#pragma once
// JSON through Boost.JSON, parsed with limits (input faces users and Chromium).

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "core/error.hpp"

namespace shot {

namespace json = boost::json;

struct JsonLimits {
  std::size_t max_depth = 32;
};

// Parses `text`; a syntax error or a too-deep document is invalid_argument.
Result<json::value> parse_json(std::string_view text, JsonLimits limits = {});

// Field accessors that never throw: missing or wrongly typed gives the fallback.
std::string_view json_string(const json::object& o, std::string_view key,
                             std::string_view fallback = {});
std::int64_t json_int(const json::object& o, std::string_view key, std::int64_t fallback = 0);
double json_double(const json::object& o, std::string_view key, double fallback = 0);
bool json_bool(const json::object& o, std::string_view key, bool fallback = false);
const json::object* json_object(const json::object& o, std::string_view key);

}  // namespace shot
