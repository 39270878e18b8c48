#pragma once
// A point in time by which some work must be done. Every wait takes one.

#include <algorithm>
#include <chrono>

namespace shot {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class Deadline {
 public:
  constexpr Deadline() = default;
  explicit constexpr Deadline(Clock::time_point at) : at_(at) {}

  static Deadline in(Clock::duration d) { return Deadline(Clock::now() + d); }
  static constexpr Deadline never() { return Deadline(Clock::time_point::max()); }

  Clock::time_point at() const { return at_; }
  bool expired() const { return Clock::now() >= at_; }
  Millis remaining() const {
    if (at_ == Clock::time_point::max()) return Millis::max();
    return std::max(Millis(0), std::chrono::duration_cast<Millis>(at_ - Clock::now()));
  }
  // The earlier of this deadline and `d` from now: a step's budget inside a job's.
  Deadline capped(Clock::duration d) const { return Deadline(std::min(at_, Clock::now() + d)); }

 private:
  Clock::time_point at_ = Clock::time_point::max();
};

// Milliseconds since `start`, as a double for timings in results.
inline double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace shot
