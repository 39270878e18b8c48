#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "app/capture_command.hpp"
#include "browser/chromium_process.hpp"
#include "capture/options.hpp"
#include "core/log.hpp"

namespace shot::app {
namespace {

std::string dashed(std::string_view name) {
  std::string s(name);
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

// Capture options as flags named after them (--full-page, --device-scale-factor 2),
// collected as JSON so the API's validation applies to the CLI too.
class OptionFlags {
 public:
  void add_to(CLI::App& cmd) {
    for (auto& spec : capture::option_specs()) {
      std::string flag = "--" + dashed(spec.name);
      std::string help(spec.help);
      switch (spec.type) {
        case capture::OptionType::boolean:
          cmd.add_flag(flag + ",!--no-" + dashed(spec.name), bools_[std::string(spec.name)], help);
          break;
        case capture::OptionType::string_list:
          cmd.add_option(flag, lists_[std::string(spec.name)], help + " (repeatable)");
          break;
        case capture::OptionType::object:
          cmd.add_option(flag, values_[std::string(spec.name)], help + " (as JSON)");
          break;
        default:
          cmd.add_option(flag, values_[std::string(spec.name)], help);
      }
    }
  }

  // Flags given on the command line, as the JSON options object.
  Result<json::object> collect(CLI::App& cmd) const {
    json::object o;
    for (auto& spec : capture::option_specs()) {
      std::string name(spec.name);
      if (cmd.count("--" + dashed(name)) == 0 &&
          (spec.type != capture::OptionType::boolean || cmd.count("--no-" + dashed(name)) == 0))
        continue;
      switch (spec.type) {
        case capture::OptionType::boolean:
          o[name] = bools_.at(name);
          break;
        case capture::OptionType::string_list: {
          json::array a;
          for (auto& v : lists_.at(name))
            a.emplace_back(json::string(v));
          o[name] = std::move(a);
          break;
        }
        case capture::OptionType::integer:
        case capture::OptionType::number:
        case capture::OptionType::object: {
          auto v = parse_json(values_.at(name));
          if (!v) return fail(Errc::invalid_argument, "--" + dashed(name) + ": not a valid value");
          o[name] = std::move(*v);
          break;
        }
        default:
          o[name] = values_.at(name);
      }
    }
    return o;
  }

 private:
  std::map<std::string, bool> bools_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, std::string> values_;
};

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"shot: pictures of web pages"};
  app.require_subcommand(1);
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version and the Chromium found");
  std::string version_chromium;
  version->add_option("--chromium", version_chromium, "Chromium binary");
  version->callback([&] {
    std::cout << "shot 0.1.0\n";
    auto exe = browser::find_chromium(version_chromium);
    auto v = exe ? browser::chromium_version(*exe) : Result<std::string>(fail(exe.error()));
    if (v) {
      std::cout << v.value() << " (" << *exe << ")\n";
    } else {
      std::cerr << "shot: " << v.error().message << "\n";
      exit_code = 1;
    }
  });

  auto* capture = app.add_subcommand("capture", "Capture URLs to files, without a server");
  CaptureCommand cc;
  OptionFlags flags;
  capture->add_option("urls", cc.urls, "URLs to capture");
  capture->add_option("--urls-file", cc.urls_file, "a file of URLs, one a line (# comments)");
  capture->add_option("-o,--out", cc.out_dir, "output directory")->capture_default_str();
  capture->add_option("--tabs", cc.tabs, "concurrent captures (default: one per core, at least 2)");
  capture->add_option("--chromium", cc.chromium, "Chromium binary (default: Debian's)");
  capture->add_option("--report", cc.report,
                      "write a JSON summary (throughput, latency) to this file");
  flags.add_to(*capture);
  capture->callback([&] {
    auto o = flags.collect(*capture);
    if (!o) {
      std::cerr << "shot capture: " << o.error().message << "\n";
      exit_code = 2;
      return;
    }
    cc.options = std::move(*o);
    log::setup(log::Format::text, spdlog::level::warn);
    exit_code = run_capture(cc);
  });

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}

}  // namespace shot::app
