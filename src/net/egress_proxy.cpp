#include "net/egress_proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <vector>

#include "core/async_semaphore.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "net/url.hpp"

namespace shot::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Header names (lower-case) listed in a Connection header: hop-by-hop too.
std::vector<std::string> connection_tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    auto comma = value.find(',');
    auto token = trim(value.substr(0, comma));
    if (!token.empty()) out.push_back(lower_ascii(token));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus
// Expect (the proxy reads whole bodies, so no 100-continue round trip) and
// Proxy-* (credentials for us, never for the origin).
bool hop_by_hop(std::string_view lower_name, const std::vector<std::string>& listed) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "expect"};
  if (std::find(kNames.begin(), kNames.end(), lower_name) != kNames.end()) return true;
  if (lower_name.starts_with("proxy-")) return true;
  return std::find(listed.begin(), listed.end(), lower_name) != listed.end();
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text)
    out += (c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  return out;
}

std::string simple_response(int status, std::string_view reason, std::string_view body,
                            std::string_view blocked_reason = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  r += "Content-Type: text/plain; charset=utf-8\r\n";
  r += "Content-Length: " + std::to_string(body.size() + 1) + "\r\n";
  if (!blocked_reason.empty()) r += "X-Shot-Blocked: " + one_line(blocked_reason) + "\r\n";
  r += "Connection: close\r\n\r\n";
  r += body;
  r += "\n";
  return r;
}

tcp::endpoint to_endpoint(const ResolvedAddress& a) {
  if (a.address.is_v4()) return {asio::ip::address_v4(a.address.v4_value()), a.port};
  asio::ip::address_v6::bytes_type bytes{};
  std::copy(a.address.bytes().begin(), a.address.bytes().end(), bytes.begin());
  return {asio::ip::address_v6(bytes), a.port};
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "host:port" or "[v6]:port", as in a CONNECT request line.
std::optional<std::pair<std::string, std::uint16_t>> parse_authority(std::string_view target) {
  auto colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto host = target.substr(0, colon);
  auto port = parse_port(target.substr(colon + 1));
  if (!port) return std::nullopt;
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string_view::npos)
    return std::nullopt;
  return std::pair{lower_ascii(host), *port};
}

// Where a response body ends, tracked while its bytes are relayed verbatim:
// the proxy closes the client connection right after it, whatever the
// upstream does with its side (RFC 9112 §6.3).
class BodyEnd {
 public:
  enum class Kind { none, length, chunked, until_close };
  BodyEnd(Kind kind, std::uint64_t length) : kind_(kind), remaining_(length) {}

  bool done() const {
    return done_ || kind_ == Kind::none || (kind_ == Kind::length && remaining_ == 0);
  }
  bool bad() const { return bad_; }

  // How many of `data`'s bytes belong to the body (the rest is discarded).
  std::size_t feed(std::string_view data) {
    if (kind_ == Kind::until_close) return data.size();
    if (kind_ != Kind::chunked) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
      remaining_ -= n;
      return kind_ == Kind::none ? 0 : n;
    }
    std::size_t i = 0;
    while (i < data.size() && !done_ && !bad_) {
      switch (state_) {
        case State::size_line:
        case State::trailer_line: {
          char c = data[i++];
          if (c != '\n') {
            if (line_.size() > 4096) bad_ = true;
            line_ += c;
            break;
          }
          if (state_ == State::trailer_line) {
            if (trim(line_).empty()) done_ = true;
          } else {
            std::string_view digits = line_;
            digits = trim(digits.substr(0, digits.find(';')));
            std::uint64_t size = 0;
            if (digits.empty() || digits.size() > 15) bad_ = true;
            for (char d : digits) {
              int v =
                  std::isxdigit(static_cast<unsigned char>(d))
                      ? (std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                                                                     : (std::tolower(d) - 'a' + 10))
                      : -1;
              if (v < 0) bad_ = true;
              size = size * 16 + static_cast<std::uint64_t>(std::max(v, 0));
            }
            remaining_ = size;
            state_ = size == 0 ? State::trailer_line : State::data;
          }
          line_.clear();
          break;
        }
        case State::data: {
          auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
          i += n;
          remaining_ -= n;
          if (remaining_ == 0) state_ = State::data_end;
          break;
        }
        case State::data_end:  // the CRLF after a chunk's data
          if (data[i++] == '\n') state_ = State::size_line;
          break;
      }
    }
    return i;
  }

 private:
  enum class State { size_line, data, data_end, trailer_line };
  Kind kind_;
  std::uint64_t remaining_ = 0;
  State state_ = State::size_line;
  std::string line_;
  bool done_ = false;
  bool bad_ = false;
};

