#pragma once
// Jobs and their items, the durable record of what was asked and what came of it.
// A JobStore is synchronous and thread-safe: the service calls it from a thread pool.
// Times are passed in by the caller (milliseconds since the Unix epoch), so the store
// keeps no clock of its own and tests are deterministic.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace shot {

enum class JobKind { screenshot, crawl, thumbnail };
enum class JobState { queued, running, succeeded, partial, failed, canceled };
enum class ItemState { queued, running, succeeded, failed, canceled };

std::string_view to_string(JobKind kind);
std::string_view to_string(JobState state);
std::string_view to_string(ItemState state);
std::optional<JobKind> parse_job_kind(std::string_view text);
std::optional<JobState> parse_job_state(std::string_view text);
std::optional<ItemState> parse_item_state(std::string_view text);

// No further change is expected (a running item of a canceled job may still finish).
bool is_terminal(JobState state);
bool is_terminal(ItemState state);

struct Item {
  std::string job_id;
  int index = 0;
  std::string url;
  ItemState state = ItemState::queued;
  int attempts = 0;
  std::string blob_key;
  std::string content_type;
  std::int64_t bytes = 0;
  int width = 0;
  int height = 0;
  std::string sha256;
  std::string facts_json;  // page facts and timings, opaque JSON text
  std::string error_code;
  std::string error_message;
  bool cached = false;
  std::int64_t created_ms = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  int parent = -1;  // crawl: index of the page this link was found on
  int depth = 0;    // crawl: links from the start page

  bool operator==(const Item&) const = default;
};

struct Job {
  std::string id;
  JobKind kind = JobKind::screenshot;
  JobState state = JobState::queued;
  std::string options_json;  // opaque JSON text
  std::string callback_url;
  std::string idempotency_key;
  std::string request_hash;
  std::string owner;  // API key name
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  int total = 0;
  int succeeded = 0;
  int failed = 0;
  std::vector<Item> items;  // filled only when asked for

  bool operator==(const Job&) const = default;
};

// How many items of a job are in each state.
struct ItemCounts {
  int queued = 0;
  int running = 0;
  int succeeded = 0;
  int failed = 0;
  int canceled = 0;

  int total() const { return queued + running + succeeded + failed + canceled; }
  void add(ItemState state, int n = 1);
};

// The job state follows from its items: all queued → queued; anything running, or
// queued next to finished → running; all succeeded → succeeded; all failed →
// failed; another finished mix → partial. A canceled job stays canceled.
JobState derive_state(const ItemCounts& counts, bool job_canceled);
JobState derive_state(std::span<const Item> items, bool job_canceled);

// What a worker reports when an item is done; `state` is succeeded or failed.
struct ItemResult {
  ItemState state = ItemState::succeeded;
  std::string blob_key;
  std::string content_type;
  std::int64_t bytes = 0;
  int width = 0;
  int height = 0;
  std::string sha256;
  std::string facts_json;
  std::string error_code;
  std::string error_message;
  bool cached = false;
  std::int64_t finished_ms = 0;
};

struct Created {
  std::string id;
  bool existing = false;  // an earlier request with the same idempotency key made it
};

struct Finished {
  Job job;                // summary, without items
  bool job_done = false;  // this call moved the job to a terminal state (exactly once)
};

struct ItemRef {
  std::string job_id;
  int index = 0;

  bool operator==(const ItemRef&) const = default;
};

struct JobPage {
  std::vector<Job> jobs;    // newest first, without items
  std::string next_cursor;  // empty on the last page
};

struct ListQuery {
  int limit = 50;      // clamped to 1..1000
  std::string cursor;  // from a previous page; empty for the first
  std::string owner;   // only this owner's jobs; empty for all
};

// A finished capture kept for reuse, keyed by whatever the service derives
// from URL + options.
struct CacheEntry {
  std::string blob_key;
  std::string content_type;
  std::int64_t bytes = 0;
  int width = 0;
  int height = 0;
  std::string sha256;
  std::string facts_json;
  std::int64_t expires_ms = 0;

