// The peer fixtures themselves: a real redis-server keeps what it acknowledged
// across a stop and a kill -9, and s3rver serves the bucket it was told to make.

#include "support/peer_process.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace shot::testing {
namespace {

// Sends `request` to 127.0.0.1:port and returns what arrives until the peer
// closes or goes quiet for a second.
std::string exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(PeerProcess, RedisKeepsAcknowledgedWritesAcrossStopAndKill9) {
  RedisServer redis;
  ASSERT_TRUE(redis.start()) << redis.process().log();
  EXPECT_TRUE(exchange(redis.port(), "SET k v1\r\nQUIT\r\n").starts_with("+OK"));

  ASSERT_TRUE(redis.process().restart()) << redis.process().log();
  EXPECT_EQ(exchange(redis.port(), "GET k\r\nQUIT\r\n").substr(0, 11), "$2\r\nv1\r\n+OK");

  EXPECT_TRUE(exchange(redis.port(), "SET k v2\r\nQUIT\r\n").starts_with("+OK"));
  redis.process().kill9();
  EXPECT_FALSE(redis.process().running());
  EXPECT_FALSE(wait_for_port(redis.port(), std::chrono::milliseconds(0)));
  ASSERT_TRUE(redis.process().start()) << redis.process().log();
  EXPECT_EQ(exchange(redis.port(), "GET k\r\nQUIT\r\n").substr(0, 11), "$2\r\nv2\r\n+OK");
}

TEST(PeerProcess, S3ServerHasItsBucket) {
  S3Server s3("fixture-bucket");
  ASSERT_TRUE(s3.start()) << s3.process().log();
  auto answer = exchange(s3.port(), "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("<Name>fixture-bucket</Name>"), std::string::npos) << answer;
}

TEST(PeerProcess, StartFailsWhenTheProgramExits) {
  PeerProcess p(PeerSpec{.argv = {"false"}, .port = free_port()});
  EXPECT_FALSE(p.start());
  EXPECT_FALSE(p.running());
}

}  // namespace
}  // namespace shot::testing
