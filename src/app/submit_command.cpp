#include "app/submit_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "app/capture_command.hpp"
#include "net/egress_policy.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"

namespace shot::app {
namespace {

struct Lines {
  std::vector<std::string> urls;
  std::vector<std::string> errors;  // "line N: why"
};

Lines read_lines(std::istream& in) {
  Lines out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    auto e = line.find_last_not_of(" \t\r");
    std::string url = line.substr(b, e - b + 1);
    if (auto ok = net::parse_target_url(url); !ok)
      out.errors.push_back("line " + std::to_string(n) + ": " + ok.error().message + ": " + url);
    else
      out.urls.push_back(url);
  }
  return out;
}

}  // namespace

int run_submit(const SubmitCommand& c) {
  Lines lines;
  if (c.file == "-") {
    lines = read_lines(std::cin);
  } else {
    std::ifstream in(c.file);
    if (!in) {
      std::cerr << "shot submit: cannot read " << c.file << "\n";
      return 2;
    }
    lines = read_lines(in);
  }
  for (auto& e : lines.errors)
    std::cerr << "invalid URL, " << e << "\n";
  if (lines.urls.empty()) {
    std::cerr << "shot submit: no valid URLs to submit\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(c.out_dir, ec);

  // The operator's own server, often on loopback: private addresses are fine here.
  auto policy = net::EgressPolicy::create({.allow_private = true});
  auto client = net::make_curl_http_client(*policy);
  auto request = [&](std::string method, std::string path, std::string body = {}) {
    net::HttpRequest r;
    r.method = std::move(method);
    r.url = c.server + path;
    r.body = std::move(body);
    r.timeout = Millis(30'000);
    r.max_response_bytes = 512u << 20;
    if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    if (!c.api_key.empty()) r.headers.emplace_back("Authorization", "Bearer " + c.api_key);
    return client->fetch(r);
  };

  json::object body;
  json::array urls;
  for (auto& u : lines.urls)
    urls.emplace_back(json::string(u));
  body["urls"] = std::move(urls);
  if (!c.options.empty()) body["options"] = c.options;
  auto created = request("POST", "/v1/jobs", json::serialize(body));
  if (!created) {
    std::cerr << "shot submit: " << c.server << ": " << created.error().message << "\n";
    return 1;
  }
  auto reply = parse_json(created->body);
  if (created->status != 202 || !reply || !reply->is_object()) {
    std::cerr << "shot submit: the server answered " << created->status << ": " << created->body
              << "\n";
    return 1;
  }
  std::string id(json_string(reply->as_object(), "id"));
  std::cerr << "job " << id << ": " << lines.urls.size() << " URLs\n";

  const bool tty = ::isatty(STDERR_FILENO);
  json::object job;
  for (;;) {
    auto got = request("GET", "/v1/jobs/" + id);
    if (!got || got->status != 200) {
      std::cerr << "\nshot submit: lost the job: " << (got ? got->body : got.error().message)
                << "\n";
      return 1;
    }
    auto parsed = parse_json(got->body);
    if (!parsed || !parsed->is_object()) return 1;
    job = parsed->as_object();
    auto* progress = json_object(job, "progress");
    if (tty && progress)
      std::cerr << "\r" << json_int(*progress, "succeeded") + json_int(*progress, "failed") << "/"
                << json_int(*progress, "total") << " done (" << json_int(*progress, "failed")
                << " failed)" << std::flush;
    auto state = json_string(job, "state");
    if (state == "succeeded" || state == "failed" || state == "partial" || state == "canceled")
      break;
    std::this_thread::sleep_for(Millis(500));
  }
  if (tty) std::cerr << "\n";

  int saved = 0, failed = 0;
  std::set<std::string> taken;
  if (auto* items = job.if_contains("items"); items && items->is_array()) {
    for (auto& v : items->get_array()) {
      auto& item = v.as_object();
      std::string url(json_string(item, "url"));
      if (json_string(item, "state") != "succeeded") {
        ++failed;
        auto* err = json_object(item, "error");
        std::cerr << "FAILED " << url << ": "
                  << (err ? json_string(*err, "message") : "not captured") << "\n";
        continue;
      }
      auto ct = json_string(item, "content_type");
      std::string ext = ct == "image/jpeg"        ? "jpg"
                        : ct == "image/webp"      ? "webp"
                        : ct == "application/pdf" ? "pdf"
                                                  : "png";
      std::string name = file_name_for(url, ext);
      for (int n = 2; taken.contains(name); ++n)
        name = name.substr(0, name.rfind('.')) + "-" + std::to_string(n) + "." + ext;
      taken.insert(name);
      auto picture = request("GET", std::string(json_string(item, "result_url")));
      if (!picture || picture->status != 200) {
        ++failed;
        std::cerr << "FAILED " << url << ": download failed\n";
        continue;
      }
      std::ofstream(std::filesystem::path(c.out_dir) / name, std::ios::binary) << picture->body;
      ++saved;
    }
  }
  std::cout << saved << " saved, " << failed << " failed, " << lines.errors.size()
            << " invalid lines -> " << c.out_dir << "\n";
  return failed || !lines.errors.empty() ? 1 : 0;
}

}  // namespace shot::app
