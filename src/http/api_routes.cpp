#include "http/api_routes.hpp"

#include <algorithm>
#include <filesystem>

#include "capture/crawl.hpp"
#include "capture/options.hpp"
#include "core/digest.hpp"
#include "core/log.hpp"
#include "http/access.hpp"
#include "http/web/web_routes.hpp"
#include "service/job_view.hpp"

namespace shot::http {
namespace {

using service::JobService;

constexpr std::string_view kScreenshotReserved[] = {"url", "cache_ttl_s", "fresh",
                                                    "key", "signature",   "expires"};

Result<json::object> body_object(const Request& req, std::size_t max_depth) {
  auto v = parse_json(req.body, {.max_depth = max_depth});
  if (!v) return fail(Errc::invalid_argument, v.error().message, "body");
  if (!v->is_object())
    return fail(Errc::invalid_argument, "the body must be a JSON object", "body");
  return std::move(v->as_object());
}

// POST /v1/jobs body → a SubmitRequest; every field checked, unknown ones refused.
Result<service::SubmitRequest> submit_request(const json::object& body) {
  service::SubmitRequest r;
  for (auto& [key, value] : body) {
    std::string_view k = key;
    if (k == "urls") {
      if (!value.is_array())
        return fail(Errc::invalid_argument, "urls must be a list of URLs", "urls");
      for (auto& u : value.get_array()) {
        if (!u.is_string())
          return fail(Errc::invalid_argument, "urls must be a list of URLs", "urls");
        r.urls.emplace_back(u.get_string());
      }
    } else if (k == "url") {
      if (!value.is_string()) return fail(Errc::invalid_argument, "url must be a string", "url");
      r.urls.emplace_back(value.get_string());
    } else if (k == "options") {
      if (!value.is_object())
        return fail(Errc::invalid_argument, "options must be an object", "options");
      r.options = value.get_object();
    } else if (k == "callback_url") {
      if (!value.is_string())
        return fail(Errc::invalid_argument, "callback_url must be a string", "callback_url");
      r.callback_url = value.get_string();
    } else if (k == "cache_ttl_s") {
      if (!value.is_int64())
        return fail(Errc::invalid_argument, "cache_ttl_s must be an integer", "cache_ttl_s");
      r.cache_ttl_s = static_cast<int>(std::clamp<std::int64_t>(value.get_int64(), -1, 1LL << 30));
    } else if (k == "fresh") {
      if (!value.is_bool())
        return fail(Errc::invalid_argument, "fresh must be true or false", "fresh");
      r.fresh = value.get_bool();
    } else {
      return fail(Errc::invalid_argument, "unknown field \"" + std::string(k) + "\"",
                  std::string(k));
    }
  }
  if (body.contains("url") && body.contains("urls"))
    return fail(Errc::invalid_argument, "give either url or urls, not both", "url");
  if (r.urls.empty())
    return fail(Errc::invalid_argument, "urls must list at least one URL", "urls");
  return r;
}

bool truthy(std::string_view v) {
  return v == "1" || v == "true" || v == "yes";
}

}  // namespace

// From the hot pictures in memory, from disk, by a redirect to a presigned URL
// (S3, unless the query says redirect=false), or read through the service's
// blocking pool (a remote store must not stall the I/O thread).
Task<Response> picture_response(ApiContext& ctx, std::string blob_key, std::string content_type,
                                std::string sha256, const Request& req, int max_age_s) {
  std::string etag = etag_of(sha256);
  if (auto unchanged = not_modified(req, etag)) co_return std::move(*unchanged);
  Response r;
  r.content_type = std::move(content_type);
  r.set_header("ETag", etag);
  r.set_header("Cache-Control", "private, max-age=" + std::to_string(max_age_s));
  // Keyed by the content's hash too: a picture stored again under the same key
  // is a new entry, never the old bytes under the new ETag.
  std::string hot_key = blob_key + "\n" + sha256;
  PictureCache* hot = ctx.pictures;
  if (hot) {
    if (auto bytes = hot->get(hot_key)) {
      r.shared_body = std::move(bytes);
      co_return r;
    }
  }
  auto& blobs = ctx.jobs.blobs();
  auto path = blobs.local_path(blob_key);
  if (path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(*path, ec);
    if (!hot || ec || size > hot->max_bytes() / 4) {
      r.file_path = std::move(*path);  // served from disk, no copy
      co_return r;
    }
  } else if (auto wanted = req.query_param("redirect"); !wanted || truthy(*wanted)) {
    // redirect=false asks for the bytes from this node: the web page does, as
    // its Content-Security-Policy lets it reach this origin only.
    if (auto url = blobs.presign(blob_key, std::chrono::seconds(900))) {
      Response redirect;
      redirect.status = 302;
      redirect.set_header("Location", *url);
      co_return redirect;
    }
  }
  auto blob = co_await ctx.jobs.read_blob(blob_key);
  if (!blob) co_return problem_from(blob.error());
  auto bytes = std::make_shared<const std::string>(std::move(blob->bytes));
  // Kept only when the bytes are the ones the ETag names (not a picture being rewritten).
  if (hot && sha256_hex(*bytes) == sha256) hot->put(hot_key, bytes);
  r.shared_body = std::move(bytes);
  co_return r;
}

namespace {

// Idempotency-Key, owner and request id from the request; a problem when the key is bad.
std::optional<Response> identify(const Request& req, service::SubmitRequest& submit) {
  if (auto key = req.header("Idempotency-Key")) {
    if (key->size() > 200)
      return problem(400, "Bad Request", "Idempotency-Key is too long", "Idempotency-Key");
    submit.idempotency_key = *key;
    submit.request_hash = sha256_hex(req.body);
  }
  submit.owner = req.principal;
  submit.request_id = req.request_id;
  return std::nullopt;
}

Task<Response> create_job(ApiContext& ctx, Request& req) {
  auto body = body_object(req, ctx.max_json_depth);
  if (!body) co_return problem_from(body.error());
  auto submit = submit_request(*body);
  if (!submit) co_return problem_from(submit.error());
  if (auto bad = identify(req, *submit)) co_return std::move(*bad);
  auto done = co_await ctx.jobs.submit(std::move(*submit));
  if (!done) co_return problem_from(done.error());
  co_return job_accepted(*done);
}

// POST /v1/crawls: the crawl fields, plus options and callback_url as for jobs.
Task<Response> create_crawl(ApiContext& ctx, Request& req) {
  constexpr std::string_view kOther[] = {"options", "callback_url"};
  auto body = body_object(req, ctx.max_json_depth);
  if (!body) co_return problem_from(body.error());
  auto spec = capture::parse_crawl_spec(*body, kOther);
  if (!spec) co_return problem_from(spec.error());
  service::SubmitRequest submit;
  submit.kind = JobKind::crawl;
  submit.urls.push_back(spec->start_url);
  if (auto* o = body->if_contains("options")) {
    if (!o->is_object())
      co_return problem(400, "Bad Request", "options must be an object", "options");
    submit.options = o->get_object();
  }
  if (auto* c = body->if_contains("callback_url")) {
    if (!c->is_string())
      co_return problem(400, "Bad Request", "callback_url must be a string", "callback_url");
    submit.callback_url = c->get_string();
  }
  submit.crawl = capture::to_json(*spec);
  if (auto bad = identify(req, submit)) co_return std::move(*bad);
  auto done = co_await ctx.jobs.submit(std::move(submit));
  if (!done) co_return problem_from(done.error());
  co_return job_accepted(*done);
}

Task<Response> job_events(ApiContext& ctx, Request& req) {
  auto first = co_await ctx.jobs.get(req.params["id"], false);
  if (!first) co_return problem_from(first.error());
  Response r;
  std::string id = req.params["id"];
  JobService& jobs = ctx.jobs;
  r.stream = [&jobs, id](EventStream& out) -> Task<void> {
    std::string last;
    // Polling the store works the same whether the workers are in this
    // process or on other machines; bounded to an hour a stream.
    for (int tick = 0; tick < 4 * 3600; ++tick) {
      auto job = co_await jobs.get(id, true);
      if (!job) co_return;
      std::string now = json::serialize(service::job_to_json(*job));
      if (now != last) {
        if (!co_await out.send(is_terminal(job->state) ? "done" : "progress", now)) co_return;
        last = std::move(now);
      } else if (tick % 60 == 59 && !co_await out.comment()) {
        co_return;
      }
      if (is_terminal(job->state)) co_return;
      co_await sleep_for(Millis(250));
    }
  };
  co_return r;
}

// The picture of item {n}, or with `thumbnail` the `thumbnail` option's one.
Task<Response> job_item(ApiContext& ctx, Request& req, bool thumbnail) {
  auto job = co_await ctx.jobs.get(req.params["id"], true);
  if (!job) co_return problem_from(job.error());
  int n = -1;
  try {
    n = std::stoi(req.params["n"]);
  } catch (...) {
  }
  if (n < 0 || n >= static_cast<int>(job->items.size()))
    co_return problem(404, "Not Found", "no item " + req.params["n"] + " in job " + job->id, "n");
  auto& item = job->items[static_cast<std::size_t>(n)];
  if (item.state != ItemState::succeeded) {
    std::string why = item.state == ItemState::failed
                          ? "the capture failed: " + item.error_message
                          : "the capture is " + std::string(to_string(item.state));
    co_return problem(409, "Conflict", why, "n");
  }
  if (thumbnail) {
    auto facts = parse_json(item.facts_json);
    auto* thumb =
        facts && facts->is_object() ? json_object(facts->as_object(), "thumbnail") : nullptr;
    if (thumb == nullptr)
      co_return problem(404, "Not Found", "item " + req.params["n"] + " has no thumbnail", "n");
    // Named first: GCC 12 mishandles temporaries inside a co_await expression.
    std::string key(json_string(*thumb, "blob_key"));
    std::string type(json_string(*thumb, "content_type"));
    std::string sha(json_string(*thumb, "sha256"));
    co_return co_await picture_response(ctx, key, type, sha, req, 31536000);
  }
  co_return co_await picture_response(ctx, item.blob_key, item.content_type, item.sha256, req,
                                      31536000);
}

Task<Response> list_jobs(ApiContext& ctx, Request& req) {
  ListQuery q;
  if (auto limit = req.query_param("limit")) {
    try {
      q.limit = std::stoi(std::string(*limit));
    } catch (...) {
      co_return problem(400, "Bad Request", "limit must be an integer", "limit");
    }
  }
  if (auto cursor = req.query_param("cursor")) q.cursor = *cursor;
  q.owner = req.principal;  // with API keys, each key sees its own jobs
  auto page = co_await ctx.jobs.list(q);
  if (!page) co_return problem_from(page.error());
  json::array jobs;
  for (auto& j : page->jobs)
    jobs.push_back(service::job_to_json(j));
  json::object out;
  out["jobs"] = std::move(jobs);
  out["next_cursor"] = page->next_cursor;
  co_return json_response(200, out);
}

Task<Response> screenshot_now(ApiContext& ctx, Request& req) {
  auto url = req.query_param("url");
  if (!url || url->empty())
    co_return problem(400, "Bad Request", "the url parameter is required", "url");
  auto options = options_from_query(req.query, kScreenshotReserved);
  if (!options) co_return problem_from(options.error());
  std::optional<int> ttl;
  if (auto t = req.query_param("cache_ttl_s")) {
    try {
      ttl = std::stoi(std::string(*t));
    } catch (...) {
      co_return problem(400, "Bad Request", "cache_ttl_s must be an integer", "cache_ttl_s");
    }
  }
  bool fresh = req.query_param("fresh") && truthy(*req.query_param("fresh"));
  auto picture = co_await ctx.jobs.capture_now(std::string(*url), std::move(*options), ttl, fresh);
  if (!picture) co_return problem_from(picture.error());
  Response r = co_await picture_response(ctx, picture->blob_key, picture->content_type,
                                         picture->sha256, req, ttl.value_or(3600));
  r.set_header("X-Shot-Cache", picture->cached ? "hit" : picture->coalesced ? "coalesced" : "miss");
  co_return r;
}

Task<Response> readiness(ApiContext& ctx) {
  auto checks = co_await ctx.readiness();
  json::object out, detail;
  bool ok = true;
  for (auto& [name, error] : checks) {
    detail[name] = error.empty() ? "ok" : error;
    ok = ok && error.empty();
  }
  out["status"] = ok ? "ready" : "unavailable";
  out["checks"] = std::move(detail);
  Response r = json_response(ok ? 200 : 503, out);
  if (!ok) set_retry_after(r, std::chrono::seconds(5));
  co_return r;
}

}  // namespace

Result<json::object> options_from_query(
    const std::vector<std::pair<std::string, std::string>>& query,
    std::span<const std::string_view> reserved) {
  json::object o;
  for (auto& [name, value] : query) {
    if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) continue;
    auto specs = capture::option_specs();
    auto spec = std::find_if(specs.begin(), specs.end(), [&](auto& s) { return s.name == name; });
    if (spec == specs.end())
      return fail(Errc::invalid_argument, "unknown option \"" + name + "\"", "options." + name);
    switch (spec->type) {
      case capture::OptionType::boolean:
        o[name] = truthy(value) || value.empty();
        break;
      case capture::OptionType::string_list: {
        json::array list = o.contains(name) ? o[name].as_array() : json::array();
        std::size_t start = 0;
        while (start <= value.size()) {
          auto comma = value.find(',', start);
          auto part =
              value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!part.empty()) list.emplace_back(json::string(part));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        o[name] = std::move(list);
        break;
      }
      case capture::OptionType::integer:
      case capture::OptionType::number:
      case capture::OptionType::object: {
        auto v = parse_json(value, {.max_depth = 8});
        if (!v)
          return fail(Errc::invalid_argument, "option " + name + ": not a valid value",
                      "options." + name);
        o[name] = std::move(*v);
        break;
      }
      default:
        o[name] = value;
    }
  }
  return o;
}

