#include "capture/options.hpp"
#include "http/api_routes.hpp"

namespace shot::http {
namespace {

json::object schema_for(const capture::OptionSpec& s) {
  json::object o;
  o["description"] = s.help;
  switch (s.type) {
    case capture::OptionType::integer:
      o["type"] = "integer";
      o["minimum"] = s.min;
      o["maximum"] = s.max;
      break;
    case capture::OptionType::number:
      o["type"] = "number";
      o["minimum"] = s.min;
      o["maximum"] = s.max;
      break;
    case capture::OptionType::boolean:
      o["type"] = "boolean";
      break;
    case capture::OptionType::string:
      o["type"] = "string";
      break;
    case capture::OptionType::enumeration: {
      o["type"] = "string";
      json::array e;
      for (auto c : s.choices)
        e.emplace_back(json::string(c));
      o["enum"] = std::move(e);
      break;
    }
    case capture::OptionType::string_list: {
      o["type"] = "array";
      json::object items;
      items["type"] = "string";
      if (!s.choices.empty()) {
        json::array e;
        for (auto c : s.choices)
          e.emplace_back(json::string(c));
        items["enum"] = std::move(e);
      }
      o["items"] = std::move(items);
      break;
    }
    case capture::OptionType::object:
      o["type"] = s.name == "cookies" ? "array" : "object";
      break;
  }
  return o;
}

json::object op(std::string_view summary, std::string_view success) {
  json::object o, responses, ok, problem;
  o["summary"] = summary;
  ok["description"] = success;
  responses[success.substr(0, 3)] = std::move(ok);
  problem["description"] = "application/problem+json naming the field at fault";
  responses["4XX"] = std::move(problem);
  o["responses"] = std::move(responses);
  return o;
}

json::object typed(std::string_view type, std::string_view description) {
  json::object o;
  o["type"] = type;
  o["description"] = description;
  return o;
}

json::object crawl_schema() {
  json::object props, o, pattern_list, ref;
  props["start_url"] = typed("string", "the first page (http or https)");
  auto pages = typed("integer", "pages to capture, the start page included");
  pages["minimum"] = 1;
  pages["maximum"] = capture::kMaxCrawlPages;
  props["max_pages"] = std::move(pages);
  auto depth = typed("integer", "links followed from the start page (0: only the start page)");
  depth["minimum"] = 0;
  depth["maximum"] = capture::kMaxCrawlDepth;
  props["max_depth"] = std::move(depth);
  auto strategy = typed("string", "bfs: nearest pages first; dfs: deepest first");
  strategy["enum"] = json::array{"bfs", "dfs"};
  props["strategy"] = std::move(strategy);
  auto scope = typed("string",
                     "which links to follow: same-origin (scheme, host, port), same-site (last "
                     "two host labels), any");
  scope["enum"] = json::array{"same-origin", "same-site", "any"};
  props["scope"] = std::move(scope);
  pattern_list = typed("array",
                       "regular expressions (ECMAScript, no back-references) searched "
                       "in each normalized link; at most 20 of 256 characters");
  pattern_list["items"] = typed("string", "a pattern");
  props["include"] = pattern_list;
  props["exclude"] = std::move(pattern_list);
  props["respect_robots"] = typed("boolean", "skip links robots.txt disallows for \"shot\"");
  ref["$ref"] = "#/components/schemas/CaptureOptions";
  props["options"] = std::move(ref);
  props["callback_url"] = typed("string", "webhook called when the crawl is done");
  o["type"] = "object";
  o["required"] = json::array{"start_url"};
  o["additionalProperties"] = false;
  o["properties"] = std::move(props);
  return o;
}

json::object body_of(std::string_view schema) {
  json::object body, content, media, ref;
  ref["$ref"] = "#/components/schemas/" + std::string(schema);
  media["schema"] = std::move(ref);
  content["application/json"] = std::move(media);
  body["content"] = std::move(content);
  body["required"] = true;
  return body;
}

}  // namespace

json::object openapi_document() {
  json::object doc, info, paths, components, schemas, options;
  doc["openapi"] = "3.0.3";
  info["title"] = "shot";
  info["version"] = "0.1.0";
  info["description"] =
      "Pictures of web pages: one at a time, in batches, from a crawl, or thumbnails.";
  doc["info"] = std::move(info);

  json::object props;
  for (auto& s : capture::option_specs())
    props[s.name] = schema_for(s);
  options["type"] = "object";
  options["additionalProperties"] = false;
  options["properties"] = std::move(props);
  schemas["CaptureOptions"] = std::move(options);
  schemas["CrawlRequest"] = crawl_schema();
  components["schemas"] = std::move(schemas);
  doc["components"] = std::move(components);

  auto add = [&](std::string_view path, std::string_view method, json::object operation) {
    if (!paths.contains(path)) paths[path] = json::object();
    paths[path].as_object()[method] = std::move(operation);
  };
  add("/v1/jobs", "post",
      op("Submit URLs: {urls|url, options, callback_url, cache_ttl_s, fresh}; "
         "Idempotency-Key header",
         "202 Accepted: {id, state, status_url}"));
  auto crawl =
      op("Crawl from start_url: a job whose items grow as pages are found, each with "
         "parent and depth",
         "202 Accepted: {id, state, status_url}");
  crawl["requestBody"] = body_of("CrawlRequest");
  add("/v1/crawls", "post", std::move(crawl));
  add("/v1/jobs", "get", op("Recent jobs, newest first (limit, cursor)", "200 OK"));
  add("/v1/jobs/{id}", "get", op("A job: state, progress and one entry per URL", "200 OK"));
  add("/v1/jobs/{id}", "delete", op("Cancel a job", "200 OK"));
  add("/v1/jobs/{id}/events", "get",
      op("Server-sent events: progress, then done", "200 text/event-stream"));
  add("/v1/jobs/{id}/items/{n}", "get",
      op("The picture of item n; on S3 a redirect to a presigned link, unless redirect=false",
         "200 image, or 302"));
  add("/v1/jobs/{id}/items/{n}/thumbnail", "get",
      op("The thumbnail of item n (the thumbnail capture option); redirect=false as above",
         "200 image, or 302"));
  add("/v1/screenshot", "get",
      op("A picture now: url plus capture options as query parameters (lists comma-separated, "
         "objects as "
         "JSON); cache_ttl_s, fresh",
         "200 image"));
  add("/v1/thumbnails", "post",
      op("Thumbnail job: JSON {image_url, width, height, fit: contain|cover|fill|inside, "
         "format: jpeg|png|webp|avif, quality, callback_url, email}, or a raw image/* body with "
         "those fields in the query, or multipart/form-data with a `file` part; "
         "Idempotency-Key header",
         "202 Accepted: {id, state, status_url}"));
  add("/v1/thumbnail", "get",
      op("A thumbnail now: url, width, height, fit, format, quality as query parameters; "
         "key/signature/expires for signed links",
         "200 image"));
  add("/healthz", "get", op("Alive", "200 OK"));
  add("/readyz", "get", op("Ready: browser, store, queue and blobs reachable", "200 OK"));
  add("/openapi.json", "get", op("This description", "200 OK"));
  add("/metrics", "get", op("Prometheus text format (docs/operations.md)", "200 text/plain"));
  add("/", "get",
      op("The web page: submit URLs, watch progress, see the pictures", "200 text/html"));
  add("/screenshot", "post", op("Seed route: {urls} → the job id as text/plain", "200 OK"));
  add("/screenshot/{id}", "get", op("Seed route: {url: base64 PNG} when done", "200 OK"));
  add("/isalive", "get", op("Seed route: {status: idle|in_progress, message}", "200 OK"));
  add("/api/health", "get", op("Seed route: {status: OK, message: Server is up !}", "200 OK"));
  add("/api/thumb", "post", op("Seed route: {image_url, email?} → {req_id}", "201 Created"));
  add("/api/thumb/{id}", "get",
      op("Seed route: {status: queued|started|finished|failed, image_base64: data URL or null}",
         "200 OK"));
  add("/screenshots", "post",
      op("Seed route: {start_url, number_of_links} → {id}; crawls the start page and the "
         "pages it links to, number_of_links pages in all",
         "200 OK"));
  add("/screenshots/{id}", "get",
      op("Seed route: a JSON list of links to the pictures taken so far", "200 OK"));
  add("/screenshots/{id}/{n}", "get", op("Seed route: one picture of a crawl", "200 image"));
  doc["paths"] = std::move(paths);
  return doc;
}

}  // namespace shot::http