struct ResponseHead {
  std::string text;             // as sent to the client
  std::optional<BodyEnd> body;  // nullopt for a 1xx: another head follows
};

// A response head with hop-by-hop headers out and Connection: close in, and
// where its body ends. Nothing for a malformed head or an upgrade (101): the
// proxy never asks for one.
std::optional<ResponseHead> rewrite_response_head(std::string_view head, bool head_request) {
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  int status = 0;
  if (status_line.size() >= 12 && status_line.starts_with("HTTP/1.")) {
    auto code = status_line.substr(9, 3);
    if (std::all_of(code.begin(), code.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  }
  if (status < 100 || status == 101) return std::nullopt;

  std::optional<std::string> transfer_encoding;
  std::optional<std::uint64_t> content_length;
  bool bad_length = false;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::vector<std::string> listed;
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto name = line.substr(0, colon);
    auto value = trim(line.substr(colon + 1));
    auto lower = lower_ascii(name);
    if (lower == "connection" || lower == "proxy-connection")
      for (auto& token : connection_tokens(value))
        listed.push_back(token);
    if (lower == "transfer-encoding") transfer_encoding = lower_ascii(value);
    if (lower == "content-length") {
      bool digits =
          !value.empty() && value.size() < 19 &&
          std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      std::uint64_t length = 0;
      for (char ch : value)
        length = length * 10 + static_cast<std::uint64_t>(ch - '0');
      // Two different lengths: a smuggling attempt, not a response.
      if (!digits || (content_length && *content_length != length)) bad_length = true;
      content_length = length;
    }
    fields.emplace_back(name, value);
  }
  if (bad_length && !transfer_encoding) return std::nullopt;

  ResponseHead out;
  out.text = std::string(status_line) + "\r\n";
  for (const auto& [name, value] : fields) {
    auto lower = lower_ascii(name);
    // The body is relayed as framed, so Transfer-Encoding stays.
    if (lower != "transfer-encoding" && hop_by_hop(lower, listed)) continue;
    out.text += std::string(name) + ": " + std::string(value) + "\r\n";
  }
  if (status >= 200) out.text += "Connection: close\r\n";
  out.text += "\r\n";
  if (status < 200) return out;
  if (head_request || status == 204 || status == 304) {
    out.body = BodyEnd(BodyEnd::Kind::none, 0);
  } else if (transfer_encoding) {
    out.body = BodyEnd(transfer_encoding->ends_with("chunked") ? BodyEnd::Kind::chunked
                                                               : BodyEnd::Kind::until_close,
                       0);
  } else if (content_length) {
    out.body = BodyEnd(BodyEnd::Kind::length, *content_length);
  } else {
    out.body = BodyEnd(BodyEnd::Kind::until_close, 0);
  }
  return out;
}

}  // namespace

struct EgressProxy::Impl : std::enable_shared_from_this<Impl> {
  // One client connection and, once connected, its upstream. The last
  // coroutine to let go of it gives back the connection slot.
  struct Connection {
    Connection(std::shared_ptr<Impl> owner, tcp::socket socket, std::uint64_t id)
        : impl(std::move(owner)), client(std::move(socket)), id(id) {}
    ~Connection() {
      close();
      impl->open.erase(id);
      --impl->stats.connections_open;
      impl->slots.release();
    }
    void close() {
      beast::error_code ec;
      client.socket().close(ec);
      if (upstream) upstream->socket().close(ec);
    }
    std::shared_ptr<Impl> impl;
    beast::tcp_stream client;
    std::optional<beast::tcp_stream> upstream;
    std::uint64_t id;
    std::size_t bytes = 0;  // both ways, against max_bytes
  };
  using ConnectionPtr = std::shared_ptr<Connection>;

