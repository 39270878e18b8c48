#include "http/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace shot::http {
namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Label values escape backslash, quote and newline (the text format's rules).
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void add_histogram(MetricFamily& f, const std::string& labels, std::span<const double> bounds,
                   std::span<const std::uint64_t> counts, double sum, std::uint64_t count,
                   double scale) {
  std::string sep = labels.empty() ? "" : labels + ",";
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  double cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += static_cast<double>(counts[i]);
    f.samples.emplace_back("_bucket{" + sep + "le=\"" + number(bounds[i] * scale) + "\"}",
                           cumulative);
  }
  cumulative += static_cast<double>(counts[bounds.size()]);
  f.samples.emplace_back("_bucket{" + sep + "le=\"+Inf\"}", cumulative);
  f.samples.emplace_back("_sum" + braces, sum * scale);
  f.samples.emplace_back("_count" + braces, static_cast<double>(count));
}

std::string render_prometheus(const std::vector<MetricFamily>& families) {
  std::string out;
  for (auto& f : families) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " " + f.type + "\n";
    for (auto& [labels, value] : f.samples) {
      std::string name = f.name;
      // Histogram samples carry their suffix in front of the labels: "_bucket{le=...}".
      std::string_view l = labels;
      if (l.starts_with("_")) {
        auto brace = l.find('{');
        name += std::string(l.substr(0, brace));
        l = brace == std::string_view::npos ? std::string_view() : l.substr(brace);
        out += name + std::string(l) + " " + number(value) + "\n";
        continue;
      }
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(value) + "\n";
    }
  }
  return out;
}

std::vector<MetricFamily> server_metrics(const ServerStats& stats) {
  std::vector<MetricFamily> out;
  MetricFamily requests{
      "shot_http_requests_total", "HTTP requests by route and status.", "counter", {}};
  for (auto& [key, count] : stats.requests)
    requests.samples.emplace_back(
        "route=\"" + label_value(key.first) + "\",status=\"" + std::to_string(key.second) + "\"",
        static_cast<double>(count));
  out.push_back(std::move(requests));

  MetricFamily latency{
      "shot_http_request_duration_seconds", "HTTP request latency.", "histogram", {}};
  add_histogram(latency, "", stats.latency.kBoundsMs, stats.latency.counts, stats.latency.sum_ms,
                stats.latency.count, 1.0 / 1000);
  out.push_back(std::move(latency));

  out.push_back({"shot_http_connections_open",
                 "Open HTTP connections.",
                 "gauge",
                 {{"", static_cast<double>(stats.connections_open)}}});
  out.push_back({"shot_http_connections_accepted_total",
                 "HTTP connections accepted.",
                 "counter",
                 {{"", static_cast<double>(stats.connections_accepted)}}});
  return out;
}

void add_metrics_route(Router& router, const Server& server, MetricsCollector collect) {
  router.add("GET", "/metrics", [&server, collect](Request&) -> Task<Response> {
    auto families = server_metrics(server.stats());
    if (collect) {
      auto more = co_await collect();
      for (auto& f : more)
        families.push_back(std::move(f));
    }
    co_return text_response(200, render_prometheus(families),
                            "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace shot::http
