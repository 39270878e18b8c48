#include "store/sqlite/sqlite_job_store.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <limits>
#include <set>

#include "store/list_cursor.hpp"

namespace shot {
namespace {

constexpr int kSchemaVersion = 2;

// Counts per state live on the job row so finishing an item is O(1), not a
// scan of a job with thousands of items.
constexpr const char* kSchema = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  options_json TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  n_queued INTEGER NOT NULL,
  n_running INTEGER NOT NULL,
  n_succeeded INTEGER NOT NULL,
  n_failed INTEGER NOT NULL,
  n_canceled INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (owner, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX jobs_created ON jobs (created_ms, id);
CREATE INDEX jobs_owner_created ON jobs (owner, created_ms, id);
CREATE TABLE items (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  url TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  blob_key TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  facts_json TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  cached INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  parent INTEGER NOT NULL,
  depth INTEGER NOT NULL,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
CREATE INDEX items_url ON items (job_id, url);
CREATE INDEX items_unfinished ON items (state) WHERE state IN ('queued', 'running');
CREATE INDEX items_blob ON items (blob_key) WHERE blob_key <> '';
CREATE TABLE cache (
  key TEXT PRIMARY KEY,
  blob_key TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  facts_json TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX cache_expires ON cache (expires_ms);
CREATE INDEX cache_blob ON cache (blob_key);
)sql";

// Version 2: the outbox (JobStore::claim_unpublished). 0: not due, published or
// nothing to publish.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE items ADD COLUMN publish_due_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_unpublished ON items (publish_due_ms) WHERE publish_due_ms > 0;
)sql";

#define JOB_COLUMNS                                                                     \
  "id, kind, state, options_json, callback_url, idempotency_key, request_hash, owner, " \
  "created_ms, updated_ms, n_queued, n_running, n_succeeded, n_failed, n_canceled"
#define ITEM_COLUMNS                                                                          \
  "job_id, idx, url, state, attempts, blob_key, content_type, bytes, width, height, sha256, " \
  "facts_json, error_code, error_message, cached, created_ms, started_ms, finished_ms, "      \
  "parent, depth"

Error corrupt(std::string_view what) {
  return Error{Errc::internal, "job store: unexpected value in " + std::string(what)};
}

Result<Job> read_job(const sqlite::Query& q) {
  Job job;
  job.id = q.text(0);
  auto kind = parse_job_kind(q.text(1));
  auto state = parse_job_state(q.text(2));
  if (!kind || !state) return fail(corrupt("jobs"));
  job.kind = *kind;
  job.state = *state;
  job.options_json = q.text(3);
  job.callback_url = q.text(4);
  job.idempotency_key = q.text(5);
  job.request_hash = q.text(6);
  job.owner = q.text(7);
  job.created_ms = q.int64(8);
  job.updated_ms = q.int64(9);
  ItemCounts c{q.int32(10), q.int32(11), q.int32(12), q.int32(13), q.int32(14)};
  job.total = c.total();
  job.succeeded = c.succeeded;
  job.failed = c.failed;
  return job;
}

ItemCounts read_counts(const sqlite::Query& q, int first_col) {
  return ItemCounts{q.int32(first_col), q.int32(first_col + 1), q.int32(first_col + 2),
                    q.int32(first_col + 3), q.int32(first_col + 4)};
}

Result<Item> read_item(const sqlite::Query& q) {
  Item item;
  item.job_id = q.text(0);
  item.index = q.int32(1);
  item.url = q.text(2);
  auto state = parse_item_state(q.text(3));
  if (!state) return fail(corrupt("items"));
  item.state = *state;
  item.attempts = q.int32(4);
  item.blob_key = q.text(5);
  item.content_type = q.text(6);
  item.bytes = q.int64(7);
  item.width = q.int32(8);
  item.height = q.int32(9);
  item.sha256 = q.text(10);
  item.facts_json = q.text(11);
  item.error_code = q.text(12);
  item.error_message = q.text(13);
  item.cached = q.int64(14) != 0;
  item.created_ms = q.int64(15);
  item.started_ms = q.int64(16);
  item.finished_ms = q.int64(17);
  item.parent = q.int32(18);
  item.depth = q.int32(19);
  return item;
}

#define TRY(expr)                                \
  do {                                           \
    auto _r = (expr);                            \
    if (!_r) return std::unexpected(_r.error()); \
  } while (0)

}  // namespace

Result<std::unique_ptr<SqliteJobStore>> SqliteJobStore::open(std::string_view path_text) {
  if (path_text.empty()) return fail(Errc::invalid_argument, "job store: empty sqlite path");
  std::filesystem::path path(path_text);
  const std::string where = "job store at " + path.string();
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      return fail(Errc::unavailable, "cannot create the folder of " + where + ": " + ec.message());
  }
  if (std::filesystem::is_directory(path, ec)) {
    return fail(Errc::unavailable, "cannot open " + where + ": it is a folder");
  }
  auto db = sqlite::Db::open(path.string());
  if (!db) return fail(Errc::unavailable, "cannot open " + where + ": " + db.error().message);

