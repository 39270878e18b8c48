// No Chromium outlives shot, whichever way shot ends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <thread>

#include "browser/chromium_process.hpp"
#include "core/deadline.hpp"
#include "core/processes.hpp"
#include "support/page_server.hpp"

namespace shot {
namespace {

namespace fs = std::filesystem;

// Living processes whose command line mentions `needle` (their profile directory).
std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& p : list_processes())
    if (p.living() && process_cmdline(p.pid).find(needle) != std::string::npos)
      out.push_back(p.pid);
  return out;
}

bool wait_until_gone(const std::string& needle, Millis limit) {
  auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (processes_mentioning(needle).empty()) return true;
    std::this_thread::sleep_for(Millis(50));
  }
  return processes_mentioning(needle).empty();
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shot-proc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    server_.route("/slow", [](const testing::Request&) {
      return testing::Response{.body = testing::solid_page("#00ff00"), .delay_ms = 20000};
    });
    server_.page("/", testing::solid_page("#00ff00"));
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Starts `shot capture url` with its temporary files under tmp_.
  pid_t start_shot(const std::string& url) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("TMPDIR", tmp_.c_str(), 1);
      std::string out = tmp_ + "/out";
      ::execl(SHOT_BINARY, SHOT_BINARY, "capture", url.c_str(), "-o", out.c_str(), "--tabs", "1",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }

  // Waits until shot's Chromium is loading the slow page (mid-capture).
  bool wait_for_chromium() {
    auto until = Clock::now() + Millis(15000);
    while (Clock::now() < until) {
      if (server_.hits("/slow") > 0 && !processes_mentioning(tmp_ + "/shot-chromium-").empty())
        return true;
      std::this_thread::sleep_for(Millis(50));
    }
    return false;
  }

  // Chromium's profiles, or the directories of its singleton sockets.
  bool profile_dirs_left() const {
    for (auto& e : fs::directory_iterator(tmp_)) {
      auto name = e.path().filename().string();
      if (name.starts_with("shot-chromium-") || name.starts_with("org.chromium.Chromium."))
        return true;
    }
    return false;
  }

  std::string tmp_;
  testing::PageServer server_;
};

TEST_F(ProcessTest, NormalExitLeavesNoChromium) {
  pid_t pid = start_shot(server_.url("/"));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(tmp_ + "/out/127.0.0.1_" + std::to_string(server_.port()) + ".png"));
  EXPECT_TRUE(wait_until_gone(tmp_ + "/shot-chromium-", Millis(5000)));
  EXPECT_FALSE(profile_dirs_left());
}

TEST_F(ProcessTest, SigtermLeavesNoChromium) {
  pid_t pid = start_shot(server_.url("/slow"));
  ASSERT_TRUE(wait_for_chromium());
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(wait_until_gone(tmp_ + "/shot-chromium-", Millis(5000)));
  EXPECT_FALSE(profile_dirs_left());
}

TEST_F(ProcessTest, SigkillOfShotTakesChromiumDown) {
  pid_t pid = start_shot(server_.url("/slow"));
  ASSERT_TRUE(wait_for_chromium());
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  // The browser dies with its parent (PR_SET_PDEATHSIG); its children follow it.
  EXPECT_TRUE(wait_until_gone(tmp_ + "/shot-chromium-", Millis(10000)));

  // A killed shot cannot remove its profile; the next one to start a browser
  // in the same temporary directory does.
  ASSERT_TRUE(profile_dirs_left());
  pid_t next = start_shot(server_.url("/"));
  ASSERT_EQ(::waitpid(next, &status, 0), next);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(profile_dirs_left());
}

// Which profiles the sweep takes: only those no running Chromium owns.
class AbandonedProfileTest : public ProcessTest {
 protected:
  fs::path profile(const std::string& name, const std::string& lock_target = "") {
    fs::path p = fs::path(tmp_) / name;
    fs::create_directories(p / "Default");
    if (!lock_target.empty()) fs::create_symlink(lock_target, p / "SingletonLock");
    return p;
  }
  static std::string host() {
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    return h;
  }
  // A PID that no process has: a child that has exited and been reaped.
  static pid_t gone_pid() {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
  }
};

TEST_F(AbandonedProfileTest, RemovesOnlyProfilesNoLivingChromiumOwns) {
  auto dead = profile("shot-chromium-dead", host() + "-" + std::to_string(gone_pid()));
  auto living = profile("shot-chromium-live", host() + "-" + std::to_string(::getpid()));
  auto other_host = profile("shot-chromium-away", "another-host-" + std::to_string(gone_pid()));
  auto new_unlocked = profile("shot-chromium-new");
  auto old_unlocked = profile("shot-chromium-old");
  fs::last_write_time(old_unlocked, fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto not_ours = profile("other-dead", host() + "-" + std::to_string(gone_pid()));

  // A backlog goes a few at a time.
  EXPECT_EQ(browser::remove_abandoned_profiles(tmp_, 1), 1);
  EXPECT_NE(fs::exists(dead), fs::exists(old_unlocked));
  EXPECT_EQ(browser::remove_abandoned_profiles(tmp_), 1);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(old_unlocked));
  EXPECT_TRUE(fs::exists(living / "Default"));
  EXPECT_TRUE(fs::exists(other_host / "Default"));
  EXPECT_TRUE(fs::exists(new_unlocked / "Default"));
  EXPECT_TRUE(fs::exists(not_ours / "Default"));
}

}  // namespace
}  // namespace shot
