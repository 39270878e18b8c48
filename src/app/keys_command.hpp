#pragma once

#include <iosfwd>
#include <string>

namespace shot::app {

// `shot keys new NAME`: the fresh key on the first line, the `NAME SHA256HEX`
// line for --api-keys-file on the second. Returns the exit code.
int run_keys_new(const std::string& name, std::ostream& out, std::ostream& err);

}  // namespace shot::app