  // WAL lets readers run beside the writer; FULL makes every commit durable
  // (an accepted job is never lost); busy_timeout covers a second process.
  auto setup = db->exec(
      "PRAGMA busy_timeout = 5000;"
      "PRAGMA journal_mode = WAL;"
      "PRAGMA synchronous = FULL;"
      "PRAGMA foreign_keys = ON;");
  if (!setup) return fail(Errc::unavailable, "cannot open " + where + ": " + setup.error().message);

  auto version_query = db->query("PRAGMA user_version");
  if (!version_query) return fail(version_query.error());
  int version = 0;
  {
    auto q = std::move(*version_query);
    auto row = q.step();
    if (!row) return fail(Errc::unavailable, "cannot open " + where + ": " + row.error().message);
    version = q.int32(0);
  }
  if (version > kSchemaVersion) {
    return fail(Errc::unavailable, where + " has schema version " + std::to_string(version) +
                                       ", newer than this shot understands (" +
                                       std::to_string(kSchemaVersion) + ")");
  }
  if (version < kSchemaVersion) {
    auto tx = sqlite::Transaction::begin(*db);
    if (!tx) return fail(tx.error());
    if (version < 1) TRY(db->exec(kSchema));
    if (version < 2) TRY(db->exec(kSchemaV2));
    TRY(db->exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
    TRY(tx->commit());
  }
  return std::make_unique<SqliteJobStore>(std::move(*db));
}

Result<Job> SqliteJobStore::load_job(std::string_view job_id) {
  auto q = db_.query("SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1");
  if (!q) return fail(q.error());
  q->bind(1, job_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "no such job");
  return read_job(*q);
}

Result<ItemCounts> SqliteJobStore::load_counts(std::string_view job_id) {
  auto q = db_.query(
      "SELECT n_queued, n_running, n_succeeded, n_failed, n_canceled FROM jobs WHERE id = ?1");
  if (!q) return fail(q.error());
  q->bind(1, job_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "no such job");
  return read_counts(*q, 0);
}

Result<std::pair<Item, Job>> SqliteJobStore::load_open_item(std::string_view job_id, int index) {
  auto item = load_item(job_id, index);
  if (!item) return fail(item.error());
  if (is_terminal(item->state))
    return fail(Errc::conflict, "the item is already " + std::string(to_string(item->state)));
  auto job = load_job(job_id);
  if (!job) return fail(job.error());
  return std::make_pair(std::move(*item), std::move(*job));
}

Result<Item> SqliteJobStore::load_item(std::string_view job_id, int index) {
  auto q = db_.query("SELECT " ITEM_COLUMNS " FROM items WHERE job_id = ?1 AND idx = ?2");
  if (!q) return fail(q.error());
  q->bind_all(job_id, index);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "no such item");
  return read_item(*q);
}

Result<void> SqliteJobStore::insert_item(const std::string& job_id, int index, const Item& item,
                                         std::int64_t due_ms) {
  auto q = db_.query("INSERT INTO items (" ITEM_COLUMNS
                     ", publish_due_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                     "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)");
  if (!q) return fail(q.error());
  const std::int64_t due = item.state == ItemState::queued ? std::max<std::int64_t>(due_ms, 1) : 0;
  q->bind_all(job_id, index, item.url, to_string(item.state), item.attempts, item.blob_key,
              item.content_type, item.bytes, item.width, item.height, item.sha256, item.facts_json,
              item.error_code, item.error_message, item.cached, item.created_ms, item.started_ms,
              item.finished_ms, item.parent, item.depth, due);
  return q->run();
}

Result<void> SqliteJobStore::save_counts(const Job& job, const ItemCounts& c, std::int64_t now_ms) {
  auto state = derive_state(c, job.state == JobState::canceled);
  auto q = db_.query(
      "UPDATE jobs SET state = ?2, updated_ms = ?3, n_queued = ?4, n_running = ?5, "
      "n_succeeded = ?6, n_failed = ?7, n_canceled = ?8 WHERE id = ?1");
  if (!q) return fail(q.error());
  q->bind_all(job.id, to_string(state), std::max(now_ms, job.updated_ms), c.queued, c.running,
              c.succeeded, c.failed, c.canceled);
  return q->run();
}

Result<Created> SqliteJobStore::create(const Job& job) {
  if (job.id.empty()) return fail(Errc::invalid_argument, "job id is empty", "id");
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());

