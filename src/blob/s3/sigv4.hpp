#pragma once
// AWS Signature Version 4 for S3: the Authorization header of a request and
// presigned (query-string) URLs. Pure functions of their inputs (the time is
// passed in), so AWS's published worked examples test them exactly.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shot::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials; empty otherwise
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ stay, the
// rest is %XX (upper case); '/' stays when `keep_slash` (object key paths).
std::string uri_encode(std::string_view text, bool keep_slash);

// "20130524T000000Z"
std::string amz_date(std::chrono::system_clock::time_point t);

struct SignedRequest {
  std::string method;
  std::string path;     // as sent: already encoded, starts with '/'
  Pairs query;          // names and values not encoded
  Pairs headers;        // every header to sign, host and x-amz-date among them
  std::string payload;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

// The canonical request of SigV4 (exposed for tests and debugging).
std::string canonical_request(const SignedRequest& request);

// The Authorization header value for `request`, signed at `date` (amz_date form,
// equal to the x-amz-date header) for `region` and service s3.
std::string authorization(const SignedRequest& request, const Credentials& credentials,
                          std::string_view region, std::string_view date);

// The query string (without '?') of a presigned GET of `path` on `host`
// ("host" or "host:port", as the client will send it), valid `expires` from `date`.
std::string presigned_query(std::string_view host, std::string_view path,
                            const Credentials& credentials, std::string_view region,
                            std::string_view date, std::chrono::seconds expires);

}  // namespace shot::s3
