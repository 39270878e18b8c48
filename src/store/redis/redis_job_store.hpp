#pragma once
// JobStore on Redis (standalone, AOF for durability): a job is a JSON string
// with its counts, its items a hash index → JSON. Changes that read before they
// write run optimistically (WATCH, then MULTI/EXEC, again when a watched key
// moved); the cache uses small Lua scripts. Several shot processes can share
// one database. Keys live under "shot:" (`?prefix=` changes it).

#include <memory>
#include <string>

#include "store/job_store.hpp"
#include "store/redis/redis_client.hpp"

namespace shot {

class RedisJobStore final : public JobStore {
 public:
  // redis://[[user]:password@]host[:port][/db][?prefix=P]. Connects once, so a
  // wrong address fails at start-up; later outages are survived (reconnects).
  static Result<std::unique_ptr<RedisJobStore>> open(std::string_view url);

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

  RedisJobStore(redis::Endpoint endpoint, std::string prefix);

 private:
  struct Keys;
  // Runs `body` on a pooled connection; again on a fresh one when the
  // connection broke (server restarted), for a bounded number of attempts.
  template <class T, class F>
  Result<T> with_connection(F&& body, int attempts = 8);
  // The same, also again while `body` answers nullopt (a WATCHed key changed).
  template <class T, class F>
  Result<T> optimistic(F&& body);
  // optimistic() on one item that must still be open (see watch_open_item),
  // WATCHed with its job: `change(connection, item, record)` ends in commit().
  template <class T, class F>
  Result<T> change_open_item(const std::string& job_key, const std::string& items_key,
                             std::string_view job_id, int index, Errc when_canceled, F&& change);
  // Deletes one finished job older than the cut; its orphaned blob keys go to `out`.
  Result<void> purge_job(const std::string& job_id, std::int64_t jobs_before_ms,
                         std::vector<std::string>& out);

  redis::Pool pool_;
  std::string prefix_;
};

}  // namespace shot