  if (!job.idempotency_key.empty()) {
    auto q =
        db_.query("SELECT id, request_hash FROM jobs WHERE owner = ?1 AND idempotency_key = ?2");
    if (!q) return fail(q.error());
    q->bind_all(job.owner, job.idempotency_key);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (*row) {
      if (q->text(1) != job.request_hash) {
        return fail(Errc::conflict, "the idempotency key was used for a different request",
                    "Idempotency-Key");
      }
      return Created{q->text(0), true};
    }
  }

  ItemCounts c;
  for (const auto& item : job.items)
    c.add(item.state);
  {
    auto q =
        db_.query("INSERT INTO jobs (" JOB_COLUMNS
                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    if (!q) return fail(q.error());
    q->bind_all(job.id, to_string(job.kind), to_string(derive_state(c, false)), job.options_json,
                job.callback_url, job.idempotency_key, job.request_hash, job.owner, job.created_ms,
                std::max(job.updated_ms, job.created_ms), c.queued, c.running, c.succeeded,
                c.failed, c.canceled);
    auto r = q->run();
    if (!r) {
      if (r.error().code == Errc::conflict) return fail(Errc::conflict, "job id already exists");
      return fail(r.error());
    }
  }
  for (std::size_t i = 0; i < job.items.size(); ++i) {
    TRY(insert_item(job.id, static_cast<int>(i), job.items[i], job.created_ms));
  }
  TRY(tx->commit());
  return Created{job.id, false};
}

Result<Job> SqliteJobStore::get(std::string_view job_id, bool with_items) {
  std::lock_guard lock(mutex_);
  // One read transaction, so the items match the counts.
  auto tx = sqlite::Transaction::begin_read(db_);
  if (!tx) return fail(tx.error());
  auto job = load_job(job_id);
  if (!job || !with_items) return job;
  auto q = db_.query("SELECT " ITEM_COLUMNS " FROM items WHERE job_id = ?1 ORDER BY idx");
  if (!q) return fail(q.error());
  q->bind(1, job_id);
  job->items.reserve(static_cast<std::size_t>(job->total));
  for (;;) {
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    auto item = read_item(*q);
    if (!item) return fail(item.error());
    job->items.push_back(std::move(*item));
  }
  return job;
}

Result<JobPage> SqliteJobStore::list(const ListQuery& query) {
  const int limit = std::clamp(query.limit, 1, 1000);
  std::int64_t before_ms = std::numeric_limits<std::int64_t>::max();
  std::string before_id;
  if (!query.cursor.empty() && !store::parse_cursor(query.cursor, before_ms, before_id)) {
    return fail(Errc::invalid_argument, "bad cursor", "cursor");
  }
  std::lock_guard lock(mutex_);
  // Row values compare (created_ms, id) together: a stable order with equal times.
  auto q = query.owner.empty()
               ? db_.query("SELECT " JOB_COLUMNS
                           " FROM jobs WHERE (created_ms, id) < (?1, ?2)"
                           " ORDER BY created_ms DESC, id DESC LIMIT ?3")
               : db_.query("SELECT " JOB_COLUMNS
                           " FROM jobs WHERE owner = ?4 AND (created_ms, id) < (?1, ?2)"
                           " ORDER BY created_ms DESC, id DESC LIMIT ?3");
  if (!q) return fail(q.error());
  q->bind_all(before_ms, before_id, limit + 1);
  if (!query.owner.empty()) q->bind(4, query.owner);
  JobPage page;
  for (;;) {
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    auto job = read_job(*q);
    if (!job) return fail(job.error());
    page.jobs.push_back(std::move(*job));
  }
  if (page.jobs.size() > static_cast<std::size_t>(limit)) {
    page.jobs.pop_back();
    page.next_cursor = store::make_cursor(page.jobs.back().created_ms, page.jobs.back().id);
  }
  return page;
}

Result<std::vector<int>> SqliteJobStore::add_items(std::string_view job_id,
                                                   std::span<const Item> items, int max_total,
                                                   std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto job = load_job(job_id);
  if (!job) return fail(job.error());
  if (job->state == JobState::canceled) return fail(Errc::conflict, "the job was canceled");
  auto counts = load_counts(job_id);
  if (!counts) return fail(counts.error());

  std::vector<int> added;
  for (const auto& item : items) {
    if (counts->total() >= max_total) break;
    auto q = db_.query("SELECT 1 FROM items WHERE job_id = ?1 AND url = ?2");
    if (!q) return fail(q.error());
    q->bind_all(job_id, item.url);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (*row) continue;
    const int index = counts->total();
    TRY(insert_item(job->id, index, item, now_ms));
    counts->add(item.state);
    added.push_back(index);
  }
  if (!added.empty()) TRY(save_counts(*job, *counts, now_ms));
  TRY(tx->commit());
  return added;
}

Result<Item> SqliteJobStore::start_item(std::string_view job_id, int index, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto open = load_open_item(job_id, index);
  if (!open) return fail(open.error());
  auto item = &open->first;
  auto job = &open->second;
  {
    auto q = db_.query(
        "UPDATE items SET state = 'running', attempts = attempts + 1, started_ms = ?3 "
        "WHERE job_id = ?1 AND idx = ?2");
    if (!q) return fail(q.error());
    q->bind_all(job_id, index, now_ms);
    TRY(q->run());
  }
  if (item->state == ItemState::queued) {
    auto counts = load_counts(job_id);
    if (!counts) return fail(counts.error());
    counts->add(ItemState::queued, -1);
    counts->add(ItemState::running);
    TRY(save_counts(*job, *counts, now_ms));
  }
  TRY(tx->commit());
  item->state = ItemState::running;
  item->attempts += 1;
  item->started_ms = now_ms;
  return std::move(*item);
}

Result<Finished> SqliteJobStore::finish_item(std::string_view job_id, int index,
                                             const ItemResult& r) {
  if (r.state != ItemState::succeeded && r.state != ItemState::failed) {
    return fail(Errc::invalid_argument, "an item finishes as succeeded or failed");
  }
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto open = load_open_item(job_id, index);
  if (!open) return fail(open.error());
  auto item = &open->first;
  auto job = &open->second;
  {
    auto q = db_.query(
        "UPDATE items SET state = ?3, blob_key = ?4, content_type = ?5, bytes = ?6, width = ?7, "
        "height = ?8, sha256 = ?9, facts_json = ?10, error_code = ?11, error_message = ?12, "
        "cached = ?13, finished_ms = ?14 WHERE job_id = ?1 AND idx = ?2");
    if (!q) return fail(q.error());
    q->bind_all(job_id, index, to_string(r.state), r.blob_key, r.content_type, r.bytes, r.width,
                r.height, r.sha256, r.facts_json, r.error_code, r.error_message, r.cached,
                r.finished_ms);
    TRY(q->run());
  }
  auto counts = load_counts(job_id);
  if (!counts) return fail(counts.error());
  counts->add(item->state, -1);
  counts->add(r.state);
  TRY(save_counts(*job, *counts, r.finished_ms));
  auto updated = load_job(job_id);
  if (!updated) return fail(updated.error());
  TRY(tx->commit());
  const bool done = !is_terminal(job->state) && is_terminal(updated->state);
  return Finished{std::move(*updated), done};
}

Result<void> SqliteJobStore::requeue_item(std::string_view job_id, int index, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto item = load_item(job_id, index);
  if (!item) return fail(item.error());
  if (item->state == ItemState::canceled) return fail(Errc::canceled, "the item was canceled");
  if (is_terminal(item->state)) {
    return fail(Errc::conflict, "the item is already " + std::string(to_string(item->state)));
  }
  auto job = load_job(job_id);
  if (!job) return fail(job.error());
  const bool canceled = job->state == JobState::canceled;
  const auto to = canceled ? ItemState::canceled : ItemState::queued;
  if (item->state != to) {
    auto q =
        db_.query("UPDATE items SET state = ?3, finished_ms = ?4 WHERE job_id = ?1 AND idx = ?2");
    if (!q) return fail(q.error());
    q->bind_all(job_id, index, to_string(to), canceled ? now_ms : std::int64_t{0});
    TRY(q->run());
    auto counts = load_counts(job_id);
    if (!counts) return fail(counts.error());
    counts->add(item->state, -1);
    counts->add(to);
    TRY(save_counts(*job, *counts, now_ms));
  }
  TRY(tx->commit());
  if (canceled) return fail(Errc::canceled, "the job was canceled");
  return {};
}

Result<Job> SqliteJobStore::cancel(std::string_view job_id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto job = load_job(job_id);
  if (!job) return fail(job.error());
  if (job->state == JobState::canceled) return job;
  if (is_terminal(job->state)) {
    return fail(Errc::conflict, "the job is already " + std::string(to_string(job->state)));
  }
  auto q = db_.query(
      "UPDATE items SET state = 'canceled', finished_ms = ?2 WHERE job_id = ?1 AND state = "
      "'queued'");
  if (!q) return fail(q.error());
  q->bind_all(job_id, now_ms);
  TRY(q->run());
  const int n = db_.changes();
  auto counts = load_counts(job_id);
  if (!counts) return fail(counts.error());
  counts->add(ItemState::queued, -n);
  counts->add(ItemState::canceled, n);
  job->state = JobState::canceled;
  TRY(save_counts(*job, *counts, now_ms));
  auto updated = load_job(job_id);
  if (!updated) return fail(updated.error());
  TRY(tx->commit());
  return updated;
}

Result<std::vector<ItemRef>> SqliteJobStore::unfinished() {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT items.job_id, items.idx FROM items JOIN jobs ON jobs.id = items.job_id "
      "WHERE items.state IN ('queued', 'running') "
      "ORDER BY jobs.created_ms, items.job_id, items.idx");
  if (!q) return fail(q.error());
  std::vector<ItemRef> refs;
  for (;;) {
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    refs.push_back(ItemRef{q->text(0), q->int32(1)});
  }
  return refs;
}

