// The routes of the systems shot replaces (DESIGN §5.2), answering exactly
// as they did so their clients run unchanged.
#include "core/base64.hpp"
#include "http/api_routes.hpp"

namespace shot::http {
namespace {

constexpr std::string_view kStillProcessing =
    "We are still processing your request. Try again later.";
constexpr std::string_view kProblem = "There was a problem when taking your screenshots.";

// POST /screenshot {"urls":[...]} → the job id as text/plain.
Task<Response> seed_submit(ApiContext& ctx, Request& req) {
  auto body = parse_json(req.body, {.max_depth = ctx.max_json_depth});
  if (!body || !body->is_object())
    co_return problem(400, "Bad Request", "the body must be a JSON object with urls", "body");
  auto* urls = body->as_object().if_contains("urls");
  if (!urls || !urls->is_array())
    co_return problem(400, "Bad Request", "urls must be a list of URLs", "urls");
  service::SubmitRequest submit;
  for (auto& u : urls->get_array()) {
    if (!u.is_string())
      co_return problem(400, "Bad Request", "urls must be a list of URLs", "urls");
    submit.urls.emplace_back(u.get_string());
  }
  auto done = co_await ctx.jobs.submit(std::move(submit));
  if (!done) co_return problem_from(done.error());
  co_return text_response(200, done->job.id);
}

// GET /screenshot/<id> → {url: base64 PNG} once done; the old texts before and on failure.
Task<Response> seed_result(ApiContext& ctx, Request& req) {
  auto job = co_await ctx.jobs.get(req.params["id"], true);
  if (!job) {
    if (job.error().code == Errc::not_found) co_return text_response(404, std::string(kProblem));
    co_return problem_from(job.error());
  }
  if (!is_terminal(job->state)) co_return text_response(200, std::string(kStillProcessing));
  if (job->state != JobState::succeeded) co_return text_response(200, std::string(kProblem));
  json::object out;
  for (auto& item : job->items) {
    auto blob = co_await ctx.jobs.read_blob(item.blob_key);
    if (!blob) co_return text_response(200, std::string(kProblem));
    out[item.url] = base64_encode(blob->bytes);
  }
  co_return json_response(200, out);
}

// GET /isalive → {"status":"idle"/"in_progress","message":...}
Task<Response> seed_isalive(ApiContext& ctx, Request&) {
  auto depth = ctx.jobs.queue().depth();
  bool busy = ctx.jobs.running_captures() > 0 || (depth && *depth > 0);
  json::object out;
  out["status"] = busy ? "in_progress" : "idle";
  out["message"] = busy ? "Screenshots are being taken." : "No screenshots in progress.";
  co_return json_response(200, out);
}

}  // namespace

void add_seed_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/screenshot", [&ctx](Request& req) { return seed_submit(ctx, req); });
  router.add("GET", "/screenshot/{id}", [&ctx](Request& req) { return seed_result(ctx, req); });
  router.add("GET", "/isalive", [&ctx](Request& req) { return seed_isalive(ctx, req); });
  add_thumbnail_seed_routes(router, ctx);
}

}  // namespace shot::http
