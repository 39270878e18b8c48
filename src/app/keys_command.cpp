#include "app/keys_command.hpp"

#include <ostream>

#include "http/access.hpp"

namespace shot::app {

int run_keys_new(const std::string& name, std::ostream& out, std::ostream& err) {
  auto key = http::make_key(name);
  if (!key) {
    err << "shot keys new: " << key.error().message << "\n";
    return 2;
  }
  // Only the second line goes to the server; the first is shown once, here.
  out << key->key << "\n" << key->line << "\n";
  return 0;
}

}  // namespace shot::app
