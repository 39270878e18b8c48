#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include "test_http_server.hpp"

namespace shot::net {
namespace {

using testing::ReceivedRequest;
using testing::TestHttpServer;

std::unique_ptr<TestHttpServer> serve(const std::string& address, TestHttpServer::Handler handler) {
  auto server = TestHttpServer::start(address, std::move(handler));
  EXPECT_TRUE(server) << "cannot listen on " << address;
  return server;
}

std::string ok(const ReceivedRequest&) {
  return TestHttpServer::response(200, "hello", {"X-Test: yes"});
}

// Only this one server, on its own port, is reachable.
EgressPolicy allowing(const TestHttpServer& server, std::string host = "127.0.0.1") {
  auto policy = EgressPolicy::create({.allow_hosts = {host + ":" + std::to_string(server.port())}});
  EXPECT_TRUE(policy);
  return policy.value_or(EgressPolicy{});
}

HttpRequest get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = Millis(10'000);
  return request;
}

TEST(HttpClient, GetsFromAnAllowedHostAndPort) {
  auto server = serve("127.0.0.1", ok);
  ASSERT_TRUE(server);
  auto response = fetch(get(server->url("/hello?x=1")), allowing(*server));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-test"), "yes");
  EXPECT_EQ(response->final_url, server->url("/hello?x=1"));
  ASSERT_EQ(server->requests(), 1);
  EXPECT_EQ(server->received()[0].method, "GET");
  EXPECT_EQ(server->received()[0].target, "/hello?x=1");
  EXPECT_EQ(server->received()[0].header("user-agent"), "shot");
}

// A name goes through one lookup (/etc/hosts here) and curl is pinned to the
// address checked; the Host header still names the host.
TEST(HttpClient, NamedHostIsPinnedToTheCheckedAddress) {
  auto server = serve("127.0.0.1", ok);
  ASSERT_TRUE(server);
  auto port = std::to_string(server->port());
  auto policy = EgressPolicy::create({.allow_hosts = {"localhost:" + port}});
  ASSERT_TRUE(policy);
  auto response = fetch(get("http://LocalHost:" + port + "/named"), *policy);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->final_url, "http://localhost:" + port + "/named");
  ASSERT_EQ(server->requests(), 1);
  EXPECT_EQ(server->received()[0].header("host"), "localhost:" + port);

  auto refused = fetch(get("http://localhost:" + port + "/"), EgressPolicy{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::blocked);
  EXPECT_EQ(server->requests(), 1);
}

TEST(HttpClient, DefaultPolicyRefusesLoopbackWithoutConnecting) {
  auto server = serve("127.0.0.1", ok);
  ASSERT_TRUE(server);
  auto port = std::to_string(server->port());
  for (const auto& url : {server->url("/"), "http://0x7f.1:" + port + "/",
                          "http://2130706433:" + port + "/", "http://[::ffff:127.0.0.1]:" + port}) {
    auto response = fetch(get(url), EgressPolicy{});
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, Errc::blocked) << url;
    EXPECT_NE(response.error().message.find("127.0.0.0/8 loopback"), std::string::npos)
        << response.error().message;
  }
  EXPECT_EQ(server->connections(), 0);
  EXPECT_EQ(server->requests(), 0);
}

TEST(HttpClient, OtherPortOfAnAllowedHostIsRefused) {
  auto server = serve("127.0.0.1", ok);
  auto other = serve("127.0.0.1", ok);
  ASSERT_TRUE(server && other);
  auto response = fetch(get(other->url("/")), allowing(*server));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::blocked);
  EXPECT_EQ(other->connections(), 0);
}

TEST(HttpClient, RedirectToABlockedAddressIsRefusedAtTheHop) {
  auto canary = serve("127.0.0.2", ok);
  ASSERT_TRUE(canary);
  auto server = serve("127.0.0.1", [&](const ReceivedRequest&) {
    return TestHttpServer::response(302, "", {"Location: " + canary->url("/secret")});
  });
  ASSERT_TRUE(server);
  auto response = fetch(get(server->url("/start")), allowing(*server));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::blocked);
  EXPECT_NE(response.error().message.find("127.0.0.2"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(server->requests(), 1);
  EXPECT_EQ(canary->connections(), 0);
}

TEST(HttpClient, FollowsAllowedRedirects) {
  auto server = serve("127.0.0.1", [](const ReceivedRequest& r) {
    if (r.target == "/start") return TestHttpServer::response(302, "", {"Location: /final"});
    return TestHttpServer::response(200, "done");
  });
  ASSERT_TRUE(server);
  auto response = fetch(get(server->url("/start")), allowing(*server));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->final_url, server->url("/final"));
  EXPECT_EQ(server->requests(), 2);

  auto request = get(server->url("/start"));
  request.follow_redirects = false;
  auto unfollowed = fetch(request, allowing(*server));
  ASSERT_TRUE(unfollowed);
  EXPECT_EQ(unfollowed->status, 302);
  EXPECT_EQ(unfollowed->header("location"), "/final");
}

