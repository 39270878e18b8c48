#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace shot::app {

// A directory the command writes to (`flag` names it): created if missing,
// then probed with a write; the error is one line naming the flag and the path.
Result<void> check_writable_dir(const std::string& dir, std::string_view flag);

// Parses the command line and runs the chosen subcommand; returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace shot::app
