#pragma once
// The machine's processes, as /proc lists them: for measuring and tests.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace shot {

struct ProcessEntry {
  pid_t pid = 0;
  pid_t group = 0;   // process group
  char state = '?';  // 'Z' for a zombie, whose memory is already gone
  bool living() const { return state != 'Z'; }
};

// Every process that /proc lists now; one that exits while it is read is left out.
std::vector<ProcessEntry> list_processes();

// Whether process `pid` exists and has not exited (a zombie has).
bool process_living(pid_t pid);

// A process's command line, its arguments separated by NULs; empty once it is gone.
std::string process_cmdline(pid_t pid);

// A process's resident memory in bytes; 0 once it is gone.
std::int64_t process_rss_bytes(pid_t pid);

}  // namespace shot
