#include "http/web/web_routes.hpp"

#include "http/web/web_assets.hpp"

namespace shot::http {
namespace {

std::string_view content_type_of(std::string_view name) {
  auto ends_with = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

Response asset_response(const WebAsset& asset, const Request& req) {
  Response r;
  // no-cache: the browser asks each time and gets a 304 while the binary is the
  // same, so an upgraded server never runs with a stale script.
  std::string etag = "\"" + std::string(asset.sha256.substr(0, 32)) + "\"";
  r.set_header("ETag", etag);
  r.set_header("Cache-Control", "no-cache");
  r.set_header("Content-Security-Policy", std::string(kWebContentSecurityPolicy));
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("X-Frame-Options", "DENY");
  if (auto inm = req.header("If-None-Match"); inm && *inm == etag) {
    r.status = 304;
    return r;
  }
  r.content_type = content_type_of(asset.name);
  r.body = std::string(asset.bytes);
  return r;
}

}  // namespace

void add_web_routes(Router& router) {
  for (const WebAsset& asset : web_assets()) {
    std::string path = asset.name == "index.html" ? "/" : "/ui/" + std::string(asset.name);
    router.add("GET", std::move(path),
               [&asset](Request& req) -> Task<Response> { co_return asset_response(asset, req); });
  }
}

}  // namespace shot::http
