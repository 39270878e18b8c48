#include "cdp/connection.hpp"

#include <gtest/gtest.h>

#include "cdp/session.hpp"
#include "support/async_test.hpp"

namespace shot::cdp {
namespace {

// Records what the connection sends; the test plays the browser.
class FakeTransport final : public Transport {
 public:
  struct State {
    std::vector<json::object> sent;
    OnMessage deliver;
    OnClosed closed;
  };
  explicit FakeTransport(std::shared_ptr<State> s) : s_(std::move(s)) {}
  void start(OnMessage m, OnClosed c) override {
    s_->deliver = std::move(m);
    s_->closed = std::move(c);
  }
  void send(std::string message) override { s_->sent.push_back(parse_json(message)->as_object()); }
  void close() override {}

 private:
  std::shared_ptr<State> s_;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = std::make_shared<FakeTransport::State>();
    conn_ = Connection::create(io_.get_executor(), std::make_unique<FakeTransport>(state_));
    conn_->start();
  }

  // Runs `body` as a coroutine on the io_context until everything settles.
  template <class F>
  void run(F body) {
    bool finished = false;
    asio::co_spawn(
        io_,
        [&]() -> Task<void> {
          co_await body();
          finished = true;
        },
        asio::detached);
    io_.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(finished);
  }

  void reply(std::int64_t id, std::string_view result_json) {
    state_->deliver(R"({"id":)" + std::to_string(id) + R"(,"result":)" + std::string(result_json) +
                    "}");
  }

  // Delivers `text` from the browser once the io_context runs.
  void later(std::string text) {
    asio::post(io_, [this, text = std::move(text)] { state_->deliver(text); });
  }

  asio::io_context io_;
  std::shared_ptr<FakeTransport::State> state_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(ConnectionTest, RepliesOutOfOrderReachTheirCallers) {
  run([&]() -> Task<void> {
    Result<json::object> a, b;
    int done = 0;
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        [&]() -> Task<void> {
          a = co_await conn_->call("A", {}, "", Deadline::in(Millis(2000)));
          ++done;
        },
        asio::detached);
    asio::co_spawn(
        ex,
        [&]() -> Task<void> {
          b = co_await conn_->call("B", {}, "", Deadline::in(Millis(2000)));
          ++done;
        },
        asio::detached);
    co_await sleep_for(Millis(1));
    EXPECT_EQ(state_->sent.size(), 2u);
    reply(2, R"({"who":"B"})");
    reply(1, R"({"who":"A"})");
    while (done < 2)
      co_await sleep_for(Millis(1));
    EXPECT_EQ(json_string(*a, "who"), "A");
    EXPECT_EQ(json_string(*b, "who"), "B");
    EXPECT_EQ(conn_->pending_calls(), 0u);
  });
}

TEST_F(ConnectionTest, ACallTimesOutAloneAndALateReplyIsIgnored) {
  run([&]() -> Task<void> {
    auto start = Clock::now();
    auto r = co_await conn_->call("Page.captureScreenshot", {}, "s1", Deadline::in(Millis(50)));
    CO_ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::timeout);
    EXPECT_NE(r.error().message.find("Page.captureScreenshot"), std::string::npos);
    EXPECT_GE(Clock::now() - start, Millis(45));
    EXPECT_EQ(conn_->pending_calls(), 0u);
    reply(1, "{}");  // arrives after the deadline: must not crash or resurrect anything
    auto again = co_await conn_->call("X", {}, "", Deadline::in(Millis(100)));
    EXPECT_FALSE(again);
  });
}

TEST_F(ConnectionTest, ProtocolErrorsAreReportedWithTheMethod) {
  run([&]() -> Task<void> {
    later(R"({"id":1,"error":{"code":-32000,"message":"No target with given id"}})");
    auto r = co_await conn_->call("Target.closeTarget", {}, "", Deadline::in(Millis(1000)));
    CO_ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::protocol);
    EXPECT_EQ(r.error().message, "Target.closeTarget: No target with given id");
  });
}

TEST_F(ConnectionTest, EventBeforeReplyIsNotMissed) {
  auto session = Session::create(conn_, "s1");
  run([&]() -> Task<void> {
    auto loaded = session->expect("Page.loadEventFired");
    // The browser fires the event before it answers the navigate call.
    later(R"({"method":"Page.loadEventFired","params":{"timestamp":1},"sessionId":"s1"})");
    later(R"({"id":1,"result":{"frameId":"f"},"sessionId":"s1"})");
    json::object params;
    params["url"] = "http://x/";  // (GCC 12 miscompiles braced literals in coroutine calls)
    auto nav =
        co_await session->call("Page.navigate", std::move(params), Deadline::in(Millis(1000)));
    CO_ASSERT_TRUE(nav);
    auto ev = co_await loaded->wait(Deadline::in(Millis(1000)));
    CO_ASSERT_TRUE(ev);
    EXPECT_EQ(json_int(*ev, "timestamp"), 1);
  });
}

