#pragma once
// Thumbnails (DESIGN §5.1 POST /v1/thumbnails, GET /v1/thumbnail; §5.2 /api/thumb).
// A thumbnail job is an ordinary job of kind `thumbnail` with one item: it is
// stored, queued, retried, viewed and announced by webhook through JobService;
// this class checks the request, stores an uploaded image, and is the item
// producer for that kind (fetch or read the source, probe, scale, store).
// An image URL is fetched through the egress-checked HTTP client with a size
// limit; the format is sniffed from the bytes and the pixel count read from the
// header before anything is decoded (image::thumbnail).

#include <memory>
#include <string>

#include "core/asio.hpp"
#include "core/json.hpp"
#include "image/image.hpp"
#include "net/http_client.hpp"
#include "notify/email.hpp"
#include "service/job_service.hpp"

namespace shot::service {

struct ThumbnailLimits {
  image::Limits image;           // max_bytes also caps a download
  int max_side = 4096;           // width or height of a thumbnail
  Millis fetch_timeout{20'000};  // one image download, redirects included
  int max_redirects = 5;
};

// width, height, fit, format, quality from `o` (unknown keys are not looked
// at); errors name `prefix` + the field. Defaults: fit contain, format jpeg.
Result<image::ThumbnailOptions> thumbnail_options_from_json(const json::object& o,
                                                            const ThumbnailLimits& limits,
                                                            std::string_view prefix = "");
json::object to_json(const image::ThumbnailOptions& options);

// The `thumbnail` capture option of `capture_options`, checked (fields named
// options.thumbnail.*); nullopt when it is not set.
Result<std::optional<image::ThumbnailOptions>> capture_thumbnail_option(
    const json::object& capture_options);
// Scales a captured picture and stores it at `key` + extension; what the job
// view shows of it (blob_key, content_type, bytes, width, height, sha256). Blocking.
Result<json::object> store_thumbnail(BlobStore& blobs, std::string_view picture,
                                     const image::ThumbnailOptions& options,
                                     const std::string& key);

struct ThumbnailRequest {
  std::string image_url;  // either this
  std::string upload;     // or the uploaded image's bytes
  image::ThumbnailOptions options;
  std::string callback_url;
  std::string email;  // mail the thumbnail here when done
  std::string owner;
  std::string idempotency_key;
  std::string request_hash;
};

class ThumbnailService {
 public:
  // Registers itself with `jobs` as the producer of thumbnail items; `mailer`
  // may be null (then a request with an e-mail address is refused).
  ThumbnailService(JobService& jobs, asio::thread_pool& blocking,
                   std::unique_ptr<net::HttpClient> client, notify::Mailer* mailer,
                   ThumbnailLimits limits = {});

  // Checks, stores the upload, submits the job. Errors name the field at fault
  // (image_url, file, email, callback_url, width, ...).
  Task<Result<Submitted>> submit(ThumbnailRequest request);
  // GET /v1/thumbnail: fetches and scales now.
  Task<Result<image::Encoded>> make_now(std::string image_url, image::ThumbnailOptions options);
  // Scales bytes already in hand (the `thumbnail` capture option).
  Task<Result<image::Encoded>> scale(std::string bytes, image::ThumbnailOptions options);

  const ThumbnailLimits& limits() const { return limits_; }

 private:
  Task<Result<Picture>> produce(const Job& job, const Item& item, std::string blob_key);
  Task<void> job_done(const Job& job);
  Task<Result<std::string>> download(std::string url);

  JobService& jobs_;
  asio::thread_pool& blocking_;
  std::shared_ptr<net::HttpClient> client_;
  notify::Mailer* mailer_;
  ThumbnailLimits limits_;
};

}  // namespace shot::service
