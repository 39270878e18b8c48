// Thumbnails over HTTP: POST /v1/thumbnails (JSON, a raw image body or a
// multipart upload), GET /v1/thumbnail (the image now), and the thumbnailer
// seed routes of DESIGN §5.2 (/api/health, /api/thumb).
#include <algorithm>
#include <charconv>

#include "core/base64.hpp"
#include "core/digest.hpp"
#include "http/access.hpp"
#include "http/api_routes.hpp"
#include "http/multipart.hpp"
#include "service/job_view.hpp"
#include "service/thumbnail_service.hpp"

namespace shot::http {
namespace {

using service::ThumbnailService;

constexpr std::string_view kIntegerFields[] = {"width", "height", "quality"};
constexpr std::string_view kStringFields[] = {"image_url", "fit",          "format",
                                              "email",     "callback_url", "url"};
// Fields of a job that mean nothing to the synchronous GET.
constexpr std::string_view kJobOnlyFields[] = {"image_url", "email", "callback_url"};
// Query parameters the access guard reads on a signed GET.
constexpr std::string_view kSignedGetParams[] = {"key", "signature", "expires"};

template <class List>
bool listed(const List& list, std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

// Text fields (query parameters, form fields) → the JSON a client would have sent.
Result<json::object> fields_to_json(const std::vector<std::pair<std::string, std::string>>& fields,
                                    std::string_view skip = "") {
  json::object o;
  for (auto& [name, value] : fields) {
    if (name == skip || listed(kSignedGetParams, name)) continue;
    if (listed(kIntegerFields, name)) {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size())
        return fail(Errc::invalid_argument, name + " must be an integer", name);
      o[name] = n;
    } else if (listed(kStringFields, name)) {
      o[name] = value;
    } else {
      return fail(Errc::invalid_argument, "unknown field \"" + name + "\"", name);
    }
  }
  return o;
}

Result<std::string> string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string())
    return fail(Errc::invalid_argument, std::string(key) + " must be a string", std::string(key));
  return std::string(v->get_string());
}

