#pragma once
// Routes (method, pattern) to handlers. Patterns are literal segments and
// `{name}` segments that bind a path parameter: "/v1/jobs/{id}/items/{n}".

#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asio.hpp"
#include "http/message.hpp"

namespace shot::http {

using Handler = std::function<Task<Response>(Request&)>;

class Router {
 public:
  struct Match {
    const Handler* handler;
    const std::string* pattern;  // for metrics: the route, not the concrete path
  };

  // Throws std::invalid_argument on a malformed pattern or a duplicate route
  // (a start-up error, so an exception).
  void add(std::string method, std::string pattern, Handler handler);

  // The handler for `request`, with request.params filled; otherwise the 404
  // problem, or the 405 problem with Allow when the path has other methods.
  // Literal segments beat parameters; HEAD falls back to the GET handler.
  std::expected<Match, Response> match(Request& request) const;

  // match() then the handler; the response is the handler's as is.
  Task<Response> dispatch(Request& request) const;

  std::size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace shot::http
