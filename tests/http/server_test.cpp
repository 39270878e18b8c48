#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/json.hpp"
#include "http/test_client.hpp"

namespace shot::http {
namespace {

using namespace std::chrono_literals;
using testing::request;
using testing::TestClient;

// A server on 127.0.0.1:0 run by its own io thread; the test thread is the client.
class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add("GET", "/hello",
                [](Request&) -> Task<Response> { co_return text_response(200, "hello"); });
    router_.add("GET", "/v1/jobs/{id}/items/{n}", [](Request& req) -> Task<Response> {
      json::object o;
      o["id"] = req.params["id"];
      o["n"] = req.params["n"];
      o["size"] = std::string(req.query_param("size").value_or(""));
      o["request_id"] = req.request_id;
      co_return json_response(200, o);
    });
    router_.add("POST", "/echo", [](Request& req) -> Task<Response> {
      co_return text_response(200, req.body, "application/octet-stream");
    });
    // Answers after `ms` milliseconds: shows pipelined answers keep their order.
    router_.add("GET", "/wait/{ms}", [](Request& req) -> Task<Response> {
      co_await sleep_for(std::chrono::milliseconds(std::stoi(req.params["ms"])));
      co_return text_response(200, req.params["ms"]);
    });
    router_.add("GET", "/throw", [](Request&) -> Task<Response> {
      throw std::runtime_error("secret detail");
      co_return text_response(200, "unreachable");
    });
  }

  ~ServerTest() override { stop(Deadline::in(2s)); }

  void start(ServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<Server>(io_.get_executor(), options, router_);
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs shutdown on the io thread; the future is ready when it returned.
  std::future<void> shutdown_async(Deadline deadline) {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    asio::co_spawn(
        io_,
        [this, deadline, done]() -> Task<void> {
          co_await server_->shutdown(deadline);
          done->set_value();
        },
        asio::detached);
    return future;
  }

  void stop(Deadline deadline) {
    if (!thread_.joinable()) return;
    auto done = shutdown_async(deadline);
    done.wait_for(10s);
    work_.reset();
    io_.stop();
    thread_.join();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

json::object json_body(const testing::ClientResponse& r) {
  auto v = parse_json(r.body);
  EXPECT_TRUE(v.has_value()) << r.body;
  return v && v->is_object() ? v->as_object() : json::object();
}

TEST_F(ServerTest, RoutesWithParamsAndQuery) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/v1/jobs/j%201/items/7?size=big&x=1")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  auto o = json_body(*r);
  EXPECT_EQ(json_string(o, "id"), "j 1");
  EXPECT_EQ(json_string(o, "n"), "7");
  EXPECT_EQ(json_string(o, "size"), "big");
  // Generated when the client sent none, and the same one the handler saw.
  auto id = r->header("X-Request-Id");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 20u);
  EXPECT_EQ(json_string(o, "request_id"), *id);
}

TEST_F(ServerTest, EchoesASaneRequestIdAndReplacesAnInsaneOne) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/hello", "X-Request-Id: trace-42.a_b\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Request-Id"), "trace-42.a_b");
  ASSERT_TRUE(c.send(request("GET", "/hello", "X-Request-Id: <script>\r\n")));
  auto bad = c.read_response();
  ASSERT_TRUE(bad);
  ASSERT_TRUE(bad->header("X-Request-Id"));
  EXPECT_NE(bad->header("X-Request-Id"), "<script>");
  EXPECT_EQ(bad->header("X-Request-Id")->size(), 20u);
}

