#include "cdp/connection.hpp"

#include <vector>

namespace shot::cdp {
namespace {

// steady_timer arithmetic overflows near time_point::max(); a day is "never" here.
Clock::time_point timer_expiry(Deadline d) {
  auto cap = Clock::now() + std::chrono::hours(24);
  return std::min(d.at(), cap);
}

}  // namespace

std::shared_ptr<Connection> Connection::create(Executor executor,
                                               std::unique_ptr<Transport> transport) {
  return std::shared_ptr<Connection>(new Connection(executor, std::move(transport)));
}

Connection::Connection(Executor executor, std::unique_ptr<Transport> transport)
    : executor_(executor), transport_(std::move(transport)) {}

Connection::~Connection() {
  if (transport_) transport_->close();
}

void Connection::start() {
  std::weak_ptr<Connection> weak = weak_from_this();
  transport_->start(
      [weak](std::string text) {
        if (auto self = weak.lock()) self->on_message(std::move(text));
      },
      [weak](std::string_view why) {
        if (auto self = weak.lock()) self->on_closed(why);
      });
}

void Connection::close() {
  transport_->close();
  on_closed("connection closed");
}

Task<Result<json::object>> Connection::call(std::string method, json::object params,
                                            std::string session_id, Deadline deadline) {
  auto self = shared_from_this();  // replies may arrive after the caller let go
  if (closed_) co_return fail(close_reason_);
  const std::int64_t id = next_id_++;
  json::object message;
  message["id"] = id;
  message["method"] = method;
  message["params"] = std::move(params);
  if (!session_id.empty()) message["sessionId"] = session_id;

  asio::steady_timer timer(executor_, timer_expiry(deadline));
  std::optional<Result<json::object>> result;
  pending_.emplace(id, Pending{method, std::move(session_id), &timer, &result});
  struct Erase {
    Connection* c;
    std::int64_t id;
    ~Erase() { c->pending_.erase(id); }
  } erase{this, id};

  transport_->send(json::serialize(message));
  co_await timer.async_wait(use_task);
  if (result) co_return std::move(*result);
  co_return fail(Errc::timeout, method + " timed out");
}

void Connection::attach(const std::string& session_id, EventSink* sink) {
  sinks_[session_id] = sink;
}

void Connection::detach(const std::string& session_id) {
  sinks_.erase(session_id);
}

void Connection::settle(Pending& p, Result<json::object> r) {
  if (p.result->has_value()) return;
  *p.result = std::move(r);
  p.timer->cancel();
}

void Connection::on_message(std::string text) {
  auto parsed = parse_json(text, {.max_depth = 256});
  if (!parsed || !parsed->is_object()) return;  // a browser bug; nothing to route it to
  auto& msg = parsed->as_object();

  if (auto* id = msg.if_contains("id")) {
    if (!id->is_int64()) return;
    auto it = pending_.find(id->get_int64());
    if (it == pending_.end()) return;  // the caller already timed out
    if (auto* err = json_object(msg, "error")) {
      settle(it->second, fail(Errc::protocol, it->second.method + ": " +
                                                  std::string(json_string(*err, "message"))));
    } else if (auto* result = json_object(msg, "result")) {
      settle(it->second, std::move(*result));
    } else {
      settle(it->second, json::object{});
    }
    return;
  }

  std::string_view method = json_string(msg, "method");
  std::string session_id(json_string(msg, "sessionId"));
  static const json::object kEmpty;
  const json::object* params = json_object(msg, "params");
  if (!params) params = &kEmpty;

  if (method == "Target.detachedFromTarget" && session_id.empty()) {
    std::string gone(json_string(*params, "sessionId"));
    fail_session(gone, Error{Errc::browser_crashed, "the page's session was detached"});
    return;
  }
  if (method == "Inspector.targetCrashed") {
    fail_session(session_id, Error{Errc::browser_crashed, "the page crashed"});
    return;
  }
  if (auto it = sinks_.find(session_id); it != sinks_.end()) it->second->on_event(method, *params);
}

void Connection::fail_session(const std::string& session_id, const Error& why) {
  for (auto& [id, p] : pending_)
    if (p.session_id == session_id) settle(p, fail(why));
  if (auto it = sinks_.find(session_id); it != sinks_.end()) {
    EventSink* sink = it->second;
    sinks_.erase(it);
    sink->on_gone(why);
  }
}

void Connection::on_closed(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = Error{Errc::browser_crashed, "browser connection lost: " + std::string(why)};
  for (auto& [id, p] : pending_)
    settle(p, fail(close_reason_));
  auto sinks = std::move(sinks_);
  sinks_.clear();
  for (auto& [sid, sink] : sinks)
    sink->on_gone(close_reason_);
}

}  // namespace shot::cdp
