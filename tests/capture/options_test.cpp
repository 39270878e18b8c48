#include "capture/options.hpp"

#include <gtest/gtest.h>

namespace shot::capture {
namespace {

Result<CaptureOptions> parse(std::string_view text) {
  return parse_options(parse_json(text)->as_object());
}

TEST(CaptureOptions, DefaultsAsDocumented) {
  auto o = parse("{}");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->width, 1280);
  EXPECT_EQ(o->height, 800);
  EXPECT_EQ(o->device_scale_factor, 1);
  EXPECT_EQ(o->format, Format::png);
  EXPECT_EQ(o->wait_until, WaitUntil::automatic);
  EXPECT_EQ(o->timeout_ms, 30000);
  EXPECT_EQ(o->max_height, 16384);
  EXPECT_TRUE(o->javascript);
}

TEST(CaptureOptions, UnknownOptionIsNamed) {
  auto o = parse(R"({"widht": 100})");
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Errc::invalid_argument);
  EXPECT_EQ(o.error().field, "options.widht");
  EXPECT_NE(o.error().message.find("widht"), std::string::npos);
}

TEST(CaptureOptions, BadValuesNameTheOption) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"width": 0})", "options.width"},
      {R"({"width": "wide"})", "options.width"},
      {R"({"width": 1.5})", "options.width"},
      {R"({"format": "bmp"})", "options.format"},
      {R"({"quality": 101})", "options.quality"},
      {R"({"full_page": "yes"})", "options.full_page"},
      {R"({"timeout_ms": 999999})", "options.timeout_ms"},
      {R"({"block_resources": ["image", "pictures"]})", "options.block_resources"},
      {R"({"headers": {"X-A": 1}})", "options.headers"},
      {R"({"headers": {"X-A": "a\r\nInjected: 1"}})", "options.headers"},
      {R"({"clip": {"x": 0, "y": 0, "width": 0, "height": 10}})", "options.clip"},
      {R"({"clip": {"x": 0, "y": 0, "width": 10, "height": 10, "heigth": 1e50}})", "options.clip"},
      {R"({"cookies": [{"value": "v"}]})", "options.cookies"},
      {R"({"cookies": [{"name": "a", "value": 1.67e50}]})", "options.cookies"},
      {R"({"cookies": [{"name": "a", "expires": 1}]})", "options.cookies"},
      {R"({"cookies": [{"name": "a", "secure": "yes"}]})", "options.cookies"},
      {R"({"basic_auth": {"username": "u"}})", "options.basic_auth"},
      {R"({"basic_auth": {"username": "u", "password": "p", "realm": 1e50}})",
       "options.basic_auth"},
      {R"({"device_scale_factor": 4, "width": 7000})", "options.device_scale_factor"},
      {R"({"full_page": true, "selector": "#a"})", "options.full_page"},
      {R"({"max_height": 60000})", "options.max_height"},
  };
  for (auto& c : cases) {
    auto o = parse(c.json);
    ASSERT_FALSE(o) << c.json;
    EXPECT_EQ(o.error().field, c.field) << c.json;
  }
}

TEST(CaptureOptions, ParsesEverything) {
  auto o = parse(R"({"width": 800, "height": 600, "device_scale_factor": 2, "full_page": true,
    "format": "jpeg", "quality": 50, "wait_until": "networkidle", "wait_for_selector": "#x",
    "headers": {"X-A": "1"}, "cookies": [{"name": "a", "value": "b"}],
    "basic_auth": {"username": "u", "password": "p"}, "dark_mode": true,
    "hide_selectors": [".ad"], "block_resources": ["image", "font"], "javascript": false})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->width, 800);
  EXPECT_EQ(o->device_scale_factor, 2);
  EXPECT_TRUE(o->full_page);
  EXPECT_EQ(o->format, Format::jpeg);
  EXPECT_EQ(o->quality, 50);
  EXPECT_EQ(o->wait_until, WaitUntil::networkidle);
  EXPECT_EQ(o->headers.at("X-A"), "1");
  EXPECT_EQ(o->cookies.at(0).name, "a");
  EXPECT_EQ(o->basic_auth->first, "u");
  EXPECT_TRUE(o->dark_mode);
  EXPECT_EQ(o->hide_selectors.size(), 1u);
  EXPECT_EQ(o->block_resources.size(), 2u);
  EXPECT_FALSE(o->javascript);
}

TEST(CaptureOptions, DevicePresetSetsSizeAndMobile) {
  auto o = parse(R"({"device": "iphone-15"})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->width, 393);
  EXPECT_TRUE(o->mobile);
  EXPECT_EQ(o->device_scale_factor, 3);
  auto overridden = parse(R"({"device": "iphone-15", "width": 400})");
  EXPECT_EQ(overridden->width, 400);
}

TEST(CaptureOptions, CanonicalJsonIgnoresKeyOrder) {
  auto a = parse_json(R"({"b": 1, "a": {"y": 2, "x": 1}})")->as_object();
  auto b = parse_json(R"({"a": {"x": 1, "y": 2}, "b": 1})")->as_object();
  EXPECT_EQ(canonical_json(a), canonical_json(b));
  EXPECT_EQ(canonical_json(a), R"({"a":{"x":1,"y":2},"b":1})");
}

}  // namespace
}  // namespace shot::capture
