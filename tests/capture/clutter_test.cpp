// block_ads and block_cookie_banners: what a person would rather not see.

#include "capture/clutter.hpp"
#include "capture/capture_fixture.hpp"

namespace shot::capture {
namespace {

using testing::near;
using testing::Response;

// A consent platform's overlay (OneTrust's markup) over a green page; it
// arrives late, as consent scripts do, and hides once dismissed.
constexpr const char* kConsentPage = R"(<!doctype html><style>
  html,body{margin:0;height:100%;background:#00ff00}
  #onetrust-consent-sdk{position:fixed;inset:0;background:#ff0000;z-index:9}</style>
  <body><script>setTimeout(() => { document.body.insertAdjacentHTML('beforeend',
    '<div id=onetrust-consent-sdk><div id=onetrust-banner-sdk>We value your privacy' +
    '<button id=onetrust-accept-btn-handler>Accept</button></div></div>');
    document.getElementById('onetrust-accept-btn-handler').onclick = () =>
      document.title = 'accepted'; }, 200);</script>)";

TEST_F(CaptureTest, ACookieBannerIsGoneWhenAsked) {
  server_.page("/consent", kConsentPage);
  auto with = shoot(server_.url("/consent"));
  auto without = shoot(server_.url("/consent"), R"({"block_cookie_banners": true})");
  ASSERT_TRUE(with && without);
  EXPECT_TRUE(near(picture(*with).at(640, 400), 255, 0, 0));
  EXPECT_TRUE(near(picture(*without).at(640, 400), 0, 255, 0));
  EXPECT_EQ(without->facts.title, "accepted");  // the platform's button was pressed
  EXPECT_EQ(with->facts.title, "");
}

TEST_F(CaptureTest, BlockedAdRequestsAreNeverMade) {
  server_.route("/ads", [](const testing::Request&) {
    return Response{.content_type = "text/javascript",
                    .body = "document.body.style.background = '#ff0000'"};
  });
  server_.page("/news", R"(<!doctype html><body style="margin:0;background:#00ff00">
    <script src="/ads?zone=42"></script>)");
  auto blocked = shoot(server_.url("/news"), R"({"block_ads": true})");
  ASSERT_TRUE(blocked) << blocked.error().message;
  EXPECT_EQ(server_.hits("/ads"), 0);
  EXPECT_TRUE(near(picture(*blocked).at(10, 10), 0, 255, 0));
  EXPECT_EQ(blocked->trace.at("ads_blocked").as_int64(), 1);
  auto shown = shoot(server_.url("/news"));
  ASSERT_TRUE(shown);
  EXPECT_EQ(server_.hits("/ads"), 1);
  EXPECT_TRUE(near(picture(*shown).at(10, 10), 255, 0, 0));
}

TEST(AdRules, KnownNetworksAndPathsMatchAndOrdinaryPagesDoNot) {
  EXPECT_TRUE(is_ad_url("https://securepubads.g.doubleclick.net/tag/js/gpt.js"));
  EXPECT_TRUE(is_ad_url("https://www.google-analytics.com/analytics.js"));
  EXPECT_TRUE(is_ad_url("http://127.0.0.1:8080/ads?zone=42"));
  EXPECT_FALSE(is_ad_url("https://example.com/index.html"));
  EXPECT_FALSE(is_ad_url("https://en.wikipedia.org/wiki/Advertising"));
  EXPECT_NE(ad_rules_summary().find("easylist.txt"), std::string::npos) << ad_rules_summary();
}

}  // namespace
}  // namespace shot::capture