  Impl(Executor ex, asio::thread_pool& p, EgressPolicy pol, ProxyOptions o)
      : executor(ex),
        pool(p),
        policy(std::move(pol)),
        options(o),
        acceptor(ex),
        slots(ex, std::max<std::size_t>(1, o.max_connections)) {}

  Task<void> accept_loop();
  Task<void> serve(ConnectionPtr c);
  Task<void> forward(ConnectionPtr c, http::request<http::string_body> request);
  Task<void> tunnel(ConnectionPtr c, std::string target, std::string leftover);
  // Checks, resolves once and connects to one of the checked addresses; on
  // failure answers the client (403, 502, 504) and returns false.
  Task<bool> connect_upstream(ConnectionPtr c, std::string host, std::uint16_t port);
  Task<void> answer(ConnectionPtr c, std::string response);
  // Copies `from` to `to` until either side ends, the idle timeout or the byte
  // cap; then closes both so the other direction ends too.
  // With `body`, the downstream copy ends where the response body does.
  Task<void> relay(ConnectionPtr c, bool downstream, std::string first, BodyEnd* body = nullptr);

  Executor executor;
  asio::thread_pool& pool;
  EgressPolicy policy;
  ProxyOptions options;
  tcp::acceptor acceptor;
  AsyncSemaphore slots;
  ProxyStats stats;
  bool stopped = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Connection>> open;
};

Task<void> EgressProxy::Impl::accept_loop() {
  auto self = shared_from_this();
  while (!stopped) {
    if (!co_await slots.acquire(Deadline::never())) continue;
    if (stopped) {
      slots.release();
      break;
    }
    auto [ec, socket] = co_await acceptor.async_accept(use_task);
    if (ec) {
      slots.release();
      if (stopped || ec == asio::error::operation_aborted) break;
      // Out of file descriptors and the like: back off instead of spinning.
      co_await sleep_for(Millis(50));
      continue;
    }
    ++stats.connections;
    ++stats.connections_open;
    auto c = std::make_shared<Connection>(self, std::move(socket), next_id++);
    open.emplace(c->id, c);
    asio::co_spawn(executor, serve(std::move(c)), asio::detached);
  }
}

Task<void> EgressProxy::Impl::answer(ConnectionPtr c, std::string response) {
  c->client.expires_after(options.read_timeout);
  co_await asio::async_write(c->client, asio::buffer(response), use_task);
  beast::error_code ec;
  c->client.socket().shutdown(tcp::socket::shutdown_send, ec);
}

Task<void> EgressProxy::Impl::serve(ConnectionPtr c) {
  // One request (or tunnel) per client connection: each destination is checked
  // on its own connection, and Chromium opens another for the next one.
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.max_request_body);
  c->client.expires_after(options.read_timeout);
  auto [ec, n] = co_await http::async_read(c->client, buffer, parser, use_task);
  if (ec) {
    if (ec == http::error::header_limit) {
      ++stats.failed;
      co_await answer(c,
                      simple_response(431, "Request Header Fields Too Large", "header too large"));
    } else if (ec == http::error::body_limit) {
      ++stats.failed;
      co_await answer(c, simple_response(413, "Content Too Large", "request body too large"));
    } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
               ec != asio::error::eof && ec != asio::error::operation_aborted) {
      ++stats.failed;
      co_await answer(c, simple_response(400, "Bad Request", "malformed request"));
    }
    co_return;
  }
  ++stats.requests;
  auto request = parser.release();
  if (request.method() == http::verb::connect) {
    std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
    co_await tunnel(std::move(c), std::string(request.target()), std::move(leftover));
  } else {
    co_await forward(std::move(c), std::move(request));
  }
}

