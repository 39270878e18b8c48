#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/deadline.hpp"  // async_test.hpp uses Clock without including it
#include "support/async_test.hpp"

namespace shot::http {
namespace {

// A handler that answers with its own name, so a test sees which route ran.
Handler named(std::string name) {
  return [name](Request&) -> Task<Response> { co_return text_response(200, name); };
}

Request make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add("GET", "/v1/jobs", named("list"));
    router_.add("POST", "/v1/jobs", named("create"));
    router_.add("GET", "/v1/jobs/{id}", named("get"));
    router_.add("DELETE", "/v1/jobs/{id}", named("cancel"));
    router_.add("GET", "/v1/jobs/recent", named("recent"));
    router_.add("GET", "/v1/jobs/{id}/items/{n}", named("item"));
    router_.add("GET", "/", named("root"));
  }

  Response run(Request& request) {
    Response out;
    bool done = shot::testing::run_task(
        io_, [&]() -> Task<void> { out = co_await router_.dispatch(request); });
    EXPECT_TRUE(done);
    return out;
  }

  asio::io_context io_;
  Router router_;
};

TEST_F(RouterTest, BindsPathParameters) {
  Request r = make("GET", "/v1/jobs/abc/items/3");
  EXPECT_EQ(run(r).body, "item");
  EXPECT_EQ(r.params["id"], "abc");
  EXPECT_EQ(r.params["n"], "3");
}

TEST_F(RouterTest, DecodesParametersButNotSlashes) {
  Request r = make("GET", "/v1/jobs/a%2Fb%20c");
  EXPECT_EQ(run(r).body, "get");
  EXPECT_EQ(r.params["id"], "a/b c");
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  Request r = make("GET", "/v1/jobs/recent");
  EXPECT_EQ(run(r).body, "recent");
  EXPECT_TRUE(r.params.empty());
  Request other = make("GET", "/v1/jobs/recent2");
  EXPECT_EQ(run(other).body, "get");
}

TEST_F(RouterTest, PicksByMethod) {
  Request post = make("POST", "/v1/jobs");
  EXPECT_EQ(run(post).body, "create");
  Request del = make("DELETE", "/v1/jobs/x");
  EXPECT_EQ(run(del).body, "cancel");
  Request root = make("GET", "/");
  EXPECT_EQ(run(root).body, "root");
}

TEST_F(RouterTest, UnknownPathIs404Problem) {
  Request r = make("GET", "/v2/nothing");
  Response res = run(r);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.content_type, "application/problem+json");
  Request trailing = make("GET", "/v1/jobs/abc/items");
  EXPECT_EQ(run(trailing).status, 404);
}

TEST_F(RouterTest, OtherMethodIs405WithAllow) {
  Request r = make("PUT", "/v1/jobs/abc");
  Response res = run(r);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.header("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(res.content_type, "application/problem+json");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  Request r = make("HEAD", "/v1/jobs/abc");
  auto m = router_.match(r);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m->pattern, "/v1/jobs/{id}");
  EXPECT_EQ(r.params["id"], "abc");
}

TEST_F(RouterTest, RejectsBadAndDuplicatePatterns) {
  EXPECT_THROW(router_.add("GET", "v1/x", named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/v1/{}", named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/v1/{a", named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/v1/jobs/{id}", named("x")), std::invalid_argument);
}

}  // namespace
}  // namespace shot::http
