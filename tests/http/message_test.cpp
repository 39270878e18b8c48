#include "http/message.hpp"

#include <gtest/gtest.h>

namespace shot::http {
namespace {

json::object body_of(const Response& r) {
  auto v = parse_json(r.body);
  EXPECT_TRUE(v.has_value());
  return v ? v->as_object() : json::object();
}

TEST(Problem, HasTheRfc9457ShapeAndContentType) {
  Response r = problem(422, "Unprocessable", "width must be positive", "options.width");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto o = body_of(r);
  EXPECT_EQ(json_string(o, "type"), "about:blank");
  EXPECT_EQ(json_string(o, "title"), "Unprocessable");
  EXPECT_EQ(json_int(o, "status"), 422);
  EXPECT_EQ(json_string(o, "detail"), "width must be positive");
  EXPECT_EQ(json_string(o, "field"), "options.width");
}

TEST(Problem, LeavesFieldOutWhenThereIsNone) {
  auto o = body_of(problem(404, "Not Found", "no such job"));
  EXPECT_FALSE(o.contains("field"));
}

TEST(Problem, FromErrorMapsEveryCode) {
  struct Case {
    Errc code;
    int status;
  };
  const Case cases[] = {
      {Errc::invalid_argument, 400},  {Errc::unauthorized, 401},    {Errc::forbidden, 403},
      {Errc::not_found, 404},         {Errc::conflict, 409},        {Errc::too_large, 413},
      {Errc::unsupported_media, 415}, {Errc::rate_limited, 429},    {Errc::unavailable, 503},
      {Errc::timeout, 504},           {Errc::canceled, 409},        {Errc::navigation_failed, 502},
      {Errc::blocked, 403},           {Errc::browser_crashed, 503}, {Errc::protocol, 502},
      {Errc::internal, 500},
  };
  for (const auto& c : cases) {
    Response r = problem_from(Error{c.code, "why", "field"});
    EXPECT_EQ(r.status, c.status) << to_string(c.code);
    EXPECT_EQ(json_int(body_of(r), "status"), c.status);
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
}

TEST(Problem, InternalErrorsDoNotLeakTheirMessage) {
  Response r = problem_from(Error{Errc::internal, "sqlite: disk I/O error at /var/secret.db"});
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_EQ(json_string(body_of(r), "detail"), "internal error");
}

TEST(Problem, BusyAnswersSayWhenToRetry) {
  Response r = problem_from(Error{Errc::rate_limited, "queue full"}, std::chrono::seconds(7));
  EXPECT_EQ(r.header("retry-after"), "7");
  Response down = problem_from(Error{Errc::unavailable, "store down"});
  EXPECT_EQ(down.header("Retry-After"), "1");
  Response bad = problem_from(Error{Errc::invalid_argument, "no"});
  EXPECT_FALSE(bad.header("Retry-After"));
  EXPECT_EQ(json_string(body_of(problem_from(Error{Errc::invalid_argument, "no", "url"})), "field"),
            "url");
}

TEST(Response, HelpersSetTypeAndBody) {
  json::object o;
  o["ok"] = true;
  Response j = json_response(201, o);
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.content_type, "application/json");
  EXPECT_EQ(j.body, R"({"ok":true})");
  Response t = text_response(200, "hi");
  EXPECT_EQ(t.content_type, "text/plain; charset=utf-8");
  t.set_header("X-A", "1");
  t.set_header("x-a", "2");
  EXPECT_EQ(t.headers.size(), 1u);
  EXPECT_EQ(t.header("X-A"), "2");
}

TEST(Request, HeaderAndQueryLookups) {
  Request r;
  r.headers.emplace_back("Content-Type", "image/png");
  r.query = parse_query("url=https%3A%2F%2Fa.example%2F%3Fx%3D1&w=10&flag&q=a+b&w=20");
  EXPECT_EQ(r.header("content-type"), "image/png");
  EXPECT_FALSE(r.header("accept"));
  EXPECT_EQ(r.query_param("url"), "https://a.example/?x=1");
  EXPECT_EQ(r.query_param("w"), "10");  // the first of repeated names
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_EQ(r.query_param("q"), "a b");
  EXPECT_FALSE(r.query_param("missing"));
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace shot::http
