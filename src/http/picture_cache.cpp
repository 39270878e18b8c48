#include "http/picture_cache.hpp"

namespace shot::http {

std::shared_ptr<const std::string> PictureCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void PictureCache::put(const std::string& key, std::shared_ptr<const std::string> bytes) {
  if (!bytes || bytes->size() > max_bytes_ / 4) return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->second->size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  while (!lru_.empty() && bytes_ + bytes->size() > max_bytes_) {
    bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  bytes_ += bytes->size();
  lru_.emplace_front(key, std::move(bytes));
  index_[key] = lru_.begin();
}

std::size_t PictureCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t PictureCache::entries() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace shot::http
