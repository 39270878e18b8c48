#include "browser/chromium_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/log.hpp"
#include "core/processes.hpp"
#include "core/strings.hpp"

namespace shot::browser {
namespace {

// Flags for a quiet, headless, automation-friendly browser on a closed network.
std::vector<std::string> base_flags(const ChromiumOptions& o,
                                    const std::filesystem::path& profile) {
  std::vector<std::string> f = {
      "--headless",
      "--remote-debugging-pipe",
      "--user-data-dir=" + profile.string(),
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-breakpad",
      "--disable-crash-reporter",
      "--disable-client-side-phishing-detection",
      "--disable-hang-monitor",
      "--disable-prompt-on-repost",
      "--disable-domain-reliability",
      "--disable-ipc-flooding-protection",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
      std::string("--disable-features=Translate,MediaRouter,OptimizationHints,AcceptCHFrame,"
                  "InterestFeedContentSuggestions,CalculateNativeWinOcclusion,HttpsUpgrades,"
                  // BackForwardCache: a reused tab keeps no page of an earlier capture alive.
                  "PaintHolding,DestroyProfileOnBrowserClose,BackForwardCache,"
                  // A navigation within a site (every capture and every reset's
                  // about:blank in a reused tab) keeps the frame's host instead
                  // of building a new one: -10-25 % CPU per picture, +15-30 %
                  // shots/s (docs/performance.md, session 16).
                  "RenderDocument,"
                  // The address bar's pop-up, a web page in a renderer of its
                  // own in every browser context (one per tab), never shown.
                  "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,"
                  "PreloadTopChromeWebUI") +
          (o.spare_renderer && o.renderer_per_site ? "" : ",SpareRendererForSitePerProcess"),
      // A tab's renderer lives for many captures, and each leaves its page's
      // DOM behind as garbage. V8 lets the heap (DOM included) grow up to
      // fourfold before its next full collection; half keeps peak memory lower
      // at no measured cost in throughput (docs/performance.md, session 7).
      "--js-flags=--heap-growing-percent=50",
      // The compositor (software, with --disable-gpu) and the network service
      // as threads of the browser process instead of two processes of their
      // own: peak PSS at C=4 -60 MB, RSS -200 MB, shots/s unchanged
      // (docs/performance.md, session 11). Either crashing takes the browser
      // with it, which the page pool replaces like any dead browser.
      "--in-process-gpu",
      "--enable-features=NetworkServiceInProcess2",
      "--block-new-web-contents",  // pop-ups: window.open() gets nothing
      "--deny-permission-prompts",
      "--password-store=basic",
      "--use-mock-keychain",
      "--force-color-profile=srgb",
      "--hide-scrollbars",
      "--mute-audio",
      "--metrics-recording-only",
      "--window-size=" + std::to_string(o.window_width) + "," + std::to_string(o.window_height),
  };
  if (!o.renderer_per_site) {
    // Without site isolation, and with the limit reached from the first
    // renderer on, Chromium keeps a browser context's pages in the renderer it
    // has instead of starting one per site: across sites a capture no longer
    // waits for a process to start (docs/performance.md, session 8).
    f.push_back("--disable-site-isolation-trials");
    f.push_back("--renderer-process-limit=1");
  }
  if (::geteuid() == 0) f.push_back("--no-sandbox");  // Chromium refuses to sandbox as root
  if (!o.proxy_server.empty()) {
    f.push_back("--proxy-server=" + o.proxy_server);
    f.push_back("--proxy-bypass-list=<-loopback>");
    // The proxy resolves and checks every name; Chromium resolves none itself
    // (prefetch, preconnect, anything that would skip the proxy), speaks no
    // QUIC and sends WebRTC UDP only through the proxy, i.e. not at all.
    f.push_back("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");
    f.push_back("--dns-prefetch-disable");
    f.push_back("--disable-quic");
    f.push_back("--force-webrtc-ip-handling-policy=disable_non_proxied_udp");
  }
  for (auto& a : o.extra_args)
    f.push_back(a);
  f.push_back("about:blank");
  return f;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string launched_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4096> buf{};
  in.read(buf.data(), buf.size());
  std::string_view text(buf.data(), static_cast<std::size_t>(in.gcount()));
  bool shell = text.starts_with("#!/bin/sh") || text.starts_with("#!/bin/bash") ||
               text.starts_with("#!/usr/bin/env sh") || text.starts_with("#!/usr/bin/env bash");
  if (!shell || text.size() == buf.size()) return path;
  auto shebang_end = text.find('\n');
  if (shebang_end == std::string_view::npos) return path;
  text.remove_prefix(shebang_end + 1);
  std::string_view command;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (!command.empty()) return path;  // more than one command: a real script
    command = line;
  }
  if (command.starts_with("exec ")) command.remove_prefix(5);
  constexpr std::string_view kArgs = " \"$@\"";
  if (!command.ends_with(kArgs)) return path;
  std::string binary(command.substr(0, command.size() - kArgs.size()));
  bool plain =
      binary.starts_with('/') && binary.find_first_of(" \t'\"$`\\;|&<>") == std::string::npos;
  if (!plain || binary == path || ::access(binary.c_str(), X_OK) != 0) return path;
  return binary;
}

Result<std::string> find_chromium(std::string_view configured) {
  std::vector<std::string> candidates;
  if (!configured.empty())
    candidates.emplace_back(configured);
  else {
    if (const char* env = std::getenv("SHOT_CHROMIUM"); env && *env) candidates.emplace_back(env);
    for (const char* p : {"/usr/lib/chromium/chromium", "/usr/bin/chromium",
                          "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
      candidates.emplace_back(p);
  }
  for (auto& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return launched_binary(c);
  if (!configured.empty())
    return fail(Errc::unavailable,
                "Chromium not found or not executable at " + std::string(configured), "chromium");
  return fail(Errc::unavailable,
              "Chromium not found: install Debian's `chromium` package or pass --chromium PATH",
              "chromium");
}

Result<std::string> chromium_version(const std::string& executable) {
  std::string cmd = "'" + executable + "' --version 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return fail(Errc::unavailable, "cannot run " + executable);
  std::array<char, 256> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), p))
    out += buf.data();
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  if (out.empty()) return fail(Errc::unavailable, executable + " --version printed nothing");
  return out;
}

std::int64_t process_group_rss_bytes(pid_t group) {
  if (group <= 0) return 0;
  std::int64_t total = 0;
  for (const auto& p : list_processes())
    if (p.group == group) total += process_rss_bytes(p.pid);
  return total;
}

namespace {

constexpr std::string_view kProfilePrefix = "shot-chromium-";

// Beside Chromium's SingletonLock, shot's own lock, naming the shot that made
// the profile: the headless shell takes no SingletonLock.
constexpr std::string_view kShotLock = "shot.lock";

// What a lock ("<host>-<pid>", a symlink like Chromium's SingletonLock) says
// of its owner.
enum class Lock { none, foreign, held, released };

Lock lock_owner(const std::filesystem::path& lock, std::string_view host) {
  std::error_code ec;
  std::string target = std::filesystem::read_symlink(lock, ec).string();
  if (ec) return Lock::none;
  auto dash = target.rfind('-');
  if (dash == std::string::npos || std::string_view(target).substr(0, dash) != host)
    return Lock::foreign;
  pid_t pid = 0;
  auto digits = std::string_view(target).substr(dash + 1);
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (err != std::errc() || end != digits.data() + digits.size() || pid <= 0) return Lock::foreign;
  return process_living(pid) ? Lock::held : Lock::released;
}

// Chromium's lock while it has one, else shot's.
Lock profile_lock(const std::filesystem::path& profile, std::string_view host) {
  Lock chromium = lock_owner(profile / "SingletonLock", host);
  return chromium != Lock::none ? chromium : lock_owner(profile / kShotLock, host);
}

std::string host_name() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return {};
  return host.data();
}

// Removes a profile and the directory of Chromium's singleton socket beside
// it (org.chromium.Chromium.*, which only a clean Chromium exit removes).
void remove_profile(const std::filesystem::path& profile, std::error_code& ec) {
  namespace fs = std::filesystem;
  auto socket = fs::read_symlink(profile / "SingletonSocket", ec).parent_path();
  if (!ec && socket.filename().string().starts_with("org.chromium.Chromium.") &&
      fs::equivalent(socket.parent_path(), profile.parent_path(), ec))
    fs::remove_all(socket, ec);
  fs::remove_all(profile, ec);
}

}  // namespace