  bool operator==(const CacheEntry&) const = default;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Writes the job and all its items at once. Item indexes are their positions,
  // job_id is set from job.id, the counts and state are derived from the item
  // states (items may start finished, e.g. served from the cache). A non-empty
  // idempotency key already used by the same owner returns that job with
  // existing = true when request_hash matches, conflict when it does not.
  // An id already taken is conflict; an empty id is invalid_argument.
  virtual Result<Created> create(const Job& job) = 0;

  // not_found for an unknown id.
  virtual Result<Job> get(std::string_view job_id, bool with_items) = 0;

  // Newest first (created_ms, then id); a bad cursor is invalid_argument.
  virtual Result<JobPage> list(const ListQuery& query) = 0;

  // A crawl grows: appends the items whose URL the job does not have yet, up to
  // `max_total` items in the job, and returns the indexes given to them (in the
  // order of `items`; their index and job_id fields are ignored). conflict when
  // the job is canceled. Add a page's links before finishing that page, so the
  // job does not look done in between.
  virtual Result<std::vector<int>> add_items(std::string_view job_id, std::span<const Item> items,
                                             int max_total, std::int64_t now_ms) = 0;

  // A worker takes an item: queued or running (a redelivery after a crash) →
  // running, attempts + 1, started_ms = now. A finished or canceled item is
  // conflict, so a redelivered message is not captured twice.
  virtual Result<Item> start_item(std::string_view job_id, int index, std::int64_t now_ms) = 0;

  // Records the result and updates the job's counts and state in one step.
  // Allowed from queued or running; conflict when the item is already finished
  // or canceled. A running item of a canceled job still records its result.
  virtual Result<Finished> finish_item(std::string_view job_id, int index,
                                       const ItemResult& result) = 0;

  // Back to queued for another attempt (attempts kept). Already queued is fine;
  // finished is conflict. When the job was canceled meanwhile, the item becomes
  // canceled and the answer is Errc::canceled: do not publish it again.
  virtual Result<void> requeue_item(std::string_view job_id, int index, std::int64_t now_ms) = 0;

  // Queued items become canceled and the job canceled; running items may still
  // finish. Canceling a finished job is conflict; a canceled one is fine.
  virtual Result<Job> cancel(std::string_view job_id, std::int64_t now_ms) = 0;

  // Items queued or running, oldest job first: to publish again after a restart.
  virtual Result<std::vector<ItemRef>> unfinished() = 0;

  // The outbox. Queued items that create and add_items store are due to be
  // published from the job's created_ms (add_items: now_ms) until
  // mark_published says they are on the queue; a node that dies in between
  // leaves them due. claim_unpublished returns up to `limit` queued items due
  // at or before `due_before_ms`, the earliest first, and makes each due again
  // at `renew_ms`, so a second sweep does not take it too unless the first
  // dies before marking it. Items no longer queued leave the outbox there.
  virtual Result<void> mark_published(std::string_view job_id, std::span<const int> indexes) = 0;
  virtual Result<std::vector<ItemRef>> claim_unpublished(std::int64_t due_before_ms,
                                                         std::int64_t renew_ms, int limit) = 0;

  // nullopt when there is no entry or it expired at or before now_ms.
  virtual Result<std::optional<CacheEntry>> cache_get(std::string_view key,
                                                      std::int64_t now_ms) = 0;
  // Inserts or replaces.
  virtual Result<void> cache_put(std::string_view key, const CacheEntry& entry) = 0;

  // Deletes cache entries expired at or before now_ms, and finished jobs created
  // before jobs_before_ms (0 keeps every job). Returns the blob keys those rows
  // pointed to that no remaining item or cache entry points to: the caller may
  // delete those blobs. Blobs are shared (a cached item reuses an earlier
  // item's blob), so a blob lives as long as anything refers to it.
  virtual Result<std::vector<std::string>> purge_expired(std::int64_t now_ms,
                                                         std::int64_t jobs_before_ms) = 0;

  // ok, or unavailable when the store cannot be used (readiness).
  virtual Result<void> ping() = 0;
};

// "sqlite:PATH" (the file and its folder are created) or
// "redis://[[user]:password@]host[:port][/db][?prefix=shot:]" (a Redis server,
// reached at once: unavailable when it is not). Other schemes are invalid_argument.
Result<std::unique_ptr<JobStore>> open_job_store(std::string_view url);

}  // namespace shot
