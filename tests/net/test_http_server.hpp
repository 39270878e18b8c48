#pragma once
// A tiny blocking HTTP/1.1 server for tests: one thread, one connection at a
// time, bound to a loopback address on port 0. It counts what reaches it, so a
// test can prove a refused request never left the process.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace shot::net::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;

  std::string header(const std::string& name) const;
};

class TestHttpServer {
 public:
  // The raw bytes to answer with; an empty string means never answer (hold the
  // connection open until the server stops).
  using Handler = std::function<std::string(const ReceivedRequest&)>;

  // nullptr when `address` cannot be bound (no IPv6 here, say).
  static std::unique_ptr<TestHttpServer> start(const std::string& address, Handler handler);

  struct Token {  // make_unique needs a public constructor; only start() has a Token
   private:
    friend class TestHttpServer;
    Token() = default;
  };
  TestHttpServer(Token, int listen_fd, int stop_fd, std::string host, Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path; IPv6 in brackets.
  std::string url(const std::string& path = "/") const;
  int connections() const { return connections_.load(); }
  int requests() const;
  std::vector<ReceivedRequest> received() const;

  // A complete response with Content-Length and Connection: close.
  static std::string response(int status, const std::string& body,
                              const std::vector<std::string>& extra_headers = {});

 private:
  void run();
  void serve(int fd);
  bool wait_readable(int fd, int timeout_ms) const;

  int listen_fd_;
  int stop_fd_;
  std::string host_;
  std::uint16_t port_ = 0;
  Handler handler_;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace shot::net::testing
