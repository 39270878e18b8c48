#pragma once
// Push: tells a user's callback URL that a job ended.

#include <string>

namespace shot::notify {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Delivers `payload` (JSON) to `url` in the background, signed and retried.
  virtual void send(std::string url, std::string payload) = 0;
};

}  // namespace shot::notify
