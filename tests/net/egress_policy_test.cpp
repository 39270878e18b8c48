#include "net/egress_policy.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include "test_names.hpp"

namespace shot::net {
namespace {

IpAddress ip(const char* text) {
  auto address = parse_ip_literal(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

EgressPolicy policy(EgressConfig config) {
  auto p = EgressPolicy::create(config);
  EXPECT_TRUE(p) << p.error().message;
  return p.value_or(EgressPolicy{});
}

struct RangeCase {
  const char* address;
  const char* range;  // expected in the message; nullptr: allowed
};

void PrintTo(const RangeCase& c, std::ostream* os) {
  testing::print_case_name(c.address, os);
}

class EgressBlockedRanges : public ::testing::TestWithParam<RangeCase> {};

TEST_P(EgressBlockedRanges, DefaultPolicy) {
  auto [address, range] = GetParam();
  auto result = EgressPolicy{}.check_address(ip(address), 80);
  if (range == nullptr) {
    EXPECT_TRUE(result) << address << ": " << result.error().message;
  } else {
    ASSERT_FALSE(result) << address << " should be blocked";
    EXPECT_EQ(result.error().code, Errc::blocked);
    EXPECT_NE(result.error().message.find(range), std::string::npos)
        << address << ": " << result.error().message;
  }
}

// One address inside each range and one just outside.
INSTANTIATE_TEST_SUITE_P(
    Ipv4, EgressBlockedRanges,
    ::testing::Values(
        RangeCase{"0.0.0.0", "0.0.0.0/8 this network"}, RangeCase{"0.255.255.255", "0.0.0.0/8"},
        RangeCase{"1.0.0.0", nullptr}, RangeCase{"10.0.0.1", "10.0.0.0/8 private"},
        RangeCase{"10.255.255.255", "10.0.0.0/8"}, RangeCase{"9.255.255.255", nullptr},
        RangeCase{"11.0.0.0", nullptr}, RangeCase{"100.64.0.0", "100.64.0.0/10"},
        RangeCase{"100.127.255.255", "100.64.0.0/10"}, RangeCase{"100.63.255.255", nullptr},
        RangeCase{"100.128.0.0", nullptr}, RangeCase{"127.0.0.2", "127.0.0.0/8 loopback"},
        RangeCase{"127.255.255.255", "127.0.0.0/8"}, RangeCase{"126.255.255.255", nullptr},
        RangeCase{"128.0.0.0", nullptr}, RangeCase{"168.63.129.16", "168.63.129.16/32"},
        RangeCase{"168.63.129.15", nullptr}, RangeCase{"168.63.129.17", nullptr},
        RangeCase{"169.254.169.254", "169.254.0.0/16"}, RangeCase{"169.253.255.255", nullptr},
        RangeCase{"169.255.0.0", nullptr}, RangeCase{"172.16.0.0", "172.16.0.0/12"},
        RangeCase{"172.31.255.255", "172.16.0.0/12"}, RangeCase{"172.15.255.255", nullptr},
        RangeCase{"172.32.0.0", nullptr}, RangeCase{"192.0.0.8", "192.0.0.0/24"},
        RangeCase{"192.0.1.0", nullptr}, RangeCase{"192.0.2.1", "192.0.2.0/24"},
        RangeCase{"192.0.3.0", nullptr}, RangeCase{"192.88.99.1", "192.88.99.0/24"},
        RangeCase{"192.88.98.255", nullptr}, RangeCase{"192.88.100.0", nullptr},
        RangeCase{"192.168.1.1", "192.168.0.0/16"}, RangeCase{"192.167.255.255", nullptr},
        RangeCase{"192.169.0.0", nullptr}, RangeCase{"198.18.0.0", "198.18.0.0/15"},
        RangeCase{"198.19.255.255", "198.18.0.0/15"}, RangeCase{"198.17.255.255", nullptr},
        RangeCase{"198.20.0.0", nullptr}, RangeCase{"198.51.100.7", "198.51.100.0/24"},
        RangeCase{"198.51.101.0", nullptr}, RangeCase{"198.51.99.255", nullptr},
        RangeCase{"203.0.113.5", "203.0.113.0/24"}, RangeCase{"203.0.112.255", nullptr},
        RangeCase{"203.0.114.0", nullptr}, RangeCase{"224.0.0.1", "224.0.0.0/4 multicast"},
        RangeCase{"239.255.255.255", "224.0.0.0/4"}, RangeCase{"223.255.255.255", nullptr},
        RangeCase{"240.0.0.1", "240.0.0.0/4"}, RangeCase{"255.255.255.255", "240.0.0.0/4"},
        RangeCase{"8.8.8.8", nullptr}, RangeCase{"1.1.1.1", nullptr}));

INSTANTIATE_TEST_SUITE_P(
    Ipv6, EgressBlockedRanges,
    ::testing::Values(
        RangeCase{"::", "::/128 unspecified"}, RangeCase{"::1", "::1/128 loopback"},
        RangeCase{"::2", "0.0.0.0/8 this network, via embedded IPv4 0.0.0.2"},
        // IPv4-mapped: exactly as good as the IPv4 inside.
        RangeCase{"::ffff:127.0.0.2", "127.0.0.0/8 loopback, via embedded IPv4 127.0.0.2"},
        RangeCase{"::ffff:10.1.2.3", "10.0.0.0/8"},
        RangeCase{"::ffff:169.254.169.254", "169.254.0.0/16"}, RangeCase{"::ffff:8.8.8.8", nullptr},
        // IPv4-compatible (deprecated) and IPv4-translated.
        RangeCase{"::127.0.0.1", "127.0.0.0/8"}, RangeCase{"::ffff:0:8.8.8.8", "::ffff:0:0:0/96"},
        // NAT64: the embedded address is named when it is the reason.
        RangeCase{"64:ff9b::808:808", "64:ff9b::/96 NAT64"},
        RangeCase{"64:ff9b::a00:1", "10.0.0.0/8 private, via embedded IPv4 10.0.0.1"},
        RangeCase{"64:ff9b:1::1", "64:ff9b:1::/48"}, RangeCase{"100::1", "100::/64"},
        RangeCase{"100:0:0:1::", nullptr},
        // Teredo: the client address is stored inverted.
        RangeCase{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "2001::/32 Teredo"},
        RangeCase{"2001:0:1:2:3:4:80ff:fffe", "127.0.0.0/8 loopback, via embedded IPv4 127.0.0.1"},
        RangeCase{"2001:2::1", "2001::/23"}, RangeCase{"2001:200::1", nullptr},
        RangeCase{"2001:db8::1", "2001:db8::/32"}, RangeCase{"2001:db9::1", nullptr},
        // 6to4: blocked as a range, naming a private embedded address when there is one.
        RangeCase{"2002:808:808::1", "2002::/16 6to4"},
        RangeCase{"2002:c0a8:101::1", "192.168.0.0/16 private, via embedded IPv4 192.168.1.1"},
        RangeCase{"2003::1", nullptr}, RangeCase{"fc00::1", "fc00::/7 unique local"},
        RangeCase{"fdff:ffff::1", "fc00::/7"}, RangeCase{"fbff::1", nullptr},
        RangeCase{"fe80::1", "fe80::/10 link-local"}, RangeCase{"febf::1", "fe80::/10"},
        RangeCase{"fec0::1", "fec0::/10"}, RangeCase{"ff02::1", "ff00::/8 multicast"},
        RangeCase{"2606:4700:4700::1111", nullptr}, RangeCase{"2a00:1450::1", nullptr}));

TEST(EgressPolicy, MessageNamesAddressAndRange) {
  auto result = EgressPolicy{}.check_address(ip("127.0.0.2"), 80);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "address 127.0.0.2 is in a blocked range (127.0.0.0/8 loopback)");
  auto mapped = EgressPolicy{}.check_address(ip("[::ffff:127.0.0.2]"), 80);
  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error().message,
            "address ::ffff:127.0.0.2 is in a blocked range (127.0.0.0/8 loopback, via embedded "
            "IPv4 127.0.0.2)");
}

TEST(EgressPolicy, AllowPrivateOpensLocalNetworksOnly) {
  auto p = policy({.allow_private = true});
  for (const char* open : {"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "100.64.1.1",
                           "::1", "fd00::1", "::ffff:192.168.0.1"}) {
    EXPECT_TRUE(p.check_address(ip(open), 80)) << open;
  }
  for (const char* closed : {"169.254.169.254", "0.0.0.0", "224.0.0.1", "fe80::1", "168.63.129.16",
                             "2002:7f00:1::1", "::ffff:169.254.169.254"}) {
    EXPECT_FALSE(p.check_address(ip(closed), 80)) << closed;
  }
}

TEST(EgressPolicy, AllowCidrsAreExceptions) {
  auto p = policy({.allow_cidrs = {"10.1.0.0/16", "fd00::/8"}});
  EXPECT_TRUE(p.check_address(ip("10.1.2.3"), 80));
  EXPECT_TRUE(p.check_address(ip("::ffff:10.1.2.3"), 80));  // mapped form of an allowed one
  EXPECT_TRUE(p.check_address(ip("fd00::1"), 80));
  EXPECT_FALSE(p.check_address(ip("10.2.0.1"), 80));
  EXPECT_FALSE(p.check_address(ip("fc00::1"), 80));
  EXPECT_FALSE(p.check_address(ip("127.0.0.1"), 80));
}

TEST(EgressPolicy, AllowHostsMatchLiteralsWithOptionalPort) {
  auto p = policy({.allow_hosts = {"127.0.0.1:8080", "[::1]", "0x0a000001"}});
  EXPECT_TRUE(p.check_address(ip("127.0.0.1"), 8080));
  EXPECT_FALSE(p.check_address(ip("127.0.0.1"), 8081));
  EXPECT_FALSE(p.check_address(ip("127.0.0.2"), 8080));
  EXPECT_TRUE(p.check_address(ip("::1"), 1));
  EXPECT_TRUE(p.check_address(ip("::1"), 65535));
  EXPECT_TRUE(p.check_address(ip("10.0.0.1"), 443));  // entry written as 0x0a000001
  EXPECT_FALSE(p.check_address(ip("10.0.0.2"), 443));
  auto resolved = p.resolve_and_check("127.1", 8080, Deadline::never());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->at(0).to_string(), "127.0.0.1:8080");
}

TEST(EgressPolicy, AllowHostsMatchNamesAnyCase) {
  auto p = policy({.allow_hosts = {"LocalHost.", "foo.localhost:3000"}});
  EXPECT_TRUE(p.check_host_name("localhost"));
  EXPECT_TRUE(p.check_host_name("LOCALHOST."));
  EXPECT_TRUE(p.check_host_name("localhost", 9999));
  EXPECT_TRUE(p.check_host_name("Foo.LocalHost", 3000));
  EXPECT_FALSE(p.check_host_name("foo.localhost", 3001));
  EXPECT_FALSE(p.check_host_name("foo.localhost"));
  EXPECT_FALSE(p.check_host_name("bar.localhost", 3000));
}

TEST(EgressPolicy, RejectsMalformedConfig) {
  for (const char* bad : {"host:notaport", "host:0", "host:65536", "[::1", "[::1]x",
                          "[::1]:", "1.2.3.4.5", "", ":80", "a/b"}) {
    auto p = EgressPolicy::create({.allow_hosts = {bad}});
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(EgressPolicy::create({.allow_cidrs = {"10.0.0.0/33"}}));
  EXPECT_FALSE(EgressPolicy::create({.allow_cidrs = {"localhost"}}));
}

TEST(EgressHostNames, RefusedBeforeDns) {
  EgressPolicy p;
  for (const char* name :
       {"localhost", "LOCALHOST", "localhost.", "localhost..", "foo.localhost", "a.b.LocalHost.",
        "metadata.google.internal", "METADATA.GOOGLE.INTERNAL."}) {
    auto result = p.check_host_name(name);
    ASSERT_FALSE(result) << name;
    EXPECT_EQ(result.error().code, Errc::blocked);
    // resolve_and_check refuses them too, without a lookup.
    auto resolved = p.resolve_and_check(name, 80, Deadline::never());
    ASSERT_FALSE(resolved) << name;
    EXPECT_EQ(resolved.error().code, Errc::blocked) << resolved.error().message;
  }
  for (const char* name : {"example.com", "localhost.example.com", "notlocalhost",
                           "metadata.google.internal.example.com", "127.0.0.1"}) {
    EXPECT_TRUE(p.check_host_name(name)) << name;
  }
}

TEST(EgressResolve, IpLiteralsNeedNoLookup) {
  EgressPolicy p;
  for (const char* host : {"127.0.0.1", "0x7f.1", "2130706433", "[::1]", "[::ffff:127.0.0.2]"}) {
    auto result = p.resolve_and_check(host, 80, Deadline::never());
    ASSERT_FALSE(result) << host;
    EXPECT_EQ(result.error().code, Errc::blocked) << host;
  }
  auto loopback = p.resolve_and_check("0x7f.1", 80, Deadline::never());
  EXPECT_NE(loopback.error().message.find("127.0.0.1"), std::string::npos);
  auto public_v4 = p.resolve_and_check("8.8.8.8", 443, Deadline::never());
  ASSERT_TRUE(public_v4);
  ASSERT_EQ(public_v4->size(), 1u);
  EXPECT_EQ(public_v4->at(0), (ResolvedAddress{ip("8.8.8.8"), 443}));
  auto mapped = p.resolve_and_check("[::ffff:8.8.8.8]", 443, Deadline::never());
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->at(0).to_string(), "[::ffff:8.8.8.8]:443");
}

TEST(EgressResolve, MalformedNumericHostIsNotLookedUp) {
  auto result = EgressPolicy{}.resolve_and_check("1.2.3.256", 80, Deadline::never());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

TEST(EgressResolve, ExpiredDeadlineTimesOut) {
  auto result =
      EgressPolicy{}.resolve_and_check("example.invalid", 80, Deadline(Clock::now() - Millis(1)));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::timeout);
}

// /etc/hosts answers for localhost, so this resolves without a network.
TEST(EgressResolve, AllowedNameResolvesToCheckedAddresses) {
  auto p = policy({.allow_hosts = {"localhost"}});
  auto result = p.resolve_and_check("localhost", 8080, Deadline::in(Millis(5000)));
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_FALSE(result->empty());
  for (const auto& r : *result) {
    EXPECT_EQ(r.port, 8080);
    EXPECT_TRUE(r.address == ip("127.0.0.1") || r.address == ip("::1")) << r.to_string();
  }
}

// A name that is not special but resolves to loopback is refused after the
// lookup. The machine's own name usually maps to 127.0.x.1 in /etc/hosts.
TEST(EgressResolve, NameResolvingToBlockedAddressIsRefused) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || std::string_view(name).empty() ||
      std::string_view(name).find('.') != std::string_view::npos) {
    GTEST_SKIP() << "no simple host name";
  }
  auto vouched = policy({.allow_hosts = {name}});
  auto addresses = vouched.resolve_and_check(name, 80, Deadline::in(Millis(5000)));
  if (!addresses || !Cidr{ip("127.0.0.0"), 8}.contains(addresses->front().address)) {
    GTEST_SKIP() << name << " does not resolve to loopback here";
  }
  auto result = EgressPolicy{}.resolve_and_check(name, 80, Deadline::in(Millis(5000)));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::blocked);
  EXPECT_NE(result.error().message.find("127.0.0.0/8 loopback"), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace shot::net

namespace shot::net {
namespace {

TEST(SubmittedUrl, RefusedWithoutDnsAndNormalized) {
  EgressPolicy strict;
  // Resolving would fail on this offline machine: passing proves no look-up is made.
  auto ok = check_submitted_url(strict, "HTTP://Example.COM:80/a?b=1#frag");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->normalized, "http://example.com/a?b=1");
  for (auto bad : {"http://2130706434/", "http://0177.0.0.2/", "http://[::ffff:127.0.0.2]/",
                   "http://localhost:8080/", "http://metadata.google.internal/"}) {
    auto r = check_submitted_url(strict, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::blocked) << bad;
  }
  for (auto bad : {"file:///etc/passwd", "http://user:pw@example.com/", "javascript:alert(1)"}) {
    auto r = check_submitted_url(strict, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
  auto dev = EgressPolicy::create({.allow_private = true});
  EXPECT_TRUE(check_submitted_url(*dev, "http://127.0.0.1:9/"));
}

}  // namespace
}  // namespace shot::net
