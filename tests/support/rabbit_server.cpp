#include "support/rabbit_server.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

// The broker speaks AMQP: the protocol header gets a connection.start frame back.
bool amqp_answers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    constexpr char kHeader[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    if (::send(fd, kHeader, sizeof kHeader, MSG_NOSIGNAL) == sizeof kHeader) {
      unsigned char frame[7];
      ok = ::recv(fd, frame, sizeof frame, MSG_WAITALL) == sizeof frame && frame[0] == 1;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

RabbitServer::RabbitServer() : dir_(std::make_unique<TempDir>()) {
  const int port = free_port();
  int dist_port = free_port();
  while (dist_port == port)
    dist_port = free_port();
  node_ = "shot-test-" + std::to_string(port) + "@localhost";
  const std::string dir = dir_->path().string();
  std::ofstream(dir + "/enabled_plugins") << "[].\n";
  std::vector<std::string> argv{"/usr/lib/rabbitmq/bin/rabbitmq-server"};
  // As root, the broker runs as the rabbitmq user (its scripts insist), in our
  // process group so that stop and kill -9 reach it.
  if (::geteuid() == 0) {
    if (passwd* pw = ::getpwnam("rabbitmq")) {
      for (auto& p : std::filesystem::recursive_directory_iterator(dir))
        (void)!::chown(p.path().c_str(), pw->pw_uid, pw->pw_gid);
      (void)!::chown(dir.c_str(), pw->pw_uid, pw->pw_gid);
      argv.insert(argv.begin(),
                  {"setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups", "--"});
    }
  }
  PeerSpec spec{
      .argv = argv,
      .env = {"HOME=" + dir,  // the Erlang cookie lives here
              "RABBITMQ_NODENAME=" + node_, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
              "RABBITMQ_NODE_PORT=" + std::to_string(port),
              "RABBITMQ_DIST_PORT=" + std::to_string(dist_port),
              "RABBITMQ_MNESIA_BASE=" + dir + "/mnesia", "RABBITMQ_LOG_BASE=" + dir + "/log",
              "RABBITMQ_FEATURE_FLAGS_FILE=" + dir + "/feature_flags",
              "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir + "/enabled_plugins",
              "RABBITMQ_PLUGINS_EXPAND_DIR=" + dir + "/plugins",
              "RABBITMQ_PID_FILE=" + dir + "/rabbit.pid",
              "RABBITMQ_CONF_ENV_FILE=" + dir + "/rabbitmq-env.conf",
              "RABBITMQ_CONFIG_FILE=" + dir + "/rabbitmq"},
      .work_dir = dir,
      .log_file = dir + "/stdout.log",
      .port = port,
      .start_timeout = std::chrono::milliseconds(60'000),
      .stop_timeout = std::chrono::milliseconds(20'000),
      .ready = [port] { return amqp_answers(port); },
  };
  process_ = std::make_unique<PeerProcess>(std::move(spec));
}

RabbitServer::~RabbitServer() {
  process_.reset();  // stopped before its folder goes
}

std::string RabbitServer::url() const {
  return "amqp://guest:guest@127.0.0.1:" + std::to_string(port()) + "/";
}

std::string RabbitServer::log() const {
  std::stringstream out;
  out << process_->log();
  std::error_code ec;
  for (auto& p : std::filesystem::directory_iterator(dir_->path() / "log", ec)) {
    std::ifstream in(p.path());
    out << "--- " << p.path().filename().string() << "\n" << in.rdbuf();
  }
  return out.str();
}

RabbitServer* RabbitServer::shared() {
  static std::unique_ptr<RabbitServer> server = [] {
    auto s = std::make_unique<RabbitServer>();
    if (!s->start()) {
      std::cerr << "rabbitmq-server did not start:\n" << s->log() << "\n";
      return std::unique_ptr<RabbitServer>();
    }
    return s;
  }();
  return server.get();
}

}  // namespace shot::testing
