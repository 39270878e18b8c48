#include "net/http_client.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "core/strings.hpp"
#include "net/url.hpp"

namespace shot::net {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

class StringList {
 public:
  bool append(const std::string& item) {
    curl_slist* head = curl_slist_append(list_.get(), item.c_str());
    if (head == nullptr) return false;
    (void)list_.release();  // the same head when the list was not empty
    list_.reset(head);
    return true;
  }
  curl_slist* get() const { return list_.get(); }

 private:
  struct Deleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };
  std::unique_ptr<curl_slist, Deleter> list_;
};

bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

// Everything one perform() shares with its callbacks.
struct Transfer {
  std::size_t limit = 0;
  bool too_large = false;
  std::string body;
  HttpHeaders headers;
  ResolvedAddress pinned;
  bool socket_refused = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer: nothing past the limit is ever held
  }
  t->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  // Each response (a 100 Continue, then the real one) starts with its status line.
  if (line.starts_with("HTTP/")) {
    t->headers.clear();
  } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    if (!t->headers.empty()) t->headers.back().second += " " + std::string(trim(line));
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->headers.emplace_back(lower_ascii(trim(line.substr(0, colon))),
                            std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

// The last line of defence: curl may open a socket only to the address the
// policy checked, whatever it thinks the host resolves to.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  std::optional<ResolvedAddress> target;
  if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in sin{};
    std::memcpy(&sin, &address->addr, sizeof sin);
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &sin.sin_addr, 4);
    target = ResolvedAddress{IpAddress::v4(bytes), ntohs(sin.sin_port)};
  } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &address->addr, sizeof sin6);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
    target = ResolvedAddress{IpAddress::v6(bytes), ntohs(sin6.sin6_port)};
  }
  if (!target || *target != t->pinned) {
    t->socket_refused = true;
    return CURL_SOCKET_BAD;
  }
  // CLOEXEC: the process also forks Chromium, which must not inherit sockets.
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

struct Hop {
  std::string method;
  ParsedUrl url;
  const HttpHeaders* headers = nullptr;
  const std::string* body = nullptr;
};

// Outcome of one attempt against one address.
struct Attempt {
  CURLcode code = CURLE_OK;
  Transfer transfer;
  long status = 0;
};

Result<Attempt> perform(const Hop& hop, const ResolvedAddress& address, const HttpRequest& request,
                        Deadline deadline) {
  EasyHandle handle(curl_easy_init());
  if (!handle) return fail(Errc::internal, "curl_easy_init failed");
  CURL* h = handle.get();

  Attempt attempt;
  Transfer& t = attempt.transfer;
  t.limit = request.max_response_bytes;
  t.pinned = address;

  // Every connection goes to the checked address, however curl spells the host
  // (IDN, case): an empty HOST:PORT in CONNECT_TO matches all.
  StringList connect_to;
  StringList headers;
  bool ok =
      connect_to.append("::" + address.address.to_url_host() + ":" + std::to_string(address.port));
  bool has_content_type = false;
  for (const auto& [name, value] : *hop.headers) {
    if (!is_token(name) || value.find_first_of("\r\n") != std::string::npos) {
      return fail(Errc::invalid_argument, "bad request header: " + name);
    }
    if (lower_ascii(name) == "content-type") has_content_type = true;
    // "Name;" is curl's spelling of a header with an empty value.
    ok = ok && headers.append(value.empty() ? name + ";" : name + ": " + value);
  }
  ok = ok && headers.append("Expect:");  // no 100-continue round trip for bodies
  if (!has_content_type) ok = ok && headers.append("Content-Type:");
  if (!ok) return fail(Errc::internal, "out of memory building a request");

  auto remaining = std::clamp<long long>(deadline.remaining().count(), 1, 24LL * 3600 * 1000);
  curl_easy_setopt(h, CURLOPT_URL, hop.url.normalized.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // each hop is checked by fetch()
  curl_easy_setopt(h, CURLOPT_PROXY, "");           // ignore http_proxy & co.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);        // threads: no SIGALRM for timeouts
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(request.max_response_bytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "shot");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t);

  const std::string& body = *hop.body;
  if (hop.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (!body.empty() || hop.method == "POST" || hop.method == "PUT" ||
             hop.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    if (hop.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, hop.method.c_str());
  } else if (hop.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, hop.method.c_str());
  }

  attempt.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &attempt.status);
  return attempt;
}