Result<void> SqliteJobStore::mark_published(std::string_view job_id, std::span<const int> indexes) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  for (int index : indexes) {
    auto q = db_.query(
        "UPDATE items SET publish_due_ms = 0 WHERE job_id = ?1 AND idx = ?2 AND publish_due_ms > "
        "0");
    if (!q) return fail(q.error());
    q->bind_all(job_id, index);
    TRY(q->run());
  }
  return tx->commit();
}

Result<std::vector<ItemRef>> SqliteJobStore::claim_unpublished(std::int64_t due_before_ms,
                                                               std::int64_t renew_ms, int limit) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  TRY(db_.exec(
      "UPDATE items SET publish_due_ms = 0 WHERE publish_due_ms > 0 AND state <> 'queued'"));
  std::vector<ItemRef> refs;
  {
    auto q = db_.query(
        "SELECT job_id, idx FROM items WHERE publish_due_ms > 0 AND publish_due_ms <= ?1 "
        "ORDER BY publish_due_ms, job_id, idx LIMIT ?2");
    if (!q) return fail(q.error());
    q->bind_all(due_before_ms, std::max(limit, 0));
    for (;;) {
      auto row = q->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      refs.push_back(ItemRef{q->text(0), q->int32(1)});
    }
  }
  for (const auto& ref : refs) {
    auto q = db_.query("UPDATE items SET publish_due_ms = ?3 WHERE job_id = ?1 AND idx = ?2");
    if (!q) return fail(q.error());
    q->bind_all(ref.job_id, ref.index, std::max<std::int64_t>(renew_ms, 1));
    TRY(q->run());
  }
  TRY(tx->commit());
  return refs;
}

