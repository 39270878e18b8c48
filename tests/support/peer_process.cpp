#include "support/peer_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.hpp"

extern char** environ;

namespace shot::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{50};

// A connected socket to 127.0.0.1:port, or -1.
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Our environment with `extra` ("NAME=value") added or replacing.
std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  auto name_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    bool replaced = false;
    for (auto& x : extra)
      replaced = replaced || name_of(x) == name_of(kv);
    if (!replaced) out.push_back(std::move(kv));
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Redis answers PING with +PONG once it has loaded its data (-LOADING before).
bool redis_pong(int port) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  constexpr std::string_view kPing = "PING\r\n";
  bool ok = false;
  if (::send(fd, kPing.data(), kPing.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(kPing.size())) {
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ok = n >= 5 && std::string_view(buf, 5) == "+PONG";
  }
  ::close(fd);
  return ok;
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_for_port(int port, milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (true) {
    int fd = connect_loopback(port);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

std::filesystem::path source_dir() {
  return SHOT_SOURCE_DIR;
}

PeerProcess::PeerProcess(PeerSpec spec) : spec_(std::move(spec)) {
  if (spec_.log_file.empty())
    spec_.log_file = spec_.work_dir.empty() ? "/dev/null" : spec_.work_dir + "/peer.log";
}

PeerProcess::~PeerProcess() {
  stop();
}

bool PeerProcess::start() {
  if (pid_ > 0) return true;
  auto argv = spec_.argv;
  auto env = merged_env(spec_.env);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  // Opened before fork: the child only calls async-signal-safe functions.
  int log_fd = ::open(spec_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    // A test that crashes leaves no server behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(125);
    if (!spec_.work_dir.empty() && ::chdir(spec_.work_dir.c_str()) != 0) ::_exit(126);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::execvpe(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  if (pid_ < 0) return false;
  ::setpgid(pid_, pid_);  // also from here, so the group exists before we signal it

  const auto until = Clock::now() + spec_.start_timeout;
  while (Clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      ::kill(-pid_, SIGKILL);  // anything it left in its group
      pid_ = -1;
      return false;
    }
    int fd = spec_.port > 0 ? connect_loopback(spec_.port) : -1;
    if (spec_.port <= 0 || fd >= 0) {
      if (fd >= 0) ::close(fd);
      if (!spec_.ready || spec_.ready()) return true;
    }
    std::this_thread::sleep_for(kPoll);
  }
  kill9();
  return false;
}

void PeerProcess::signal_and_reap(int signal, milliseconds wait) {
  if (pid_ <= 0) return;
  ::kill(-pid_, signal);
  const auto until = Clock::now() + wait;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) break;
    if (Clock::now() >= until) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  // Children the leader left behind in its group go too.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
}

void PeerProcess::stop() {
  signal_and_reap(SIGTERM, spec_.stop_timeout);
}

void PeerProcess::kill9() {
  signal_and_reap(SIGKILL, spec_.stop_timeout);
}

bool PeerProcess::restart() {
  stop();
  return start();
}

std::string PeerProcess::log() const {
  std::ifstream in(spec_.log_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RedisServer::RedisServer() : dir_(std::make_unique<TempDir>()) {
  const int port = free_port();
  const std::string dir = dir_->path().string();
  PeerSpec spec{
      .argv = {"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port), "--dir", dir,
               "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
               "--logfile", ""},
      .work_dir = dir,
      .port = port,
      .ready = [port] { return redis_pong(port); },
  };
  process_ = std::make_unique<PeerProcess>(std::move(spec));
}

RedisServer::~RedisServer() {
  process_.reset();  // stopped before its folder goes
}

std::string RedisServer::url(int db) const {
  return "redis://127.0.0.1:" + std::to_string(port()) + "/" + std::to_string(db);
}

S3Server::S3Server(std::string bucket)
    : bucket_(std::move(bucket)), dir_(std::make_unique<TempDir>()) {
  const int port = free_port();
  const std::string dir = dir_->path().string();
  const auto script = source_dir() / "tools/node_modules/s3rver/bin/s3rver.js";
  PeerSpec spec{
      .argv = {"node", script.string(), "--address", "127.0.0.1", "--port", std::to_string(port),
               "--directory", dir + "/data", "--silent", "--configure-bucket", bucket_},
      .work_dir = dir,
      .port = port,
  };
  process_ = std::make_unique<PeerProcess>(std::move(spec));
}

S3Server::~S3Server() {
  process_.reset();
}

std::string S3Server::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::string S3Server::url() const {
  return "s3://" + bucket_ + "?endpoint=" + endpoint() +
         "&region=us-east-1&path_style=true&access_key=S3RVER&secret_key=S3RVER";
}

}  // namespace shot::testing
