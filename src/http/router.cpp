#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace shot::http {
namespace {

// "/a/b" -> {"a","b"}; "/" -> {}; a trailing slash is an empty last segment.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path == "/") return out;
  if (path.front() == '/') path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  Route route;
  for (std::string_view s : split_path(pattern)) {
    Segment seg;
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      seg.param = true;
      seg.text = std::string(s.substr(1, s.size() - 2));
    } else {
      seg.text = std::string(s);
    }
    if (seg.text.find_first_of("{}") != std::string::npos || (seg.param && seg.text.empty()))
      throw std::invalid_argument("bad route pattern: " + pattern);
    route.segments.push_back(std::move(seg));
  }
  for (const auto& r : routes_)
    if (r.method == method && r.pattern == pattern)
      throw std::invalid_argument("duplicate route: " + method + " " + pattern);
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

std::expected<Router::Match, Response> Router::match(Request& request) const {
  auto path = split_path(request.path);
  auto fits = [&](const Route& r) {
    if (r.segments.size() != path.size()) return false;
    for (std::size_t i = 0; i < path.size(); ++i)
      if (!r.segments[i].param && r.segments[i].text != path[i]) return false;
    return true;
  };
  // At the first segment where two matching routes differ, the literal one wins.
  auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i)
      if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
    return false;
  };
  auto best_for = [&](std::string_view method) -> const Route* {
    const Route* best = nullptr;
    for (const auto& r : routes_)
      if (r.method == method && fits(r) && (!best || more_specific(r, *best))) best = &r;
    return best;
  };

  const Route* route = best_for(request.method);
  if (!route && request.method == "HEAD") route = best_for("GET");
  if (route) {
    request.params.clear();
    for (std::size_t i = 0; i < path.size(); ++i)
      if (route->segments[i].param)
        request.params[route->segments[i].text] = percent_decode(path[i]);
    return Match{&route->handler, &route->pattern};
  }

  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!fits(r)) continue;
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.push_back("HEAD");
  }
  if (allowed.empty())
    return std::unexpected(
        problem(404, "Not Found", "no route for " + request.method + " " + request.path));
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  std::string allow;
  for (const auto& m : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  Response r = problem(405, "Method Not Allowed",
                       request.method + " is not allowed on " + request.path + "; use " + allow);
  r.set_header("Allow", allow);
  return std::unexpected(std::move(r));
}

Task<Response> Router::dispatch(Request& request) const {
  auto m = match(request);
  if (!m) co_return std::move(m.error());
  co_return co_await (*m->handler)(request);
}

}  // namespace shot::http
