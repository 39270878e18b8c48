#pragma once
// GET /metrics in the Prometheus text format: the server's own counters plus
// whatever families the application adds (queue, captures, browser, ...).

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "http/server.hpp"

namespace shot::http {

struct MetricFamily {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, histogram
  // Label set as written between braces (`state="ok"`, or empty) and value.
  std::vector<std::pair<std::string, double>> samples;
};

// Adds one histogram's samples to `f` (type histogram): `labels` (`phase="x"`
// or empty), bucket upper bounds times `scale` as `le`, per-bucket counts (not
// cumulative; the last one above every bound), sum (times `scale`) and count.
void add_histogram(MetricFamily& f, const std::string& labels, std::span<const double> bounds,
                   std::span<const std::uint64_t> counts, double sum, std::uint64_t count,
                   double scale = 1);

std::string render_prometheus(const std::vector<MetricFamily>& families);

// The server's families: requests by route and status, latency histogram, connections.
std::vector<MetricFamily> server_metrics(const ServerStats& stats);

using MetricsCollector = std::function<Task<std::vector<MetricFamily>>()>;

void add_metrics_route(Router& router, const Server& server, MetricsCollector collect);

}  // namespace shot::http
