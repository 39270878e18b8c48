#pragma once
// A blocking HTTP/1.1 client for the server tests: raw bytes out (so a test can
// pipeline or send garbage), responses parsed by Beast, every wait bounded.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shot::http::testing {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;

  std::optional<std::string> header(std::string_view name) const;
};

class TestClient {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit TestClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes all of `bytes`; false on error or timeout.
  bool send(std::string_view bytes);
  // The next response; nullopt on close, timeout or a parse error. A response
  // to HEAD has no body, so the caller says when it asked with HEAD.
  std::optional<ClientResponse> read_response(bool to_head = false);
  // Reads only the status line and headers (an event stream's start).
  std::optional<ClientResponse> read_header();
  // True when the server closes the connection (EOF or reset) within `within`.
  bool closed_within(std::chrono::milliseconds within);
  void close();

  // Used by the Beast adapter: poll + recv; 0 with `timed_out` or `eof` set.
  std::size_t recv_some(char* data, std::size_t size, bool& eof, bool& timed_out);

 private:
  struct Parser;
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string pending_;  // bytes read past the last response (pipelining)
  std::optional<ClientResponse> read(bool to_head, bool header_only);
};

// "GET target HTTP/1.1" with Host and `extra` header lines (each ending in \r\n).
std::string request(std::string_view method, std::string_view target, std::string_view extra = {},
                    std::string_view body = {});

}  // namespace shot::http::testing