Task<bool> EgressProxy::Impl::connect_upstream(ConnectionPtr c, std::string host,
                                               std::uint16_t port) {
  auto deadline = Deadline::in(options.connect_timeout);
  auto refuse = [this](const Error& e) {
    ++stats.blocked;
    log::info("egress proxy: refused {}", e.message);
    return simple_response(403, "Forbidden", "blocked by shot's egress policy: " + e.message,
                           e.message);
  };
  if (auto ok = policy.check_host_name(host, port); !ok) {
    co_await answer(c, refuse(ok.error()));
    co_return false;
  }
  // getaddrinfo blocks: off the I/O thread. The answer is checked as a whole
  // and only those addresses are ever connected to.
  // Captures by reference only: GCC 12 double-destroys a coroutine argument
  // lambda that holds a std::string. The frame outlives the call.
  auto resolved =
      co_await offload(pool, [&] { return policy.resolve_and_check(host, port, deadline); });
  if (stopped) co_return false;
  if (!resolved) {
    const Error& e = resolved.error();
    if (e.code == Errc::blocked) {
      co_await answer(c, refuse(e));
    } else {
      ++stats.failed;
      bool timed_out = e.code == Errc::timeout;
      co_await answer(c, simple_response(timed_out ? 504 : 502,
                                         timed_out ? "Gateway Timeout" : "Bad Gateway", e.message));
    }
    co_return false;
  }
  for (const auto& address : *resolved) {
    if (deadline.expired() || stopped) break;
    c->upstream.emplace(executor);
    c->upstream->expires_after(deadline.remaining());
    auto [ec] = co_await c->upstream->async_connect(to_endpoint(address), use_task);
    if (!ec) co_return true;
    c->upstream.reset();
  }
  if (stopped) co_return false;
  ++stats.failed;
  bool timed_out = deadline.expired();
  co_await answer(
      c, simple_response(timed_out ? 504 : 502, timed_out ? "Gateway Timeout" : "Bad Gateway",
                         "could not connect to " + host + ":" + std::to_string(port)));
  co_return false;
}

Task<void> EgressProxy::Impl::tunnel(ConnectionPtr c, std::string target, std::string leftover) {
  auto authority = parse_authority(target);
  if (!authority) {
    ++stats.failed;
    co_await answer(c, simple_response(400, "Bad Request", "CONNECT needs host:port"));
    co_return;
  }
  if (!co_await connect_upstream(c, authority->first, authority->second)) co_return;
  std::string established = "HTTP/1.1 200 Connection Established\r\n\r\n";
  c->client.expires_after(options.read_timeout);
  auto [ec, n] = co_await asio::async_write(c->client, asio::buffer(established), use_task);
  if (ec) co_return;
  asio::co_spawn(executor, relay(c, false, std::move(leftover)), asio::detached);
  co_await relay(std::move(c), true, {});
}

Task<void> EgressProxy::Impl::relay(ConnectionPtr c, bool downstream, std::string first,
                                    BodyEnd* body) {
  beast::tcp_stream& from = downstream ? *c->upstream : c->client;
  beast::tcp_stream& to = downstream ? c->client : *c->upstream;
  std::uint64_t& counter = downstream ? stats.bytes_down : stats.bytes_up;
  std::vector<char> buffer(std::max<std::size_t>(16 * 1024, first.size()));
  std::size_t pending = first.size();
  std::copy(first.begin(), first.end(), buffer.begin());
  for (;;) {
    if (pending == 0) {
      if (body != nullptr && body->done()) break;
      from.expires_after(options.idle_timeout);
      auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer), use_task);
      if (ec == beast::error::timeout) ++stats.over_limit;
      if (ec || n == 0) break;
      pending = n;
    }
    if (body != nullptr) {
      pending = body->feed(std::string_view(buffer.data(), pending));
      if (body->bad()) break;
      if (pending == 0) continue;
    }
    if (c->bytes + pending > options.max_bytes) {
      ++stats.over_limit;
      log::info("egress proxy: connection {} cut at {} bytes", c->id, options.max_bytes);
      break;
    }
    c->bytes += pending;
    counter += pending;
    to.expires_after(options.read_timeout);
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(buffer.data(), pending), use_task);
    if (ec) break;
    pending = 0;
  }
  c->close();
}

