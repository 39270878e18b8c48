#include "service/thumbnail_service.hpp"

#include "core/digest.hpp"
#include "core/log.hpp"

namespace shot::service {
namespace {

constexpr std::string_view kFits = "contain, cover, fill or inside";

Result<int> int_field(const json::object& o, std::string_view key, int min, int max,
                      std::string_view prefix, int fallback) {
  auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return fallback;
  std::string field = std::string(prefix) + std::string(key);
  std::string range = std::to_string(min) + " and " + std::to_string(max);
  if (!v->is_int64() && !v->is_uint64())
    return fail(Errc::invalid_argument, std::string(key) + " must be an integer between " + range,
                field);
  auto n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
  if (n < min || n > max)
    return fail(Errc::invalid_argument, std::string(key) + " must be between " + range, field);
  return static_cast<int>(n);
}

}  // namespace

Result<image::ThumbnailOptions> thumbnail_options_from_json(const json::object& o,
                                                            const ThumbnailLimits& limits,
                                                            std::string_view prefix) {
  image::ThumbnailOptions out;
  auto width = int_field(o, "width", 0, limits.max_side, prefix, 0);
  if (!width) return fail(width.error());
  auto height = int_field(o, "height", 0, limits.max_side, prefix, 0);
  if (!height) return fail(height.error());
  auto quality = int_field(o, "quality", 1, 100, prefix, 0);
  if (!quality) return fail(quality.error());
  out.width = *width;
  out.height = *height;
  out.quality = *quality;
  if (out.width == 0 && out.height == 0)
    return fail(Errc::invalid_argument, "width or height is required",
                std::string(prefix) + "width");
  if (auto* fit = o.if_contains("fit"); fit && !fit->is_null()) {
    auto parsed =
        fit->is_string() ? image::fit_from_name(std::string_view(fit->get_string())) : std::nullopt;
    if (!parsed)
      return fail(Errc::invalid_argument, "fit must be " + std::string(kFits),
                  std::string(prefix) + "fit");
    out.fit = *parsed;
  }
  if (auto* format = o.if_contains("format"); format && !format->is_null()) {
    auto parsed = format->is_string()
                      ? image::format_from_name(std::string_view(format->get_string()))
                      : std::nullopt;
    bool writable = parsed && (*parsed == image::Format::png || *parsed == image::Format::jpeg ||
                               *parsed == image::Format::webp || *parsed == image::Format::avif);
    if (!writable)
      return fail(Errc::invalid_argument, "format must be jpeg, png, webp or avif",
                  std::string(prefix) + "format");
    if (!image::can_encode(*parsed))
      return fail(Errc::invalid_argument,
                  "this server cannot write " + std::string(to_string(*parsed)),
                  std::string(prefix) + "format");
    out.format = *parsed;
  }
  return out;
}

json::object to_json(const image::ThumbnailOptions& options) {
  json::object o;
  o["width"] = options.width;
  o["height"] = options.height;
  o["fit"] = image::to_string(options.fit);
  o["format"] = image::to_string(options.format);
  if (options.quality > 0) o["quality"] = options.quality;
  return o;
}

Result<std::optional<image::ThumbnailOptions>> capture_thumbnail_option(
    const json::object& capture_options) {
  auto* v = capture_options.if_contains("thumbnail");
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_object())
    return fail(Errc::invalid_argument,
                "option thumbnail: must be an object {width,height,fit,format,quality}",
                "options.thumbnail");
  for (auto& [key, value] : v->get_object())
    if (key != "width" && key != "height" && key != "fit" && key != "format" && key != "quality")
      return fail(Errc::invalid_argument,
                  "option thumbnail: unknown field \"" + std::string(key) + "\"",
                  "options.thumbnail." + std::string(key));
  if (json_string(capture_options, "format") == "pdf")
    return fail(Errc::invalid_argument, "option thumbnail: a PDF has no thumbnail",
                "options.thumbnail");
  auto options = thumbnail_options_from_json(v->get_object(), {}, "options.thumbnail.");
  if (!options) return fail(options.error());
  return *options;
}

