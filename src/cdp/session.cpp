#include "cdp/session.hpp"

#include <algorithm>

namespace shot::cdp {

Task<Result<json::object>> Expectation::wait(Deadline deadline) {
  if (!done()) {
    asio::steady_timer timer(executor_,
                             std::min(deadline.at(), Clock::now() + std::chrono::hours(24)));
    timer_ = &timer;
    co_await timer.async_wait(use_task);
    timer_ = nullptr;
  }
  if (event_) co_return *event_;
  if (error_) co_return fail(*error_);
  co_return fail(Errc::timeout, "timed out waiting for " + method_);
}

void Expectation::settle_event(const json::object& params) {
  event_ = params;
  if (timer_) timer_->cancel();
}

void Expectation::settle_error(const Error& e) {
  error_ = e;
  if (timer_) timer_->cancel();
}

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
  if (gone_) co_return fail(*gone_);
  co_return co_await connection_->call(std::move(method), std::move(params), id_, deadline);
}

std::shared_ptr<Expectation> Session::expect(std::string method, EventPredicate pred) {
  // Forget expectations nobody waits for any more.
  std::erase_if(expectations_, [](auto& e) { return e.use_count() == 1 || e->done(); });
  auto e =
      std::shared_ptr<Expectation>(new Expectation(executor(), std::move(method), std::move(pred)));
  if (gone_)
    e->settle_error(*gone_);
  else
    expectations_.push_back(e);
  return e;
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
  for (auto& e : expectations_)
    if (!e->done() && e->method_ == method && (!e->pred_ || e->pred_(params)))
      e->settle_event(params);
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
  auto pending = std::move(expectations_);
  expectations_.clear();
  for (auto& e : pending)
    if (!e->done()) e->settle_error(why);
}

}  // namespace shot::cdp