TEST_F(ServerTest, UnknownRouteIs404ProblemJson) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/nope")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  auto o = json_body(*r);
  EXPECT_EQ(json_string(o, "type"), "about:blank");
  EXPECT_EQ(json_string(o, "title"), "Not Found");
  EXPECT_EQ(json_int(o, "status"), 404);
  EXPECT_FALSE(json_string(o, "detail").empty());
  EXPECT_TRUE(r->header("X-Request-Id"));
  EXPECT_TRUE(r->keep_alive);  // a 404 is an answer, not a broken connection
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("DELETE", "/hello")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD");
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  start();
  TestClient c(port_);
  std::string body(11 * 1024 * 1024, 'x');
  // The server answers after the head; the rest of the body is drained, not reset.
  ASSERT_TRUE(c.send(request("POST", "/echo", "", body)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  EXPECT_EQ(json_string(json_body(*r), "field"), "body");
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, BodyUnderTheLimitIsReadWhole) {
  start();
  TestClient c(port_);
  std::string body(1024 * 1024, 'y');
  body[12345] = 'z';
  ASSERT_TRUE(c.send(request("POST", "/echo", "Expect: 100-continue\r\n", body)));
  auto cont = c.read_response();  // the interim 100 Continue
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, body);
}

TEST_F(ServerTest, HeadOverTheLimitIs431) {
  start();
  TestClient c(port_);
  std::string big = "X-Big: " + std::string(20 * 1024, 'h') + "\r\n";
  ASSERT_TRUE(c.send(request("GET", "/hello", big)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  TestClient c(port_);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send(request("GET", "/hello")));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_TRUE(r->keep_alive);
  }
  ASSERT_TRUE(c.send(request("GET", "/hello", "Connection: close\r\n")));
  auto last = c.read_response();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->keep_alive);
  EXPECT_TRUE(c.closed_within(5s));
  stop(Deadline::in(2s));
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  TestClient c(port_);
  // The first takes longest: answers must still come back in request order.
  ASSERT_TRUE(
      c.send(request("GET", "/wait/150") + request("GET", "/wait/1") + request("GET", "/wait/20")));
  for (const char* expected : {"150", "1", "20"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, expected);
  }
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/hello")));
  ASSERT_TRUE(c.read_response());
  auto begin = Clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_GE(Clock::now() - begin, 150ms);
}

TEST_F(ServerTest, SlowRequestHeadTimesOut) {
  ServerOptions options;
  options.read_timeout = 200ms;
  start(options);
  TestClient c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\n"));  // and never the rest
  EXPECT_TRUE(c.closed_within(5s));
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("shot_http_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST_F(ServerTest, FileBodyIsServedByteForByte) {
  std::string content(5 * 1000 * 1000, '\0');
  std::mt19937 rng(42);
  for (auto& ch : content)
    ch = static_cast<char>(rng() & 0xff);
  TempFile file(content);
  std::string path = file.path();
  router_.add("GET", "/file", [path](Request&) -> Task<Response> {
    Response r;
    r.content_type = "image/png";
    r.file_path = path;
    co_return r;
  });
  router_.add("GET", "/missing-file", [](Request&) -> Task<Response> {
    Response r;
    r.file_path = "/nonexistent/shot/file.png";
    co_return r;
  });
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/file")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "image/png");
  EXPECT_EQ(r->header("Content-Length"), std::to_string(content.size()));
  EXPECT_TRUE(r->body == content) << "bodies differ; got " << r->body.size() << " bytes";

  ASSERT_TRUE(c.send(request("HEAD", "/file")));
  auto head = c.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(content.size()));
  EXPECT_TRUE(head->body.empty());

  ASSERT_TRUE(c.send(request("GET", "/missing-file")));
  auto missing = c.read_response();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 500);
  EXPECT_EQ(missing->body.find("nonexistent"), std::string::npos);
}

