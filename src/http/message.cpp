#include "http/message.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/status.hpp>

#include "core/log.hpp"
#include "core/strings.hpp"

namespace shot::http {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

struct StatusFor {
  Errc code;
  int status;
};

// The one table from error codes to HTTP statuses.
constexpr std::array<StatusFor, 17> kStatusTable = {{
    {Errc::invalid_argument, 400},
    {Errc::unauthorized, 401},
    {Errc::forbidden, 403},
    {Errc::not_found, 404},
    {Errc::conflict, 409},
    {Errc::too_large, 413},
    {Errc::unsupported_media, 415},
    {Errc::rate_limited, 429},
    {Errc::unavailable, 503},
    {Errc::timeout, 504},
    {Errc::canceled, 409},
    {Errc::navigation_failed, 502},
    {Errc::blocked, 403},
    {Errc::browser_crashed, 503},
    {Errc::protocol, 502},
    {Errc::unwanted_page, 502},
    {Errc::internal, 500},
}};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace_back(percent_decode(key, true), percent_decode(value, true));
  }
  return out;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return find_header(headers, name);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

Response& Response::set_header(std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  return find_header(headers, name);
}

int http_status(Errc code) {
  for (const auto& entry : kStatusTable)
    if (entry.code == code) return entry.status;
  return 500;
}

std::string_view status_title(int status) {
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return std::string_view(reason.data(), reason.size());
}

Response json_response(int status, const json::value& value) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::serialize(value);
  return r;
}

Response text_response(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response problem(int status, std::string title, std::string detail, std::string field,
                 std::string type) {
  json::object o;
  o["type"] = type.empty() ? "about:blank" : type;
  o["title"] = title;
  o["status"] = status;
  o["detail"] = detail;
  if (!field.empty()) o["field"] = field;
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = json::serialize(o);
  return r;
}

Response problem_from(const Error& error, std::chrono::seconds retry_after) {
  int status = http_status(error.code);
  std::string detail = error.message;
  if (error.code == Errc::internal) {
    // The message may hold paths, SQL or library text: the log gets it, the client does not.
    log::error("internal error: {}", error.message);
    detail = "internal error";
  } else if (detail.empty()) {
    detail = std::string(to_string(error.code));
  }
  Response r = problem(status, std::string(status_title(status)), std::move(detail), error.field);
  if (status == 429 || status == 503) set_retry_after(r, retry_after);
  return r;
}

std::string etag_of(std::string_view sha256) {
  std::string tag;
  tag.reserve(sha256.size() + 2);
  tag += '"';
  tag += sha256;
  tag += '"';
  return tag;
}

std::optional<Response> not_modified(const Request& request, std::string_view etag) {
  auto inm = request.header("If-None-Match");
  if (!inm) return std::nullopt;
  // A list of entity tags, compared weakly (RFC 9110 §13.1.2): W/ does not matter.
  std::string_view rest = *inm;
  bool match = false;
  while (!match && !rest.empty()) {
    auto comma = rest.find(',');
    auto tag = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    match = tag == "*" || tag == etag;
  }
  if (!match) return std::nullopt;
  Response r;
  r.status = 304;
  r.set_header("ETag", std::string(etag));
  return r;
}

Response& set_retry_after(Response& response, std::chrono::seconds after) {
  return response.set_header("Retry-After",
                             std::to_string(std::max<std::int64_t>(1, after.count())));
}

}  // namespace shot::http
