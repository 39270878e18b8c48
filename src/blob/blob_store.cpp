#include "blob/blob_store.hpp"

#include "blob/file/file_blob_store.hpp"
#include "blob/s3/s3_blob_store.hpp"

namespace shot {

Result<void> validate_blob_key(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_argument, "bad blob key: " + std::string(why), "key");
  };
  if (key.empty()) return bad("empty");
  if (key.size() > 512) return bad("longer than 512 characters");
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return bad("characters other than A-Z a-z 0-9 . _ - /");
  }
  std::size_t start = 0;
  for (;;) {
    const auto slash = key.find('/', start);
    const auto segment =
        key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment.empty()) return bad("empty segment (absolute path or '//')");
    if (segment == "." || segment == "..") return bad("'.' or '..' segment");
    if (segment.size() > 200) return bad("segment longer than 200 characters");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Result<bool> BlobStore::exists(std::string_view key) {
  auto info = head(key);
  if (info) return true;
  if (info.error().code == Errc::not_found) return false;
  return fail(info.error());
}

Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view url) {
  constexpr std::string_view kFile = "file:";
  if (url.starts_with(kFile)) {
    auto store = FileBlobStore::open(url.substr(kFile.size()));
    if (!store) return fail(store.error());
    return std::unique_ptr<BlobStore>(std::move(*store));
  }
  if (url.starts_with("s3://")) {
    auto store = S3BlobStore::open(url);
    if (!store) return fail(store.error());
    return std::unique_ptr<BlobStore>(std::move(*store));
  }
  // Only the scheme goes into the message: the rest may hold a secret.
  const auto scheme = url.substr(0, url.find(':'));
  return fail(Errc::invalid_argument, "unknown blob backend: " + std::string(scheme), "blobs");
}

}  // namespace shot
