#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace shot::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"shot: screenshots of web pages"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version and the Chromium found");
  version->callback([] { std::cout << "shot 0.1.0\n"; });
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace shot::app
