#pragma once
// What a route handler sees and returns. Plain std and project types: Beast
// stays inside server.cpp, so route files compile without it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/asio.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace shot::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison, as HTTP header names need.
bool iequals(std::string_view a, std::string_view b);

// %XX decoding (and '+' as space in queries); a malformed escape stays as is.
std::string percent_decode(std::string_view text, bool plus_is_space = false);
// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // the request target as sent: path and query
  std::string path;    // the target without the query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;                                         // as sent, in order
  std::string body;
  std::string remote_address;                 // the peer's IP address
  std::string request_id;                     // X-Request-Id when sane, else a new id
  std::map<std::string, std::string> params;  // path parameters bound by the router, decoded
  std::string principal;  // the API key name the access guard let in; empty when open

  // The first header called `name` (any case).
  std::optional<std::string_view> header(std::string_view name) const;
  // The first query parameter called `name`.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

// Server-sent events: the server has written the status and headers; the
// handler's stream function sends events until it returns.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // One event; false once the client is gone or the server is shutting down.
  virtual Task<bool> send(std::string_view event, std::string_view data) = 0;
  // A comment line: keeps proxies from closing an idle stream, and finds gone clients.
  virtual Task<bool> comment() = 0;
};

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
  Headers headers;  // extra headers; Content-Length and Transfer-Encoding are the server's
  // Send this file as the body, streamed from disk (never read whole into memory).
  std::optional<std::string> file_path;
  // Bytes shared with a cache, sent as the body without a copy (body and file_path ignored).
  std::shared_ptr<const std::string> shared_body;
  // Server-sent events: when set, body and file_path are ignored; the server
  // sends text/event-stream headers, then calls this.
  std::function<Task<void>(EventStream&)> stream;

  // Replaces any header called `name`.
  Response& set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

// The table from error codes to HTTP statuses (one place, see STYLE.md).
int http_status(Errc code);
// The standard reason phrase ("Not Found"); "Unknown" for unknown codes.
std::string_view status_title(int status);

Response json_response(int status, const json::value& value);
Response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

// RFC 9457 application/problem+json: {"type","title","status","detail","field"?}.
Response problem(int status, std::string title, std::string detail, std::string field = "",
                 std::string type = "about:blank");
// The problem for `error`; an internal error is logged and shown as "internal error"
// only. 429 and 503 carry Retry-After.
Response problem_from(const Error& error,
                      std::chrono::seconds retry_after = std::chrono::seconds(1));

// The strong entity tag of content with this sha256 (hex): "\"<sha256>\"".
std::string etag_of(std::string_view sha256);
// 304 Not Modified with `etag` when the request's If-None-Match names it (or is
// "*"); nullopt when the full answer is due.
std::optional<Response> not_modified(const Request& request, std::string_view etag);

// Sets Retry-After (whole seconds, at least 1).
Response& set_retry_after(Response& response, std::chrono::seconds after);

}  // namespace shot::http