TEST(HttpClient, StopsAfterMaxRedirects) {
  auto server = serve("127.0.0.1", [](const ReceivedRequest&) {
    return TestHttpServer::response(302, "", {"Location: /again"});
  });
  ASSERT_TRUE(server);
  auto request = get(server->url("/"));
  request.max_redirects = 3;
  auto response = fetch(request, allowing(*server));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::navigation_failed);
  EXPECT_NE(response.error().message.find("too many redirects"), std::string::npos);
  EXPECT_EQ(server->requests(), 4);
}

TEST(HttpClient, RedirectToAnotherSchemeIsRefused) {
  auto server = serve("127.0.0.1", [](const ReceivedRequest&) {
    return TestHttpServer::response(302, "", {"Location: file:///etc/passwd"});
  });
  ASSERT_TRUE(server);
  auto response = fetch(get(server->url("/")), allowing(*server));
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("only http and https"), std::string::npos);
}

TEST(HttpClient, CrossOriginRedirectDropsCredentials) {
  auto second = serve(
      "127.0.0.2", [](const ReceivedRequest&) { return TestHttpServer::response(200, "second"); });
  ASSERT_TRUE(second);
  auto first = serve("127.0.0.1", [&](const ReceivedRequest&) {
    return TestHttpServer::response(307, "", {"Location: " + second->url("/")});
  });
  ASSERT_TRUE(first);
  auto request = get(first->url("/"));
  request.headers = {{"Authorization", "Bearer secret"}, {"X-Kept", "1"}};
  auto response = fetch(request, *EgressPolicy::create({.allow_private = true}));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "second");
  EXPECT_EQ(first->received()[0].header("authorization"), "Bearer secret");
  ASSERT_EQ(second->requests(), 1);
  EXPECT_EQ(second->received()[0].header("authorization"), "");
  EXPECT_EQ(second->received()[0].header("x-kept"), "1");
}

TEST(HttpClient, SeeOtherAfterPostContinuesAsGet) {
  auto server = serve("127.0.0.1", [](const ReceivedRequest& r) {
    if (r.method == "POST") return TestHttpServer::response(303, "", {"Location: /result"});
    return TestHttpServer::response(200, "result");
  });
  ASSERT_TRUE(server);
  auto request = get(server->url("/form"));
  request.method = "POST";
  request.body = "a=1";
  auto response = fetch(request, allowing(*server));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "result");
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].method, "GET");
  EXPECT_EQ(received[1].target, "/result");
  EXPECT_EQ(received[1].body, "");
}

TEST(HttpClient, PostBodyArrivesIntact) {
  auto server =
      serve("127.0.0.1", [](const ReceivedRequest&) { return TestHttpServer::response(202, ""); });
  ASSERT_TRUE(server);
  std::string body;
  for (int i = 0; i < 200'000; ++i)
    body += static_cast<char>(i * 7 % 256);  // NULs included
  auto request = get(server->url("/hook"));
  request.method = "POST";
  request.body = body;
  request.headers = {{"Content-Type", "application/octet-stream"}, {"X-Signature", "abc"}};
  auto response = fetch(request, allowing(*server));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 202);
  ASSERT_EQ(server->requests(), 1);
  auto received = server->received()[0];
  EXPECT_EQ(received.method, "POST");
  EXPECT_EQ(received.header("content-type"), "application/octet-stream");
  EXPECT_EQ(received.header("x-signature"), "abc");
  EXPECT_EQ(received.header("expect"), "");
  EXPECT_EQ(received.body.size(), body.size());
  EXPECT_TRUE(received.body == body);
}

