#pragma once
// A flattened session to one target (a page): calls carry its sessionId, and
// its events can be awaited (expect) or listened to (on).

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "cdp/connection.hpp"

namespace shot::cdp {

using EventPredicate = std::function<bool(const json::object& params)>;
using Listener = std::function<void(const json::object& params)>;

class Session final : public EventSink, public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> create(std::shared_ptr<Connection> connection,
                                         std::string session_id);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Task<Result<json::object>> call(std::string method, json::object params, Deadline deadline);
  // Sends now, awaited later: commands sent back to back share a round trip.
  std::shared_ptr<OneShot> send(std::string method, json::object params = {});

  // The next event `method` (matching `pred`). Create it before the command
  // that causes the event, so an early event is not missed; then wait().
  std::shared_ptr<OneShot> expect(std::string method, EventPredicate pred = {});
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

  struct Expected {
    std::string method;
    EventPredicate pred;
    std::weak_ptr<OneShot> slot;
  };

  std::shared_ptr<Connection> connection_;
  std::string id_;
  std::vector<Expected> expected_;
  std::map<int, std::pair<std::string, Listener>> listeners_;
  int next_listener_ = 1;
  std::optional<Error> gone_;
};

}  // namespace shot::cdp
