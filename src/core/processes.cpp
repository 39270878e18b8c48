#include "core/processes.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

namespace shot {

namespace {

// Empty when the file cannot be read. A process that exits between open and
// read makes read() fail with ESRCH, which libstdc++'s filebuf reports by
// throwing whatever the stream's exception mask says.
std::string read_all(const std::filesystem::path& path) {
  try {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  } catch (const std::ios_base::failure&) {
    return {};
  }
}

std::filesystem::path proc_dir(pid_t pid) {
  return std::filesystem::path("/proc") / std::to_string(pid);
}

// One process's entry from /proc/PID/stat; none once it is gone.
std::optional<ProcessEntry> read_process(pid_t pid) {
  std::string stat = read_all(proc_dir(pid) / "stat");
  auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  ProcessEntry p;
  long ppid = 0, group = 0;
  if (!(fields >> p.state >> ppid >> group)) return std::nullopt;
  p.pid = pid;
  p.group = static_cast<pid_t>(group);
  return p;
}

}  // namespace

std::vector<ProcessEntry> list_processes() {
  std::vector<ProcessEntry> out;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto p = read_process(static_cast<pid_t>(std::stol(name)))) out.push_back(*p);
  }
  return out;
}

bool process_living(pid_t pid) {
  auto p = pid > 0 ? read_process(pid) : std::nullopt;
  return p && p->living();
}

std::string process_cmdline(pid_t pid) {
  return read_all(proc_dir(pid) / "cmdline");
}

std::int64_t process_rss_bytes(pid_t pid) {
  std::istringstream status(read_all(proc_dir(pid) / "status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

}  // namespace shot
