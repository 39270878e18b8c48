#include "e2e/serve_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/deadline.hpp"
#include "net/egress_policy.hpp"

namespace shot::testing {

json::object HttpResult::json() const {
  auto v = parse_json(body);
  return v && v->is_object() ? v->as_object() : json::object{};
}

std::string HttpResult::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

ServeProcess::ServeProcess(std::vector<std::string> extra_args, std::string data_dir,
                           std::string command)
    : args_(std::move(extra_args)), command_(std::move(command)), data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    char tmpl[] = "/tmp/shot-serve-test-XXXXXX";
    data_dir_ = ::mkdtemp(tmpl);
    own_dir_ = true;
  }
  port_ = free_port();
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) kill9_and_wait();
  if (own_dir_) std::filesystem::remove_all(data_dir_);
  if (!log_path_.empty()) std::filesystem::remove(log_path_);
}

void ServeProcess::keep_log() {
  char tmpl[] = "/tmp/shot-serve-log-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  log_path_ = tmpl;
}

std::string ServeProcess::log() const {
  std::ifstream in(log_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ServeProcess::start() {
  std::vector<std::string> argv = {SHOT_BINARY,  command_,
                                   "--listen",   "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir", data_dir_};
  for (auto& a : args_)
    argv.push_back(a);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!log_path_.empty()) {
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_APPEND);
      if (fd >= 0) ::dup2(fd, 2);
    }
    if (!hosts_file_.empty() &&
        (::unshare(CLONE_NEWNS) != 0 ||
         ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
         ::mount(hosts_file_.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0))
      ::_exit(126);
    std::vector<char*> c;
    for (auto& a : argv)
      c.push_back(a.data());
    c.push_back(nullptr);
    ::execv(c[0], c.data());
    ::_exit(127);
  }
  auto until = Clock::now() + Millis(30'000);
  while (Clock::now() < until) {
    if (get("/healthz").status == 200) return true;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(Millis(100));
  }
  return false;
}

bool ServeProcess::exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

void ServeProcess::sigterm_and_wait() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServeProcess::kill9_and_wait() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

HttpResult ServeProcess::request(const std::string& method, const std::string& path,
                                 const std::string& body, net::HttpHeaders headers) const {
  static const auto policy = net::EgressPolicy::create({.allow_private = true}).value();
  net::HttpRequest r;
  r.method = method;
  r.url = base_url() + path;
  r.body = body;
  r.headers = std::move(headers);
  if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  r.timeout = Millis(60'000);
  r.follow_redirects = false;
  r.max_response_bytes = 256u << 20;
  auto resp = net::fetch(r, policy);
  if (!resp) return HttpResult{0, resp.error().message, "", {}};
  HttpResult out{resp->status, resp->body, "", resp->headers};
  out.content_type = out.header("content-type");
  return out;
}

HttpResult ServeProcess::get(const std::string& path, net::HttpHeaders headers) const {
  return request("GET", path, "", std::move(headers));
}
HttpResult ServeProcess::post(const std::string& path, const std::string& body,
                              net::HttpHeaders headers) const {
  return request("POST", path, body, std::move(headers));
}
HttpResult ServeProcess::del(const std::string& path) const {
  return request("DELETE", path, "", {});
}

json::object ServeProcess::wait_job(const std::string& id, int seconds) const {
  auto until = Clock::now() + std::chrono::seconds(seconds);
  json::object job;
  while (Clock::now() < until) {
    job = get("/v1/jobs/" + id).json();
    auto state = json_string(job, "state");
    if (state == "succeeded" || state == "failed" || state == "partial" || state == "canceled")
      break;
    std::this_thread::sleep_for(Millis(200));
  }
  return job;
}

}  // namespace shot::testing