TEST(HttpClient, PostWithoutContentTypeSendsNone) {
  auto server =
      serve("127.0.0.1", [](const ReceivedRequest&) { return TestHttpServer::response(200, ""); });
  ASSERT_TRUE(server);
  auto request = get(server->url("/"));
  request.method = "PUT";
  request.body = "{}";
  ASSERT_TRUE(fetch(request, allowing(*server)));
  EXPECT_EQ(server->received()[0].method, "PUT");
  EXPECT_EQ(server->received()[0].body, "{}");
  EXPECT_EQ(server->received()[0].header("content-type"), "");
}

TEST(HttpClient, ResponseOverTheLimitIsTooLarge) {
  std::string big(1 << 20, 'x');
  auto with_length = serve(
      "127.0.0.1", [&](const ReceivedRequest&) { return TestHttpServer::response(200, big); });
  // No Content-Length: only counting the bytes as they arrive catches it.
  auto streamed = serve("127.0.0.1", [&](const ReceivedRequest&) {
    return "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big;
  });
  ASSERT_TRUE(with_length && streamed);
  for (auto* server : {with_length.get(), streamed.get()}) {
    auto request = get(server->url("/big"));
    request.max_response_bytes = 64 * 1024;
    auto response = fetch(request, allowing(*server));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::too_large);
    EXPECT_EQ(response.error().message, "response larger than 65536 bytes");
  }
  auto request = get(with_length->url("/big"));
  request.max_response_bytes = big.size();
  auto exact = fetch(request, allowing(*with_length));
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->body.size(), big.size());
}

TEST(HttpClient, SilentServerTimesOutWithinTheDeadline) {
  auto server = serve("127.0.0.1", [](const ReceivedRequest&) { return std::string(); });
  ASSERT_TRUE(server);
  auto request = get(server->url("/"));
  request.timeout = Millis(300);
  auto start = Clock::now();
  auto response = fetch(request, allowing(*server));
  auto took = Clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::timeout) << response.error().message;
  EXPECT_GE(took, Millis(250));
  EXPECT_LT(took, Millis(300 + 2000));

  // The caller's deadline bounds it as well as the request's own timeout.
  request.timeout = Millis(30'000);
  request.deadline = Deadline::in(Millis(300));
  start = Clock::now();
  response = fetch(request, allowing(*server));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::timeout);
  EXPECT_LT(Clock::now() - start, Millis(300 + 2000));
}

TEST(HttpClient, ClosedPortIsUnavailable) {
  std::uint16_t port = 0;
  {
    auto server = serve("127.0.0.1", ok);
    ASSERT_TRUE(server);
    port = server->port();
  }
  auto policy = EgressPolicy::create({.allow_hosts = {"127.0.0.1:" + std::to_string(port)}});
  auto response = fetch(get("http://127.0.0.1:" + std::to_string(port) + "/"), *policy);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::unavailable) << response.error().message;
  EXPECT_TRUE(response.error().retryable());
}

TEST(HttpClient, WorksOverIpv6Loopback) {
  auto server = TestHttpServer::start("::1", ok);
  if (!server) GTEST_SKIP() << "no IPv6 loopback here";
  auto response = fetch(get(server->url("/")), allowing(*server, "[::1]"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "hello");
  auto refused = fetch(get(server->url("/")), EgressPolicy{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::blocked);
  EXPECT_EQ(server->requests(), 1);
}

TEST(HttpClient, RejectsBadInputBeforeConnecting) {
  auto server = serve("127.0.0.1", ok);
  ASSERT_TRUE(server);
  auto policy = allowing(*server);
  auto injected = get(server->url("/"));
  injected.headers = {{"X-A", "1\r\nX-Injected: 1"}};
  EXPECT_EQ(fetch(injected, policy).error().code, Errc::invalid_argument);
  auto bad_method = get(server->url("/"));
  bad_method.method = "GET /x";
  EXPECT_EQ(fetch(bad_method, policy).error().code, Errc::invalid_argument);
  EXPECT_EQ(fetch(get("file:///etc/passwd"), policy).error().code, Errc::invalid_argument);
  EXPECT_EQ(server->connections(), 0);
}

TEST(HttpClient, InterfaceUsesItsPolicy) {
  auto server = serve("127.0.0.1", ok);
  ASSERT_TRUE(server);
  auto client = make_curl_http_client(allowing(*server));
  auto response = client->fetch(get(server->url("/")));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

}  // namespace
}  // namespace shot::net
