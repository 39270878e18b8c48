#include "http/server.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <random>
#include <vector>

#include "core/id.hpp"
#include "core/log.hpp"

namespace shot::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kReadChunk = 16 * 1024;
// After an error response the client may still be sending (an 11 MiB body, say):
// read and drop that for a while, or closing would reset the connection and
// lose the response we just sent.
constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);

struct Conn {
  beast::tcp_stream stream;
  bool idle = true;     // waiting for the next request: shutdown may close it at once
  bool closed = false;  // force-closed at the shutdown deadline
};

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

// A request's id when the client gave none: new_id()'s form (20 base32
// characters), from a generator seeded once by the OS, so a request costs no
// system call. Ids name requests in logs; they are not secrets.
std::string next_request_id() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  thread_local std::mt19937_64 random = [] {
    std::string entropy = new_id();
    std::seed_seq seed(entropy.begin(), entropy.end());
    return std::mt19937_64(seed);
  }();
  std::string id(20, ' ');
  auto bits = random();
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 12) bits = random();  // 12 characters of 5 bits from each draw
    id[i] = kAlphabet[bits & 31];
    bits >>= 5;
  }
  return id;
}

Result<tcp::endpoint> parse_listen(std::string_view listen) {
  std::string host;
  std::string_view port_text;
  if (listen.starts_with('[')) {
    auto close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return fail(Errc::invalid_argument, "listen address must be host:port", "listen");
    host = std::string(listen.substr(1, close - 1));
    port_text = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string_view::npos)
      return fail(Errc::invalid_argument, "listen address must be host:port", "listen");
    host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    return fail(Errc::invalid_argument, "bad port in listen address", "listen");
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code bad;
  auto address = asio::ip::make_address(host, bad);
  if (bad)
    return fail(Errc::invalid_argument, "listen host must be an IP address: " + host, "listen");
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

// Splits the request target into the path and the decoded query. An
// absolute-form target ("http://host/p?q") is reduced to its path and query.
void split_target(Request& req) {
  std::string_view t = req.target;
  if (!t.starts_with('/')) {
    auto scheme = t.find("://");
    if (scheme != std::string_view::npos) {
      auto slash = t.find('/', scheme + 3);
      t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
    }
  }
  auto q = t.find('?');
  req.path = std::string(t.substr(0, q));
  if (q != std::string_view::npos) req.query = parse_query(t.substr(q + 1));
}

bool is_hangup(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor;
}

bool has_no_body(int status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(Executor ex, ServerOptions opts, Router& r)
      : executor(asio::make_strand(ex)),
        options(std::move(opts)),
        router(r),
        acceptor(executor),
        slot_timer(executor),
        drain_timer(executor) {}

  Executor executor;  // a strand: every coroutine of this server runs on it
  ServerOptions options;
  Router& router;
  tcp::acceptor acceptor;
  asio::steady_timer slot_timer;   // canceled when a connection ends: the accept loop may go on
  asio::steady_timer drain_timer;  // canceled when a connection ends: shutdown re-checks
  std::vector<Conn*> conns;
  bool accepting = false;
  bool draining = false;
  std::uint16_t port = 0;
  ServerStats stats;

  // Keeps `conns` and the counters right however a session coroutine ends.
  class Registration {
   public:
    Registration(Impl& impl, Conn& conn) : impl_(impl), conn_(conn) {
      impl_.conns.push_back(&conn_);
      ++impl_.stats.connections_accepted;
      impl_.stats.connections_open = impl_.conns.size();
    }
    ~Registration() {
      std::erase(impl_.conns, &conn_);
      impl_.stats.connections_open = impl_.conns.size();
      impl_.slot_timer.cancel();
      impl_.drain_timer.cancel();  // shutdown() re-checks what is left
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    Impl& impl_;
    Conn& conn_;
  };

  class Events final : public EventStream {
   public:
    Events(Impl& impl, Conn& conn, bool chunked) : impl_(impl), conn_(conn), chunked_(chunked) {}

    Task<bool> send(std::string_view event, std::string_view data) override {
      std::string frame;
      if (!event.empty()) {
        frame += "event: ";
        // A line break in the name would start a new field.
        for (char c : event)
          if (c != '\r' && c != '\n') frame.push_back(c);
        frame += '\n';
      }
      // Each line of data is its own data field; the client joins them with '\n'.
      for (;;) {
        auto nl = data.find('\n');
        frame += "data: ";
        frame += data.substr(0, nl);
        frame += '\n';
        if (nl == std::string_view::npos) break;
        data.remove_prefix(nl + 1);
      }
      frame += '\n';
      co_return co_await write(std::move(frame));
    }

    Task<bool> comment() override { co_return co_await write(": ping\n\n"); }

    bool broken() const { return broken_; }

   private:
    Task<bool> write(std::string frame) {
      if (broken_ || conn_.closed || impl_.draining) co_return false;
      conn_.stream.expires_after(impl_.options.read_timeout);
      beast::error_code ec;
      if (chunked_) {
        auto [e, n] = co_await asio::async_write(conn_.stream,
                                                 bhttp::make_chunk(asio::buffer(frame)), use_task);
        ec = e;
      } else {
        auto [e, n] = co_await asio::async_write(conn_.stream, asio::buffer(frame), use_task);
        ec = e;
      }
      if (ec) broken_ = true;
      co_return !ec;
    }

    Impl& impl_;
    Conn& conn_;
    bool chunked_;
    bool broken_ = false;
  };

  Result<void> start() {
    auto endpoint = parse_listen(options.listen);
    if (!endpoint) return fail(endpoint.error());
    boost::system::error_code ec;
    acceptor.open(endpoint->protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(*endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      if (ec == asio::error::address_in_use)
        return fail(Errc::unavailable, "address " + options.listen + " is already in use",
                    "listen");
      return fail(Errc::unavailable, "cannot listen on " + options.listen + ": " + ec.message(),
                  "listen");
    }
    port = acceptor.local_endpoint(ec).port();
    accepting = true;
    asio::co_spawn(executor, accept_loop(shared_from_this()), asio::detached);
    log::info("http: listening on {} (port {})", options.listen, port);
    return {};
  }

  void stop_accepting() {
    accepting = false;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    slot_timer.cancel();
  }

  void close_all() {
    for (Conn* c : conns) {
      if (c->closed) continue;
      c->closed = true;
      beast::error_code ignored;
      c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      c->stream.close();
    }
  }

  Task<void> shutdown(Deadline deadline) {
    stop_accepting();
    draining = true;
    for (Conn* c : conns)
      if (c->idle) c->stream.cancel();
    // Force-closed connections may still be registered (their handler has not
    // returned); they no longer hold shutdown up.
    auto open = [this] {
      return std::any_of(conns.begin(), conns.end(), [](Conn* c) { return !c->closed; });
    };
    while (open() && !deadline.expired()) {
      drain_timer.expires_at(std::min(deadline.at(), Clock::now() + std::chrono::hours(1)));
      co_await drain_timer.async_wait(use_task);
    }
    if (open()) {
      log::warn("http: closing {} connections at the shutdown deadline", conns.size());
      close_all();
    }
  }

  // The coroutines take `self` so the state outlives the Server object if need be.
  Task<void> accept_loop(std::shared_ptr<Impl> self) {
    while (accepting) {
      if (conns.size() >= options.max_connections) {
        // Full: leave new connections in the kernel's backlog until one ends.
        slot_timer.expires_at(Clock::time_point::max());
        co_await slot_timer.async_wait(use_task);
        continue;
      }
      auto [ec, socket] = co_await acceptor.async_accept(use_task);
      if (!accepting) break;
      if (ec) {
        // Out of descriptors and the like: back off rather than spin.
        log::warn("http: accept failed: {}", ec.message());
        asio::steady_timer pause(executor, std::chrono::milliseconds(50));
        co_await pause.async_wait(use_task);
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(executor, session(self, std::move(socket)), asio::detached);
    }
  }

  Task<void> session(std::shared_ptr<Impl> /*self*/, tcp::socket socket) {
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    Conn conn{beast::tcp_stream(std::move(socket))};
    Registration registration(*this, conn);
    beast::flat_buffer buffer;
    bool first = true;
    try {
      while (!draining && !conn.closed) {
        conn.idle = true;
        if (buffer.size() == 0) {
          // Nothing pipelined: wait for the next request's first bytes, on the
          // keep-alive clock after the first request.
          conn.stream.expires_after(first ? options.read_timeout : options.idle_timeout);
          auto [ec, n] = co_await conn.stream.async_read_some(buffer.prepare(kReadChunk), use_task);
          if (ec) break;
          buffer.commit(n);
        }
        conn.idle = false;
        first = false;
        if (!co_await serve_one(conn, buffer, remote)) break;
      }
    } catch (const std::exception& e) {
      log::error("http: connection from {} failed: {}", remote, e.what());
    }
    if (!conn.closed) {
      beast::error_code ignored;
      conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      conn.stream.close();
    }
  }

  // Reads one request, answers it; true when the connection stays open.
  Task<bool> serve_one(Conn& conn, beast::flat_buffer& buffer, const std::string& remote) {
    auto started = Clock::now();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(static_cast<std::uint64_t>(options.body_limit));

    conn.stream.expires_after(options.read_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(conn.stream, buffer, parser, use_task);
    if (!ec && !parser.is_done()) {
      auto expect = parser.get()[bhttp::field::expect];
      if (iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
        bhttp::response<bhttp::empty_body> go(bhttp::status::continue_, parser.get().version());
        auto [e, m] = co_await bhttp::async_write(conn.stream, go, use_task);
        if (e) co_return false;
      }
      conn.stream.expires_after(options.read_timeout);
      auto [e, m] = co_await bhttp::async_read(conn.stream, buffer, parser, use_task);
      ec = e;
    }

    std::string request_id;
    if (parser.is_header_done()) {
      auto given = parser.get()["X-Request-Id"];
      std::string_view id(given.data(), given.size());
      if (sane_request_id(id)) request_id = std::string(id);
    }
    if (request_id.empty()) request_id = next_request_id();

    if (ec) {
      if (is_hangup(ec)) co_return false;
      Response error;
      if (ec == bhttp::error::body_limit)
        error = problem(
            413, "Content Too Large",
            "the request body is larger than " + std::to_string(options.body_limit) + " bytes",
            "body");
      else if (ec == bhttp::error::header_limit)
        error = problem(
            431, "Request Header Fields Too Large",
            "the request head is larger than " + std::to_string(options.header_limit) + " bytes");
      else if (ec.category() ==
               bhttp::make_error_code(bhttp::error::bad_method).category())  // Beast's parse errors
        error = problem(400, "Bad Request", "malformed HTTP request: " + ec.message());
      else
        co_return false;  // a socket error: nobody to answer
      unsigned version = parser.is_header_done() ? parser.get().version() : 11;
      co_await write_response(conn, error, request_id, version, false, false);
      record("-", error.status, started, true);
      co_await linger(conn);
      co_return false;
    }

    auto message = parser.release();
    Request req;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    split_target(req);
    for (const auto& field : message)
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(message.body());
    req.remote_address = remote;
    req.request_id = std::move(request_id);
    unsigned version = message.version();
    bool keep_alive = message.keep_alive();
    bool head = req.method == "HEAD";

    std::string pattern = "-";
    Response res;
    auto match = router.match(req);
    if (!match) {
      res = std::move(match.error());
    } else {
      pattern = *match->pattern;
      Handler handler = *match->handler;  // a copy: its captures live as long as the call
      std::string failure;
      try {
        res = co_await handler(req);
      } catch (const std::exception& e) {
        failure = e.what();
      } catch (...) {
        failure = "unknown exception";
      }
      if (!failure.empty()) {
        // A bug in one handler must not take the server down; the detail goes to the log only.
        log::error("http: {} {} (request {}) threw: {}", req.method, pattern, req.request_id,
                   failure);
        res = problem(500, "Internal Server Error", "internal error");
      }
    }

    bool streaming = static_cast<bool>(res.stream);
    int status = res.status;
    keep_alive = keep_alive && !draining;
    bool ok = co_await write_response(conn, res, req.request_id, version, keep_alive, head);
    record(pattern, status, started, !streaming);
    log::debug("http: {} {} {} {} ({:.1f} ms) request {}", remote, req.method, req.target, status,
               elapsed_ms(started), req.request_id);
    co_return ok&& keep_alive && !draining;
  }

  void record(const std::string& pattern, int status, Clock::time_point started, bool timed) {
    ++stats.requests[std::make_pair(pattern, status)];
    if (timed) stats.latency.observe(elapsed_ms(started));
  }

  bhttp::response_header<> make_head(Response& res, const std::string& request_id,
                                     unsigned version) {
    bhttp::response_header<> head;
    if (res.status < 100 || res.status > 599) res.status = 500;
    head.result(static_cast<unsigned>(res.status));
    head.version(version);
    if (!res.content_type.empty()) head.set(bhttp::field::content_type, res.content_type);
    for (const auto& [name, value] : res.headers) {
      // Framing is the server's business; a handler setting it would corrupt the stream.
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
          iequals(name, "Connection"))
        continue;
      head.insert(name, value);
    }
    head.set("X-Request-Id", request_id);
    return head;
  }

  template <class Body>
  Task<bool> write_message(Conn& conn, bhttp::response<Body>& message) {
    bhttp::response_serializer<Body> serializer(message);
    // The timeout restarts per write: a big file to a slow client is fine, a stalled client is not.
    while (!serializer.is_done()) {
      conn.stream.expires_after(options.read_timeout);
      auto [ec, n] = co_await bhttp::async_write_some(conn.stream, serializer, use_task);
      if (ec) co_return false;
    }
    co_return true;
  }

  // Headers only, with the Content-Length the body would have had (HEAD).
  Task<bool> write_head_only(Conn& conn, bhttp::response_header<> head, bool keep_alive,
                             std::optional<std::uint64_t> length) {
    bhttp::response<bhttp::empty_body> message(std::move(head));
    message.keep_alive(keep_alive);
    if (length && !has_no_body(message.result_int())) message.content_length(*length);
    co_return co_await write_message(conn, message);
  }

  Task<bool> write_response(Conn& conn, Response& res, const std::string& request_id,
                            unsigned version, bool keep_alive, bool head) {
    if (res.stream)
      co_return co_await write_stream(conn, res, request_id, version, keep_alive, head);

    if (res.file_path) {
      bhttp::file_body::value_type file;
      beast::error_code ec;
      file.open(res.file_path->c_str(), beast::file_mode::scan, ec);
      if (ec) {
        log::error("http: cannot open {} to send it: {}", *res.file_path, ec.message());
        res = problem(500, "Internal Server Error", "internal error");
      } else {
        auto size = file.size();
        auto h = make_head(res, request_id, version);
        if (head) co_return co_await write_head_only(conn, std::move(h), keep_alive, size);
        bhttp::response<bhttp::file_body> message(std::move(h), std::move(file));
        message.keep_alive(keep_alive);
        message.content_length(size);
        co_return co_await write_message(conn, message);
      }
    }

    if (res.shared_body && !has_no_body(res.status)) {
      auto bytes = std::move(res.shared_body);  // held until the write is done
      auto h = make_head(res, request_id, version);
      if (head) co_return co_await write_head_only(conn, std::move(h), keep_alive, bytes->size());
      // Head and bytes go out in one gathered write, the bytes straight from the cache.
      bhttp::response<bhttp::span_body<const char>> message(
          std::move(h), bhttp::span_body<const char>::value_type(bytes->data(), bytes->size()));
      message.keep_alive(keep_alive);
      message.content_length(bytes->size());
      co_return co_await write_message(conn, message);
    }

    if (has_no_body(res.status)) res.body.clear();
    auto h = make_head(res, request_id, version);
    if (head) co_return co_await write_head_only(conn, std::move(h), keep_alive, res.body.size());
    bhttp::response<bhttp::string_body> message(std::move(h), std::move(res.body));
    message.keep_alive(keep_alive);
    if (!has_no_body(res.status)) message.content_length(message.body().size());
    co_return co_await write_message(conn, message);
  }

  Task<bool> write_stream(Conn& conn, Response& res, const std::string& request_id,
                          unsigned version, bool keep_alive, bool head) {
    res.content_type = "text/event-stream";
    auto h = make_head(res, request_id, version);
    h.set(bhttp::field::cache_control, "no-cache");
    if (head) co_return co_await write_head_only(conn, std::move(h), keep_alive, std::nullopt);

    // HTTP/1.1 frames the stream in chunks, so the connection survives its end;
    // HTTP/1.0 has no chunks: the stream ends with the connection.
    bool chunked = version >= 11;
    bhttp::response<bhttp::empty_body> message(std::move(h));
    message.keep_alive(chunked && keep_alive);
    if (chunked) message.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer(message);
    conn.stream.expires_after(options.read_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(conn.stream, serializer, use_task);
    if (ec) co_return false;

    Events events(*this, conn, chunked);
    std::string failure;
    try {
      co_await res.stream(events);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    if (!failure.empty()) {
      // The status is already sent; all that is left is to cut the stream short.
      log::error("http: event stream (request {}) threw: {}", request_id, failure);
      co_return false;
    }
    if (events.broken() || conn.closed || !chunked) co_return false;
    conn.stream.expires_after(options.read_timeout);
    auto [e, m] = co_await asio::async_write(conn.stream, bhttp::make_chunk_last(), use_task);
    co_return !e && keep_alive;
  }

  // Half-closes, then drains what the client still sends, so it can read our answer.
  Task<void> linger(Conn& conn) {
    if (conn.closed) co_return;
    beast::error_code ignored;
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn.stream.expires_after(kLingerTime);
    std::vector<char> sink(kReadChunk);
    std::size_t total = 0;
    while (total < kLingerBytes && !conn.closed) {
      auto [ec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), use_task);
      if (ec) break;
      total += n;
    }
  }
};

void LatencyHistogram::observe(double ms) {
  auto it = std::lower_bound(kBoundsMs.begin(), kBoundsMs.end(), ms);
  ++counts[static_cast<std::size_t>(it - kBoundsMs.begin())];
  sum_ms += ms;
  ++count;
}

Server::Server(Executor executor, ServerOptions options, Router& router)
    : impl_(std::make_shared<Impl>(executor, std::move(options), router)) {}

Server::~Server() {
  impl_->stop_accepting();
  impl_->close_all();
}

Result<void> Server::start() {
  return impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->port;
}

void Server::stop_accepting() {
  asio::dispatch(impl_->executor, [impl = impl_] { impl->stop_accepting(); });
}

Task<void> Server::shutdown(Deadline deadline) {
  // Run on the server's strand; the caller resumes on its own executor.
  co_await asio::co_spawn(impl_->executor, impl_->shutdown(deadline), asio::use_awaitable);
}

const ServerStats& Server::stats() const {
  return impl_->stats;
}

}  // namespace shot::http
