#pragma once
// BlobStore on S3 (or anything speaking its REST API: MinIO, Ceph, s3rver):
// one PUT/GET/HEAD/DELETE per call over net/'s HTTP client, signed with SigV4.
// The endpoint is operator configuration, so the user egress policy does not
// apply to it: the client allows exactly the configured host, nothing else.
//
//   s3://BUCKET?endpoint=URL&region=R&path_style=true|false&presign=true|false
//              &access_key=..&secret_key=..&session_token=..
//
// endpoint defaults to https://s3.REGION.amazonaws.com, region to us-east-1,
// path_style to false (BUCKET.host), presign to true (item links redirect to a
// presigned GET). Credentials missing from the URL come from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.

#include <array>
#include <memory>
#include <mutex>
#include <string>

#include "blob/blob_store.hpp"
#include "blob/s3/sigv4.hpp"
#include "net/http_client.hpp"

namespace shot {

struct S3Config {
  std::string bucket;
  std::string scheme = "https";
  std::string host;  // the endpoint's host, without the bucket
  std::uint16_t port = 443;
  std::string region = "us-east-1";
  bool path_style = false;
  bool presign = true;
  s3::Credentials credentials;

  // invalid_argument (field "blobs") for a bad URL or missing credentials.
  static Result<S3Config> parse(std::string_view url);
  // "host[:port]" as sent in the Host header, the bucket in it unless path-style.
  std::string host_header() const;
  // The request path of `key` (encoded), "/BUCKET/KEY" when path-style.
  std::string path(std::string_view key) const;
};

class S3BlobStore final : public BlobStore {
 public:
  // Checks the bucket is reachable (HEAD): unavailable when it is not.
  static Result<std::unique_ptr<S3BlobStore>> open(std::string_view url);

  Result<void> put(std::string_view key, std::string_view bytes,
                   std::string_view content_type) override;
  Result<Blob> get(std::string_view key) override;
  Result<BlobInfo> head(std::string_view key) override;
  Result<void> remove(std::string_view key) override;
  std::optional<std::string> local_path(std::string_view key) override;
  std::optional<std::string> presign(std::string_view key, std::chrono::seconds ttl) override;
  Result<void> ping() override;

  S3BlobStore(S3Config config, net::EgressPolicy policy);

 private:
  // Signs and sends one request for `path` (already encoded): the response
  // (2xx, 404 and the like), or unavailable when S3 cannot be reached, is down
  // (5xx) or refuses us (400, 403). send() tries a few times.
  Result<net::HttpResponse> send(std::string_view method, const std::string& path,
                                 std::string_view body, net::HttpHeaders extra);
  Result<net::HttpResponse> send_once(std::string_view method, const std::string& path,
                                      std::string_view body, const net::HttpHeaders& extra);
  S3Config config_;
  net::EgressPolicy policy_;
  std::array<std::mutex, 64> put_locks_;  // by hash of the key
};

}  // namespace shot
