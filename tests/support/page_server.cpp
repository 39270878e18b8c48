#include "support/page_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace shot::testing {
namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

PageServer::PageServer(std::string address) : address_(std::move(address)) {
  bool v6 = address_.find(':') != std::string::npos;
  listen_fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, address_.c_str(), &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    ::inet_pton(AF_INET, address_.c_str(), &a->sin_addr);
    len = sizeof(sockaddr_in);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::listen(listen_fd_, 128) != 0)
    throw std::runtime_error("PageServer: cannot listen on " + address_);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
             : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

PageServer::~PageServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  stopped_.notify_all();
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers)
    t.join();
  ::close(listen_fd_);
}

void PageServer::route(const std::string& path, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_[path] = std::move(handler);
}

void PageServer::page(const std::string& path, std::string html) {
  route(path, [html](const Request&) { return Response{.body = html}; });
}

std::string PageServer::url(const std::string& path) const {
  bool v6 = address_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(port_) + path;
}

int PageServer::hits(const std::string& path) const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                        [&](const Request& r) { return r.path() == path; }));
}

std::vector<Request> PageServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t PageServer::total_requests() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void PageServer::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void PageServer::serve(int fd) {
  std::string buf;
  char chunk[16384];
  // Keep-alive: answer requests on this connection until the peer closes it.
  while (!stopping_) {
    std::size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) {
        if (stopping_) goto done;
        continue;
      }
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) goto done;
      buf.append(chunk, static_cast<std::size_t>(n));
      if (buf.size() > (1 << 20)) goto done;
    }
    {
      Request req;
      std::string head = buf.substr(0, header_end);
      buf.erase(0, header_end + 4);
      auto line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      auto sp1 = first.find(' '), sp2 = first.rfind(' ');
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        auto e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        if (auto c = line.find(':'); c != std::string::npos) {
          std::string value = line.substr(c + 1);
          value.erase(0, value.find_first_not_of(' '));
          req.headers[lower(line.substr(0, c))] = value;
        }
        pos = e + 2;
      }
      std::size_t length =
          req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < length) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) goto done;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);

      Handler handler;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
        auto it = routes_.find(req.path());
        if (it == routes_.end()) it = routes_.find("*");
        if (it != routes_.end()) handler = it->second;
      }
      Response resp = handler ? handler(req) : Response{.status = 404, .body = "not found"};
      if (resp.hang) {
        std::unique_lock lock(mutex_);
        stopped_.wait(lock, [this] { return stopping_.load(); });
        goto done;
      }
      if (resp.delay_ms > 0) {
        std::unique_lock lock(mutex_);
        stopped_.wait_for(lock, std::chrono::milliseconds(resp.delay_ms),
                          [this] { return stopping_.load(); });
      }
      std::string out =
          "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
      out += "Content-Type: " + resp.content_type + "\r\n";
      out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
      bool own_cache_control = std::any_of(resp.headers.begin(), resp.headers.end(), [](auto& h) {
        return lower(h.first) == "cache-control";
      });
      if (!own_cache_control) out += "Cache-Control: no-store\r\n";
      for (auto& [k, v] : resp.headers)
        out += k + ": " + v + "\r\n";
      out += "\r\n";
      if (req.method != "HEAD") out += resp.body;
      if (!write_all(fd, out)) goto done;
    }
  }
done : {
  std::lock_guard lock(mutex_);
  std::erase(open_fds_, fd);
}
  ::close(fd);
}

std::string solid_page(const std::string& css_color, int height_px) {
  std::string height = height_px > 0 ? std::to_string(height_px) + "px" : "100vh";
  return "<!doctype html><html><head><style>html,body{margin:0;background:" + css_color +
         "}div{height:" + height + "}</style></head><body><div></div></body></html>";
}

}  // namespace shot::testing
