#pragma once
// Hot pictures in memory: the bytes of recently served pictures, least recently
// used first out, within a byte budget. Shared by shared_ptr, so a response
// sends them without a copy while the cache may already have dropped them.

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shot::http {

class PictureCache {
 public:
  // 0 bytes: nothing is kept. A picture larger than a quarter of the budget is
  // never kept (it would push out everything else).
  explicit PictureCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The bytes under `key` (a blob key and its sha256), marked as just used; null when absent.
  std::shared_ptr<const std::string> get(const std::string& key);
  // Keeps `bytes` under `key` when they fit, dropping the least recently used to make room.
  void put(const std::string& key, std::shared_ptr<const std::string> bytes);

  std::size_t max_bytes() const { return max_bytes_; }
  std::size_t bytes() const;    // held now, never above max_bytes()
  std::size_t entries() const;  // pictures held now

 private:
  using Lru = std::list<std::pair<std::string, std::shared_ptr<const std::string>>>;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string, Lru::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace shot::http
