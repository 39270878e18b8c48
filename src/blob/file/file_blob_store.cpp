#include "blob/file/file_blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/id.hpp"

namespace shot {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kDefaultType = "application/octet-stream";

// The content type a key's extension implies: such blobs (every picture) need
// no meta file, which saves a file and two fsyncs per put.
std::string_view implied_type(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".png", "image/png"},   {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"}, {".pdf", "application/pdf"},
  };
  for (auto [ext, type] : kTypes)
    if (key.ends_with(ext)) return type;
  return kDefaultType;
}

// A file descriptor, closed once.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  int fd_;
};

// A temp file removed on destruction unless it was renamed into place.
class TempPath {
 public:
  explicit TempPath(fs::path path) : path_(std::move(path)) {}
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

Error io_error(std::string_view what, int err) {
  // ENOSPC and friends are the machine's problem, not the caller's: retry later.
  return Error{Errc::unavailable, "blob store: " + std::string(what) + ": " + std::strerror(err)};
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("write", errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_all(int fd, std::size_t size_hint) {
  std::string out;
  out.resize(size_hint);
  std::size_t used = 0;
  for (;;) {
    if (used == out.size()) out.resize(out.size() < 4096 ? 4096 : out.size() * 2);
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("read", errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  out.resize(used);
  return out;
}

// Makes the names in the folder `dir` durable; 0 or the errno of what failed.
int fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return errno;
  return 0;
}

// On a file system "a" and "a/b" cannot both be blobs (S3 allows it).
Error key_clash() {
  return Error{Errc::conflict, "blob key clashes with another key used as its folder", "key"};
}

// Creates the folder `dir` and its missing parents; 0 or the errno of what
// failed (ENOTDIR: a file is in the way). A new folder's name is made durable
// in its parent: otherwise a crash could take the folder, and every blob
// renamed into it, after the puts had returned.
int make_folders(const fs::path& dir) {
  if (dir.empty()) return 0;  // the working folder
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (errno != ENOENT) return errno;
  if (int err = make_folders(dir.parent_path()); err != 0) return err;
  // EEXIST: made meanwhile by another put, whose fsync may not have happened yet.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  return fsync_dir(dir.parent_path());
}

}  // namespace

FileBlobStore::FileBlobStore(fs::path root)
    : root_(std::move(root)), data_(root_ / "data"), meta_(root_ / "meta"), tmp_(root_ / "tmp") {}

Result<std::unique_ptr<FileBlobStore>> FileBlobStore::open(std::string_view root) {
  if (root.empty()) return fail(Errc::invalid_argument, "blob store: empty folder", "blobs");
  auto store = std::make_unique<FileBlobStore>(fs::path(root));
  for (const auto& dir : {store->data_, store->meta_, store->tmp_}) {
    if (int err = make_folders(dir); err != 0)
      return fail(Errc::unavailable,
                  "cannot create blob folder " + dir.string() + ": " + std::strerror(err));
  }
  // Temp files of a crashed put. Only old ones: another process may share the folder.
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : fs::directory_iterator(store->tmp_, ec)) {
    std::error_code ignored;
    if (entry.last_write_time(ignored) < cutoff) fs::remove(entry.path(), ignored);
  }
  auto ok = store->ping();
  if (!ok) return fail(ok.error());
  return store;
}

Result<void> FileBlobStore::write_atomic(const fs::path& dest, std::string_view bytes) {
  TempPath temp(tmp_ / random_hex(12));
  Fd fd(::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return fail(io_error("create temp file", errno));
  if (auto r = write_all(fd.get(), bytes); !r) return r;
  if (::fsync(fd.get()) != 0) return fail(io_error("fsync", errno));
  if (fd.close() != 0) return fail(io_error("close", errno));

  // A concurrent remove() may delete the empty parent between creating and
  // renaming into it: create it again and retry.
  for (int attempt = 0;; ++attempt) {
    if (int err = make_folders(dest.parent_path()); err != 0)
      return fail(err == ENOTDIR ? key_clash() : io_error("create folder", err));
    if (::rename(temp.path().c_str(), dest.c_str()) == 0) break;
    if (errno == EISDIR || errno == ENOTDIR) return fail(key_clash());
    if (errno != ENOENT || attempt == 3) return fail(io_error("rename", errno));
  }
  temp.release();
  if (int err = fsync_dir(dest.parent_path()); err != 0) return fail(io_error("fsync folder", err));
  return {};
}

Result<void> FileBlobStore::put(std::string_view key, std::string_view bytes,
                                std::string_view content_type) {
  if (auto r = validate_blob_key(key); !r) return r;
  const std::string type =
      content_type.empty() ? std::string(kDefaultType) : std::string(content_type);
  if (type.find_first_of("\r\n") != std::string::npos) {
    return fail(Errc::invalid_argument, "bad content type", "content_type");
  }
  if (type != implied_type(key)) {
    if (auto r = write_atomic(meta_ / key, type); !r) return r;
  } else if (::unlink((meta_ / key).c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return fail(io_error("remove meta file", errno));  // a type from an earlier put of the key
  }
  return write_atomic(data_ / key, bytes);
}

Result<std::string> FileBlobStore::read_content_type(std::string_view key) {
  Fd fd(::open((meta_ / key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return std::string(implied_type(key));
    return fail(io_error("open", errno));
  }
  auto text = read_all(fd.get(), 64);
  if (!text) return fail(text.error());
  if (text->empty()) return std::string(kDefaultType);
  return text;
}

Result<Blob> FileBlobStore::get(std::string_view key) {
  if (auto r = validate_blob_key(key); !r) return fail(r.error());
  Fd fd(::open((data_ / key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) {
      return fail(Errc::not_found, "no such blob");
    }
    return fail(io_error("open", errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(io_error("stat", errno));
  if (!S_ISREG(st.st_mode)) return fail(Errc::not_found, "no such blob");
  auto bytes = read_all(fd.get(), static_cast<std::size_t>(st.st_size));
  if (!bytes) return fail(bytes.error());
  auto type = read_content_type(key);
  if (!type) return fail(type.error());
  return Blob{std::move(*bytes), std::move(*type)};
}

Result<BlobInfo> FileBlobStore::head(std::string_view key) {
  if (auto r = validate_blob_key(key); !r) return fail(r.error());
  struct stat st {};
  if (::stat((data_ / key).c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return fail(Errc::not_found, "no such blob");
    return fail(io_error("stat", errno));
  }
  if (!S_ISREG(st.st_mode)) return fail(Errc::not_found, "no such blob");
  auto type = read_content_type(key);
  if (!type) return fail(type.error());
  return BlobInfo{static_cast<std::int64_t>(st.st_size), std::move(*type)};
}

Result<void> FileBlobStore::remove(std::string_view key) {
  if (auto r = validate_blob_key(key); !r) return r;
  // Data first: once it is gone the blob is gone, whatever happens to the meta.
  for (const auto& top : {data_, meta_}) {
    const auto path = top / key;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      // A folder of that name is a prefix of other keys, not a blob.
      if (errno == EISDIR) continue;
      return fail(io_error("unlink", errno));
    }
    remove_empty_parents(path.parent_path(), top);
  }
  return {};
}

void FileBlobStore::remove_empty_parents(fs::path dir, const fs::path& top) {
  // rmdir fails on a folder that is not empty, which is where we stop.
  while (dir != top && dir.string().size() > top.string().size()) {
    if (::rmdir(dir.c_str()) != 0) return;
    dir = dir.parent_path();
  }
}

std::optional<std::string> FileBlobStore::local_path(std::string_view key) {
  if (!validate_blob_key(key)) return std::nullopt;
  auto path = data_ / key;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return path.string();
}

std::optional<std::string> FileBlobStore::presign(std::string_view, std::chrono::seconds) {
  return std::nullopt;
}

Result<void> FileBlobStore::ping() {
  // Creating a file proves more than stat(): the disk takes writes.
  TempPath probe(tmp_ / ("ping-" + random_hex(8)));
  Fd fd(::open(probe.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return fail(io_error("cannot write in " + tmp_.string(), errno));
  return {};
}

}  // namespace shot