// The request fields, whichever way they came; unknown fields are refused.
Result<service::ThumbnailRequest> thumbnail_request(const json::object& body,
                                                    const service::ThumbnailLimits& limits) {
  constexpr std::string_view kKnown[] = {"image_url", "width",   "height", "fit",
                                         "format",    "quality", "email",  "callback_url"};
  for (auto& [key, value] : body)
    if (!listed(kKnown, key))
      return fail(Errc::invalid_argument, "unknown field \"" + std::string(key) + "\"",
                  std::string(key));
  service::ThumbnailRequest r;
  auto options = service::thumbnail_options_from_json(body, limits);
  if (!options) return fail(options.error());
  r.options = *options;
  for (auto [key, out] : {std::pair{"image_url", &r.image_url}, std::pair{"email", &r.email},
                          std::pair{"callback_url", &r.callback_url}}) {
    auto value = string_field(body, key);
    if (!value) return fail(value.error());
    *out = std::move(*value);
  }
  return r;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// JSON, a raw image body with the fields in the query, or a multipart form
// with a `file` part: one ThumbnailRequest.
Result<service::ThumbnailRequest> read_request(const Request& req, const ApiContext& ctx) {
  const auto& limits = ctx.thumbnails->limits();
  std::string_view type = req.header("Content-Type").value_or("");
  if (type.empty() || starts_with_ci(type, "application/json")) {
    auto v = parse_json(req.body, {.max_depth = ctx.max_json_depth});
    if (!v) return fail(Errc::invalid_argument, v.error().message, "body");
    if (!v->is_object())
      return fail(Errc::invalid_argument, "the body must be a JSON object", "body");
    return thumbnail_request(v->as_object(), limits);
  }
  if (starts_with_ci(type, "image/") || starts_with_ci(type, "application/octet-stream")) {
    auto fields = fields_to_json(req.query);
    if (!fields) return fail(fields.error());
    auto r = thumbnail_request(*fields, limits);
    if (r) r->upload = req.body;
    if (r && r->upload.empty())
      return fail(Errc::invalid_argument, "the body holds no image", "file");
    return r;
  }
  if (starts_with_ci(type, "multipart/form-data")) {
    auto parts = parse_multipart(req.body, multipart_boundary(type));
    if (!parts) return fail(parts.error());
    std::vector<std::pair<std::string, std::string>> fields;
    std::string file;
    bool has_file = false;
    for (auto& part : *parts) {
      if (part.name == "file") {
        if (has_file) return fail(Errc::invalid_argument, "one file per request", "file");
        has_file = true;
        file = std::move(part.body);
      } else {
        fields.emplace_back(part.name, std::move(part.body));
      }
    }
    auto json = fields_to_json(fields);
    if (!json) return fail(json.error());
    auto r = thumbnail_request(*json, limits);
    if (r) r->upload = std::move(file);
    if (r && has_file && r->upload.empty())
      return fail(Errc::invalid_argument, "the file part is empty", "file");
    return r;
  }
  return fail(Errc::unsupported_media,
              "Content-Type must be application/json, image/* or multipart/form-data",
              "Content-Type");
}

Task<Response> create_thumbnail_job(ApiContext& ctx, Request& req) {
  auto request = read_request(req, ctx);
  if (!request) co_return problem_from(request.error());
  if (auto key = req.header("Idempotency-Key")) {
    if (key->size() > 200)
      co_return problem(400, "Bad Request", "Idempotency-Key is too long", "Idempotency-Key");
    request->idempotency_key = *key;
    request->request_hash = sha256_hex(req.target + "\n" + req.body);
  }
  request->owner = req.principal;
  auto done = co_await ctx.thumbnails->submit(std::move(*request));
  if (!done) co_return problem_from(done.error());
  co_return job_accepted(*done);
}

Task<Response> thumbnail_now(ApiContext& ctx, Request& req) {
  auto url = req.query_param("url");
  if (!url || url->empty())
    co_return problem(400, "Bad Request", "the url parameter is required", "url");
  auto fields = fields_to_json(req.query, "url");
  if (!fields) co_return problem_from(fields.error());
  for (auto key : kJobOnlyFields)
    if (fields->contains(key))
      co_return problem(400, "Bad Request", "unknown field \"" + std::string(key) + "\"",
                        std::string(key));
  auto options = service::thumbnail_options_from_json(*fields, ctx.thumbnails->limits());
  if (!options) co_return problem_from(options.error());
  auto thumb = co_await ctx.thumbnails->make_now(std::string(*url), *options);
  if (!thumb) co_return problem_from(thumb.error());
  std::string etag = etag_of(sha256_hex(thumb->bytes));
  if (auto unchanged = not_modified(req, etag)) co_return std::move(*unchanged);
  Response r;
  r.content_type = image::mime_type(thumb->format);
  r.body = std::move(thumb->bytes);
  r.set_header("ETag", etag);
  r.set_header("Cache-Control", "private, max-age=3600");
  co_return r;
}

// The thumbnailer's seed answers (FastAPI): errors are {"detail": ...}.
Response detail(int status, json::value what) {
  json::object o;
  o["detail"] = std::move(what);
  return json_response(status, o);
}

// POST /api/thumb {"image_url","email"?} → 201 {"req_id"}.
Task<Response> seed_thumb_submit(ApiContext& ctx, Request& req) {
  auto body = parse_json(req.body, {.max_depth = ctx.max_json_depth});
  if (!body || !body->is_object()) co_return detail(422, "the body must be a JSON object");
  auto& o = body->as_object();
  auto image_url = string_field(o, "image_url");
  auto email = string_field(o, "email");
  if (!image_url) co_return detail(422, json::string(image_url.error().message));
  if (!email) co_return detail(422, json::string(email.error().message));
  if (image_url->empty()) co_return detail(422, "image_url is required");
  service::ThumbnailRequest r;
  r.image_url = std::move(*image_url);
  r.email = std::move(*email);
  // The thumbnailer made small JPEGs that keep the picture's shape.
  r.options.width = 128;
  r.options.height = 128;
  r.options.fit = image::Fit::inside;
  r.options.format = image::Format::jpeg;
  auto done = co_await ctx.thumbnails->submit(std::move(r));
  if (!done) {
    int status = http_status(done.error().code);
    if (status == 400) status = 422;
    co_return detail(status, json::string(done.error().message));
  }
  json::object out;
  out["req_id"] = done->job.id;
  co_return json_response(201, out);
}

// GET /api/thumb/<id> → {"status","image_base64"}.
Task<Response> seed_thumb_result(ApiContext& ctx, Request& req) {
  auto job = co_await ctx.jobs.get(req.params["id"], true);
  if (!job || job->kind != JobKind::thumbnail) {
    if (!job && job.error().code != Errc::not_found) co_return problem_from(job.error());
    co_return detail(404, "Thumb request not found");
  }
  std::string_view status = "queued";
  switch (job->state) {
    case JobState::queued:
      status = "queued";
      break;
    case JobState::running:
      status = "started";
      break;
    case JobState::succeeded:
      status = "finished";
      break;
    case JobState::partial:
    case JobState::failed:
    case JobState::canceled:
      status = "failed";
      break;
  }
  json::object out;
  out["status"] = status;
  out["image_base64"] = nullptr;
  if (job->state == JobState::succeeded && !job->items.empty()) {
    auto& item = job->items.front();
    auto blob = co_await ctx.jobs.read_blob(item.blob_key);
    if (!blob) co_return problem_from(blob.error());
    out["image_base64"] = "data:" + item.content_type + ";base64," + base64_encode(blob->bytes);
  }
  co_return json_response(200, out);
}

}  // namespace

void add_thumbnail_routes(Router& router, ApiContext& ctx) {
  if (ctx.thumbnails == nullptr) return;
  auto guard = [&ctx](Scope scope, Handler h) {
    return ctx.access ? guarded(std::move(h), *ctx.access, scope) : h;
  };
  router.add("POST", "/v1/thumbnails", guard(Scope::create_job, [&ctx](Request& req) {
               return create_thumbnail_job(ctx, req);
             }));
  router.add("GET", "/v1/thumbnail",
             guard(Scope::signed_get, [&ctx](Request& req) { return thumbnail_now(ctx, req); }));
}

void add_thumbnail_seed_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/health", [](Request&) -> Task<Response> {
    json::object o;
    o["status"] = "OK";
    o["message"] = "Server is up !";
    co_return json_response(200, o);
  });
  if (ctx.thumbnails == nullptr) return;
  router.add("POST", "/api/thumb", [&ctx](Request& req) { return seed_thumb_submit(ctx, req); });
  router.add("GET", "/api/thumb/{id}",
             [&ctx](Request& req) { return seed_thumb_result(ctx, req); });
}

}  // namespace shot::http
