#include "http/test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <cstring>

#include "http/message.hpp"

namespace shot::http::testing {
namespace {

namespace bhttp = boost::beast::http;

// Beast's SyncReadStream over the client's socket.
class FdStream {
 public:
  explicit FdStream(TestClient& client) : client_(client) {}

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      bool eof = false;
      bool timed_out = false;
      std::size_t n = client_.recv_some(static_cast<char*>(b.data()), b.size(), eof, timed_out);
      if (eof) ec = boost::asio::error::eof;
      if (timed_out) ec = boost::asio::error::timed_out;
      return n;
    }
    return 0;
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    auto n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  TestClient& client_;
};

}  // namespace

std::optional<std::string> ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

TestClient::TestClient(std::uint16_t port, std::chrono::milliseconds timeout) : timeout_(timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
}

TestClient::~TestClient() {
  close();
}

void TestClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TestClient::send(std::string_view bytes) {
  auto until = std::chrono::steady_clock::now() + timeout_;
  while (fd_ >= 0 && !bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return fd_ >= 0;
}

std::size_t TestClient::recv_some(char* data, std::size_t size, bool& eof, bool& timed_out) {
  eof = timed_out = false;
  if (!pending_.empty()) {
    std::size_t n = std::min(size, pending_.size());
    std::memcpy(data, pending_.data(), n);
    pending_.erase(0, n);
    return n;
  }
  if (fd_ < 0) {
    eof = true;
    return 0;
  }
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (r == 0) {
      timed_out = true;
      return 0;
    }
    if (r < 0 && errno == EINTR) continue;
    ssize_t n = ::recv(fd_, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;  // a reset counts as the server going away
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
}

std::optional<ClientResponse> TestClient::read_response(bool to_head) {
  return read(to_head, false);
}

std::optional<ClientResponse> TestClient::read_header() {
  return read(false, true);
}

std::optional<ClientResponse> TestClient::read(bool to_head, bool header_only) {
  FdStream stream(*this);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  if (to_head) parser.skip(true);
  boost::system::error_code ec;
  if (header_only)
    bhttp::read_header(stream, buffer, parser, ec);
  else
    bhttp::read(stream, buffer, parser, ec);
  // Bytes past this response belong to the next one.
  auto rest = buffer.data();
  pending_.insert(0, static_cast<const char*>(rest.data()), rest.size());
  if (ec) return std::nullopt;
  ClientResponse out;
  const auto& m = parser.get();
  out.status = static_cast<int>(m.result_int());
  for (const auto& f : m)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = m.body();
  out.keep_alive = m.keep_alive();
  return out;
}

bool TestClient::closed_within(std::chrono::milliseconds within) {
  auto until = std::chrono::steady_clock::now() + within;
  char sink[4096];
  while (fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return false;
    if (r < 0) continue;
    ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
    if (n <= 0) return true;
  }
  return true;
}

std::string request(std::string_view method, std::string_view target, std::string_view extra,
                    std::string_view body) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  r.append(extra);
  if (!body.empty() || method == "POST" || method == "PUT")
    r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  r.append("\r\n").append(body);
  return r;
}

}  // namespace shot::http::testing
