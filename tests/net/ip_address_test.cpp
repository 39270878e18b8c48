#include "net/ip_address.hpp"

#include <gtest/gtest.h>

#include "test_names.hpp"

namespace shot::net {
namespace {

struct LiteralCase {
  const char* input;
  const char* expected;  // nullptr: not an IP literal
};

void PrintTo(const LiteralCase& c, std::ostream* os) {
  testing::print_case_name(c.input, os);
}

class NetIpLiteral : public ::testing::TestWithParam<LiteralCase> {};

TEST_P(NetIpLiteral, ParsesLikeABrowser) {
  auto [input, expected] = GetParam();
  auto address = parse_ip_literal(input);
  if (expected == nullptr) {
    EXPECT_FALSE(address.has_value()) << input << " parsed as " << address->to_string();
  } else {
    ASSERT_TRUE(address.has_value()) << input;
    EXPECT_EQ(address->to_string(), expected) << input;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, NetIpLiteral,
    ::testing::Values(
        // IPv4, every WHATWG form.
        LiteralCase{"127.0.0.1", "127.0.0.1"}, LiteralCase{"2130706433", "127.0.0.1"},
        LiteralCase{"0177.0.0.1", "127.0.0.1"}, LiteralCase{"0x7f.0.0.1", "127.0.0.1"},
        LiteralCase{"0X7F.0.0.1", "127.0.0.1"}, LiteralCase{"0x7f000001", "127.0.0.1"},
        LiteralCase{"017700000001", "127.0.0.1"}, LiteralCase{"127.1", "127.0.0.1"},
        LiteralCase{"127.0.1", "127.0.0.1"}, LiteralCase{"0x7f.1", "127.0.0.1"},
        LiteralCase{"0177.0x0.1", "127.0.0.1"}, LiteralCase{"127.0.0.1.", "127.0.0.1"},
        LiteralCase{"0x7f.0x0.0x0.0x1", "127.0.0.1"}, LiteralCase{"00000000177.0.0.1", "127.0.0.1"},
        LiteralCase{"1.2.65535", "1.2.255.255"}, LiteralCase{"1.16777215", "1.255.255.255"},
        LiteralCase{"4294967295", "255.255.255.255"}, LiteralCase{"0xffffffff", "255.255.255.255"},
        LiteralCase{"0", "0.0.0.0"}, LiteralCase{"169.254.43518", "169.254.169.254"},
        // WHATWG reads a bare "0x" as zero, and so does Chromium.
        LiteralCase{"0x", "0.0.0.0"}, LiteralCase{"0x.0x.0", "0.0.0.0"},
        // IPv6.
        LiteralCase{"[::1]", "::1"}, LiteralCase{"[::ffff:127.0.0.2]", "::ffff:127.0.0.2"},
        LiteralCase{"[0:0:0:0:0:ffff:7f00:2]", "::ffff:127.0.0.2"},
        LiteralCase{"[2001:DB8::1]", "2001:db8::1"}, LiteralCase{"::1", "::1"},
        LiteralCase{"[::]", "::"},
        // Not IP literals.
        LiteralCase{"", nullptr}, LiteralCase{"256.1.1.1", nullptr},
        LiteralCase{"1.256.1.1", nullptr}, LiteralCase{"1.2.3.256", nullptr},
        LiteralCase{"1.2.3.4.5", nullptr}, LiteralCase{"4294967296", nullptr},
        LiteralCase{"0x100000000", nullptr}, LiteralCase{"99999999999999999999999", nullptr},
        LiteralCase{"1.2.16777216", nullptr}, LiteralCase{"08", nullptr},
        LiteralCase{"10.0.0.09", nullptr}, LiteralCase{"0xg", nullptr},
        LiteralCase{"1..2", nullptr}, LiteralCase{".", nullptr}, LiteralCase{"..", nullptr},
        LiteralCase{"1.2.3.-4", nullptr}, LiteralCase{"example.com", nullptr},
        LiteralCase{"1.2.3.4.example", nullptr}, LiteralCase{"[127.0.0.1]", nullptr},
        LiteralCase{"[::1", nullptr}, LiteralCase{"[fe80::1%25eth0]", nullptr},
        LiteralCase{"[:::1]", nullptr}, LiteralCase{"[::ffff:127.1]", nullptr},
        LiteralCase{" 127.0.0.1", nullptr}));

TEST(NetIpLiteral, EndsInANumber) {
  EXPECT_TRUE(ends_in_a_number("1.2.3.256"));
  EXPECT_TRUE(ends_in_a_number("foo.09"));
  EXPECT_TRUE(ends_in_a_number("foo.0x"));
  EXPECT_TRUE(ends_in_a_number("foo.0x1f."));
  EXPECT_FALSE(ends_in_a_number("example.com"));
  EXPECT_FALSE(ends_in_a_number("foo.0xg"));
  EXPECT_FALSE(ends_in_a_number("1.2.3.a"));
  EXPECT_FALSE(ends_in_a_number(""));
}

TEST(NetIpAddress, UrlHostBracketsIpv6) {
  EXPECT_EQ(parse_ip_literal("::1")->to_url_host(), "[::1]");
  EXPECT_EQ(parse_ip_literal("10.1.2.3")->to_url_host(), "10.1.2.3");
  EXPECT_EQ(IpAddress::v4(0x0a010203u).v4_value(), 0x0a010203u);
}

TEST(NetCidr, ParsesAndContains) {
  auto cidr = parse_cidr("10.1.2.3/16");
  ASSERT_TRUE(cidr);
  EXPECT_EQ(cidr->to_string(), "10.1.0.0/16");
  EXPECT_TRUE(cidr->contains(*parse_ip_literal("10.1.255.255")));
  EXPECT_FALSE(cidr->contains(*parse_ip_literal("10.2.0.0")));
  EXPECT_FALSE(cidr->contains(*parse_ip_literal("::ffff:10.1.0.1")));  // families differ

  auto v6 = parse_cidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*parse_ip_literal("fdff::1")));
  EXPECT_FALSE(v6->contains(*parse_ip_literal("fe00::1")));
  EXPECT_EQ(parse_cidr("8.8.8.8")->prefix, 32);
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip_literal("1.2.3.4")));

  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "127.1/8",
                          "10.0.0.0/8/8", "example.com/8"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

}  // namespace
}  // namespace shot::net
