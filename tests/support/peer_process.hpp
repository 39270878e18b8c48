#pragma once
// Real peer servers for tests (Redis, an S3 server, RabbitMQ, ...): a child
// process in its own process group, started from argv/env/working dir, ready
// when a loopback TCP port accepts (and an optional check passes), stopped by
// SIGTERM to its group then SIGKILL, killed with -9, restarted on the same data.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace shot {
class TempDir;
}

namespace shot::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// True once a connect() to 127.0.0.1:port succeeds, false after `timeout`.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// The source tree (for tools/node_modules and the like).
std::filesystem::path source_dir();

struct PeerSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::vector<std::string> env;   // "NAME=value", added to (or replacing in) ours
  std::string work_dir;           // empty: ours
  std::string log_file;           // stdout + stderr; empty: <work_dir>/peer.log or /dev/null
  int port = 0;                   // 127.0.0.1:port must accept before start() returns
  std::chrono::milliseconds start_timeout{30'000};
  std::chrono::milliseconds stop_timeout{10'000};  // SIGTERM → SIGKILL
  // Called after the port accepts, until it returns true or start_timeout passes.
  std::function<bool()> ready;
};

class PeerProcess {
 public:
  explicit PeerProcess(PeerSpec spec);
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess();  // stop()

  // Starts and waits until ready; false (and the process gone) when it exits or
  // is not ready in time. The log file tells why.
  bool start();
  void stop();     // SIGTERM to the group, wait, then SIGKILL
  void kill9();    // SIGKILL to the group, wait
  bool restart();  // stop(), then start() with the same argv, env and data
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return spec_.port; }
  std::string log() const;  // the log file's text, for failure messages

 private:
  void signal_and_reap(int signal, std::chrono::milliseconds wait);
  PeerSpec spec_;
  pid_t pid_ = -1;
};

// redis-server on 127.0.0.1, a free port, a temp dir, AOF with fsync on every write.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  bool start() { return process_->start(); }
  PeerProcess& process() { return *process_; }
  int port() const { return process_->port(); }
  std::string url(int db = 0) const;  // redis://127.0.0.1:P/db

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<PeerProcess> process_;
};

// s3rver (npm, from tools/node_modules) on 127.0.0.1, a free port, a temp dir,
// with `bucket` created at start.
class S3Server {
 public:
  explicit S3Server(std::string bucket = "shot-test");
  ~S3Server();
  bool start() { return process_->start(); }
  PeerProcess& process() { return *process_; }
  int port() const { return process_->port(); }
  const std::string& bucket() const { return bucket_; }
  std::string endpoint() const;  // http://127.0.0.1:P
  // s3://bucket?endpoint=...&region=us-east-1&path_style=true&access_key=S3RVER&secret_key=S3RVER
  std::string url() const;

 private:
  std::string bucket_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<PeerProcess> process_;
};

}  // namespace shot::testing
