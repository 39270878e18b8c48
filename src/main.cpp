#include "app/cli.hpp"

int main(int argc, char** argv) {
  return shot::app::run_cli(argc, argv);
}
