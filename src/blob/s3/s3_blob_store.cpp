#include "blob/s3/s3_blob_store.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <thread>

#include <openssl/evp.h>

#include "core/digest.hpp"
#include "core/strings.hpp"
#include "net/url.hpp"

namespace shot {
namespace {

constexpr Millis kRequestTimeout{60'000};
constexpr std::size_t kMaxBlobBytes = 512u << 20;
// Reads of one object before a GET gives up on bytes that keep failing their
// ETag check: about 3 s of pauses, far longer than one PUT takes.
constexpr int kGetAttempts = 10;

Error bad_url(std::string why) {
  return Error{Errc::invalid_argument, "S3 blob store URL: " + why, "blobs"};
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// "<Code>NoSuchBucket</Code>" → "NoSuchBucket": S3 errors name themselves there.
std::string error_code(std::string_view xml) {
  auto start = xml.find("<Code>");
  auto end = xml.find("</Code>");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start) return "";
  start += 6;
  return std::string(xml.substr(start, std::min<std::size_t>(end - start, 100)));
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Whether a GET's bytes are a whole version of the object, by the ETag in the
// same response. S3 gives a single-part upload (all this store writes) the
// ETag "<hex MD5 of the bytes>"; a multipart upload "<hex>-<parts>", which
// cannot be checked here. A server that writes in place (s3rver) can answer
// mid-write with a prefix of the new bytes and an ETag that is the old MD5, or
// empty while its MD5 file is being rewritten: neither may pass. (Objects
// encrypted with SSE-KMS or SSE-C have 32-hex ETags that are not MD5s: they
// never pass, so such buckets are not supported.)
bool whole_by_etag(std::optional<std::string_view> header, std::string_view bytes) {
  if (!header) return true;  // a server without ETags: nothing to check against
  auto etag = *header;
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  if (etag.empty()) return false;
  if (!is_hex(etag)) return true;  // multipart and other forms that are not an MD5
  if (etag.size() != 32) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_md5(), nullptr) != 1) return true;
  return lower_ascii(etag) == to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

// Runs `once` again while it fails as unavailable (S3's 503 SlowDown, a
// dropped connection, bytes caught mid-write), with a growing pause, bounded.
template <class F>
auto with_retries(F&& once, int attempts = 4) -> decltype(once()) {
  Millis pause{50};
  for (int attempt = 1;; ++attempt) {
    auto r = once();
    if (r || r.error().code != Errc::unavailable || attempt == attempts) return r;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, Millis(500));
  }
}

}  // namespace

Result<S3Config> S3Config::parse(std::string_view url) {
  auto uri = boost::urls::parse_uri(url);
  if (!uri || uri->scheme() != "s3") return fail(bad_url("expected s3://BUCKET?endpoint=..."));
  S3Config c;
  c.bucket = uri->host();
  if (!valid_bucket(c.bucket)) return fail(bad_url("bad bucket name"));
  if (!uri->path().empty() && uri->path() != "/")
    return fail(bad_url("no path after the bucket (options go in the query)"));
  std::string endpoint;
  for (auto param : uri->params()) {
    const std::string& k = param.key;
    const std::string& v = param.value;
    if (k == "endpoint") {
      endpoint = v;
    } else if (k == "region") {
      c.region = v;
    } else if (k == "path_style") {
      c.path_style = v == "true" || v == "1";
    } else if (k == "presign") {
      c.presign = v == "true" || v == "1";
    } else if (k == "access_key") {
      c.credentials.access_key = v;
    } else if (k == "secret_key") {
      c.credentials.secret_key = v;
    } else if (k == "session_token") {
      c.credentials.session_token = v;
    } else {
      return fail(bad_url("unknown option " + k));
    }
  }
  if (c.region.empty()) return fail(bad_url("empty region"));
  if (endpoint.empty()) endpoint = "https://s3." + c.region + ".amazonaws.com";
  auto parsed = net::parse_target_url(endpoint);
  if (!parsed) return fail(bad_url("bad endpoint: " + parsed.error().message));
  if (parsed->target != "/") return fail(bad_url("the endpoint has no path"));
  c.scheme = parsed->scheme;
  c.host = parsed->host;
  c.port = parsed->port;
  if (c.credentials.access_key.empty()) c.credentials.access_key = env("AWS_ACCESS_KEY_ID");
  if (c.credentials.secret_key.empty()) c.credentials.secret_key = env("AWS_SECRET_ACCESS_KEY");
  if (c.credentials.session_token.empty()) c.credentials.session_token = env("AWS_SESSION_TOKEN");
  if (c.credentials.access_key.empty() || c.credentials.secret_key.empty()) {
    return fail(
        bad_url("no credentials: set access_key and secret_key, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"));
  }
  return c;
}

std::string S3Config::host_header() const {
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  std::string h = path_style ? host : bucket + "." + host;
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string S3Config::path(std::string_view key) const {
  const auto encoded = s3::uri_encode(key, true);
  return path_style ? "/" + bucket + "/" + encoded : "/" + encoded;
}

S3BlobStore::S3BlobStore(S3Config config, net::EgressPolicy policy)
    : config_(std::move(config)), policy_(std::move(policy)) {}

Result<std::unique_ptr<S3BlobStore>> S3BlobStore::open(std::string_view url) {
  auto config = S3Config::parse(url);
  if (!config) return fail(config.error());
  // The operator's endpoint is trusted whatever its address (a private network,
  // loopback in tests); only that host: the user egress policy stays as it is.
  net::EgressConfig trusted;
  trusted.allow_hosts.push_back(config->host_header());
  auto policy = net::EgressPolicy::create(trusted);
  if (!policy) return fail(bad_url("bad endpoint host: " + policy.error().message));
  auto store = std::make_unique<S3BlobStore>(std::move(*config), std::move(*policy));
  if (auto ok = store->ping(); !ok) return fail(ok.error());
  return store;
}

Result<net::HttpResponse> S3BlobStore::send(std::string_view method, const std::string& path,
                                            std::string_view body, net::HttpHeaders extra) {
  return with_retries([&] { return send_once(method, path, body, extra); });
}

Result<net::HttpResponse> S3BlobStore::send_once(std::string_view method, const std::string& path,
                                                 std::string_view body,
                                                 const net::HttpHeaders& extra) {
  const auto date = s3::amz_date(std::chrono::system_clock::now());
  s3::SignedRequest signed_request;
  signed_request.method = std::string(method);
  signed_request.path = path;
  signed_request.payload = sha256_hex(body);
  signed_request.headers = {{"host", config_.host_header()},
                            {"x-amz-date", date},
                            {"x-amz-content-sha256", signed_request.payload}};
  if (!config_.credentials.session_token.empty())
    signed_request.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
  for (const auto& h : extra)
    signed_request.headers.push_back(h);

  net::HttpRequest request;
  request.method = std::string(method);
  request.url = config_.scheme + "://" + config_.host_header() + path;
  request.body = std::string(body);
  request.timeout = kRequestTimeout;
  request.follow_redirects = false;
  request.max_response_bytes = kMaxBlobBytes;
  // curl sends Host itself, from the URL: the same value that was signed.
  for (const auto& h : signed_request.headers)
    if (h.first != "host") request.headers.push_back(h);
  // Each fetch has a connection of its own. Saying so lets a server that ends a
  // response short (s3rver, when a PUT shrinks the object under a GET) close
  // it at once: the short read fails and is retried, instead of waiting for
  // bytes that never come until the server drops the idle connection (5 s).
  request.headers.emplace_back("Connection", "close");
  request.headers.emplace_back(
      "Authorization",
      s3::authorization(signed_request, config_.credentials, config_.region, date));

  auto response = net::fetch(request, policy_);
  if (!response) {
    auto e = response.error();
    if (e.code != Errc::invalid_argument) e.code = Errc::unavailable;
    e.message = "S3 " + std::string(method) + ": " + e.message;
    return fail(std::move(e));
  }
  if (response->status >= 500 || response->status == 403 || response->status == 400) {
    // Down, refusing our credentials, or not liking the request: not the caller's fault.
    auto code = error_code(response->body);
    return fail(Errc::unavailable, "S3 " + std::string(method) + " answered " +
                                       std::to_string(response->status) +
                                       (code.empty() ? "" : " " + code));
  }
  return response;
}

Result<void> S3BlobStore::put(std::string_view key, std::string_view bytes,
                              std::string_view content_type) {
  if (auto ok = validate_blob_key(key); !ok) return ok;
  // A single PUT is atomic in S3: readers see the old object or the new one.
  // Some look-alikes (s3rver) write in place, and two PUTs of one key at once
  // can interleave there: this process sends one at a time per key.
  std::lock_guard lock(put_locks_[std::hash<std::string_view>{}(key) % put_locks_.size()]);
  auto r = send("PUT", config_.path(key), bytes, {{"content-type", std::string(content_type)}});
  if (!r) return fail(r.error());
  if (r->status / 100 != 2)
    return fail(Errc::internal, "S3 PUT answered " + std::to_string(r->status));
  return {};
}

Result<Blob> S3BlobStore::get(std::string_view key) {
  if (auto ok = validate_blob_key(key); !ok) return fail(ok.error());
  return with_retries(
      [&]() -> Result<Blob> {
        auto r = send("GET", config_.path(key), "", {});
        if (!r) return fail(r.error());
        if (r->status == 404) return fail(Errc::not_found, "no such blob");
        if (r->status != 200)
          return fail(Errc::internal, "S3 GET answered " + std::to_string(r->status));
        // Bytes that are not a whole version were damaged or caught mid-write
        // (some S3 look-alikes write in place): read again, a bounded number of times.
        if (!whole_by_etag(r->header("etag"), r->body)) {
          return fail(Errc::unavailable,
                      "S3 GET: the bytes read do not match their ETag (the object was "
                      "being rewritten, or was damaged); gave up after " +
                          std::to_string(kGetAttempts) + " tries");
        }
        return Blob{std::move(r->body),
                    std::string(r->header("content-type").value_or("application/octet-stream"))};
      },
      kGetAttempts);
}

Result<BlobInfo> S3BlobStore::head(std::string_view key) {
  if (auto ok = validate_blob_key(key); !ok) return fail(ok.error());
  auto r = send("HEAD", config_.path(key), "", {});
  if (!r) return fail(r.error());
  if (r->status == 404) return fail(Errc::not_found, "no such blob");
  if (r->status != 200)
    return fail(Errc::internal, "S3 HEAD answered " + std::to_string(r->status));
  BlobInfo info;
  info.content_type = r->header("content-type").value_or("application/octet-stream");
  const auto length = r->header("content-length").value_or("0");
  info.bytes = std::strtoll(std::string(length).c_str(), nullptr, 10);
  return info;
}

Result<void> S3BlobStore::remove(std::string_view key) {
  if (auto ok = validate_blob_key(key); !ok) return ok;
  auto r = send("DELETE", config_.path(key), "", {});
  if (!r) return fail(r.error());
  if (r->status / 100 != 2 && r->status != 404)
    return fail(Errc::internal, "S3 DELETE answered " + std::to_string(r->status));
  return {};
}

std::optional<std::string> S3BlobStore::local_path(std::string_view) {
  return std::nullopt;
}

std::optional<std::string> S3BlobStore::presign(std::string_view key, std::chrono::seconds ttl) {
  if (!config_.presign || !validate_blob_key(key)) return std::nullopt;
  // S3 accepts 1 s to 7 days.
  ttl = std::clamp(ttl, std::chrono::seconds(1), std::chrono::seconds(604'800));
  const auto date = s3::amz_date(std::chrono::system_clock::now());
  const auto path = config_.path(key);
  return config_.scheme + "://" + config_.host_header() + path + "?" +
         s3::presigned_query(config_.host_header(), path, config_.credentials, config_.region, date,
                             ttl);
}

Result<void> S3BlobStore::ping() {
  auto r = send("HEAD", config_.path_style ? "/" + config_.bucket : "/", "", {});
  if (!r) return fail(r.error());
  if (r->status / 100 != 2) {
    return fail(Errc::unavailable, "S3 bucket " + config_.bucket + " is not reachable (HEAD " +
                                       std::to_string(r->status) + ")");
  }
  return {};
}

}  // namespace shot
