#include <sqlite3.h>

#include <fstream>

#include "job_store_conformance.hpp"
#include "store/sqlite/sqlite_job_store.hpp"
#include "support/temp_dir.hpp"

namespace shot {
namespace {

class SqliteHarness final : public conformance::JobStoreHarness {
 public:
  std::unique_ptr<JobStore> open() override {
    auto store = open_job_store("sqlite:" + (dir_.path() / "data" / "shot.db").string());
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

 private:
  TempDir dir_;
};

}  // namespace

namespace conformance {
INSTANTIATE_TEST_SUITE_P(Sqlite, JobStoreConformance,
                         ::testing::Values(JobStoreBackend{
                             "sqlite", [] { return std::make_unique<SqliteHarness>(); }}),
                         backend_name);
}  // namespace conformance

namespace {

TEST(SqliteJobStore, CreatesMissingFoldersAndUsesWal) {
  TempDir dir;
  const auto path = dir.path() / "a" / "b" / "shot.db";
  auto store = open_job_store("sqlite:" + path.string());
  ASSERT_TRUE(store) << store.error().message;
  Job job;
  job.id = "j";
  ASSERT_TRUE((*store)->create(job));
  EXPECT_TRUE(std::filesystem::exists(path));
  // The write-ahead log sits beside the database while it is open.
  EXPECT_TRUE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(SqliteJobStore, UnusablePathIsAClearError) {
  TempDir dir;
  auto folder = open_job_store("sqlite:" + dir.path().string());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code, Errc::unavailable);
  EXPECT_NE(folder.error().message.find(dir.path().string()), std::string::npos);

  const auto file = dir.path() / "file";
  std::ofstream(file) << "x";
  auto under_file = open_job_store("sqlite:" + (file / "shot.db").string());
  ASSERT_FALSE(under_file);
  EXPECT_EQ(under_file.error().code, Errc::unavailable);

  const auto junk = dir.path() / "junk.db";
  std::ofstream(junk) << std::string(8192, 'z');
  auto not_db = open_job_store("sqlite:" + junk.string());
  ASSERT_FALSE(not_db);
  EXPECT_EQ(not_db.error().code, Errc::unavailable);

  auto empty = open_job_store("sqlite:");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
}

TEST(SqliteJobStore, RefusesANewerSchema) {
  TempDir dir;
  const auto path = (dir.path() / "shot.db").string();
  ASSERT_TRUE(open_job_store("sqlite:" + path));
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite::DbHandle db(raw);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  auto store = open_job_store("sqlite:" + path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos);
}

TEST(SqliteJobStore, UpgradesAVersionOneDatabase) {
  TempDir dir;
  const auto path = (dir.path() / "shot.db").string();
  {
    auto store = open_job_store("sqlite:" + path);
    ASSERT_TRUE(store) << store.error().message;
    Job job;
    job.id = "old";
    job.created_ms = 1000;
    job.items.push_back(Item{.url = "https://example.com/", .created_ms = 1000});
    ASSERT_TRUE((*store)->create(job));
  }
  {  // back to what version 1 wrote: no outbox
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite::DbHandle db(raw);
    ASSERT_EQ(sqlite3_exec(raw,
                           "DROP INDEX items_unpublished;"
                           "ALTER TABLE items DROP COLUMN publish_due_ms;"
                           "PRAGMA user_version = 1",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  auto store = open_job_store("sqlite:" + path);
  ASSERT_TRUE(store) << store.error().message;
  auto old = (*store)->get("old", true);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->items.at(0).url, "https://example.com/");
  // Items of version 1 were queued when stored; new ones go through the outbox.
  EXPECT_TRUE((*store)->claim_unpublished(1'000'000, 2'000'000, 10)->empty());
  Job job;
  job.id = "new";
  job.created_ms = 2000;
  job.items.push_back(Item{.url = "https://example.com/n", .created_ms = 2000});
  ASSERT_TRUE((*store)->create(job));
  auto due = (*store)->claim_unpublished(2000, 3000, 10);
  ASSERT_TRUE(due) << due.error().message;
  EXPECT_EQ(*due, (std::vector<ItemRef>{{"new", 0}}));
}

TEST(SqliteJobStore, ReopeningKeepsTheSchema) {
  TempDir dir;
  const auto url = "sqlite:" + (dir.path() / "shot.db").string();
  for (int i = 0; i < 3; ++i) {
    auto store = open_job_store(url);
    ASSERT_TRUE(store) << store.error().message;
    Job job;
    job.id = "j" + std::to_string(i);
    ASSERT_TRUE((*store)->create(job));
    EXPECT_EQ((*store)->list({})->jobs.size(), static_cast<std::size_t>(i + 1));
  }
}

TEST(JobStoreFactory, UnknownSchemeIsInvalidAndHidesTheRest) {
  auto store = open_job_store("memcached://user:secret@host:11211/0");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_EQ(store.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace shot