TEST_F(ServerTest, SharedBodyIsServedByteForByteAndStaysWithItsOwner) {
  auto bytes = std::make_shared<std::string>(3 * 1000 * 1000, '\0');
  std::mt19937 rng(7);
  for (auto& ch : *bytes)
    ch = static_cast<char>(rng() & 0xff);
  std::shared_ptr<const std::string> shared = bytes;
  router_.add("GET", "/shared", [shared](Request&) -> Task<Response> {
    Response r;
    r.content_type = "image/png";
    r.shared_body = shared;
    co_return r;
  });
  start();
  TestClient c(port_);
  for (int i = 0; i < 2; ++i) {  // twice on one connection: the bytes are not consumed
    ASSERT_TRUE(c.send(request("GET", "/shared")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Length"), std::to_string(bytes->size()));
    EXPECT_TRUE(r->body == *bytes) << "bodies differ; got " << r->body.size() << " bytes";
  }
  ASSERT_TRUE(c.send(request("HEAD", "/shared")));
  auto head = c.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(bytes->size()));
  EXPECT_TRUE(head->body.empty());
  // Distinct generated request ids of new_id()'s form.
  ASSERT_TRUE(c.send(request("GET", "/hello")));
  auto a = c.read_response();
  ASSERT_TRUE(c.send(request("GET", "/hello")));
  auto b = c.read_response();
  ASSERT_TRUE(a && b && a->header("X-Request-Id") && b->header("X-Request-Id"));
  EXPECT_EQ(a->header("X-Request-Id")->size(), 20u);
  EXPECT_NE(*a->header("X-Request-Id"), *b->header("X-Request-Id"));
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("HEAD", "/hello")));
  auto r = c.read_response(true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "5");
  EXPECT_TRUE(r->body.empty());
  // No stray body bytes: the next response on the connection parses cleanly.
  ASSERT_TRUE(c.send(request("GET", "/hello")));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, EventStreamSendsEventsThenEnds) {
  router_.add("GET", "/events", [](Request&) -> Task<Response> {
    Response r;
    r.stream = [](EventStream& events) -> Task<void> {
      for (int i = 1; i <= 3; ++i) {
        if (!co_await events.send("tick", "n=" + std::to_string(i))) co_return;
      }
      co_await events.comment();
    };
    co_return r;
  });
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/events")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "text/event-stream");
  EXPECT_EQ(r->header("Cache-Control"), "no-cache");
  EXPECT_EQ(r->body,
            "event: tick\ndata: n=1\n\nevent: tick\ndata: n=2\n\nevent: tick\ndata: n=3\n\n"
            ": ping\n\n");
  // The stream was framed in chunks, so the connection is still usable.
  ASSERT_TRUE(c.send(request("GET", "/hello")));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, EventStreamLearnsTheClientLeft) {
  auto gone = std::make_shared<std::promise<int>>();
  auto gone_future = gone->get_future();
  router_.add("GET", "/forever", [gone](Request&) -> Task<Response> {
    Response r;
    r.stream = [gone](EventStream& events) -> Task<void> {
      for (int i = 0; i < 2000; ++i) {
        if (!co_await events.send("tick", std::string(1024, 'x'))) {
          gone->set_value(i);
          co_return;
        }
        co_await sleep_for(5ms);
      }
      gone->set_value(-1);
    };
    co_return r;
  });
  start();
  {
    TestClient c(port_);
    ASSERT_TRUE(c.send(request("GET", "/forever")));
    auto r = c.read_header();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }  // the client hangs up
  ASSERT_EQ(gone_future.wait_for(10s), std::future_status::ready);
  EXPECT_GE(gone_future.get(), 0);
}

TEST_F(ServerTest, ThrowingHandlerGives500AndServerKeepsServing) {
  start();
  {
    TestClient c(port_);
    ASSERT_TRUE(c.send(request("GET", "/throw")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r->body.find("secret"), std::string::npos);
    EXPECT_EQ(json_string(json_body(*r), "detail"), "internal error");
  }
  TestClient again(port_);
  ASSERT_TRUE(again.send(request("GET", "/hello")));
  auto r = again.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequestsThenRefuses) {
  auto started = std::make_shared<std::promise<void>>();
  auto started_future = started->get_future();
  router_.add("GET", "/slow", [started](Request&) -> Task<Response> {
    started->set_value();
    co_await sleep_for(300ms);
    co_return text_response(200, "done");
  });
  start();
  TestClient busy(port_);
  TestClient idle(port_);  // connected, no request: closed at once by shutdown
  ASSERT_TRUE(busy.connected());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(busy.send(request("GET", "/slow")));
  ASSERT_EQ(started_future.wait_for(5s), std::future_status::ready);

  auto begin = Clock::now();
  auto done = shutdown_async(Deadline::in(5s));
  EXPECT_TRUE(idle.closed_within(2s));
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_FALSE(r->keep_alive);  // Connection: close while draining
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_LT(Clock::now() - begin, 3s);

  TestClient late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, ShutdownDeadlineClosesStuckRequests) {
  router_.add("GET", "/stuck", [](Request&) -> Task<Response> {
    co_await sleep_for(20s);
    co_return text_response(200, "too late");
  });
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send(request("GET", "/stuck")));
  std::this_thread::sleep_for(50ms);  // let the request reach the handler
  auto begin = Clock::now();
  auto done = shutdown_async(Deadline::in(200ms));
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_LT(Clock::now() - begin, 2s);
  EXPECT_TRUE(c.closed_within(2s));
}

