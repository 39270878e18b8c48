#include "test_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace shot::net::testing {

namespace {

constexpr std::size_t kMaxRequestBytes = 4 * 1024 * 1024;
constexpr int kReadTimeoutMs = 5000;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Closes the descriptor unless released: start() has many ways out.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::unique_ptr<TestHttpServer> TestHttpServer::start(const std::string& address, Handler handler) {
  bool v6 = address.find(':') != std::string::npos;
  OwnedFd listener{::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int fd = listener.fd;
  if (fd < 0) return nullptr;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1)
      length = 0;
    else
      length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    if (::inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1)
      length = 0;
    else
      length = sizeof(sockaddr_in);
  }
  if (length == 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, 16) != 0) {
    return nullptr;
  }
  OwnedFd stop{::eventfd(0, EFD_CLOEXEC)};
  if (stop.fd < 0) return nullptr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  auto server =
      std::make_unique<TestHttpServer>(Token{}, listener.release(), stop.release(),
                                       v6 ? "[" + address + "]" : address, std::move(handler));
  server->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  server->thread_ = std::thread([s = server.get()] { s->run(); });
  return server;
}

TestHttpServer::TestHttpServer(Token, int listen_fd, int stop_fd, std::string host, Handler handler)
    : listen_fd_(listen_fd),
      stop_fd_(stop_fd),
      host_(std::move(host)),
      handler_(std::move(handler)) {}

TestHttpServer::~TestHttpServer() {
  std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://" + host_ + ":" + std::to_string(port_) + path;
}

int TestHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(received_.size());
}

std::vector<ReceivedRequest> TestHttpServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::string TestHttpServer::response(int status, const std::string& body,
                                     const std::vector<std::string>& extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  for (const auto& h : extra_headers)
    out += h + "\r\n";
  return out + "\r\n" + body;
}

// True when `fd` is readable; false on timeout or when the server is stopping.
bool TestHttpServer::wait_readable(int fd, int timeout_ms) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int n = ::poll(fds, 2, timeout_ms);
  return n > 0 && (fds[1].revents & POLLIN) == 0 && (fds[0].revents & (POLLIN | POLLHUP)) != 0;
}

void TestHttpServer::run() {
  while (wait_readable(listen_fd_, -1)) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    serve(fd);
    ::close(fd);
  }
}

void TestHttpServer::serve(int fd) {
  std::string data;
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  char buffer[16384];
  while (true) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    if (data.size() > kMaxRequestBytes || !wait_readable(fd, kReadTimeoutMs)) return;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    data.append(buffer, static_cast<std::size_t>(n));
    if (header_end == std::string::npos &&
        (header_end = data.find("\r\n\r\n")) != std::string::npos) {
      auto cl = lower(data.substr(0, header_end)).find("\r\ncontent-length:");
      if (cl != std::string::npos) content_length = std::stoul(data.substr(cl + 17));
    }
  }

  ReceivedRequest request;
  std::size_t line_end = data.find("\r\n");
  std::string request_line = data.substr(0, line_end);
  auto sp1 = request_line.find(' ');
  auto sp2 = request_line.find(' ', sp1 + 1);
  request.method = request_line.substr(0, sp1);
  request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (std::size_t at = line_end + 2; at < header_end;) {
    auto end = data.find("\r\n", at);
    std::string line = data.substr(at, end - at);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      request.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    at = end + 2;
  }
  request.body = data.substr(header_end + 4, content_length);
  {
    std::lock_guard lock(mutex_);
    received_.push_back(request);
  }

  std::string answer = handler_(request);
  if (answer.empty()) {
    // Never answer: hold the connection until the test ends.
    pollfd stop = {stop_fd_, POLLIN, 0};
    ::poll(&stop, 1, -1);
    return;
  }
  for (std::size_t sent = 0; sent < answer.size();) {
    ssize_t n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client gave up (a size limit, say)
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace shot::net::testing
