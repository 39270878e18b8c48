#pragma once
// GET /metrics in the Prometheus text format: the server's own counters plus
// whatever families the application adds (queue, captures, browser, ...).

#include <functional>
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

std::string render_prometheus(const std::vector<MetricFamily>& families);

// The server's families: requests by route and status, latency histogram, connections.
std::vector<MetricFamily> server_metrics(const ServerStats& stats);

using MetricsCollector = std::function<Task<std::vector<MetricFamily>>()>;

void add_metrics_route(Router& router, const Server& server, MetricsCollector collect);

}  // namespace shot::http
