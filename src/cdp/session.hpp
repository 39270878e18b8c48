#pragma once
// A flattened session to one target (a page): calls carry its sessionId, and
// its events can be awaited (expect) or listened to (on).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "cdp/connection.hpp"

namespace shot::cdp {

using EventPredicate = std::function<bool(const json::object& params)>;
using Listener = std::function<void(const json::object& params)>;

// One awaited event. Create it (Session::expect) before the command that
// causes the event, so an early event is not missed; then wait().
class Expectation {
 public:
  Task<Result<json::object>> wait(Deadline deadline);
  bool done() const { return event_.has_value() || error_.has_value(); }

 private:
  friend class Session;
  Expectation(Executor ex, std::string method, EventPredicate pred)
      : executor_(ex), method_(std::move(method)), pred_(std::move(pred)) {}
  void settle_event(const json::object& params);
  void settle_error(const Error& e);

  Executor executor_;
  std::string method_;
  EventPredicate pred_;
  std::optional<json::object> event_;
  std::optional<Error> error_;
  asio::steady_timer* timer_ = nullptr;
};

class Session final : public EventSink, public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> create(std::shared_ptr<Connection> connection,
                                         std::string session_id);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Task<Result<json::object>> call(std::string method, json::object params, Deadline deadline);

  std::shared_ptr<Expectation> expect(std::string method, EventPredicate pred = {});
  int on(std::string method, Listener listener);
  void off(int listener_id);

  const std::string& id() const { return id_; }
  bool gone() const { return gone_.has_value(); }
  Executor executor() const { return connection_->executor(); }
  Connection& connection() { return *connection_; }

  void on_event(std::string_view method, const json::object& params) override;
  void on_gone(const Error& why) override;

 private:
  Session(std::shared_ptr<Connection> connection, std::string session_id);

  std::shared_ptr<Connection> connection_;
  std::string id_;
  std::vector<std::shared_ptr<Expectation>> expectations_;
  std::map<int, std::pair<std::string, Listener>> listeners_;
  int next_listener_ = 1;
  std::optional<Error> gone_;
};

}  // namespace shot::cdp
