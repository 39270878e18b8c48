// The egress proxy against real servers on loopback: what it forwards, what it
// refuses before the destination sees a byte, and where it cuts.
#include "net/egress_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "support/page_server.hpp"

namespace shot::net {
namespace {

using testing::PageServer;
using testing::Request;
using testing::Response;

// A blocking client: connects to 127.0.0.1:port, sends, reads with a timeout.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // Reads until `until` has been seen (empty: until EOF or timeout).
  std::string read(const std::string& until = {}) {
    std::string out;
    char buf[16384];
    while (until.empty() || out.find(until) == std::string::npos) {
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The proxy on its own I/O thread, as in `shot serve`.
class ProxyHarness {
 public:
  ProxyHarness(EgressConfig config, ProxyOptions options = {}) {
    auto policy = EgressPolicy::create(config);
    if (!policy) throw std::runtime_error(policy.error().message);
    proxy_ = std::make_unique<EgressProxy>(io_.get_executor(), pool_, *policy, options);
    auto ok = proxy_->start();
    if (!ok) throw std::runtime_error(ok.error().message);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ProxyHarness() {
    on_io([this] {
      proxy_->stop();
      return 0;
    });
    work_.reset();
    thread_.join();
    proxy_.reset();
    pool_.join();
  }
  int port() const { return proxy_->port(); }
  ProxyStats stats() {
    return on_io([this] { return proxy_->stats(); });
  }
  std::string get(const std::string& url, const std::string& extra_headers = {}) {
    Client c(port());
    c.send("GET " + url + " HTTP/1.1\r\nHost: ignored.example\r\n" + extra_headers + "\r\n");
    return c.read();
  }

 private:
  template <class F>
  std::invoke_result_t<F> on_io(F f) {
    std::promise<decltype(f())> done;
    asio::post(io_, [&] { done.set_value(f()); });
    return done.get_future().get();
  }
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::thread_pool pool_{2};
  std::unique_ptr<EgressProxy> proxy_;
  std::thread thread_;
};

std::string allow(const PageServer& s) {
  return "127.0.0.1:" + std::to_string(s.port());
}

int status_of(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(response.substr(9, 3));
}

class EgressProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_.page("/hello", "<p>hello through the proxy</p>");
    canary_.route("*", [](const Request&) { return Response{.body = "canary reached"}; });
  }
  PageServer pages_{"127.0.0.1"};
  PageServer canary_{"127.0.0.2"};
};

TEST_F(EgressProxyTest, ForwardsGetToAnAllowedServerInOriginForm) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  auto response =
      proxy.get(pages_.url("/hello"),
                "Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n"
                "X-Kept: yes\r\n");
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("hello through the proxy"), std::string::npos);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  ASSERT_EQ(pages_.requests().size(), 1u);
  auto seen = pages_.requests()[0];
  EXPECT_EQ(seen.target, "/hello");
  EXPECT_EQ(seen.header("x-kept"), "yes");
  EXPECT_EQ(seen.header("proxy-authorization"), "");
  EXPECT_EQ(seen.header("proxy-connection"), "");
  auto stats = proxy.stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.blocked, 0u);
  EXPECT_GT(stats.bytes_down, 0u);
}

TEST_F(EgressProxyTest, ForwardsAPostBody) {
  pages_.route("/echo", [](const Request& r) { return Response{.body = "got:" + r.body}; });
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  Client c(proxy.port());
  c.send("POST " + pages_.url("/echo") +
         " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nabcde");
  auto response = c.read();
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("got:abcde"), std::string::npos);
}

TEST_F(EgressProxyTest, RefusesBlockedAddressesInEveryFormWithoutTouchingThem) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  auto port = std::to_string(canary_.port());
  std::vector<std::string> urls;
  urls.push_back(canary_.url("/"));
  urls.push_back("http://2130706434:" + port + "/");
  urls.push_back("http://0177.0.0.2:" + port + "/");
  urls.push_back("http://0x7f000002:" + port + "/");
  urls.push_back("http://127.2:" + port + "/");
  urls.push_back("http://[::ffff:127.0.0.2]:" + port + "/");
  urls.push_back("http://localhost:" + port + "/");
  // The allowed host's address on another port is not the allowed host.
  urls.push_back("http://127.0.0.1:" + port + "/");
  for (const auto& url : urls) {
    auto response = proxy.get(url);
    EXPECT_EQ(status_of(response), 403) << url << "\n" << response;
    EXPECT_NE(response.find("X-Shot-Blocked: "), std::string::npos) << url;
  }
  EXPECT_EQ(canary_.total_requests(), 0u);
  auto stats = proxy.stats();
  EXPECT_EQ(stats.blocked, urls.size());
  EXPECT_EQ(stats.requests, urls.size());
}

