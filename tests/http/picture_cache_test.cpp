#include "http/picture_cache.hpp"

#include <gtest/gtest.h>

#include "http/message.hpp"

namespace shot::http {
namespace {

std::shared_ptr<const std::string> bytes(std::size_t n, char c) {
  return std::make_shared<const std::string>(n, c);
}

TEST(PictureCache, KeepsPicturesWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  PictureCache cache(1000);
  cache.put("a", bytes(250, 'a'));
  cache.put("b", bytes(250, 'b'));
  cache.put("c", bytes(250, 'c'));
  cache.put("d", bytes(250, 'd'));
  EXPECT_EQ(cache.bytes(), 1000u);
  ASSERT_NE(cache.get("a"), nullptr);  // a is now the most recently used
  cache.put("e", bytes(250, 'e'));     // pushes out b, the least recently used
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_EQ(*cache.get("a"), std::string(250, 'a'));
  EXPECT_NE(cache.get("c"), nullptr);
  EXPECT_NE(cache.get("e"), nullptr);
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_LE(cache.bytes(), cache.max_bytes());
}

TEST(PictureCache, NeverKeepsAPictureAboveAQuarterOfItsBudget) {
  PictureCache cache(1000);
  cache.put("small", bytes(100, 's'));
  cache.put("big", bytes(251, 'b'));
  EXPECT_EQ(cache.get("big"), nullptr);
  EXPECT_NE(cache.get("small"), nullptr);
  PictureCache off(0);
  off.put("x", bytes(1, 'x'));
  EXPECT_EQ(off.get("x"), nullptr);
  EXPECT_EQ(off.bytes(), 0u);
}

TEST(PictureCache, AKeyStoredAgainReplacesItsBytes) {
  PictureCache cache(1000);
  cache.put("a", bytes(200, '1'));
  auto held = cache.get("a");
  cache.put("a", bytes(100, '2'));
  EXPECT_EQ(*cache.get("a"), std::string(100, '2'));
  EXPECT_EQ(cache.bytes(), 100u);
  EXPECT_EQ(*held, std::string(200, '1'));  // a response still sending the old bytes keeps them
}

Request with_if_none_match(std::string value) {
  Request r;
  r.headers.emplace_back("If-None-Match", std::move(value));
  return r;
}

TEST(NotModified, AnswersA304WithTheETagWhenTheClientHoldsIt) {
  std::string etag = etag_of("abc");
  EXPECT_EQ(etag, "\"abc\"");
  auto r = not_modified(with_if_none_match("\"abc\""), etag);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 304);
  EXPECT_EQ(r->header("ETag"), "\"abc\"");
  EXPECT_TRUE(r->body.empty());
  EXPECT_TRUE(not_modified(with_if_none_match("\"x\", W/\"abc\""), etag).has_value());
  EXPECT_TRUE(not_modified(with_if_none_match("*"), etag).has_value());
}

TEST(NotModified, LetsTheFullAnswerThroughOtherwise) {
  std::string etag = etag_of("abc");
  EXPECT_FALSE(not_modified(Request{}, etag).has_value());
  EXPECT_FALSE(not_modified(with_if_none_match("\"abd\""), etag).has_value());
  EXPECT_FALSE(not_modified(with_if_none_match("\"abc"), etag).has_value());
}

}  // namespace
}  // namespace shot::http
