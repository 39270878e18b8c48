#include "core/json.hpp"

#include <boost/json/parse.hpp>

namespace shot {

Result<json::value> parse_json(std::string_view text, JsonLimits limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) {
    if (ec == json::error::too_deep)
      return fail(Errc::invalid_argument,
                  "JSON nesting is deeper than " + std::to_string(limits.max_depth));
    return fail(Errc::invalid_argument, "malformed JSON: " + ec.message());
  }
  return v;
}

std::string_view json_string(const json::object& o, std::string_view key,
                             std::string_view fallback) {
  auto* v = o.if_contains(key);
  if (v && v->is_string()) return v->get_string();
  return fallback;
}

std::int64_t json_int(const json::object& o, std::string_view key, std::int64_t fallback) {
  auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return fallback;
}

double json_double(const json::object& o, std::string_view key, double fallback) {
  auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return fallback;
}

bool json_bool(const json::object& o, std::string_view key, bool fallback) {
  auto* v = o.if_contains(key);
  if (v && v->is_bool()) return v->get_bool();
  return fallback;
}

const json::object* json_object(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

}  // namespace shot