TEST_F(ServerTest, CountsRequestsByRouteAndStatus) {
  start();
  TestClient c(port_);
  for (const char* target : {"/hello", "/hello", "/v1/jobs/a/items/1", "/nope"}) {
    ASSERT_TRUE(c.send(request("GET", target)));
    ASSERT_TRUE(c.read_response());
  }
  stop(Deadline::in(2s));
  const auto& stats = server_->stats();
  auto count = [&](const std::string& pattern, int status) -> std::uint64_t {
    auto it = stats.requests.find(std::make_pair(pattern, status));
    return it == stats.requests.end() ? 0 : it->second;
  };
  EXPECT_EQ(count("/hello", 200), 2u);
  EXPECT_EQ(count("/v1/jobs/{id}/items/{n}", 200), 1u);
  EXPECT_EQ(count("-", 404), 1u);
  EXPECT_EQ(stats.latency.count, 4u);
  std::uint64_t in_buckets = 0;
  for (auto n : stats.latency.counts)
    in_buckets += n;
  EXPECT_EQ(in_buckets, 4u);
  EXPECT_EQ(stats.connections_open, 0u);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitWaitForAFreeSlot) {
  ServerOptions options;
  options.max_connections = 1;
  start(options);
  TestClient first(port_);
  ASSERT_TRUE(first.send(request("GET", "/hello")));
  ASSERT_TRUE(first.read_response());
  // The second connection sits in the kernel's backlog while the first is open.
  TestClient second(port_, 300ms);
  ASSERT_TRUE(second.connected());
  ASSERT_TRUE(second.send(request("GET", "/hello")));
  EXPECT_FALSE(second.read_response());
  first.close();
  TestClient third(port_, 5s);  // accepted once `second` is served or gone
  auto begin = Clock::now();
  second.close();
  ASSERT_TRUE(third.send(request("GET", "/hello")));
  auto r = third.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(Clock::now() - begin, 4s);
}

TEST_F(ServerTest, Http10GetsAnAnswerAndAClose) {
  start();
  TestClient c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST(ServerStart, AddressInUseIsAClearError) {
  asio::io_context io;
  Router router;
  ServerOptions first_options;
  first_options.listen = "127.0.0.1:0";
  Server first(io.get_executor(), first_options, router);
  ASSERT_TRUE(first.start().has_value());
  ServerOptions second_options;
  second_options.listen = "127.0.0.1:" + std::to_string(first.port());
  Server second(io.get_executor(), second_options, router);
  auto r = second.start();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_NE(r.error().message.find("in use"), std::string::npos) << r.error().message;
}

TEST(ServerStart, BadListenAddressesAreRejected) {
  asio::io_context io;
  Router router;
  for (const char* bad : {"nonsense", "127.0.0.1:99999", "example.com:80", "[::1:80", "1.2.3.4:"}) {
    ServerOptions options;
    options.listen = bad;
    Server server(io.get_executor(), options, router);
    auto r = server.start();
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
}

TEST(ServerStart, AcceptsBracketedIpv6) {
  asio::io_context io;
  Router router;
  ServerOptions options;
  options.listen = "[::1]:0";
  Server server(io.get_executor(), options, router);
  auto r = server.start();
  if (!r) GTEST_SKIP() << "no IPv6 loopback here: " << r.error().message;
  EXPECT_NE(server.port(), 0);
}

}  // namespace
}  // namespace shot::http
