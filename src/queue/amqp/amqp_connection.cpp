#include "queue/amqp/amqp_connection.hpp"

#include <amqp_tcp_socket.h>

#include <cstring>
#include <utility>

namespace shot::amqp {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  if (d.count() < 0) d = std::chrono::milliseconds(0);
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::string_view view(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

std::optional<std::int64_t> as_integer(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_I8:
      return v.value.i8;
    case AMQP_FIELD_KIND_U8:
      return v.value.u8;
    case AMQP_FIELD_KIND_I16:
      return v.value.i16;
    case AMQP_FIELD_KIND_U16:
      return v.value.u16;
    case AMQP_FIELD_KIND_I32:
      return v.value.i32;
    case AMQP_FIELD_KIND_U32:
      return v.value.u32;
    case AMQP_FIELD_KIND_I64:
      return v.value.i64;
    case AMQP_FIELD_KIND_U64:
      return static_cast<std::int64_t>(v.value.u64);
    default:
      return std::nullopt;
  }
}

std::int64_t header_integer(const amqp_basic_properties_t& p, std::string_view key) {
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return 0;
  for (int i = 0; i < p.headers.num_entries; ++i) {
    const auto& e = p.headers.entries[i];
    if (view(e.key) == key) return as_integer(e.value).value_or(0);
  }
  return 0;
}

// What the broker said when it closed the channel or the connection.
std::string close_reason(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(method.decoded);
    return "RabbitMQ closed the connection: " + std::to_string(m->reply_code) + " " +
           std::string(view(m->reply_text));
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(method.decoded);
    return "RabbitMQ closed the channel: " + std::to_string(m->reply_code) + " " +
           std::string(view(m->reply_text));
  }
  return "RabbitMQ sent an unexpected method";
}

std::string decode_percent(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

Result<Address> parse_address(std::string_view url) {
  // Only the scheme and host go into messages: the rest may hold a password.
  constexpr std::string_view kScheme = "amqp://";
  if (!url.starts_with(kScheme))
    return fail(Errc::invalid_argument, "a RabbitMQ URL starts with amqp://", "queue");
  auto rest = url.substr(kScheme.size());
  Address a;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    auto query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!query.starts_with("queue=") || query.find('&') != std::string_view::npos)
      return fail(Errc::invalid_argument, "a RabbitMQ URL takes one parameter: ?queue=NAME",
                  "queue");
    a.queue = decode_percent(query.substr(6));
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto vhost = rest.substr(slash + 1);
    if (!vhost.empty()) a.vhost = decode_percent(vhost);
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    a.user = decode_percent(userinfo.substr(0, colon));
    a.password = colon == std::string_view::npos ? "" : decode_percent(userinfo.substr(colon + 1));
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    auto port = authority.substr(colon + 1);
    a.port = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || a.port > 65535) {
        a.port = -1;
        break;
      }
      a.port = a.port * 10 + (c - '0');
    }
    if (port.empty() || a.port <= 0 || a.port > 65535)
      return fail(Errc::invalid_argument, "the RabbitMQ URL has a bad port", "queue");
    authority = authority.substr(0, colon);
  }
  if (authority.starts_with('[') && authority.ends_with(']'))
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty())
    return fail(Errc::invalid_argument, "the RabbitMQ URL names no host", "queue");
  a.host = std::string(authority);
  return a;
}

Connection::Connection(Connection&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), published_(other.published_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (state_) amqp_destroy_connection(state_);
    state_ = std::exchange(other.state_, nullptr);
    published_ = other.published_;
  }
  return *this;
}

Connection::~Connection() {
  // No close handshake: the socket may be dead, and the broker requeues what
  // this connection held either way.
  if (state_) amqp_destroy_connection(state_);
}