Result<json::object> store_thumbnail(BlobStore& blobs, std::string_view picture,
                                     const image::ThumbnailOptions& options,
                                     const std::string& key) {
  auto thumb = image::thumbnail(picture, options);
  if (!thumb) return fail(thumb.error());
  json::object o;
  std::string blob_key = key + "." + std::string(image::extension(thumb->format));
  std::string type(image::mime_type(thumb->format));
  if (auto stored = blobs.put(blob_key, thumb->bytes, type); !stored) return fail(stored.error());
  o["blob_key"] = blob_key;
  o["sha256"] = sha256_hex(thumb->bytes);
  o["content_type"] = type;
  o["bytes"] = static_cast<std::int64_t>(thumb->bytes.size());
  o["width"] = thumb->width;
  o["height"] = thumb->height;
  return o;
}

ThumbnailService::ThumbnailService(JobService& jobs, asio::thread_pool& blocking,
                                   std::unique_ptr<net::HttpClient> client, notify::Mailer* mailer,
                                   ThumbnailLimits limits)
    : jobs_(jobs),
      blocking_(blocking),
      client_(std::move(client)),
      mailer_(mailer),
      limits_(limits) {
  jobs_.set_producer(JobKind::thumbnail,
                     [this](const Job& job, const Item& item, std::string blob_key) {
                       return produce(job, item, std::move(blob_key));
                     });
  jobs_.on_job_done(JobKind::thumbnail, [this](const Job& job) { return job_done(job); });
}

Task<Result<Submitted>> ThumbnailService::submit(ThumbnailRequest req) {
  bool has_url = !req.image_url.empty();
  bool has_upload = !req.upload.empty();
  if (has_url == has_upload)
    co_return fail(Errc::invalid_argument, "give either image_url or an uploaded image",
                   "image_url");
  if (!req.email.empty()) {
    if (auto ok = notify::check_address(req.email); !ok) co_return fail(ok.error());
    if (mailer_ == nullptr)
      co_return fail(Errc::invalid_argument, "this server sends no e-mail (no --smtp configured)",
                     "email");
  }
  json::object options = to_json(req.options);
  if (!req.email.empty()) options["email"] = req.email;
  SubmitRequest submit;
  submit.kind = JobKind::thumbnail;
  if (has_url) {
    auto checked = co_await jobs_.check_url(req.image_url);
    if (!checked) co_return fail(checked.error().code, checked.error().message, "image_url");
    submit.urls.push_back(*checked);
  } else {
    // Refuse what could never become a thumbnail now, while the client waits.
    auto info =
        co_await offload(blocking_, [&] { return image::probe(req.upload, limits_.image); });
    if (!info) co_return fail(info.error().code, info.error().message, "file");
    // Stored before the job, keyed by content: a retried upload writes the same blob.
    std::string key = "uploads/" + sha256_hex(req.upload);
    auto stored = co_await offload(blocking_, [&] {
      return jobs_.blobs().put(key, req.upload, std::string(image::mime_type(info->format)));
    });
    if (!stored) co_return fail(stored.error());
    options["upload"] = key;
    submit.urls.push_back("upload:" + key.substr(8, 16));
  }
  submit.options = std::move(options);
  submit.callback_url = std::move(req.callback_url);
  submit.cache_ttl_s = 0;
  submit.idempotency_key = std::move(req.idempotency_key);
  submit.request_hash = std::move(req.request_hash);
  submit.owner = std::move(req.owner);
  co_return co_await jobs_.submit(std::move(submit));
}

Task<Result<std::string>> ThumbnailService::download(std::string url) {
  net::HttpRequest request;
  request.url = url;
  request.timeout = limits_.fetch_timeout;
  request.max_redirects = limits_.max_redirects;
  request.max_response_bytes = static_cast<std::size_t>(limits_.image.max_bytes);
  request.headers.emplace_back("Accept", "image/avif,image/webp,image/png,image/jpeg,image/*");
  auto client = client_;
  auto response = co_await offload(blocking_, [&] { return client->fetch(request); });
  if (!response) {
    auto& e = response.error();
    switch (e.code) {
      case Errc::too_large:
        co_return fail(Errc::too_large,
                       "the image at image_url is larger than " +
                           std::to_string(limits_.image.max_bytes) +
                           " bytes: the download was cut off",
                       "image_url");
      case Errc::timeout:
        co_return fail(Errc::timeout,
                       "fetching image_url took longer than " +
                           std::to_string(limits_.fetch_timeout.count()) + " ms",
                       "image_url");
      default:
        co_return fail(e.code, "fetching image_url failed: " + e.message, "image_url");
    }
  }
  if (response->status < 200 || response->status > 299)
    co_return fail(Errc::navigation_failed,
                   "image_url answered HTTP " + std::to_string(response->status), "image_url");
  co_return std::move(response->body);
}

