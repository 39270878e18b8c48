// The shot binary as a user runs it: help, version, and one clear line on
// stderr (with a non-zero exit) when Chromium or a directory is unusable.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Outcome run_shot(const std::vector<std::string>& args, const std::string& scratch) {
  std::string out = scratch + "/stdout", err = scratch + "/stderr";
  pid_t pid = ::fork();
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<std::string> argv = {SHOT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c;
    for (auto& a : argv)
      c.push_back(a.data());
    c.push_back(nullptr);
    ::execv(c[0], c.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class CliTest : public ::testing::Test {
 protected:
  Outcome run(const std::vector<std::string>& args) {
    return run_shot(args, scratch_.path().string());
  }
  TempDir scratch_;
  TempDir data_;
};

TEST_F(CliTest, HelpListsTheCommands) {
  auto r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (auto* command :
       {"serve", "api", "worker", "capture", "crawl", "submit", "keys", "version", "openapi"})
    EXPECT_NE(r.out.find(std::string("  ") + command), std::string::npos) << command << r.out;
}

TEST_F(CliTest, EveryCommandHelpsAndEveryFlagIsDescribed) {
  for (auto* command :
       {"serve", "api", "worker", "capture", "crawl", "submit", "version", "openapi"}) {
    auto r = run({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command << r.err;
    // CLI11 writes a flag's description from column 30 of its line, or on
    // the next line, indented, when the flag's own text is longer.
    std::istringstream in(r.out);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);)
      all.push_back(line);
    for (std::size_t i = 0; i < all.size(); ++i) {
      std::string line = all[i].substr(0, all[i].find_last_not_of(' ') + 1);
      if (!line.starts_with("  -")) continue;
      bool described_here = line.size() > 31;
      bool described_next = i + 1 < all.size() && all[i + 1].starts_with("          ") &&
                            all[i + 1].find_first_not_of(' ') != std::string::npos;
      EXPECT_TRUE(described_here || described_next) << command << ": " << line;
    }
  }
}

TEST_F(CliTest, VersionNamesShotAndTheChromiumFound) {
  auto r = run({"version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("shot ")) << r.out;
  EXPECT_NE(r.out.find("\nChromium "), std::string::npos) << r.out;
  auto missing = run({"version", "--chromium", "/nonexistent"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(lines(missing.err), 1u) << missing.err;
}

// One line on stderr naming what is wrong, a non-zero exit, nothing else.
void expect_one_clear_line(const Outcome& r, std::string_view mentions) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
}

TEST_F(CliTest, MissingChromiumIsOneClearLine) {
  for (auto* command : {"serve", "worker"})
    expect_one_clear_line(run({command, "--chromium", "/nonexistent", "--data-dir",
                               data_.path().string(), "--listen", "127.0.0.1:0"}),
                          "/nonexistent");
  expect_one_clear_line(run({"capture", "http://127.0.0.1:9/", "--chromium", "/nonexistent", "-o",
                             data_.path().string()}),
                        "/nonexistent");
}

TEST_F(CliTest, UnusableDataDirIsOneClearLine) {
  std::string file = data_.path().string() + "/a-file";
  std::ofstream(file) << "x";
  for (auto* command : {"serve", "worker"}) {
    expect_one_clear_line(run({command, "--data-dir", file, "--listen", "127.0.0.1:0"}),
                          "--data-dir");
    // Not writable even by root.
    expect_one_clear_line(run({command, "--data-dir", "/proc", "--listen", "127.0.0.1:0"}),
                          "--data-dir /proc");
  }
  expect_one_clear_line(run({"capture", "http://127.0.0.1:9/", "-o", file}), "--out");
  expect_one_clear_line(run({"capture", "http://127.0.0.1:9/", "-o", "/proc"}), "--out /proc");
}

}  // namespace
}  // namespace shot::testing