Response job_accepted(const service::Submitted& done) {
  json::object out;
  out["id"] = done.job.id;
  out["state"] = to_string(done.job.state);
  out["status_url"] = service::job_url(done.job.id);
  Response r = json_response(done.existing ? 200 : 202, out);
  r.set_header("Location", service::job_url(done.job.id));
  if (done.existing) r.set_header("Idempotent-Replayed", "true");
  return r;
}

void add_api_routes(Router& router, ApiContext& ctx) {
  // Every /v1 route sits behind the access guard when keys are configured.
  auto guard = [&ctx](Scope scope, Handler h) {
    return ctx.access ? guarded(std::move(h), *ctx.access, scope) : h;
  };
  router.add("POST", "/v1/jobs",
             guard(Scope::create_job, [&ctx](Request& req) { return create_job(ctx, req); }));
  router.add("POST", "/v1/crawls",
             guard(Scope::create_job, [&ctx](Request& req) { return create_crawl(ctx, req); }));
  router.add("GET", "/v1/jobs",
             guard(Scope::api, [&ctx](Request& req) { return list_jobs(ctx, req); }));
  router.add("GET", "/v1/jobs/{id}", guard(Scope::job, [&ctx](Request& req) -> Task<Response> {
               auto view = co_await ctx.jobs.view(req.params["id"]);
               if (!view) co_return problem_from(view.error());
               Response r;
               r.content_type = "application/json";
               r.shared_body = std::move(*view);
               co_return r;
             }));
  router.add("DELETE", "/v1/jobs/{id}", guard(Scope::job, [&ctx](Request& req) -> Task<Response> {
               auto job = co_await ctx.jobs.cancel(req.params["id"]);
               if (!job) co_return problem_from(job.error());
               co_return json_response(200, service::job_to_json(*job));
             }));
  router.add("GET", "/v1/jobs/{id}/events",
             guard(Scope::job, [&ctx](Request& req) { return job_events(ctx, req); }));
  router.add("GET", "/v1/jobs/{id}/items/{n}",
             guard(Scope::job, [&ctx](Request& req) { return job_item(ctx, req, false); }));
  router.add("GET", "/v1/jobs/{id}/items/{n}/thumbnail",
             guard(Scope::job, [&ctx](Request& req) { return job_item(ctx, req, true); }));
  router.add("GET", "/v1/screenshot",
             guard(Scope::signed_get, [&ctx](Request& req) { return screenshot_now(ctx, req); }));
  add_thumbnail_routes(router, ctx);
  add_health_routes(router, ctx);
  router.add("GET", "/openapi.json",
             [](Request&) -> Task<Response> { co_return json_response(200, openapi_document()); });
  add_web_routes(router);
}

void add_health_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/healthz", [](Request&) -> Task<Response> {
    json::object o;
    o["status"] = "ok";
    co_return json_response(200, o);
  });
  router.add("GET", "/readyz", [&ctx](Request&) { return readiness(ctx); });
}

}  // namespace shot::http
