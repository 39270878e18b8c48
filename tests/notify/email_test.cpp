// E-mail: addresses a user may give, the MIME message, and a real SMTP
// exchange (libcurl) with the test's own SMTP sink.
#include "notify/email.hpp"

#include <gtest/gtest.h>

#include "support/smtp_sink.hpp"

namespace shot::notify {
namespace {

using testing::SmtpSink;

TEST(CheckAddress, AcceptsPlainAddresses) {
  EXPECT_TRUE(check_address("a@example.com"));
  EXPECT_TRUE(check_address("first.last+tag@mail.example.co.uk"));
}

TEST(CheckAddress, RefusesHeaderInjectionListsAndJunk) {
  for (std::string bad :
       {"", "plain", "@example.com", "a@", "a@@example.com", "a@b@example.com",
        "a@example.com\r\nBcc: victim@example.com", "a@example.com\nX: y", "a b@example.com",
        "<a@example.com>", "a@example.com, b@example.com", "a..b@example.com", ".a@example.com",
        "a@-example.com", "a@example..com", "a@exa_mple.com"}) {
    auto r = check_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().field, "email");
  }
  EXPECT_FALSE(check_address(std::string(250, 'a') + "@example.com"));
}

TEST(MimeMessage, HasTextAndBase64AttachmentWithCrlfLines) {
  Mail mail{.to = "to@example.com",
            .subject = "Hi\r\nBcc: x@example.com",
            .text = "hello",
            .attachments = {{"thumb nail.png", "image/png", std::string(200, '\x89')}}};
  auto m = mime_message(mail, "from@example.com", "BOUNDARY", "Sun, 22 Nov 2026 16:00:00 +0000",
                        "id@example.com");
  EXPECT_NE(m.find("Subject: Hi  Bcc: x@example.com\r\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  auto parts = testing::mime_parts(m);
  ASSERT_EQ(parts.size(), 2u) << m;
  EXPECT_EQ(parts[0].body, "hello");
  EXPECT_EQ(parts[1].body, std::string(200, '\x89'));
  EXPECT_NE(parts[1].header("Content-Disposition").find("filename=\"thumb_nail.png\""),
            std::string::npos);
  for (std::size_t pos = 0, next; (next = m.find('\n', pos)) != std::string::npos; pos = next + 1) {
    ASSERT_GT(next, 0u);
    EXPECT_EQ(m[next - 1], '\r');
    EXPECT_LE(next - pos, 998u);
  }
}

TEST(SendSmtp, DeliversToTheSinkWithTheAttachment) {
  SmtpSink sink;
  SmtpOptions options{.url = sink.url(), .from = "shot@localhost"};
  std::string picture = "\x89PNG\r\n\x1a\n" + std::string(5000, 'x') + "\r\n.\r\n" + "end";
  auto sent = send_smtp(options, {.to = "user@example.com",
                                  .subject = "Your thumbnail",
                                  .text = "attached",
                                  .attachments = {{"t.png", "image/png", picture}}});
  ASSERT_TRUE(sent) << sent.error().message;
  ASSERT_TRUE(sink.wait_for(1, std::chrono::seconds(10)));
  auto mail = sink.messages().front();
  EXPECT_EQ(mail.from, "shot@localhost");
  ASSERT_EQ(mail.rcpt.size(), 1u);
  EXPECT_EQ(mail.rcpt[0], "user@example.com");
  EXPECT_EQ(testing::mail_header(mail.data, "Subject"), "Your thumbnail");
  auto parts = testing::mime_parts(mail.data);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].body, picture);
}

TEST(SendSmtp, UnreachableServerIsUnavailable) {
  int port = 0;
  {
    SmtpSink gone;
    port = gone.port();
  }
  auto sent = send_smtp({.url = "smtp://127.0.0.1:" + std::to_string(port), .from = "a@b.c"},
                        {.to = "user@example.com", .subject = "s", .text = "t"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace shot::notify
