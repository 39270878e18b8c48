#pragma once
// JobStore on one SQLite file: WAL, synchronous=FULL, one connection behind a
// mutex (SQLite serializes writers anyway; the calls are short).

#include <mutex>

#include "store/job_store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace shot {

class SqliteJobStore final : public JobStore {
 public:
  // Creates the file, its folder and the schema when missing.
  static Result<std::unique_ptr<SqliteJobStore>> open(std::string_view path);

  Result<Created> create(const Job& job) override;
  Result<Job> get(std::string_view job_id, bool with_items) override;
  Result<JobPage> list(const ListQuery& query) override;
  Result<std::vector<int>> add_items(std::string_view job_id, std::span<const Item> items,
                                     int max_total, std::int64_t now_ms) override;
  Result<Item> start_item(std::string_view job_id, int index, std::int64_t now_ms) override;
  Result<Finished> finish_item(std::string_view job_id, int index,
                               const ItemResult& result) override;
  Result<void> requeue_item(std::string_view job_id, int index, std::int64_t now_ms) override;
  Result<Job> cancel(std::string_view job_id, std::int64_t now_ms) override;
  Result<std::vector<ItemRef>> unfinished() override;
  Result<void> mark_published(std::string_view job_id, std::span<const int> indexes) override;
  Result<std::vector<ItemRef>> claim_unpublished(std::int64_t due_before_ms, std::int64_t renew_ms,
                                                 int limit) override;
  Result<std::optional<CacheEntry>> cache_get(std::string_view key, std::int64_t now_ms) override;
  Result<void> cache_put(std::string_view key, const CacheEntry& entry) override;
  Result<std::vector<std::string>> purge_expired(std::int64_t now_ms,
                                                 std::int64_t jobs_before_ms) override;
  Result<void> ping() override;

  explicit SqliteJobStore(sqlite::Db db) : db_(std::move(db)) {}

 private:
  Result<Job> load_job(std::string_view job_id);  // without items
  Result<Item> load_item(std::string_view job_id, int index);
  // The item and its job, for a change the item must still be open for
  // (conflict once it is finished or canceled).
  Result<std::pair<Item, Job>> load_open_item(std::string_view job_id, int index);
  // `due_ms`: when a queued item is due to be published (the outbox).
  Result<void> insert_item(const std::string& job_id, int index, const Item& item,
                           std::int64_t due_ms);
  // Writes the job's counts, state and updated_ms.
  Result<void> save_counts(const Job& job, const ItemCounts& counts, std::int64_t now_ms);
  Result<ItemCounts> load_counts(std::string_view job_id);

  std::mutex mutex_;
  sqlite::Db db_;
};

}  // namespace shot