void Connection::close() {
  if (!state_) return;
  amqp_channel_close(state_, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(std::exchange(state_, nullptr));
}

Result<Connection> Connection::open(const Address& address, std::chrono::milliseconds timeout,
                                    int heartbeat_s, bool confirms) {
  Connection c(amqp_new_connection());
  if (!c.state_) return fail(Errc::internal, "out of memory for a RabbitMQ connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(c.state_);
  if (!socket) return fail(Errc::internal, "cannot make a socket for RabbitMQ");
  timeval tv = to_timeval(timeout);
  const std::string where = address.host + ":" + std::to_string(address.port);
  if (int rc = amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &tv);
      rc != AMQP_STATUS_OK)
    return fail(Errc::unavailable,
                "cannot connect to RabbitMQ at " + where + ": " + amqp_error_string2(rc));
  amqp_set_handshake_timeout(c.state_, &tv);
  amqp_set_rpc_timeout(c.state_, &tv);
  auto login = amqp_login(c.state_, address.vhost.c_str(), 0, 131072, heartbeat_s,
                          AMQP_SASL_METHOD_PLAIN, address.user.c_str(), address.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL)
    return fail(Errc::unavailable, "RabbitMQ at " + where + " refused the login of user " +
                                       address.user + " to vhost " + address.vhost);
  amqp_channel_open(c.state_, 1);
  if (auto ok = c.rpc_ok("channel.open"); !ok) return fail(ok.error());
  if (confirms) {
    amqp_confirm_select(c.state_, 1);
    if (auto ok = c.rpc_ok("confirm.select"); !ok) return fail(ok.error());
  }
  return c;
}

Result<void> Connection::rpc_ok(std::string_view what) {
  auto r = amqp_get_rpc_reply(state_);
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return {};
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return fail(Errc::unavailable, std::string(what) + ": " + close_reason(r.reply));
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return fail(Errc::unavailable,
                  std::string(what) + ": " + amqp_error_string2(r.library_error));
    default:
      return fail(Errc::unavailable, std::string(what) + ": no reply from RabbitMQ");
  }
}

int Connection::fd() const {
  return state_ ? amqp_socket_get_sockfd(amqp_get_socket(state_)) : -1;
}

bool Connection::has_buffered() const {
  return state_ && (amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_));
}

Result<void> Connection::declare(const std::string& queue, const Arguments& arguments) {
  std::vector<amqp_table_entry_t> entries(arguments.size());
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const auto& a = arguments[i];
    entries[i].key = amqp_cstring_bytes(a.key.c_str());
    if (a.is_text) {
      entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[i].value.value.bytes = amqp_cstring_bytes(a.text.c_str());
    } else {
      entries[i].value.kind = AMQP_FIELD_KIND_I64;
      entries[i].value.value.i64 = a.number;
    }
  }
  amqp_table_t table{static_cast<int>(entries.size()), entries.data()};
  amqp_queue_declare(state_, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0, table);
  return rpc_ok("declaring queue " + queue);
}

Result<std::size_t> Connection::ready_count(const std::string& queue) {
  auto* ok = amqp_queue_declare(state_, 1, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0,
                                amqp_empty_table);
  if (auto r = rpc_ok("queue " + queue); !r) return fail(r.error());
  std::size_t n = ok ? ok->message_count : 0;
  amqp_maybe_release_buffers(state_);
  return n;
}

