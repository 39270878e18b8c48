#pragma once
// A message transport to the browser. The pipe is the real one; tests use a fake.

#include <functional>
#include <string>
#include <string_view>

namespace shot::cdp {

class Transport {
 public:
  using OnMessage = std::function<void(std::string message)>;
  using OnClosed = std::function<void(std::string_view why)>;

  virtual ~Transport() = default;
  // Starts delivering messages; on_closed runs once when the peer is gone.
  virtual void start(OnMessage on_message, OnClosed on_closed) = 0;
  // Queues one message (without its terminator) for sending.
  virtual void send(std::string message) = 0;
  virtual void close() = 0;
};

}  // namespace shot::cdp
