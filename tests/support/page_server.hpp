#pragma once
// An HTTP/1.1 server for tests: serves pages from handlers on a loopback
// address and port 0, records every request, and can hold a response open
// (a page that never loads) until the server stops.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shot::testing {

struct Request {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string path() const { return target.substr(0, target.find('?')); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;   // before answering
  bool hang = false;  // never answer (until the server stops)
};

using Handler = std::function<Response(const Request&)>;

class PageServer {
 public:
  explicit PageServer(std::string address = "127.0.0.1");
  ~PageServer();
  PageServer(const PageServer&) = delete;
  PageServer& operator=(const PageServer&) = delete;

  // Exact path match; "*" is the fallback.
  void route(const std::string& path, Handler handler);
  void page(const std::string& path, std::string html);

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;

  int hits(const std::string& path) const;
  std::vector<Request> requests() const;
  std::size_t total_requests() const;

 private:
  void accept_loop();
  void serve(int fd);

  std::string address_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  std::map<std::string, Handler> routes_;
  std::vector<Request> requests_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
};

// A solid-colour page of the given size: the pixel-colour tests' subject.
std::string solid_page(const std::string& css_color, int height_px = 0);

}  // namespace shot::testing
