#include <gtest/gtest.h>

#include <fstream>

#include "blob/file/file_blob_store.hpp"
#include "blob_store_conformance.hpp"
#include "support/temp_dir.hpp"

namespace shot {
namespace {

class FileHarness final : public conformance::BlobStoreHarness {
 public:
  std::unique_ptr<BlobStore> open() override {
    auto store = open_blob_store("file:" + (dir_.path() / "blobs").string());
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

 private:
  TempDir dir_;
};

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(File, BlobStoreConformance,
                         ::testing::Values(BlobStoreBackend{
                             "file", [] { return std::make_unique<FileHarness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

TEST(FileBlobStore, LayoutLeavesNoTempFilesAndServesFromDataFolder) {
  TempDir dir;
  auto store = open_blob_store("file:" + (dir.path() / "new" / "blobs").string());
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->put("jobs/j/0.png", "png", "image/png"));
  ASSERT_TRUE((*store)->put("jobs/j/0.png", "png2", "image/png"));
  EXPECT_EQ(count_files(dir.path() / "new" / "blobs" / "tmp"), 0u);
  EXPECT_EQ(count_files(dir.path() / "new" / "blobs" / "data"), 1u);
  auto path = (*store)->local_path("jobs/j/0.png");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, (dir.path() / "new" / "blobs" / "data" / "jobs" / "j" / "0.png").string());
  EXPECT_FALSE((*store)->presign("jobs/j/0.png", std::chrono::seconds(60)));
}

TEST(FileBlobStore, RelativeFolderIsMadeInTheWorkingFolder) {
  TempDir dir;
  const auto was = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto store = open_blob_store("file:blobs");
  bool put = store && (*store)->put("jobs/j/0.png", "png", "image/png");
  std::filesystem::current_path(was);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE(put);
  EXPECT_TRUE(
      std::filesystem::is_regular_file(dir.path() / "blobs" / "data" / "jobs" / "j" / "0.png"));
}

TEST(FileBlobStore, RemoveTidiesEmptyFolders) {
  TempDir dir;
  auto store = open_blob_store("file:" + dir.path().string());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->put("jobs/j/0.png", "png", "image/png"));
  ASSERT_TRUE((*store)->remove("jobs/j/0.png"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "jobs"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data"));
}

TEST(FileBlobStore, KeyUsedAsAnotherKeysFolderIsConflict) {
  TempDir dir;
  auto store = open_blob_store("file:" + dir.path().string());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->put("a/b", "x", "text/plain"));
  EXPECT_EQ((*store)->put("a", "y", "text/plain").error().code, Errc::conflict);
  ASSERT_TRUE((*store)->put("c", "x", "text/plain"));
  EXPECT_EQ((*store)->put("c/d", "y", "text/plain").error().code, Errc::conflict);
  EXPECT_EQ((*store)->get("a/b")->bytes, "x");
  EXPECT_EQ((*store)->get("c")->bytes, "x");
}

TEST(FileBlobStore, MissingMetaFallsBackToOctetStream) {
  TempDir dir;
  auto store = open_blob_store("file:" + dir.path().string());
  ASSERT_TRUE(store);
  std::ofstream(dir.path() / "data" / "dropped-in") << "raw";
  auto blob = (*store)->get("dropped-in");
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->content_type, "application/octet-stream");
}

TEST(FileBlobStore, APictureNeedsNoMetaFileAndAStaleOneGoes) {
  // The type a picture's extension implies is not written down: one file
  // (and its fsyncs) per put instead of two.
  TempDir dir;
  auto store = open_blob_store("file:" + dir.path().string());
  ASSERT_TRUE(store);
  const auto meta = dir.path() / "meta" / "jobs" / "1.png";
  ASSERT_TRUE((*store)->put("jobs/1.png", "pixels", "image/png"));
  EXPECT_FALSE(std::filesystem::exists(meta));
  EXPECT_EQ((*store)->get("jobs/1.png")->content_type, "image/png");
  // Another type for the same key is written down, and forgotten again.
  ASSERT_TRUE((*store)->put("jobs/1.png", "text", "text/plain"));
  EXPECT_TRUE(std::filesystem::exists(meta));
  EXPECT_EQ((*store)->get("jobs/1.png")->content_type, "text/plain");
  ASSERT_TRUE((*store)->put("jobs/1.png", "pixels", "image/png"));
  EXPECT_FALSE(std::filesystem::exists(meta));
  EXPECT_EQ((*store)->head("jobs/1.png")->content_type, "image/png");
}

TEST(FileBlobStore, UnusableFolderIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto store = open_blob_store("file:" + (dir.path() / "file" / "blobs").string());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::unavailable);
  EXPECT_EQ(open_blob_store("file:").error().code, Errc::invalid_argument);
}

TEST(BlobStoreFactory, UnknownSchemeIsInvalidAndHidesTheRest) {
  auto store = open_blob_store("gs://bucket?secret_key=hunter2");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos);
}

TEST(BlobKey, Validation) {
  EXPECT_TRUE(validate_blob_key("jobs/abc/0.png"));
  EXPECT_FALSE(validate_blob_key("jobs/../0.png"));
  EXPECT_EQ(validate_blob_key("").error().field, "key");
}

}  // namespace
}  // namespace shot
