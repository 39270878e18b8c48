#pragma once
// A real `shot serve` for end-to-end tests: its own data dir and port, a
// client for its API, and ways to stop it gently or kill it.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/json.hpp"
#include "net/http_client.hpp"
#include "support/peer_process.hpp"

namespace shot::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  net::HttpHeaders headers;
  json::object json() const;
  std::string header(std::string_view name) const;
};

class ServeProcess {
 public:
  // Starts `shot COMMAND` (serve, api or worker) with `extra_args`; data_dir
  // empty = a new temp dir.
  explicit ServeProcess(std::vector<std::string> extra_args = {}, std::string data_dir = {},
                        std::string command = "serve");
  ~ServeProcess();

  // Before start(): the process's stderr goes to a file that log() reads
  // (otherwise it is the test's own stderr).
  void keep_log();
  // Runs shot in a mount namespace of its own whose /etc/hosts is `hosts_file`
  // (needs root): names resolve as the test says, for shot alone.
  void use_hosts_file(std::string hosts_file) { hosts_file_ = std::move(hosts_file); }
  std::string log() const;  // what the process has logged so far
  bool start();             // waits until /healthz answers
  void sigterm_and_wait();
  void kill9_and_wait();
  bool running() const { return pid_ > 0; }
  // True (and reaped) when the process ended on its own.
  bool exited();

  HttpResult get(const std::string& path, net::HttpHeaders headers = {}) const;
  HttpResult post(const std::string& path, const std::string& body,
                  net::HttpHeaders headers = {}) const;
  HttpResult del(const std::string& path) const;
  // Polls GET /v1/jobs/{id} until the job is finished or `seconds` pass.
  json::object wait_job(const std::string& id, int seconds = 60) const;

  const std::string& data_dir() const { return data_dir_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  HttpResult request(const std::string& method, const std::string& path, const std::string& body,
                     net::HttpHeaders headers) const;
  std::vector<std::string> args_;
  std::string command_;
  std::string data_dir_;
  bool own_dir_ = false;
  std::string log_path_;
  std::string hosts_file_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace shot::testing
