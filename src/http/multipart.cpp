#include "http/multipart.hpp"

#include "http/message.hpp"

namespace shot::http {
namespace {

Result<std::vector<FormPart>> malformed(std::string why) {
  return fail(Errc::invalid_argument, "malformed multipart/form-data: " + why, "body");
}

// The value of `param` in a header like `form-data; name="file"; filename="a.png"`.
std::string header_param(std::string_view header, std::string_view param) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    while (pos < header.size() && header[pos] == ' ')
      ++pos;
    auto eq = header.find('=', pos);
    if (eq == std::string_view::npos) return {};
    if (!iequals(header.substr(pos, eq - pos), param)) continue;
    auto value = header.substr(eq + 1);
    if (!value.empty() && value.front() == '"') {
      auto close = value.find('"', 1);
      return std::string(value.substr(1, close == std::string_view::npos ? close : close - 1));
    }
    return std::string(value.substr(0, value.find(';')));
  }
  return {};
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  auto boundary = header_param(content_type, "boundary");
  if (boundary.size() > 200) return {};
  while (!boundary.empty() && boundary.back() == ' ')
    boundary.pop_back();
  return boundary;
}

Result<std::vector<FormPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                              std::size_t max_parts) {
  if (boundary.empty()) return malformed("no boundary in Content-Type");
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next = "\r\n" + delimiter;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return malformed("no part");
  pos += delimiter.size();
  std::vector<FormPart> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return malformed("bad delimiter line");
    pos += 2;
    if (parts.size() == max_parts)
      return malformed("more than " + std::to_string(max_parts) + " parts");
    auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return malformed("a part without headers");
    FormPart part;
    auto headers = body.substr(pos, headers_end - pos);
    std::size_t line_start = 0;
    while (line_start <= headers.size()) {
      auto line_end = headers.find("\r\n", line_start);
      auto line =
          headers.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                        : line_end - line_start);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        if (iequals(name, "Content-Disposition")) {
          part.name = header_param(value, "name");
          part.filename = header_param(value, "filename");
        } else if (iequals(name, "Content-Type")) {
          part.content_type = std::string(value);
        }
      }
      if (line_end == std::string_view::npos) break;
      line_start = line_end + 2;
    }
    auto content = headers_end + 4;
    auto end = body.find(next, content);
    if (end == std::string_view::npos) return malformed("a part is not closed");
    part.body = std::string(body.substr(content, end - content));
    if (part.name.empty()) return malformed("a part without a name");
    parts.push_back(std::move(part));
    pos = end + next.size();
  }
}

}  // namespace shot::http