Error attempt_error(const Attempt& a, const Hop& hop, const ResolvedAddress& address,
                    const HttpRequest& request) {
  const std::string& host = hop.url.host;
  if (a.transfer.too_large || a.code == CURLE_FILESIZE_EXCEEDED) {
    return {Errc::too_large,
            "response larger than " + std::to_string(request.max_response_bytes) + " bytes"};
  }
  if (a.transfer.socket_refused) {
    return {Errc::blocked, "connection to " + host + " refused: not the checked address"};
  }
  switch (a.code) {
    case CURLE_OPERATION_TIMEDOUT:
      return {Errc::timeout, "request to " + host + " timed out"};
    case CURLE_COULDNT_CONNECT:
      return {Errc::unavailable, "could not connect to " + host + " (" + address.to_string() + ")"};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return {Errc::unavailable,
              "connection to " + host + " failed: " + curl_easy_strerror(a.code)};
    default:
      return {Errc::navigation_failed,
              "request to " + host + " failed: " + curl_easy_strerror(a.code)};
  }
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool same_origin(const ParsedUrl& a, const ParsedUrl& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(EgressPolicy policy) : policy_(std::move(policy)) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    return net::fetch(request, policy_);
  }

 private:
  EgressPolicy policy_;
};

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<HttpResponse> fetch(const HttpRequest& request, const EgressPolicy& policy) {
  global_init();
  if (!is_token(request.method)) return fail(Errc::invalid_argument, "bad HTTP method");
  auto url = parse_target_url(request.url);
  if (!url) return fail(url.error());
  Deadline deadline = request.deadline.capped(request.timeout);

  // Redirects may change the method and drop the body and credentials, so each
  // hop works on its own copies.
  HttpHeaders headers = request.headers;
  std::string body = request.body;
  Hop hop{request.method, std::move(*url), &headers, &body};

  for (int redirects = 0;; ++redirects) {
    if (deadline.expired()) return fail(Errc::timeout, "request to " + hop.url.host + " timed out");
    auto addresses = policy.resolve_and_check(hop.url.host, hop.url.port, deadline);
    if (!addresses) return fail(addresses.error());

    // Addresses in order until one accepts the connection; each was checked.
    std::optional<Attempt> done;
    Error last_error;
    for (const auto& address : *addresses) {
      auto attempt = perform(hop, address, request, deadline);
      if (!attempt) return fail(attempt.error());
      if (attempt->code == CURLE_OK) {
        done = std::move(*attempt);
        break;
      }
      last_error = attempt_error(*attempt, hop, address, request);
      if (attempt->code != CURLE_COULDNT_CONNECT || attempt->transfer.socket_refused) {
        return fail(std::move(last_error));
      }
    }
    if (!done) return fail(std::move(last_error));

    auto location = std::find_if(done->transfer.headers.begin(), done->transfer.headers.end(),
                                 [](const auto& h) { return h.first == "location"; });
    if (!request.follow_redirects || !is_redirect(done->status) ||
        location == done->transfer.headers.end()) {
      HttpResponse response;
      response.status = static_cast<int>(done->status);
      response.headers = std::move(done->transfer.headers);
      response.body = std::move(done->transfer.body);
      response.final_url = hop.url.normalized;
      return response;
    }
    if (redirects >= request.max_redirects) {
      return fail(Errc::navigation_failed,
                  "too many redirects (more than " + std::to_string(request.max_redirects) + ")");
    }
    auto next = resolve_redirect(hop.url, location->second);
    if (!next) {
      return fail(Errc::navigation_failed, "redirect refused: " + next.error().message);
    }
    // As browsers do: 303 always, and 301/302 after a POST, continue as GET.
    if ((done->status == 303 && hop.method != "HEAD") ||
        ((done->status == 301 || done->status == 302) && hop.method == "POST")) {
      hop.method = "GET";
      body.clear();
      std::erase_if(headers, [](const auto& h) {
        auto name = lower_ascii(h.first);
        return name == "content-type" || name == "content-length";
      });
    }
    // Credentials are for the origin they were given for.
    if (!same_origin(hop.url, *next)) {
      std::erase_if(headers, [](const auto& h) {
        auto name = lower_ascii(h.first);
        return name == "authorization" || name == "cookie" || name == "proxy-authorization";
      });
    }
    hop.url = std::move(*next);
  }
}

std::unique_ptr<HttpClient> make_curl_http_client(EgressPolicy policy) {
  return std::make_unique<CurlHttpClient>(std::move(policy));
}

}  // namespace shot::net
