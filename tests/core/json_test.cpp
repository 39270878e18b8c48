#include "core/json.hpp"

#include <gtest/gtest.h>

namespace shot {

TEST(Json, ParsesAndReadsFields) {
  auto v = parse_json(R"({"a":"x","n":3,"d":1.5,"b":true,"o":{}})");
  ASSERT_TRUE(v);
  auto& o = v->as_object();
  EXPECT_EQ(json_string(o, "a"), "x");
  EXPECT_EQ(json_int(o, "n"), 3);
  EXPECT_DOUBLE_EQ(json_double(o, "d"), 1.5);
  EXPECT_TRUE(json_bool(o, "b"));
  EXPECT_NE(json_object(o, "o"), nullptr);
  EXPECT_EQ(json_string(o, "missing", "fb"), "fb");
  EXPECT_EQ(json_int(o, "a", 7), 7);
}

TEST(Json, MalformedIsInvalidArgument) {
  auto v = parse_json("{\"a\":");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::invalid_argument);
}

TEST(Json, DepthIsLimited) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  auto v = parse_json(deep, {.max_depth = 32});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("deeper"), std::string::npos);
  EXPECT_TRUE(parse_json(deep, {.max_depth = 64}));
}

}  // namespace shot
