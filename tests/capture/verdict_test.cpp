// A verdict on every picture: blank, error_page, challenge or ok; fail_on
// turns the unwanted ones into a failed capture.

#include "capture/capture_fixture.hpp"

namespace shot::capture {
namespace {

using testing::Response;
using testing::solid_page;

TEST_F(CaptureTest, ASingleColourPageIsBlank) {
  server_.page("/white", solid_page("#ffffff"));
  server_.page("/words", R"(<body style="margin:0;background:#fff"><p>Some words.</p>)");
  auto blank = shoot(server_.url("/white"));
  auto words = shoot(server_.url("/words"));
  ASSERT_TRUE(blank && words);
  EXPECT_EQ(blank->facts.verdict, Verdict::blank);
  EXPECT_NE(blank->facts.verdict_reason.find("#ffffff"), std::string::npos)
      << blank->facts.verdict_reason;
  EXPECT_EQ(words->facts.verdict, Verdict::ok);
  EXPECT_EQ(json_string(to_json(blank->facts, blank->timings), "verdict"), "blank");
  // A tall full page with one line of text far down is not blank either.
  server_.page("/far", R"(<body style="margin:0;background:#fff"><div style="height:9000px">
    </div><p>The end.</p>)");
  auto far = shoot(server_.url("/far"), R"({"full_page": true})");
  ASSERT_TRUE(far);
  EXPECT_EQ(far->facts.verdict, Verdict::ok);
}

TEST_F(CaptureTest, FailOnBlankFailsTheCaptureWithAClearCode) {
  server_.page("/white", solid_page("#ffffff"));
  auto r = shoot(server_.url("/white"), R"({"fail_on": ["blank", "error_page"]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unwanted_page);
  EXPECT_EQ(r.error().field, "options.fail_on");
  EXPECT_NE(r.error().message.find("blank"), std::string::npos) << r.error().message;
  auto other = shoot(server_.url("/white"), R"({"fail_on": ["challenge"]})");
  ASSERT_TRUE(other);
}

TEST_F(CaptureTest, HttpErrorsAreErrorPages) {
  server_.route("/gone", [](const testing::Request&) {
    return Response{.status = 404, .body = "<h1>Not here</h1>"};
  });
  auto r = shoot(server_.url("/gone"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->facts.verdict, Verdict::error_page);
  EXPECT_EQ(r->facts.verdict_reason, "HTTP 404");
  auto refused = shoot(server_.url("/gone"), R"({"fail_on": ["error_page"]})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unwanted_page);
}

TEST_F(CaptureTest, BotWallsAreChallenges) {
  server_.page("/cf", R"(<title>Just a moment...</title><body><div id=challenge-form>
    Checking if the site connection is secure</div>)");
  server_.page("/captcha", R"(<title>Verify</title><body><form><div class="g-recaptcha"
    data-sitekey="x" style="width:300px;height:80px;background:#eee"></div></form>)");
  auto cf = shoot(server_.url("/cf"));
  auto captcha = shoot(server_.url("/captcha"));
  ASSERT_TRUE(cf && captcha);
  EXPECT_EQ(cf->facts.verdict, Verdict::challenge);
  EXPECT_EQ(captcha->facts.verdict, Verdict::challenge);
  EXPECT_EQ(captcha->facts.verdict_reason, "captcha");
}

}  // namespace
}  // namespace shot::capture