int remove_abandoned_profiles(const std::filesystem::path& dir, int limit,
                              std::chrono::seconds unlocked_age) {
  namespace fs = std::filesystem;
  const std::string host = host_name();
  if (host.empty()) return 0;
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end && removed < limit;
       it.increment(ec)) {
    const fs::path& profile = it->path();
    if (!profile.filename().string().starts_with(kProfilePrefix)) continue;
    std::error_code stat_ec;
    if (!it->is_directory(stat_ec) || it->is_symlink(stat_ec)) continue;
    bool abandoned = false;
    switch (profile_lock(profile, host)) {
      case Lock::released:
        abandoned = true;
        break;
      case Lock::none: {
        auto written = fs::last_write_time(profile, stat_ec);
        abandoned = !stat_ec && fs::file_time_type::clock::now() - written > unlocked_age;
        break;
      }
      case Lock::foreign:  // another host's (a shared /tmp), or unreadable: not ours to judge
      case Lock::held:
        break;
    }
    if (!abandoned) continue;
    std::error_code rm_ec;
    remove_profile(profile, rm_ec);
    if (!rm_ec) ++removed;
  }
  return removed;
}

Result<ChromiumProcess> ChromiumProcess::launch(const ChromiumOptions& options) {
  auto exe = find_chromium(options.executable);
  if (!exe) return fail(exe.error());

  const auto temp = std::filesystem::temp_directory_path();
  if (int removed = remove_abandoned_profiles(temp))
    log::info("removed {} Chromium profile(s) left in {} by a shot that did not stop cleanly",
              removed, temp.string());
  std::string tmpl = (temp / (std::string(kProfilePrefix) + "XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    return fail(Errc::unavailable, "cannot create a Chromium profile directory");

  ChromiumProcess proc;
  proc.profile_ = tmpl;
  if (auto host = host_name(); !host.empty()) {
    std::error_code ec;  // without it the profile is judged by its age alone
    std::filesystem::create_symlink(host + "-" + std::to_string(::getpid()),
                                    proc.profile_ / kShotLock, ec);
  }
  auto flags = base_flags(options, proc.profile_);
  std::vector<char*> argv;
  argv.push_back(exe->data());
  for (auto& f : flags)
    argv.push_back(f.data());
  argv.push_back(nullptr);

  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return fail(Errc::unavailable, "pipe() failed");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return fail(Errc::unavailable, "pipe() failed");
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]})
      ::close(fd);
    return fail(Errc::unavailable, "fork() failed");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    // Chromium reads commands on fd 3 and writes replies on fd 4. Move the
    // pipe ends above 4 first so the dup2s cannot clobber each other.
    int in = ::fcntl(to_child[0], F_DUPFD, 10);
    int out = ::fcntl(from_child[1], F_DUPFD, 10);
    if (in < 0 || out < 0 || ::dup2(in, 3) < 0 || ::dup2(out, 4) < 0) ::_exit(127);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      if (!std::getenv("SHOT_CHROMIUM_STDERR")) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
    }
    ::close_range(5, ~0U, 0);
    // Chromium's processes (all inherit this) run as batch work: a waking one
    // does not preempt the running task, so they switch less, and shot's own
    // short tasks are not queued behind them. Measured: 8-17 % more shots/s on
    // one site, up to 13 % across sites (docs/performance.md).
    struct sched_param batch {};
    ::sched_setscheduler(0, SCHED_BATCH, &batch);  // best effort
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no window where the group is unset
  ::close(to_child[0]);
  ::close(from_child[1]);
  proc.pid_ = pid;
  proc.write_fd_ = to_child[1];
  proc.read_fd_ = from_child[0];
  return proc;
}

ChromiumProcess::ChromiumProcess(ChromiumProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      write_fd_(std::exchange(o.write_fd_, -1)),
      read_fd_(std::exchange(o.read_fd_, -1)),
      profile_(std::exchange(o.profile_, {})) {}

ChromiumProcess& ChromiumProcess::operator=(ChromiumProcess&& o) noexcept {
  if (this != &o) {
    terminate();
    pid_ = std::exchange(o.pid_, -1);
    write_fd_ = std::exchange(o.write_fd_, -1);
    read_fd_ = std::exchange(o.read_fd_, -1);
    profile_ = std::exchange(o.profile_, {});
  }
  return *this;
}

ChromiumProcess::~ChromiumProcess() {
  terminate();
}

void ChromiumProcess::terminate() {
  close_fd(write_fd_);
  close_fd(read_fd_);
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);  // the group: renderers, GPU and utility processes too
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (!profile_.empty()) {
    std::error_code ec;
    remove_profile(profile_, ec);
    profile_.clear();
  }
}

}  // namespace shot::browser
