// No Chromium outlives shot, whichever way shot ends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <thread>

#include "browser/chromium_process.hpp"
#include "core/deadline.hpp"
#include "core/processes.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"

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

  // Starts `shot capture url` with its temporary files under tmp_; `chromium`
  // is its --chromium (empty: the default).
  pid_t start_shot(const std::string& url, const std::string& chromium = "") {
    std::vector<std::string> args = {SHOT_BINARY,   "capture", url, "-o",
                                     tmp_ + "/out", "--tabs",  "1"};
    if (!chromium.empty()) args.insert(args.end(), {"--chromium", chromium});
    std::vector<char*> argv;  // made before fork: the child only calls exec
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("TMPDIR", tmp_.c_str(), 1);
      ::execv(SHOT_BINARY, argv.data());
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

  // Starts shot on a page that never finishes, sends it `signal` once its
  // browser runs, and reaps it.
  void signal_shot_mid_capture(int signal, const std::string& chromium = "") {
    pid_t pid = start_shot(server_.url("/slow"), chromium);
    ASSERT_TRUE(wait_for_chromium());
    ::kill(pid, signal);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  }

  // SIGKILL of shot mid-capture: its browser goes too, and the next shot removes
  // the profile the killed one could not.
  void expect_sigkill_takes_chromium_down(const std::string& chromium = "") {
    ASSERT_NO_FATAL_FAILURE(signal_shot_mid_capture(SIGKILL, chromium));
    // The browser dies with its parent (PR_SET_PDEATHSIG); its children follow it.
    EXPECT_TRUE(wait_until_gone(tmp_ + "/shot-chromium-", Millis(10000)));

    ASSERT_TRUE(profile_dirs_left());
    int status = 0;
    pid_t next = start_shot(server_.url("/"), chromium);
    ASSERT_EQ(::waitpid(next, &status, 0), next);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_FALSE(profile_dirs_left());
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
  ASSERT_NO_FATAL_FAILURE(signal_shot_mid_capture(SIGTERM));
  EXPECT_TRUE(wait_until_gone(tmp_ + "/shot-chromium-", Millis(5000)));
  EXPECT_FALSE(profile_dirs_left());
}

TEST_F(ProcessTest, SigkillOfShotTakesChromiumDown) {
  expect_sigkill_takes_chromium_down();
}

// Debian's chromium-headless-shell is a script that runs the browser without
// `exec`: shot runs the browser itself, so it still dies with shot.
constexpr const char* kHeadlessShell = "/usr/bin/chromium-headless-shell";

TEST_F(ProcessTest, TheHeadlessShellThroughItsLauncherCapturesAndDiesWithShot) {
  int status = 0;
  pid_t first = start_shot(server_.url("/"), kHeadlessShell);
  ASSERT_EQ(::waitpid(first, &status, 0), first);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(tmp_ + "/out/127.0.0.1_" + std::to_string(server_.port()) + ".png",
                   std::ios::binary);
  auto picture = testing::decode_picture(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_TRUE(picture);
  EXPECT_EQ(picture->width, 1280);
  EXPECT_TRUE(testing::near(picture->at(640, 400), 0, 255, 0));
  EXPECT_FALSE(profile_dirs_left());

  expect_sigkill_takes_chromium_down(kHeadlessShell);
}

// What runs for a launcher script: the one binary it starts, else the script.
class LauncherTest : public ProcessTest {
 protected:
  std::string script(const std::string& name, const std::string& text, bool executable = true) {
    auto path = tmp_ + "/" + name;
    std::ofstream(path) << text;
    fs::permissions(path, executable ? fs::perms::owner_all : fs::perms::owner_read);
    return path;
  }
};

TEST_F(LauncherTest, AOneCommandScriptIsReplacedByItsBinary) {
  auto binary = script("browser", "#!/bin/sh\necho\n");
  EXPECT_EQ(browser::launched_binary(script("a", "#!/bin/sh -e\n" + binary + " \"$@\"\n")), binary);
  EXPECT_EQ(browser::launched_binary(
                script("b", "#!/bin/bash\n# a comment\n\n  exec " + binary + " \"$@\"  \n")),
            binary);
  EXPECT_EQ(browser::find_chromium(script("c", "#!/bin/sh\n" + binary + " \"$@\"\n")).value(),
            binary);
}

TEST_F(LauncherTest, AnythingElseRunsAsItIs) {
  auto binary = script("browser", "#!/bin/sh\necho\n");
  for (const std::string& text : std::vector<std::string>{
           "#!/bin/sh\nexport A=1\n" + binary + " \"$@\"\n",  // more than one command
           "#!/bin/sh\n" + binary + "\n",                     // drops the arguments
           "#!/bin/sh\n" + binary + " --flag \"$@\"\n",       // adds its own
           "#!/bin/sh\nbrowser \"$@\"\n",                     // a relative name
           "#!/bin/sh\n$HOME/browser \"$@\"\n",               // expands something
           "#!/usr/bin/python3\n" + binary + " \"$@\"\n",     // not a shell
           "#!/bin/sh\n" + tmp_ + "/missing \"$@\"\n",        // nothing to run
       }) {
    auto path = script("launcher", text);
    EXPECT_EQ(browser::launched_binary(path), path) << text;
  }
  auto not_executable = script("plain", "#!/bin/sh\necho\n", false);
  auto path = script("launcher", "#!/bin/sh\n" + not_executable + " \"$@\"\n");
  EXPECT_EQ(browser::launched_binary(path), path);
  EXPECT_EQ(browser::launched_binary("/usr/lib/chromium/chromium"), "/usr/lib/chromium/chromium");
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

// The headless shell takes no SingletonLock: shot's own lock names the shot
// that made the profile, and Chromium's, when there is one, comes first.
TEST_F(AbandonedProfileTest, ShotsOwnLockStandsInForChromiums) {
  auto shot_gone = profile("shot-chromium-gone");
  fs::create_symlink(host() + "-" + std::to_string(gone_pid()), shot_gone / "shot.lock");
  auto shot_living = profile("shot-chromium-shot");
  fs::create_symlink(host() + "-" + std::to_string(::getpid()), shot_living / "shot.lock");
  auto chromium_living = profile("shot-chromium-both", host() + "-" + std::to_string(::getpid()));
  fs::create_symlink(host() + "-" + std::to_string(gone_pid()), chromium_living / "shot.lock");

  EXPECT_EQ(browser::remove_abandoned_profiles(tmp_), 1);
  EXPECT_FALSE(fs::exists(shot_gone));
  EXPECT_TRUE(fs::exists(shot_living / "Default"));
  EXPECT_TRUE(fs::exists(chromium_living / "Default"));
}

}  // namespace
}  // namespace shot
