#pragma once
// Where pictures live. Synchronous and thread-safe. Keys are chosen by the
// service (derived from job and item), so a redelivered capture overwrites its
// own blob instead of adding another.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace shot {

struct Blob {
  std::string bytes;
  std::string content_type;
};

struct BlobInfo {
  std::int64_t bytes = 0;
  std::string content_type;
};

// A key is 1..512 characters of [A-Za-z0-9._/-], relative, made of non-empty
// segments separated by '/', none of them "." or "..". invalid_argument otherwise.
Result<void> validate_blob_key(std::string_view key);

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Atomic: a reader sees the old blob or the new one, never a part. Replaces
  // an existing blob with the same key.
  virtual Result<void> put(std::string_view key, std::string_view bytes,
                           std::string_view content_type) = 0;
  // not_found when missing.
  virtual Result<Blob> get(std::string_view key) = 0;
  // Size and content type without reading the bytes; not_found when missing.
  virtual Result<BlobInfo> head(std::string_view key) = 0;
  // Removing a missing blob is fine.
  virtual Result<void> remove(std::string_view key) = 0;

  // To serve without copying through memory: a file to send (file backend),
  // or a URL to redirect to (S3). nullopt when the backend offers none, the
  // key is invalid, or (local_path) the blob does not exist.
  virtual std::optional<std::string> local_path(std::string_view key) = 0;
  virtual std::optional<std::string> presign(std::string_view key, std::chrono::seconds ttl) = 0;

  // ok, or unavailable when the store cannot be used (readiness).
  virtual Result<void> ping() = 0;

  // head() without the details: false when missing.
  Result<bool> exists(std::string_view key);
};

// "file:DIR" (created when missing) or "s3://BUCKET?endpoint=...&region=..."
// (see blob/s3/s3_blob_store.hpp; unavailable when the bucket cannot be
// reached). Other schemes are invalid_argument.
Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view url);

}  // namespace shot
