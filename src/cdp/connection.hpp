#pragma once
// One DevTools connection: matches replies to calls by id (each call with its
// own deadline) and routes events to the sink of their session. When the
// transport closes, every pending call fails at once.

#include <memory>
#include <string>
#include <unordered_map>

#include "cdp/one_shot.hpp"
#include "cdp/transport.hpp"

namespace shot::cdp {

// Receives the events of one session ("" is the browser's own).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(std::string_view method, const json::object& params) = 0;
  // The session is gone: detached, its target crashed, or the connection closed.
  virtual void on_gone(const Error& why) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static std::shared_ptr<Connection> create(Executor executor,
                                            std::unique_ptr<Transport> transport);
  ~Connection();

  void start();
  void close();

  // Sends `method` now; the reply settles the returned slot. Several sends
  // before the first wait share one round trip. A protocol error reply is
  // Errc::protocol; a crashed target or a closed pipe is browser_crashed.
  std::shared_ptr<OneShot> send(std::string method, json::object params, std::string session_id);

  // send() and wait for the reply until `deadline`.
  Task<Result<json::object>> call(std::string method, json::object params, std::string session_id,
                                  Deadline deadline);

  void attach(const std::string& session_id, EventSink* sink);
  void detach(const std::string& session_id);

  bool closed() const { return closed_; }
  Executor executor() const { return executor_; }
  std::size_t pending_calls() const;

 private:
  Connection(Executor executor, std::unique_ptr<Transport> transport);

  struct Pending {
    std::string session_id;
    std::weak_ptr<OneShot> reply;  // weak: a caller that gave up lets it go
  };

  void on_message(std::string text);
  void on_closed(std::string_view why);
  void fail_session(const std::string& session_id, const Error& why);

  Executor executor_;
  std::unique_ptr<Transport> transport_;
  std::int64_t next_id_ = 1;
  std::unordered_map<std::int64_t, Pending> pending_;
  std::unordered_map<std::string, EventSink*> sinks_;
  bool closed_ = false;
  Error close_reason_;
};

}  // namespace shot::cdp
