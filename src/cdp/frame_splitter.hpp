#pragma once
// Splits the DevTools pipe's byte stream into messages: each is JSON text
// terminated by one NUL byte, and may arrive in any number of reads.

#include <cstring>
#include <string>
#include <string_view>

namespace shot::cdp {

class FrameSplitter {
 public:
  explicit FrameSplitter(std::size_t max_frame) : max_frame_(max_frame) {}

  // Calls on_frame(std::string&&) for each complete message in `bytes`.
  // Returns false once a message grows past max_frame (the stream is then unusable).
  template <class OnFrame>
  bool feed(std::string_view bytes, OnFrame&& on_frame) {
    while (!bytes.empty()) {
      const void* nul = std::memchr(bytes.data(), '\0', bytes.size());
      if (nul == nullptr) {
        if (partial_.size() + bytes.size() > max_frame_) return false;
        partial_.append(bytes);
        return true;
      }
      auto n = static_cast<std::size_t>(static_cast<const char*>(nul) - bytes.data());
      if (partial_.size() + n > max_frame_) return false;
      if (partial_.empty()) {
        on_frame(std::string(bytes.substr(0, n)));
      } else {
        partial_.append(bytes.substr(0, n));
        on_frame(std::move(partial_));
        partial_.clear();
      }
      bytes.remove_prefix(n + 1);
    }
    return true;
  }

  std::size_t buffered() const { return partial_.size(); }

 private:
  std::size_t max_frame_;
  std::string partial_;
};

}  // namespace shot::cdp
