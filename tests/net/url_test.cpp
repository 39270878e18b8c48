#include "net/url.hpp"

#include <gtest/gtest.h>

#include "test_names.hpp"

namespace shot::net {
namespace {

struct AcceptCase {
  const char* input;
  const char* normalized;
  const char* host;
  std::uint16_t port;
  const char* target;
};

void PrintTo(const AcceptCase& c, std::ostream* os) {
  testing::print_case_name(c.input, os);
}

class UrlAccepts : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(UrlAccepts, Normalizes) {
  const auto& c = GetParam();
  auto url = parse_target_url(c.input);
  ASSERT_TRUE(url) << c.input << ": " << url.error().message;
  EXPECT_EQ(url->normalized, c.normalized) << c.input;
  EXPECT_EQ(url->host, c.host) << c.input;
  EXPECT_EQ(url->port, c.port) << c.input;
  EXPECT_EQ(url->target, c.target) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, UrlAccepts,
    ::testing::Values(
        AcceptCase{"http://example.com", "http://example.com/", "example.com", 80, "/"},
        AcceptCase{"HTTPS://Example.COM:443/a?b=1#frag", "https://example.com/a?b=1", "example.com",
                   443, "/a?b=1"},
        AcceptCase{"http://example.com:8080/x", "http://example.com:8080/x", "example.com", 8080,
                   "/x"},
        AcceptCase{"https://example.com:80/", "https://example.com:80/", "example.com", 80, "/"},
        AcceptCase{"http://example.com:/x", "http://example.com/x", "example.com", 80, "/x"},
        AcceptCase{"http://example.com?q", "http://example.com/?q", "example.com", 80, "/?q"},
        AcceptCase{"http://example.com/p?", "http://example.com/p?", "example.com", 80, "/p?"},
        AcceptCase{"http://example.com/a/./b/../c", "http://example.com/a/c", "example.com", 80,
                   "/a/c"},
        AcceptCase{"  http://example.com/a b  ", "http://example.com/a%20b", "example.com", 80,
                   "/a%20b"},
        AcceptCase{"http://exam\tple.com/\n", "http://example.com/", "example.com", 80, "/"},
        AcceptCase{"http://example.com/K\xc3\xb6ln", "http://example.com/K%C3%B6ln", "example.com",
                   80, "/K%C3%B6ln"},
        AcceptCase{"http://example.com/100%", "http://example.com/100%25", "example.com", 80,
                   "/100%25"},
        // IP hosts are canonicalized the way Chromium does.
        AcceptCase{"http://0x7f.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/"},
        AcceptCase{"http://2130706433:81/", "http://127.0.0.1:81/", "127.0.0.1", 81, "/"},
        AcceptCase{"http://0177.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/"},
        AcceptCase{"http://%31%32%37.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/"},
        AcceptCase{"http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97\xef\xbc\x8e\xef\xbc\x90\xe3\x80"
                   "\x82\xef\xbc\x90\xef\xbc\x8e\xef\xbc\x91/",
                   "http://127.0.0.1/", "127.0.0.1", 80, "/"},
        AcceptCase{"http://[::FFFF:127.0.0.2]:8080/", "http://[::ffff:127.0.0.2]:8080/",
                   "[::ffff:127.0.0.2]", 8080, "/"},
        AcceptCase{"https://[2001:DB8:0::1]/", "https://[2001:db8::1]/", "[2001:db8::1]", 443, "/"},
        // Names that start like an IPv4 address are names (Boost.URL 1.81 misreads them).
        AcceptCase{"http://127.0.0.1.nip.io:8080/x", "http://127.0.0.1.nip.io:8080/x",
                   "127.0.0.1.nip.io", 8080, "/x"},
        AcceptCase{"http://1.2.3.4x/", "http://1.2.3.4x/", "1.2.3.4x", 80, "/"},
        // IDN is left as given (lower-cased ASCII only).
        AcceptCase{"http://B\xc3\xbc"
                   "cher.example/",
                   "http://b\xc3\xbc"
                   "cher.example/",
                   "b\xc3\xbc"
                   "cher.example",
                   80, "/"}));

struct RejectCase {
  const char* input;
  const char* message;  // a part of it
};

void PrintTo(const RejectCase& c, std::ostream* os) {
  testing::print_case_name(c.input, os);
}

class UrlRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(UrlRejects, WithAClearMessage) {
  auto [input, message] = GetParam();
  auto url = parse_target_url(input);
  ASSERT_FALSE(url) << input << " accepted as " << url->normalized;
  EXPECT_EQ(url.error().code, Errc::invalid_argument);
  EXPECT_NE(url.error().message.find(message), std::string::npos)
      << input << ": " << url.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, UrlRejects,
    ::testing::Values(
        RejectCase{"file:///etc/passwd", "only http and https URLs are allowed"},
        RejectCase{"FILE:///etc/passwd", "only http and https"},
        RejectCase{"javascript:alert(1)", "only http and https"},
        RejectCase{"data:text/html,<h1>hi</h1>", "only http and https"},
        RejectCase{"ftp://example.com/", "only http and https"},
        RejectCase{"chrome://settings", "only http and https"},
        RejectCase{"view-source:http://example.com/", "only http and https"},
        RejectCase{"gopher://127.0.0.1:6379/_INFO", "only http and https"},
        RejectCase{"http://user:pass@example.com/", "URLs with user:password@ are not allowed"},
        RejectCase{"http://user@example.com/", "user:password@"},
        RejectCase{"http://@example.com/", "user:password@"}, RejectCase{"http:///path", "no host"},
        RejectCase{"http://", "no host"}, RejectCase{"http:example.com", "no host"},
        RejectCase{"http://:80/", "no host"},
        RejectCase{"example.com", "must start with http:// or https://"}, RejectCase{"", "empty"},
        RejectCase{"   ", "empty"}, RejectCase{"http://1.2.3.4.5/", "not a valid IPv4 address"},
        RejectCase{"http://256.1.1.1/", "not a valid IPv4 address"},
        RejectCase{"http://example.09/", "not a valid IPv4 address"},
        RejectCase{"http://example.com:99999/", "port"},
        RejectCase{"http://example.com:0/", "port"}, RejectCase{"http://example.com:8x/", "URL"},
        RejectCase{"http://evil.com\\@127.0.0.1/", "backslash"},
        RejectCase{"http://exa mple.com/", "host"}, RejectCase{"http://exa%00mple.com/", "host"},
        RejectCase{"http://a%2fb.com/", "host"}, RejectCase{"http://[::1/", "URL"},
        RejectCase{"http://[v1.x]/", "IPv6"}, RejectCase{"//example.com/", "URL"},
        RejectCase{"http://a.b:80:90/", "port"}, RejectCase{"http://[::1]x/", "URL"},
        RejectCase{"http://[127.0.0.1]/", "IPv6"}, RejectCase{"http://a[b].com/", "host"}));

TEST(UrlValidation, RejectsOverlongUrls) {
  auto url = parse_target_url("http://example.com/" + std::string(20000, 'a'));
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().message.find("longer than"), std::string::npos);
}

TEST(UrlValidation, ResolvesRedirects) {
  auto base = parse_target_url("http://a.example/x/y?z");
  ASSERT_TRUE(base);
  auto expect = [&](const char* location, const char* normalized) {
    auto next = resolve_redirect(*base, location);
    ASSERT_TRUE(next) << location << ": " << next.error().message;
    EXPECT_EQ(next->normalized, normalized) << location;
  };
  expect("z", "http://a.example/x/z");
  expect("/p?q=1", "http://a.example/p?q=1");
  expect("//b.example/", "http://b.example/");
  expect("https://c.example/#f", "https://c.example/");
  expect("http://127.1:8080", "http://127.0.0.1:8080/");
  expect("?only", "http://a.example/x/y?only");
  expect("../up", "http://a.example/up");
  expect("http://1.2.3.4.nip.io/x", "http://1.2.3.4.nip.io/x");
  auto nip = parse_target_url("http://127.0.0.1.nip.io:81/a/b");
  ASSERT_TRUE(nip);
  auto relative = resolve_redirect(*nip, "c?d");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->normalized, "http://127.0.0.1.nip.io:81/a/c?d");
  for (const char* bad : {"file:///etc/passwd", "javascript:alert(1)", "http://u:p@a.example/",
                          "http://1.2.3.4.5/", "\\\\evil.com/", "/a\\b"}) {
    EXPECT_FALSE(resolve_redirect(*base, bad)) << bad;
  }
}

}  // namespace
}  // namespace shot::net