Result<std::optional<CacheEntry>> SqliteJobStore::cache_get(std::string_view key,
                                                            std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT blob_key, content_type, bytes, width, height, sha256, facts_json, expires_ms "
      "FROM cache WHERE key = ?1 AND expires_ms > ?2");
  if (!q) return fail(q.error());
  q->bind_all(key, now_ms);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<CacheEntry>();
  return CacheEntry{q->text(0),  q->text(1), q->int64(2), q->int32(3),
                    q->int32(4), q->text(5), q->text(6),  q->int64(7)};
}

Result<void> SqliteJobStore::cache_put(std::string_view key, const CacheEntry& e) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "INSERT OR REPLACE INTO cache (key, blob_key, content_type, bytes, width, height, sha256, "
      "facts_json, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!q) return fail(q.error());
  q->bind_all(key, e.blob_key, e.content_type, e.bytes, e.width, e.height, e.sha256, e.facts_json,
              e.expires_ms);
  return q->run();
}

Result<std::vector<std::string>> SqliteJobStore::purge_expired(std::int64_t now_ms,
                                                               std::int64_t jobs_before_ms) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  std::set<std::string> candidates;
  auto collect = [&](sqlite::Query& q) -> Result<void> {
    for (;;) {
      auto row = q.step();
      if (!row) return fail(row.error());
      if (!*row) return {};
      candidates.insert(q.text(0));
    }
  };
  {
    auto q =
        db_.query("SELECT DISTINCT blob_key FROM cache WHERE expires_ms <= ?1 AND blob_key <> ''");
    if (!q) return fail(q.error());
    q->bind(1, now_ms);
    TRY(collect(*q));
  }
  {
    auto q = db_.query("DELETE FROM cache WHERE expires_ms <= ?1");
    if (!q) return fail(q.error());
    q->bind(1, now_ms);
    TRY(q->run());
  }
  if (jobs_before_ms > 0) {
    // Only jobs nothing is working on: a canceled job may still have a running item.
    {
      auto q = db_.query(
          "SELECT DISTINCT items.blob_key FROM items JOIN jobs ON jobs.id = items.job_id "
          "WHERE jobs.state NOT IN ('queued', 'running') AND jobs.n_running = 0 "
          "AND jobs.n_queued = 0 AND jobs.created_ms < ?1 AND items.blob_key <> ''");
      if (!q) return fail(q.error());
      q->bind(1, jobs_before_ms);
      TRY(collect(*q));
    }
    auto q = db_.query(
        "DELETE FROM jobs WHERE state NOT IN ('queued', 'running') AND n_running = 0 "
        "AND n_queued = 0 AND created_ms < ?1");
    if (!q) return fail(q.error());
    q->bind(1, jobs_before_ms);
    TRY(q->run());
  }
  std::vector<std::string> orphans;
  for (const auto& key : candidates) {
    auto q = db_.query(
        "SELECT EXISTS (SELECT 1 FROM items WHERE blob_key = ?1) "
        "OR EXISTS (SELECT 1 FROM cache WHERE blob_key = ?1)");
    if (!q) return fail(q.error());
    q->bind(1, key);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (*row && q->int64(0) == 0) orphans.push_back(key);
  }
  TRY(tx->commit());
  return orphans;
}

Result<void> SqliteJobStore::ping() {
  std::lock_guard lock(mutex_);
  auto q = db_.query("SELECT count(*) FROM sqlite_schema");
  if (!q) return fail(Errc::unavailable, q.error().message);
  auto row = q->step();
  if (!row) return fail(Errc::unavailable, row.error().message);
  return {};
}

}  // namespace shot