TEST_F(ConnectionTest, EventsGoOnlyToTheirSession) {
  auto s1 = Session::create(conn_, "s1");
  auto s2 = Session::create(conn_, "s2");
  int s1_events = 0, s2_events = 0;
  s1->on("Network.requestWillBeSent", [&](const json::object&) { ++s1_events; });
  s2->on("Network.requestWillBeSent", [&](const json::object&) { ++s2_events; });
  state_->deliver(R"({"method":"Network.requestWillBeSent","params":{},"sessionId":"s2"})");
  state_->deliver(R"({"method":"Network.requestWillBeSent","params":{},"sessionId":"s2"})");
  EXPECT_EQ(s1_events, 0);
  EXPECT_EQ(s2_events, 2);
}

TEST_F(ConnectionTest, ExpectationPredicateFiltersEvents) {
  auto s = Session::create(conn_, "s1");
  run([&]() -> Task<void> {
    auto e = s->expect("Page.lifecycleEvent", [](const json::object& p) {
      return json_string(p, "name") == "networkIdle";
    });
    later(R"({"method":"Page.lifecycleEvent","params":{"name":"load"},"sessionId":"s1"})");
    later(R"({"method":"Page.lifecycleEvent","params":{"name":"networkIdle"},"sessionId":"s1"})");
    auto ev = co_await e->wait(Deadline::in(Millis(1000)));
    CO_ASSERT_TRUE(ev);
    EXPECT_EQ(json_string(*ev, "name"), "networkIdle");
  });
}

TEST_F(ConnectionTest, ClosedPipeFailsEveryPendingCallAtOnce) {
  auto s = Session::create(conn_, "s1");
  run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    std::vector<Result<json::object>> results(3);
    int done = 0;
    for (int i = 0; i < 3; ++i)
      asio::co_spawn(
          ex,
          [&, i]() -> Task<void> {
            results[i] =
                co_await conn_->call("Slow", {}, i == 0 ? "s1" : "", Deadline::in(Millis(30'000)));
            ++done;
          },
          asio::detached);
    auto waiting = s->expect("Page.loadEventFired");
    co_await sleep_for(Millis(1));
    auto start = Clock::now();
    state_->closed("browser closed the pipe");
    auto ev = co_await waiting->wait(Deadline::in(Millis(30'000)));
    while (done < 3)
      co_await sleep_for(Millis(1));
    EXPECT_LT(Clock::now() - start, Millis(1000));
    for (auto& r : results) {
      CO_ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, Errc::browser_crashed);
      EXPECT_TRUE(r.error().retryable());
    }
    CO_ASSERT_FALSE(ev);
    EXPECT_EQ(ev.error().code, Errc::browser_crashed);
    auto after = co_await conn_->call("Later", {}, "", Deadline::in(Millis(30'000)));
    EXPECT_FALSE(after);
    EXPECT_TRUE(s->gone());
  });
}

TEST_F(ConnectionTest, TargetCrashFailsOnlyItsSession) {
  auto s1 = Session::create(conn_, "s1");
  auto s2 = Session::create(conn_, "s2");
  run([&]() -> Task<void> {
    later(R"({"method":"Inspector.targetCrashed","params":{},"sessionId":"s1"})");
    later(R"({"id":2,"result":{},"sessionId":"s2"})");
    auto ex = co_await asio::this_coro::executor;
    Result<json::object> r1;
    bool d1 = false;
    asio::co_spawn(
        ex,
        [&]() -> Task<void> {
          r1 = co_await s1->call("Page.captureScreenshot", {}, Deadline::in(Millis(5000)));
          d1 = true;
        },
        asio::detached);
    auto r2 = co_await s2->call("Page.captureScreenshot", {}, Deadline::in(Millis(5000)));
    while (!d1)
      co_await sleep_for(Millis(1));
    CO_ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code, Errc::browser_crashed);
    EXPECT_TRUE(s1->gone());
    EXPECT_TRUE(r2);
    EXPECT_FALSE(s2->gone());
  });
}

TEST_F(ConnectionTest, GarbageFromTheBrowserIsIgnored) {
  state_->deliver("not json");
  state_->deliver("[1,2,3]");
  state_->deliver(R"({"id":"x"})");
  run([&]() -> Task<void> {
    later(R"({"id":1,"result":{"ok":true}})");
    auto r = co_await conn_->call("Browser.getVersion", {}, "", Deadline::in(Millis(1000)));
    EXPECT_TRUE(r);
  });
}

}  // namespace
}  // namespace shot::cdp
