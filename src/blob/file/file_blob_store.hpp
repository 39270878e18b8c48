#pragma once
// BlobStore on a local folder:
//   ROOT/data/KEY   the bytes, served as is (local_path)
//   ROOT/meta/KEY   the content type, one line
//   ROOT/tmp/       files being written; renamed into place once fsynced
// Separate trees keep a sidecar from ever colliding with a key. put() writes
// the meta first, then the data, so a blob is visible only with its type.
// Overwriting a key with a different content type can, for a moment, pair
// the new type with the old bytes; keys derived from job and item keep their type.

#include <filesystem>

#include "blob/blob_store.hpp"

namespace shot {

class FileBlobStore final : public BlobStore {
 public:
  // Creates the folders when missing; removes temp files left by a crash.
  static Result<std::unique_ptr<FileBlobStore>> open(std::string_view root);

  Result<void> put(std::string_view key, std::string_view bytes,
                   std::string_view content_type) override;
  Result<Blob> get(std::string_view key) override;
  Result<BlobInfo> head(std::string_view key) override;
  Result<void> remove(std::string_view key) override;
  std::optional<std::string> local_path(std::string_view key) override;
  std::optional<std::string> presign(std::string_view key, std::chrono::seconds ttl) override;
  Result<void> ping() override;

  explicit FileBlobStore(std::filesystem::path root);

 private:
  // Writes `bytes` to a temp file, fsyncs it, renames it to `dest`, fsyncs the folder.
  Result<void> write_atomic(const std::filesystem::path& dest, std::string_view bytes);
  Result<std::string> read_content_type(std::string_view key);
  void remove_empty_parents(std::filesystem::path dir, const std::filesystem::path& top);

  std::filesystem::path root_;
  std::filesystem::path data_;
  std::filesystem::path meta_;
  std::filesystem::path tmp_;
};

}  // namespace shot
