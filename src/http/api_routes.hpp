#pragma once
// The routes of DESIGN §5: v1, the seed-compatible ones, health and the API description.

#include <functional>

#include "http/picture_cache.hpp"
#include "http/router.hpp"
#include "service/job_service.hpp"

namespace shot::service {
class ThumbnailService;
}  // namespace shot::service

namespace shot::http {

class AccessControl;

struct ApiContext {
  service::JobService& jobs;
  // Readiness of each dependency: name → error message (empty when fine).
  std::function<Task<std::vector<std::pair<std::string, std::string>>>()> readiness;
  std::size_t max_json_depth = 32;
  // API keys, rate limits, signed URLs for every /v1 route; null: open (http/access.hpp).
  AccessControl* access = nullptr;
  // POST /v1/thumbnails, GET /v1/thumbnail, /api/thumb; null: not served.
  service::ThumbnailService* thumbnails = nullptr;
  // Hot picture bytes served from memory (--picture-cache-mb); null: every
  // picture is read from its store.
  PictureCache* pictures = nullptr;
};

void add_api_routes(Router& router, ApiContext& context);
void add_seed_routes(Router& router, ApiContext& context);
// Thumbnail routes (thumbnail_routes.cpp); add_api_routes and add_seed_routes call them.
void add_thumbnail_routes(Router& router, ApiContext& context);
void add_thumbnail_seed_routes(Router& router, ApiContext& context);

// The answer to a job submission: 202 {id, state, status_url} with Location,
// or 200 with Idempotent-Replayed when an Idempotency-Key names an earlier job.
Response job_accepted(const service::Submitted& done);
// GET /healthz and /readyz alone (part of add_api_routes), for a worker node.
void add_health_routes(Router& router, ApiContext& context);

// A stored picture as the answer: from the hot pictures, from disk, a presigned
// redirect, or the bytes read off the I/O thread; ETag from its sha256, 304 on
// If-None-Match.
Task<Response> picture_response(ApiContext& ctx, std::string blob_key, std::string content_type,
                                std::string sha256, const Request& req, int max_age_s);

// The OpenAPI 3 description of every route and capture option.
json::object openapi_document();

// Capture options from query parameters (GET /v1/screenshot), typed by the
// options table; unknown parameters other than `reserved` are errors.
Result<json::object> options_from_query(
    const std::vector<std::pair<std::string, std::string>>& query,
    std::span<const std::string_view> reserved);

}  // namespace shot::http