Task<void> EgressProxy::Impl::forward(ConnectionPtr c, http::request<http::string_body> request) {
  auto url = parse_target_url(request.target());
  if (!url || url->scheme != "http") {
    ++stats.failed;
    co_await answer(
        c, simple_response(400, "Bad Request", "a proxy request needs an absolute http:// URL"));
    co_return;
  }
  if (!co_await connect_upstream(c, url->host, url->port)) co_return;

  std::vector<std::string> listed;
  for (auto [it, end] = request.equal_range(http::field::connection); it != end; ++it)
    for (auto& token : connection_tokens(it->value()))
      listed.push_back(token);
  if (auto it = request.find("proxy-connection"); it != request.end())
    for (auto& token : connection_tokens(it->value()))
      listed.push_back(token);

  http::request<http::string_body> out;
  out.method_string(request.method_string());
  out.target(url->target);
  out.version(11);
  for (const auto& field : request) {
    if (hop_by_hop(lower_ascii(field.name_string()), listed)) continue;
    out.insert(field.name_string(), field.value());
  }
  if (out.find(http::field::host) == out.end()) {
    bool default_port = url->port == 80;
    out.set(http::field::host,
            default_port ? url->host : url->host + ":" + std::to_string(url->port));
  }
  out.set(http::field::connection, "close");
  out.body() = std::move(request.body());
  out.prepare_payload();
  if (out.body().size() > options.max_bytes) {
    ++stats.over_limit;
    co_await answer(c, simple_response(413, "Content Too Large", "request body too large"));
    co_return;
  }

  c->upstream->expires_after(options.read_timeout);
  auto [wec, written] = co_await http::async_write(*c->upstream, out, use_task);
  if (wec) {
    ++stats.failed;
    co_await answer(c, simple_response(502, "Bad Gateway", "upstream closed the connection"));
    co_return;
  }
  c->bytes += out.body().size();
  stats.bytes_up += out.body().size();

  // The response head is rewritten (hop-by-hop headers out, Connection: close
  // in); the body is relayed byte for byte until the upstream closes.
  bool head_request = request.method() == http::verb::head;
  std::string in;
  std::string head_out;
  std::optional<BodyEnd> body;
  while (!body) {  // 1xx heads (103 Early Hints) are passed on, then the real one
    c->upstream->expires_after(options.read_timeout);
    auto [ec, head_size] = co_await asio::async_read_until(
        *c->upstream, asio::dynamic_buffer(in, options.header_limit), "\r\n\r\n", use_task);
    if (ec) {
      ++stats.failed;
      bool timed_out = ec == beast::error::timeout;
      if (timed_out) ++stats.over_limit;
      if (head_out.empty())
        co_await answer(
            c, simple_response(timed_out ? 504 : 502, timed_out ? "Gateway Timeout" : "Bad Gateway",
                               ec == asio::error::not_found ? "response head too large"
                                                            : "no response from upstream"));
      co_return;
    }
    auto head = rewrite_response_head(std::string_view(in.data(), head_size), head_request);
    in.erase(0, head_size);
    if (!head) {
      ++stats.failed;
      if (head_out.empty())
        co_await answer(c, simple_response(502, "Bad Gateway", "bad response from upstream"));
      co_return;
    }
    head_out += head->text;
    body = std::move(head->body);
  }
  c->bytes += head_out.size();
  stats.bytes_down += head_out.size();
  c->client.expires_after(options.read_timeout);
  auto [cec, sent] = co_await asio::async_write(c->client, asio::buffer(head_out), use_task);
  if (cec) co_return;
  co_await relay(std::move(c), true, std::move(in), &*body);
}

EgressProxy::EgressProxy(Executor executor, asio::thread_pool& pool, EgressPolicy policy,
                         ProxyOptions options)
    : impl_(std::make_shared<Impl>(executor, pool, std::move(policy), options)) {}

EgressProxy::~EgressProxy() {
  stop();
}

Result<void> EgressProxy::start() {
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(Errc::unavailable, "egress proxy: cannot listen on 127.0.0.1: " + ec.message());
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
  return {};
}

std::uint16_t EgressProxy::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

std::string EgressProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void EgressProxy::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  // Copied first: closing may let a coroutine finish and erase itself.
  std::vector<std::shared_ptr<Impl::Connection>> live;
  for (auto& [id, weak] : impl_->open)
    if (auto c = weak.lock()) live.push_back(std::move(c));
  for (auto& c : live)
    c->close();
  // Wakes the accept loop if it waits for a slot.
  impl_->slots.release();
}

const ProxyStats& EgressProxy::stats() const {
  return impl_->stats;
}

}  // namespace shot::net
