#pragma once
// The Chromium process, owned by one move-only RAII value: its own process
// group (killed as a group), dies with its parent (PR_SET_PDEATHSIG), a
// temporary profile directory removed on destruction.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace shot::browser {

struct ChromiumOptions {
  std::string executable;               // empty: find Debian's Chromium
  std::vector<std::string> extra_args;  // appended after shot's own flags
  std::string proxy_server;             // e.g. "http://127.0.0.1:PORT"; empty: direct
  int window_width = 1280;
  int window_height = 800;
  // Chromium keeps one warm renderer for the browser context that navigated
  // last and discards it when another context navigates. With one context
  // that saves starting a renderer for a new site; with several, taking
  // turns, it starts one per navigation for nothing. Only with a renderer
  // per site: otherwise a tab keeps the renderer it has.
  bool spare_renderer = true;
  // One renderer per site, as Chrome does (site isolation). When false, a
  // browser context's renderer serves every site it navigates to, so a
  // reused tab starts no renderer for a new site; what one capture may not
  // see of another is kept apart by browser contexts and the reset, not by
  // processes (docs/security.md).
  bool renderer_per_site = false;
};

// The Chromium binary to run: `configured` if set, else SHOT_CHROMIUM, else
// Debian's /usr/lib/chromium/chromium (the /usr/bin wrapper adds nothing we want).
// A launcher script that only runs one binary with its arguments (Debian's
// /usr/bin/chromium-headless-shell) is replaced by that binary: run through a
// shell that does not `exec`, the browser would not be shot's child, so it
// would neither die with shot nor be the process shot watches and kills.
Result<std::string> find_chromium(std::string_view configured);

// The binary a one-line launcher script runs (`#!/bin/sh` and one command line
// `[exec] /abs/path "$@"`), or `path` itself when it is anything else.
std::string launched_binary(const std::string& path);

// The version line Chromium prints (`Chromium 156.0...`), or an error.
Result<std::string> chromium_version(const std::string& executable);

// Resident memory (VmRSS) of every process in process group `group`, in bytes:
// Chromium's browser, renderers, GPU and utility processes together.
std::int64_t process_group_rss_bytes(pid_t group);

// Removes the profile directories (`shot-chromium-*` in `dir`) that no running
// Chromium owns: left by a shot that was killed or crashed, which had no
// chance to remove its own. A profile is abandoned when its SingletonLock (or,
// without one, as with the headless shell, shot's own lock naming the shot that
// made it) names this host and a process that no longer exists, or when it has no lock
// and is older than `unlocked_age` (Chromium locks its profile as it starts).
// At most `limit` are removed, so a backlog costs a launch little: each launch
// removes some. Launching a browser does this for the temporary directory;
// returns how many were removed.
int remove_abandoned_profiles(const std::filesystem::path& dir, int limit = 8,
                              std::chrono::seconds unlocked_age = std::chrono::hours(1));

class ChromiumProcess {
 public:
  static Result<ChromiumProcess> launch(const ChromiumOptions& options);

  ChromiumProcess(ChromiumProcess&& other) noexcept;
  ChromiumProcess& operator=(ChromiumProcess&& other) noexcept;
  ChromiumProcess(const ChromiumProcess&) = delete;
  ChromiumProcess& operator=(const ChromiumProcess&) = delete;
  ~ChromiumProcess();

  pid_t pid() const { return pid_; }
  // The pipe ends, handed over once to the transport (which then owns them).
  int take_write_fd() { return std::exchange(write_fd_, -1); }
  int take_read_fd() { return std::exchange(read_fd_, -1); }
  const std::filesystem::path& profile_dir() const { return profile_; }

  // Kills the whole process group, reaps the process, removes the profile.
  void terminate();

 private:
  ChromiumProcess() = default;

  pid_t pid_ = -1;
  int write_fd_ = -1;
  int read_fd_ = -1;
  std::filesystem::path profile_;
};

}  // namespace shot::browser
