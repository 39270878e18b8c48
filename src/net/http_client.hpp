#pragma once
// Outbound HTTP for image fetches, webhooks and object storage: libcurl easy,
// blocking (run it on a thread pool), every hop checked by the egress policy and
// pinned to the address that was checked.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"
#include "net/egress_policy.hpp"

namespace shot::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;  // sent as is; set a Content-Type header for it
  // The whole exchange, redirects included, ends by the earlier of the two.
  Deadline deadline = Deadline::never();
  Millis timeout{30'000};
  std::size_t max_response_bytes = 32 * 1024 * 1024;
  int max_redirects = 5;
  bool follow_redirects = true;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-case, in the order received
  std::string body;
  std::string final_url;  // after redirects, normalized

  // The first value of header `name` (lower-case), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Errors: invalid_argument (bad URL, method or header), blocked (egress policy, at
// any hop), too_large ("response larger than N bytes"), timeout, unavailable
// (could not connect, connection dropped; worth retrying), navigation_failed
// (name does not resolve, TLS failure, too many redirects, bad redirect).
Result<HttpResponse> fetch(const HttpRequest& request, const EgressPolicy& policy);

// The same, as an interface, so the layers above (notify, image fetches) can be
// tested with a fake.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> fetch(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpClient> make_curl_http_client(EgressPolicy policy);

}  // namespace shot::net
