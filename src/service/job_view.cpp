#include "service/job_view.hpp"

namespace shot::service {

std::string job_url(std::string_view job_id) {
  return "/v1/jobs/" + std::string(job_id);
}

json::object item_to_json(const Job& job, const Item& item) {
  json::object o;
  o["index"] = item.index;
  o["url"] = item.url;
  o["state"] = to_string(item.state);
  o["attempts"] = item.attempts;
  if (item.state == ItemState::succeeded) {
    o["result_url"] = job_url(job.id) + "/items/" + std::to_string(item.index);
    o["content_type"] = item.content_type;
    o["bytes"] = item.bytes;
    o["width"] = item.width;
    o["height"] = item.height;
    o["sha256"] = item.sha256;
    o["cached"] = item.cached;
  }
  if (!item.facts_json.empty()) {
    if (auto facts = parse_json(item.facts_json); facts && facts->is_object()) {
      auto& f = facts->as_object();
      for (auto key : {"final_url", "http_status", "title", "verdict", "verdict_reason", "timings",
                       "truncated", "tiles", "trace", "attempts"})
        if (auto* v = f.if_contains(key))
          o[key == std::string_view("attempts") ? "capture_attempts" : key] = *v;
      // The `thumbnail` option's second picture; its blob key stays inside.
      if (auto* t = f.if_contains("thumbnail"); t && t->is_object()) {
        json::object thumb = t->as_object();
        thumb.erase("blob_key");
        o["thumbnail"] = std::move(thumb);
        o["thumbnail_url"] =
            job_url(job.id) + "/items/" + std::to_string(item.index) + "/thumbnail";
      }
      // extract: ["links"]; a crawl's links become its items instead.
      if (auto* v = f.if_contains("links"); v && job.kind != JobKind::crawl) o["links"] = *v;
    }
  }
  if (!item.error_code.empty()) {
    json::object err;
    err["code"] = item.error_code;
    err["message"] = item.error_message;
    o["error"] = std::move(err);
  }
  if (job.kind == JobKind::crawl) {
    o["parent"] = item.parent;
    o["depth"] = item.depth;
  }
  return o;
}

json::object job_to_json(const Job& job) {
  json::object o;
  o["id"] = job.id;
  o["kind"] = to_string(job.kind);
  o["state"] = to_string(job.state);
  o["status_url"] = job_url(job.id);
  o["created_ms"] = job.created_ms;
  o["updated_ms"] = job.updated_ms;
  json::object progress;
  progress["total"] = job.total;
  progress["succeeded"] = job.succeeded;
  progress["failed"] = job.failed;
  o["progress"] = std::move(progress);
  if (!job.items.empty()) {
    json::array items;
    for (auto& item : job.items)
      items.push_back(item_to_json(job, item));
    o["items"] = std::move(items);
  }
  return o;
}

}  // namespace shot::service
