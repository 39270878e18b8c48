// The routes of the systems shot replaces (DESIGN §5.2), answering exactly
// as they did so their clients run unchanged.
#include "capture/crawl.hpp"
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
  submit.request_id = req.request_id;
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

// POST /screenshots {"start_url","number_of_links"} → {"id"} at once: a crawl of
// the start page and the pages it links to, number_of_links pages in all.
Task<Response> seed_crawl(ApiContext& ctx, Request& req) {
  auto body = parse_json(req.body, {.max_depth = ctx.max_json_depth});
  if (!body || !body->is_object())
    co_return problem(400, "Bad Request",
                      "the body must be a JSON object with start_url and number_of_links", "body");
  auto& o = body->as_object();
  auto* n = o.if_contains("number_of_links");
  if (!n || !n->is_int64() || n->get_int64() < 1 || n->get_int64() > capture::kMaxCrawlPages)
    co_return problem(400, "Bad Request",
                      "number_of_links must be an integer between 1 and " +
                          std::to_string(capture::kMaxCrawlPages),
                      "number_of_links");
  json::object crawl;
  crawl["start_url"] = o.contains("start_url") ? o.at("start_url") : json::value();
  crawl["max_pages"] = n->get_int64();
  crawl["max_depth"] = 1;
  crawl["scope"] = "any";
  auto spec = capture::parse_crawl_spec(crawl);
  if (!spec) co_return problem_from(spec.error());
  service::SubmitRequest submit;
  submit.kind = JobKind::crawl;
  submit.urls.push_back(spec->start_url);
  submit.crawl = capture::to_json(*spec);
  auto done = co_await ctx.jobs.submit(std::move(submit));
  if (!done) co_return problem_from(done.error());
  json::object out;
  out["id"] = done->job.id;
  co_return json_response(200, out);
}

// GET /screenshots/<id> → ["http://host/screenshots/<id>/0", ...]: the pictures
// taken so far, start page first.
Task<Response> seed_crawl_result(ApiContext& ctx, Request& req) {
  auto job = co_await ctx.jobs.get(req.params["id"], true);
  if (!job || job->kind != JobKind::crawl) {
    if (job || job.error().code == Errc::not_found) {
      json::object out;
      out["detail"] = "Screenshots not found";
      co_return json_response(404, out);
    }
    co_return problem_from(job.error());
  }
  std::string base;
  if (auto host = req.header("Host"); host && !host->empty()) base = "http://" + std::string(*host);
  json::array links;
  for (auto& item : job->items)
    if (item.state == ItemState::succeeded)
      links.emplace_back(
          json::string(base + "/screenshots/" + job->id + "/" + std::to_string(item.index)));
  co_return json_response(200, links);
}

// GET /screenshots/<id>/<n>: one picture of a crawl started on POST /screenshots.
Task<Response> seed_crawl_picture(ApiContext& ctx, Request& req) {
  auto job = co_await ctx.jobs.get(req.params["id"], true);
  int n = -1;
  try {
    n = std::stoi(req.params["n"]);
  } catch (...) {
  }
  if (!job || job->kind != JobKind::crawl || n < 0 || n >= static_cast<int>(job->items.size()) ||
      job->items[static_cast<std::size_t>(n)].state != ItemState::succeeded) {
    json::object out;
    out["detail"] = "Screenshot not found";
    co_return json_response(404, out);
  }
  auto& item = job->items[static_cast<std::size_t>(n)];
  co_return co_await picture_response(ctx, item.blob_key, item.content_type, item.sha256, req,
                                      31536000);
}

}  // namespace

void add_seed_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/screenshot", [&ctx](Request& req) { return seed_submit(ctx, req); });
  router.add("GET", "/screenshot/{id}", [&ctx](Request& req) { return seed_result(ctx, req); });
  router.add("GET", "/isalive", [&ctx](Request& req) { return seed_isalive(ctx, req); });
  add_thumbnail_seed_routes(router, ctx);
  router.add("POST", "/screenshots", [&ctx](Request& req) { return seed_crawl(ctx, req); });
  router.add("GET", "/screenshots/{id}",
             [&ctx](Request& req) { return seed_crawl_result(ctx, req); });
  router.add("GET", "/screenshots/{id}/{n}",
             [&ctx](Request& req) { return seed_crawl_picture(ctx, req); });
}

}  // namespace shot::http