Task<Result<image::Encoded>> ThumbnailService::make_now(std::string image_url,
                                                        image::ThumbnailOptions options) {
  auto checked = co_await jobs_.check_url(image_url);
  if (!checked) co_return fail(checked.error().code, checked.error().message, "url");
  auto bytes = co_await download(*checked);
  if (!bytes) {
    auto e = bytes.error();
    e.field = "url";
    co_return fail(std::move(e));
  }
  co_return co_await scale(std::move(*bytes), options);
}

Task<Result<image::Encoded>> ThumbnailService::scale(std::string bytes,
                                                     image::ThumbnailOptions options) {
  auto limits = limits_.image;
  co_return co_await offload(blocking_, [&] { return image::thumbnail(bytes, options, limits); });
}

Task<Result<Picture>> ThumbnailService::produce(const Job& job, const Item& item,
                                                std::string blob_key) {
  auto settings = parse_json(job.options_json);
  const json::object* options = nullptr;
  if (settings && settings->is_object()) options = json_object(settings->as_object(), "options");
  if (options == nullptr) co_return fail(Errc::internal, "thumbnail job without options");
  auto thumb = thumbnail_options_from_json(*options, limits_);
  if (!thumb) co_return fail(thumb.error());

  Result<std::string> source = fail(Errc::internal, "no source");
  if (auto upload = json_string(*options, "upload"); !upload.empty()) {
    auto blob = co_await jobs_.read_blob(std::string(upload));
    if (blob)
      source = std::move(blob->bytes);
    else
      source = fail(blob.error());
  } else {
    source = co_await download(item.url);
  }
  if (!source) co_return fail(source.error());
  auto info = co_await offload(blocking_, [&] { return image::probe(*source, limits_.image); });
  if (!info) co_return fail(info.error());
  auto scaled = co_await scale(std::move(*source), *thumb);
  if (!scaled) co_return fail(scaled.error());

  Picture p;
  p.blob_key = blob_key + "." + std::string(image::extension(scaled->format));
  p.content_type = image::mime_type(scaled->format);
  p.bytes = static_cast<std::int64_t>(scaled->bytes.size());
  p.width = scaled->width;
  p.height = scaled->height;
  p.sha256 = sha256_hex(scaled->bytes);
  json::object facts, src;
  src["format"] = image::to_string(info->format);
  src["width"] = info->width;
  src["height"] = info->height;
  facts["source"] = std::move(src);
  p.facts_json = json::serialize(facts);
  auto stored = co_await offload(
      blocking_, [&] { return jobs_.blobs().put(p.blob_key, scaled->bytes, p.content_type); });
  if (!stored) co_return fail(stored.error());
  co_return p;
}

Task<void> ThumbnailService::job_done(const Job& summary) {
  auto settings = parse_json(summary.options_json);
  if (!settings || !settings->is_object() || mailer_ == nullptr) co_return;
  auto* options = json_object(settings->as_object(), "options");
  std::string to = options ? std::string(json_string(*options, "email")) : "";
  if (to.empty()) co_return;
  auto job = co_await jobs_.get(summary.id, true);
  if (!job || job->items.empty()) co_return;
  const Item& item = job->items.front();
  notify::Mail mail;
  mail.to = to;
  if (item.state != ItemState::succeeded) {
    mail.subject = "Your thumbnail could not be made";
    mail.text = "The thumbnail of " + item.url + " could not be made: " + item.error_message +
                "\r\nRequest " + job->id + ".\r\n";
    mailer_->send(std::move(mail));
    co_return;
  }
  auto blob = co_await jobs_.read_blob(item.blob_key);
  if (!blob) {
    log::warn("thumbnail {}: not mailed, the picture could not be read: {}", job->id,
              blob.error().message);
    co_return;
  }
  auto ext = item.blob_key.substr(item.blob_key.rfind('.') + 1);
  mail.subject = "Your thumbnail is ready";
  mail.text = "The thumbnail of " + item.url + " (" + std::to_string(item.width) + "x" +
              std::to_string(item.height) + ") is attached.\r\nRequest " + job->id + ".\r\n";
  mail.attachments.push_back({"thumbnail." + ext, item.content_type, std::move(blob->bytes)});
  mailer_->send(std::move(mail));
}

}  // namespace shot::service
