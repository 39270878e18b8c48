#include "cdp/session.hpp"

#include <algorithm>

namespace shot::cdp {

std::shared_ptr<Session> Session::create(std::shared_ptr<Connection> connection,
                                         std::string session_id) {
  auto s = std::shared_ptr<Session>(new Session(std::move(connection), std::move(session_id)));
  s->connection_->attach(s->id_, s.get());
  return s;
}

Session::Session(std::shared_ptr<Connection> connection, std::string session_id)
    : connection_(std::move(connection)), id_(std::move(session_id)) {}

Session::~Session() {
  if (!gone_) connection_->detach(id_);
}

Task<Result<json::object>> Session::call(std::string method, json::object params,
                                         Deadline deadline) {
  auto reply = send(std::move(method), std::move(params));
  co_return co_await reply->wait(deadline);
}

std::shared_ptr<OneShot> Session::send(std::string method, json::object params) {
  if (gone_) {
    auto reply = std::make_shared<OneShot>(executor(), method);
    reply->settle(fail(*gone_));
    return reply;
  }
  return connection_->send(std::move(method), std::move(params), id_);
}

std::shared_ptr<OneShot> Session::expect(std::string method, EventPredicate pred) {
  std::erase_if(expected_, [](auto& e) { return e.slot.expired(); });
  auto slot = std::make_shared<OneShot>(executor(), "waiting for " + method);
  if (gone_)
    slot->settle(fail(*gone_));
  else
    expected_.push_back(Expected{std::move(method), std::move(pred), slot});
  return slot;
}

int Session::on(std::string method, Listener listener) {
  int id = next_listener_++;
  listeners_.emplace(id, std::make_pair(std::move(method), std::move(listener)));
  return id;
}

void Session::off(int listener_id) {
  listeners_.erase(listener_id);
}

void Session::on_event(std::string_view method, const json::object& params) {
  std::erase_if(expected_, [&](Expected& e) {
    auto slot = e.slot.lock();
    if (!slot || slot->done()) return true;
    if (e.method != method || (e.pred && !e.pred(params))) return false;
    slot->settle(params);
    return true;
  });
  // Copy first: a listener may add or remove listeners.
  std::vector<Listener> matching;
  for (auto& [id, entry] : listeners_)
    if (entry.first == method) matching.push_back(entry.second);
  for (auto& fn : matching)
    fn(params);
}

void Session::on_gone(const Error& why) {
  if (gone_) return;
  gone_ = why;
  auto pending = std::move(expected_);
  expected_.clear();
  for (auto& e : pending)
    if (auto slot = e.slot.lock()) slot->settle(fail(why));
}

}  // namespace shot::cdp
