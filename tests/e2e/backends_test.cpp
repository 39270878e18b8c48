// `shot serve` on the scale-out backends: job state in a real redis-server,
// pictures in a real S3 server (s3rver), pages served by the test. Item links
// redirect to presigned S3 URLs (with redirect=false, as the web page asks,
// the node sends the bytes); following them gives the right pictures, and a
// second `shot serve` with an empty data folder still serves the job.

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "e2e/serve_process.hpp"
#include "support/page_server.hpp"
#include "support/peer_process.hpp"
#include "support/png_reader.hpp"

namespace shot::testing {
namespace {

struct Colour {
  std::string hex;
  int r, g, b;
};

// What a browser does with the item link: follow the redirect, plainly.
net::HttpResponse follow(const std::string& url) {
  static const auto policy = net::EgressPolicy::create({.allow_private = true}).value();
  net::HttpRequest r;
  r.url = url;
  r.follow_redirects = false;
  r.max_response_bytes = 64u << 20;
  auto response = net::fetch(r, policy);
  EXPECT_TRUE(response) << response.error().message;
  return response ? *response : net::HttpResponse{};
}

TEST(Backends, ServeOnRedisAndS3CapturesAndServesThroughPresignedLinks) {
  RedisServer redis;
  ASSERT_TRUE(redis.start()) << redis.process().log();
  S3Server s3("pictures");
  ASSERT_TRUE(s3.start()) << s3.process().log();
  PageServer pages;
  const std::vector<Colour> colours = {{"ff0000", 255, 0, 0}, {"0000ff", 0, 0, 255}};
  pages.route(
      "*", [](const Request& r) { return Response{.body = solid_page("#" + r.path().substr(1))}; });

  const std::vector<std::string> flags = {"--allow-private", "--tabs",  "2",     "--store",
                                          redis.url(),       "--blobs", s3.url()};
  std::string id;
  {
    ServeProcess shot(flags);
    ASSERT_TRUE(shot.start());
    const std::string body = R"({"urls":[")" + pages.url("/" + colours[0].hex) + R"(",")" +
                             pages.url("/" + colours[1].hex) +
                             R"("],"options":{"wait_until":"load"}})";
    auto created = shot.post("/v1/jobs", body);
    ASSERT_EQ(created.status, 202) << created.body;
    id = json_string(created.json(), "id");
    auto job = shot.wait_job(id, 120);
    ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
    EXPECT_EQ(shot.get("/readyz").status, 200);
  }

  // A new process with an empty data folder: everything it knows comes from
  // Redis and S3.
  ServeProcess again(flags);
  ASSERT_TRUE(again.start());
  auto job = again.get("/v1/jobs/" + id).json();
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  auto& items = job.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    SCOPED_TRACE("item " + std::to_string(i));
    auto& item = items[i].as_object();
    auto link = again.get(std::string(json_string(item, "result_url")));
    ASSERT_EQ(link.status, 302) << link.body;
    const auto location = link.header("location");
    EXPECT_TRUE(location.starts_with(s3.endpoint() + "/pictures/")) << location;
    EXPECT_NE(location.find("X-Amz-Signature="), std::string::npos);

    auto picture = follow(location);
    ASSERT_EQ(picture.status, 200) << picture.body;
    EXPECT_EQ(picture.header("content-type").value_or(""), "image/png");
    EXPECT_EQ(sha256_hex(picture.body), json_string(item, "sha256"));
    auto png = decode_picture(picture.body);
    ASSERT_TRUE(png);
    EXPECT_EQ(png->width, 1280);
    EXPECT_EQ(png->height, 800);
    const auto& c = colours[i];
    EXPECT_TRUE(near(png->at(640, 400), c.r, c.g, c.b)) << c.hex;
    EXPECT_TRUE(near(png->at(5, 795), c.r, c.g, c.b)) << c.hex;

    // What the web page asks for, as its fetch() may reach its own origin
    // only (its CSP): the picture itself, from the node.
    auto direct = again.get(std::string(json_string(item, "result_url")) + "?redirect=false");
    ASSERT_EQ(direct.status, 200) << direct.body;
    EXPECT_EQ(sha256_hex(direct.body), json_string(item, "sha256"));
  }
}

}  // namespace
}  // namespace shot::testing