Result<void> Connection::consume(const std::string& queue, int prefetch) {
  amqp_basic_qos(state_, 1, 0, static_cast<std::uint16_t>(std::max(1, prefetch)), 0);
  if (auto r = rpc_ok("basic.qos"); !r) return r;
  amqp_basic_consume(state_, 1, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  return rpc_ok("consuming from " + queue);
}

Result<void> Connection::publish_confirmed(const std::string& routing_key, std::string_view body,
                                           std::int64_t earlier_attempts,
                                           std::chrono::milliseconds timeout) {
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;  // persistent
  amqp_table_entry_t attempts{};
  if (earlier_attempts > 0) {
    attempts.key = amqp_cstring_bytes("x-shot-attempts");
    attempts.value.kind = AMQP_FIELD_KIND_I64;
    attempts.value.value.i64 = earlier_attempts;
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = amqp_table_t{1, &attempts};
  }
  amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
  if (int rc = amqp_basic_publish(state_, 1, amqp_empty_bytes,
                                  amqp_cstring_bytes(routing_key.c_str()), 0, 0, &props, bytes);
      rc != AMQP_STATUS_OK)
    return fail(Errc::unavailable,
                std::string("publishing to RabbitMQ: ") + amqp_error_string2(rc));
  const std::uint64_t seq = ++published_;
  const auto until = std::chrono::steady_clock::now() + timeout;
  Result<void> out = fail(Errc::unavailable, "RabbitMQ did not confirm the message in time");
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    amqp_frame_t frame;
    timeval tv = to_timeval(left);
    int rc = amqp_simple_wait_frame_noblock(state_, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) {
      out = fail(Errc::unavailable, std::string("waiting for RabbitMQ: ") + amqp_error_string2(rc));
      break;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    const auto& method = frame.payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
      auto* a = static_cast<amqp_basic_ack_t*>(method.decoded);
      if (a->delivery_tag == seq || (a->multiple && a->delivery_tag >= seq)) {
        out = {};
        break;
      }
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
      auto* n = static_cast<amqp_basic_nack_t*>(method.decoded);
      if (n->delivery_tag == seq || (n->multiple && n->delivery_tag >= seq)) {
        out = fail(Errc::rate_limited, "the queue is full");
        break;
      }
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD ||
               method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      out = fail(Errc::unavailable, close_reason(method));
      break;
    }
  }
  amqp_maybe_release_buffers(state_);
  return out;
}

Result<std::optional<Envelope>> Connection::next(std::chrono::milliseconds wait) {
  amqp_maybe_release_buffers(state_);
  amqp_envelope_t envelope;
  timeval tv = to_timeval(wait);
  auto r = amqp_consume_message(state_, &envelope, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    Envelope e;
    e.body.assign(static_cast<const char*>(envelope.message.body.bytes), envelope.message.body.len);
    e.tag = envelope.delivery_tag;
    e.delivery_count = header_integer(envelope.message.properties, "x-delivery-count");
    e.earlier_attempts = header_integer(envelope.message.properties, "x-shot-attempts");
    amqp_destroy_envelope(&envelope);
    return std::optional<Envelope>(std::move(e));
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
    return std::optional<Envelope>();
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
    // Something other than a delivery: the broker closing or cancelling us.
    amqp_frame_t frame;
    if (amqp_simple_wait_frame(state_, &frame) != AMQP_STATUS_OK)
      return fail(Errc::unavailable, "the connection to RabbitMQ broke");
    if (frame.frame_type == AMQP_FRAME_METHOD) {
      const auto& method = frame.payload.method;
      if (method.id == AMQP_CHANNEL_CLOSE_METHOD || method.id == AMQP_CONNECTION_CLOSE_METHOD)
        return fail(Errc::unavailable, close_reason(method));
      if (method.id == AMQP_BASIC_CANCEL_METHOD)
        return fail(Errc::unavailable, "RabbitMQ cancelled the consumer (queue deleted?)");
    }
    return std::optional<Envelope>();
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
    return fail(Errc::unavailable,
                std::string("reading from RabbitMQ: ") + amqp_error_string2(r.library_error));
  return fail(Errc::unavailable, "reading from RabbitMQ: " + close_reason(r.reply));
}

Result<void> Connection::ack(std::uint64_t tag) {
  if (int rc = amqp_basic_ack(state_, 1, tag, 0); rc != AMQP_STATUS_OK)
    return fail(Errc::unavailable, std::string("ack to RabbitMQ: ") + amqp_error_string2(rc));
  return {};
}

Result<void> Connection::reject(std::uint64_t tag, bool requeue) {
  if (int rc = amqp_basic_reject(state_, 1, tag, requeue ? 1 : 0); rc != AMQP_STATUS_OK)
    return fail(Errc::unavailable, std::string("reject to RabbitMQ: ") + amqp_error_string2(rc));
  return {};
}

}  // namespace shot::amqp
