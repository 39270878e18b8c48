#include "cdp/connection.hpp"

#include <algorithm>

namespace shot::cdp {

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

std::shared_ptr<OneShot> Connection::send(std::string method, json::object params,
                                          std::string session_id) {
  auto reply = std::make_shared<OneShot>(executor_, method);
  if (closed_) {
    reply->settle(fail(close_reason_));
    return reply;
  }
  const std::int64_t id = next_id_++;
  json::object message;
  message["id"] = id;
  message["method"] = std::move(method);
  message["params"] = std::move(params);
  if (!session_id.empty()) message["sessionId"] = session_id;
  // Replies to abandoned calls may never come: sweep their entries now and then.
  if (id % 256 == 0) std::erase_if(pending_, [](auto& kv) { return kv.second.reply.expired(); });
  pending_.emplace(id, Pending{std::move(session_id), reply});
  transport_->send(json::serialize(message));
  return reply;
}

Task<Result<json::object>> Connection::call(std::string method, json::object params,
                                            std::string session_id, Deadline deadline) {
  auto self = shared_from_this();  // replies may arrive after the caller let go
  auto reply = send(std::move(method), std::move(params), std::move(session_id));
  co_return co_await reply->wait(deadline);
}

std::size_t Connection::pending_calls() const {
  return std::count_if(pending_.begin(), pending_.end(), [](auto& kv) {
    auto reply = kv.second.reply.lock();
    return reply && !reply->done();
  });
}

void Connection::attach(const std::string& session_id, EventSink* sink) {
  sinks_[session_id] = sink;
}

void Connection::detach(const std::string& session_id) {
  sinks_.erase(session_id);
}

void Connection::on_message(std::string text) {
  auto parsed = parse_json(text, {.max_depth = 256});
  if (!parsed || !parsed->is_object()) return;  // a browser bug; nothing to route it to
  auto& msg = parsed->as_object();

  if (auto* id = msg.if_contains("id")) {
    if (!id->is_int64()) return;
    auto it = pending_.find(id->get_int64());
    if (it == pending_.end()) return;
    auto reply = it->second.reply.lock();
    pending_.erase(it);
    if (!reply) return;  // the caller already gave up
    if (auto* err = json_object(msg, "error")) {
      std::string why = reply->what() + ": " + std::string(json_string(*err, "message"));
      reply->settle(fail(Errc::protocol, std::move(why)));
    } else if (auto* result = json_object(msg, "result")) {
      reply->settle(std::move(*result));
    } else {
      reply->settle(json::object{});
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
  std::erase_if(pending_, [&](auto& kv) {
    if (kv.second.session_id != session_id) return false;
    if (auto reply = kv.second.reply.lock()) reply->settle(fail(why));
    return true;
  });
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
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending)
    if (auto reply = p.reply.lock()) reply->settle(fail(close_reason_));
  auto sinks = std::move(sinks_);
  sinks_.clear();
  for (auto& [sid, sink] : sinks)
    sink->on_gone(close_reason_);
}

}  // namespace shot::cdp