TEST_F(EgressProxyTest, ConnectTunnelsBytesToAnAllowedServer) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  Client c(proxy.port());
  c.send("CONNECT " + allow(pages_) + " HTTP/1.1\r\nHost: " + allow(pages_) + "\r\n\r\n");
  auto established = c.read("\r\n\r\n");
  ASSERT_EQ(status_of(established), 200) << established;
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  // A tunnel is opaque: it lasts as long as the server keeps it open.
  auto response = c.read("hello through the proxy");
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("hello through the proxy"), std::string::npos);
  EXPECT_EQ(pages_.hits("/hello"), 1);
}

TEST_F(EgressProxyTest, ConnectToABlockedAddressOrNameIsRefused) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  auto port = std::to_string(canary_.port());
  std::vector<std::string> targets;
  targets.push_back("127.0.0.2:" + port);
  targets.push_back("[::ffff:127.0.0.2]:" + port);
  targets.push_back("localhost:" + std::to_string(pages_.port()));
  for (const auto& target : targets) {
    Client c(proxy.port());
    c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
    auto response = c.read();
    EXPECT_EQ(status_of(response), 403) << target << "\n" << response;
    EXPECT_NE(response.find("X-Shot-Blocked: "), std::string::npos) << target;
  }
  EXPECT_EQ(canary_.total_requests(), 0u);
  EXPECT_EQ(pages_.total_requests(), 0u);
}

// The resolve path: a name the operator allowed is looked up once (here via
// /etc/hosts, so offline) and the connection goes to a checked address.
TEST_F(EgressProxyTest, AnAllowedNameIsResolvedAndConnected) {
  ProxyHarness proxy({.allow_hosts = {"localhost:" + std::to_string(pages_.port())}});
  Client c(proxy.port());
  auto target = "localhost:" + std::to_string(pages_.port());
  c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
  auto established = c.read("\r\n\r\n");
  ASSERT_EQ(status_of(established), 200) << established;
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(c.read("hello through the proxy").find("hello through the proxy"), std::string::npos);
}

TEST_F(EgressProxyTest, AnUnresolvableNameIsABadGateway) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}}, {.connect_timeout = Millis(5000)});
  auto response = proxy.get("http://no-such-host.invalid/");
  int status = status_of(response);
  EXPECT_TRUE(status == 502 || status == 504) << response;
  EXPECT_EQ(response.find("X-Shot-Blocked"), std::string::npos);
}

TEST_F(EgressProxyTest, RefusesRequestsThatAreNotProxyRequests) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}});
  EXPECT_EQ(status_of(proxy.get("/hello")), 400);
  EXPECT_EQ(status_of(proxy.get("https://127.0.0.1:1/")), 400);
  Client c(proxy.port());
  c.send("GET " + pages_.url("/") + " HTTP/1.1\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_of(c.read()), 431);
  EXPECT_EQ(pages_.total_requests(), 0u);
}

TEST_F(EgressProxyTest, AnOversizedResponseIsCutAtTheCap) {
  pages_.route("/big", [](const Request&) {
    return Response{.content_type = "application/octet-stream", .body = std::string(1 << 20, 'x')};
  });
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}}, {.max_bytes = 64 * 1024});
  auto response = proxy.get(pages_.url("/big"));
  EXPECT_EQ(status_of(response), 200);
  EXPECT_LE(response.size(), 64u * 1024);
  EXPECT_EQ(proxy.stats().over_limit, 1u);
}

TEST_F(EgressProxyTest, ATunnelIsCutAtTheCapToo) {
  pages_.route("/big", [](const Request&) { return Response{.body = std::string(1 << 20, 'x')}; });
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}}, {.max_bytes = 64 * 1024});
  Client c(proxy.port());
  c.send("CONNECT " + allow(pages_) + " HTTP/1.1\r\n\r\n");
  ASSERT_EQ(status_of(c.read("\r\n\r\n")), 200);
  c.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_LE(c.read().size(), 64u * 1024);
  EXPECT_EQ(proxy.stats().over_limit, 1u);
}

TEST_F(EgressProxyTest, ASlowUpstreamHitsTheTimeout) {
  pages_.route("/slow", [](const Request&) { return Response{.hang = true}; });
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}}, {.read_timeout = Millis(300)});
  auto start = Clock::now();
  auto response = proxy.get(pages_.url("/slow"));
  EXPECT_EQ(status_of(response), 504) << response;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(proxy.stats().over_limit, 1u);
}

TEST_F(EgressProxyTest, AnIdleClientIsDropped) {
  ProxyHarness proxy({.allow_hosts = {allow(pages_)}}, {.read_timeout = Millis(200)});
  Client c(proxy.port());
  c.send("GET http://127.0.0.1/ HTTP/1.1\r\n");  // and never the rest
  auto start = Clock::now();
  EXPECT_EQ(c.read(), "");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace shot::net
