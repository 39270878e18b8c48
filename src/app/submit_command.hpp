#pragma once

#include <string>

#include "core/json.hpp"

namespace shot::app {

struct SubmitCommand {
  std::string file;  // "-" for stdin
  std::string server = "http://127.0.0.1:8080";
  std::string out_dir = ".";
  std::string api_key;
  json::object options;
};

// The dispatcher: submits the file's URLs as one job, follows it, downloads
// every picture; returns the exit code (non-zero when anything failed).
int run_submit(const SubmitCommand& command);

}  // namespace shot::app
