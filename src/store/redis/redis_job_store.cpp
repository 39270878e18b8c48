#include "store/redis/redis_job_store.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "core/json.hpp"
#include "store/list_cursor.hpp"

namespace shot {
namespace {

using redis::Command;
using redis::Connection;
using redis::Reply;

constexpr std::size_t kPoolSize = 16;
constexpr Millis kCommandTimeout{5'000};
constexpr int kOptimisticAttempts = 10'000;

// Cache entries: replacing one moves its blob's reference count.
// KEYS: entry, blob-of-entry hash, expiry zset, blob refs. ARGV: cache key, JSON,
// blob key, expires_ms, PEXPIREAT time or 0.
constexpr std::string_view kCachePut = R"lua(
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old and old ~= '' then
  if redis.call('HINCRBY', KEYS[4], old, -1) <= 0 then redis.call('HDEL', KEYS[4], old) end
end
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[3], 1) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[5] ~= '0' then redis.call('PEXPIREAT', KEYS[1], ARGV[5]) end
return 1
)lua";

// Removes up to 500 cache entries expired at ARGV[1]; returns the blob keys
// that lost their last reference. KEYS: expiry zset, blob-of-entry hash, blob
// refs. ARGV[2]: the prefix of entry keys.
constexpr std::string_view kCachePurge = R"lua(
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)
local orphans = {}
for _, k in ipairs(keys) do
  local blob = redis.call('HGET', KEYS[2], k)
  redis.call('HDEL', KEYS[2], k)
  redis.call('ZREM', KEYS[1], k)
  redis.call('DEL', ARGV[2] .. k)
  if blob and blob ~= '' then
    if redis.call('HINCRBY', KEYS[3], blob, -1) <= 0 then
      redis.call('HDEL', KEYS[3], blob)
      table.insert(orphans, blob)
    end
  end
end
return {#keys, orphans}
)lua";

// Up to ARGV[3] outbox members due at ARGV[1], due again at ARGV[2]; members
// whose item is no longer queued (or gone) leave the outbox. KEYS: the outbox.
// ARGV[4]: the prefix of item hashes.
constexpr std::string_view kClaimUnpublished = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '1', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, m in ipairs(due) do
  local job, index = string.match(m, '^(.*):(%d+)$')
  local item = job and redis.call('HGET', ARGV[4] .. job, index)
  if item and cjson.decode(item).state == 'queued' then
    redis.call('ZADD', KEYS[1], ARGV[2], m)
    table.insert(claimed, m)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return claimed
)lua";

std::string outbox_member(std::string_view job_id, int index) {
  return std::string(job_id) + ":" + std::to_string(index);
}

// One reference to a blob less; 1 when it was the last. KEYS: blob refs. ARGV: blob key.
constexpr std::string_view kBlobRelease = R"lua(
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
)lua";

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "<created_ms, 20 digits>:<id>": byte order is (created_ms, id) order, so one
// sorted set with equal scores lists jobs by time and pages by cursor.
std::string order_member(std::int64_t created_ms, std::string_view id) {
  auto digits = std::to_string(std::max<std::int64_t>(created_ms, 0));
  return std::string(20 - std::min<std::size_t>(digits.size(), 20), '0') + digits + ":" +
         std::string(id);
}
constexpr std::size_t kMemberIdOffset = 21;

Error corrupt(std::string_view what) {
  return Error{Errc::internal, "job store: unexpected value in " + std::string(what)};
}

// --- records -------------------------------------------------------------------

std::string item_json(const Item& i) {
  json::object o;
  o["url"] = i.url;
  o["state"] = to_string(i.state);
  o["attempts"] = i.attempts;
  o["blob_key"] = i.blob_key;
  o["content_type"] = i.content_type;
  o["bytes"] = i.bytes;
  o["width"] = i.width;
  o["height"] = i.height;
  o["sha256"] = i.sha256;
  o["facts_json"] = i.facts_json;
  o["error_code"] = i.error_code;
  o["error_message"] = i.error_message;
  o["cached"] = i.cached;
  o["created_ms"] = i.created_ms;
  o["started_ms"] = i.started_ms;
  o["finished_ms"] = i.finished_ms;
  o["parent"] = i.parent;
  o["depth"] = i.depth;
  return json::serialize(o);
}

Result<Item> parse_item(std::string_view job_id, int index, std::string_view text) {
  auto v = parse_json(text);
  if (!v || !v->is_object()) return fail(corrupt("an item"));
  const auto& o = v->as_object();
  Item i;
  i.job_id = std::string(job_id);
  i.index = index;
  i.url = json_string(o, "url");
  auto state = parse_item_state(json_string(o, "state"));
  if (!state) return fail(corrupt("an item"));
  i.state = *state;
  i.attempts = static_cast<int>(json_int(o, "attempts"));
  i.blob_key = json_string(o, "blob_key");
  i.content_type = json_string(o, "content_type");
  i.bytes = json_int(o, "bytes");
  i.width = static_cast<int>(json_int(o, "width"));
  i.height = static_cast<int>(json_int(o, "height"));
  i.sha256 = json_string(o, "sha256");
  i.facts_json = json_string(o, "facts_json");
  i.error_code = json_string(o, "error_code");
  i.error_message = json_string(o, "error_message");
  i.cached = json_bool(o, "cached");
  i.created_ms = json_int(o, "created_ms");
  i.started_ms = json_int(o, "started_ms");
  i.finished_ms = json_int(o, "finished_ms");
  i.parent = static_cast<int>(json_int(o, "parent", -1));
  i.depth = static_cast<int>(json_int(o, "depth"));
  return i;
}

// A job as stored: the summary plus its item counts.
struct JobRecord {
  Job job;
  ItemCounts counts;
};

std::string job_json(const Job& j, const ItemCounts& c) {
  json::object o;
  o["kind"] = to_string(j.kind);
  o["state"] = to_string(j.state);
  o["options_json"] = j.options_json;
  o["callback_url"] = j.callback_url;
  o["idempotency_key"] = j.idempotency_key;
  o["request_hash"] = j.request_hash;
  o["owner"] = j.owner;
  o["created_ms"] = j.created_ms;
  o["updated_ms"] = j.updated_ms;
  o["n_queued"] = c.queued;
  o["n_running"] = c.running;
  o["n_succeeded"] = c.succeeded;
  o["n_failed"] = c.failed;
  o["n_canceled"] = c.canceled;
  return json::serialize(o);
}

Result<JobRecord> parse_job(std::string_view id, std::string_view text) {
  auto v = parse_json(text);
  if (!v || !v->is_object()) return fail(corrupt("a job"));
  const auto& o = v->as_object();
  JobRecord r;
  r.job.id = std::string(id);
  auto kind = parse_job_kind(json_string(o, "kind"));
  auto state = parse_job_state(json_string(o, "state"));
  if (!kind || !state) return fail(corrupt("a job"));
  r.job.kind = *kind;
  r.job.state = *state;
  r.job.options_json = json_string(o, "options_json");
  r.job.callback_url = json_string(o, "callback_url");
  r.job.idempotency_key = json_string(o, "idempotency_key");
  r.job.request_hash = json_string(o, "request_hash");
  r.job.owner = json_string(o, "owner");
  r.job.created_ms = json_int(o, "created_ms");
  r.job.updated_ms = json_int(o, "updated_ms");
  auto n = [&](std::string_view k) { return static_cast<int>(json_int(o, k)); };
  r.counts =
      ItemCounts{n("n_queued"), n("n_running"), n("n_succeeded"), n("n_failed"), n("n_canceled")};
  r.job.total = r.counts.total();
  r.job.succeeded = r.counts.succeeded;
  r.job.failed = r.counts.failed;
  return r;
}

std::string cache_json(const CacheEntry& e) {
  json::object o;
  o["blob_key"] = e.blob_key;
  o["content_type"] = e.content_type;
  o["bytes"] = e.bytes;
  o["width"] = e.width;
  o["height"] = e.height;
  o["sha256"] = e.sha256;
  o["facts_json"] = e.facts_json;
  o["expires_ms"] = e.expires_ms;
  return json::serialize(o);
}

Result<CacheEntry> parse_cache(std::string_view text) {
  auto v = parse_json(text);
  if (!v || !v->is_object()) return fail(corrupt("a cache entry"));
  const auto& o = v->as_object();
  return CacheEntry{std::string(json_string(o, "blob_key")),
                    std::string(json_string(o, "content_type")),
                    json_int(o, "bytes"),
                    static_cast<int>(json_int(o, "width")),
                    static_cast<int>(json_int(o, "height")),
                    std::string(json_string(o, "sha256")),
                    std::string(json_string(o, "facts_json")),
                    json_int(o, "expires_ms")};
}

#define TRY(expr)                                \
  do {                                           \
    auto _r = (expr);                            \
    if (!_r) return std::unexpected(_r.error()); \
  } while (0)

}  // namespace

// Every key of the store, under one prefix.
struct RedisJobStore::Keys {
  const std::string& p;
  std::string job(std::string_view id) const { return p + "job:" + std::string(id); }
  std::string items(std::string_view id) const { return items_prefix() + std::string(id); }
  std::string urls(std::string_view id) const { return p + "urls:" + std::string(id); }
  std::string jobs() const { return p + "jobs"; }  // every job, by order_member
  std::string open() const { return p + "open"; }  // jobs with queued or running items
  // The outbox: "<job id>:<index>" of queued items by when they are due to be
  // published (JobStore::claim_unpublished).
  std::string unpublished() const { return p + "unpublished"; }
  std::string items_prefix() const { return p + "items:"; }
  // Lengths keep ("a:b", "c") apart from ("a", "b:c").
  std::string owner(std::string_view owner) const {
    return p + "owner:" + std::to_string(owner.size()) + ":" + std::string(owner);
  }
  std::string idempotency(std::string_view owner, std::string_view key) const {
    return p + "idem:" + std::to_string(owner.size()) + ":" + std::string(owner) + ":" +
           std::string(key);
  }
  std::string cache_prefix() const { return p + "cache:"; }
  std::string cache(std::string_view key) const { return cache_prefix() + std::string(key); }
  std::string cache_blob() const { return p + "cache-blob"; }      // cache key → blob key
  std::string cache_expiry() const { return p + "cache-expiry"; }  // cache key by expires_ms
  std::string blob_refs() const { return p + "blob-refs"; }        // blob key → references
};

namespace {

// Loads a job (GET) and, when asked, one item (HGET) on a connection.
Result<JobRecord> load_job(Connection& c, const std::string& key, std::string_view id) {
  auto r = c.run({"GET", key});
  if (!r) return fail(r.error());
  if (r->is_nil()) return fail(Errc::not_found, "no such job");
  return parse_job(id, r->str);
}

Result<Item> load_item(Connection& c, const std::string& key, std::string_view job_id, int index) {
  auto r = c.run({"HGET", key, std::to_string(index)});
  if (!r) return fail(r.error());
  if (r->is_nil()) return fail(Errc::not_found, "no such item");
  return parse_item(job_id, index, r->str);
}

// WATCHes the job and its items, then loads the item, which must still be open
// (conflict once finished; `when_canceled` once canceled), and its job.
Result<std::pair<Item, JobRecord>> watch_open_item(Connection& c, const std::string& job_key,
                                                   const std::string& items_key,
                                                   std::string_view job_id, int index,
                                                   Errc when_canceled = Errc::conflict) {
  if (auto w = c.run({"WATCH", job_key, items_key}); !w) return fail(w.error());
  auto item = load_item(c, items_key, job_id, index);
  if (!item) return fail(item.error());
  if (is_terminal(item->state)) {
    const auto code = item->state == ItemState::canceled ? when_canceled : Errc::conflict;
    return fail(code, "the item is already " + std::string(to_string(item->state)));
  }
  auto record = load_job(c, job_key, job_id);
  if (!record) return fail(record.error());
  return std::make_pair(std::move(*item), std::move(*record));
}

// Nothing to write after all: drops the WATCH and ends the retries with `value`.
template <class T>
Result<std::optional<T>> unwatch(Connection& c, T value) {
  (void)c.run({"UNWATCH"});
  return std::optional<T>(std::move(value));
}

Result<std::vector<Item>> parse_items(std::string_view job_id, const Reply& hash) {
  std::vector<Item> items;
  items.reserve(hash.elements.size() / 2);
  for (std::size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    int index = 0;
    const auto& field = hash.elements[i].str;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), index);
    if (ec != std::errc() || end != field.data() + field.size()) return fail(corrupt("items"));
    auto item = parse_item(job_id, index, hash.elements[i + 1].str);
    if (!item) return fail(item.error());
    items.push_back(std::move(*item));
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.index < b.index; });
  return items;
}

}  // namespace

RedisJobStore::RedisJobStore(redis::Endpoint endpoint, std::string prefix)
    : pool_(std::move(endpoint), kPoolSize, kCommandTimeout), prefix_(std::move(prefix)) {}

Result<std::unique_ptr<RedisJobStore>> RedisJobStore::open(std::string_view url) {
  // The prefix option is ours, not part of the server address.
  std::string prefix = "shot:";
  std::string address(url);
  if (auto q = address.find('?'); q != std::string::npos) {
    auto params = boost::urls::parse_query(std::string_view(address).substr(q + 1));
    if (!params) return fail(Errc::invalid_argument, "redis store URL: bad query", "store");
    for (auto param : *params) {
      const auto key = param.key.decode();
      if (key != "prefix")
        return fail(Errc::invalid_argument, "redis store URL: unknown option " + key, "store");
      prefix = param.value.decode();
    }
    address.resize(q);
  }
  auto endpoint = redis::parse_endpoint(address);
  if (!endpoint) return fail(endpoint.error());
  auto store = std::make_unique<RedisJobStore>(std::move(*endpoint), std::move(prefix));
  if (auto ok = store->ping(); !ok) return fail(ok.error());
  return store;
}

template <class T, class F>
Result<T> RedisJobStore::with_connection(F&& body, int attempts) {
  Millis pause{50};
  for (int attempt = 1;; ++attempt) {
    auto lease = pool_.acquire();
    bool fresh_failed = !lease;
    Result<T> result = lease ? body(**lease) : Result<T>(std::unexpected(lease.error()));
    if (result || result.error().code != Errc::unavailable || attempt >= attempts) return result;
    // A pooled connection that died with the old server fails at once: try the
    // next without waiting. A failed connect waits a little before the next.
    if (fresh_failed || !(*lease)->broken()) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, Millis(500));
    }
  }
}

template <class T, class F>
Result<T> RedisJobStore::optimistic(F&& body) {
  return with_connection<T>([&](Connection& c) -> Result<T> {
    for (int i = 0; i < kOptimisticAttempts; ++i) {
      Result<std::optional<T>> r = body(c);
      if (!r) {
        if (!c.broken()) (void)c.run({"UNWATCH"});
        return fail(r.error());
      }
      if (*r) return std::move(**r);
      if (i > 8) std::this_thread::yield();
    }
    return fail(Errc::unavailable, "job store: too much contention on one job");
  });
}

template <class T, class F>
Result<T> RedisJobStore::change_open_item(const std::string& job_key, const std::string& items_key,
                                          std::string_view job_id, int index, Errc when_canceled,
                                          F&& change) {
  return optimistic<T>([&](Connection& c) -> Result<std::optional<T>> {
    auto open = watch_open_item(c, job_key, items_key, job_id, index, when_canceled);
    if (!open) return fail(open.error());
    return change(c, open->first, open->second);
  });
}

Result<Created> RedisJobStore::create(const Job& job) {
  if (job.id.empty()) return fail(Errc::invalid_argument, "job id is empty", "id");
  const Keys k{prefix_};
  const auto job_key = k.job(job.id);
  const auto idem_key = k.idempotency(job.owner, job.idempotency_key);
  const bool idempotent = !job.idempotency_key.empty();

  ItemCounts counts;
  for (const auto& item : job.items)
    counts.add(item.state);
  Job stored = job;
  stored.state = derive_state(counts, false);
  stored.updated_ms = std::max(job.updated_ms, job.created_ms);
  const auto member = order_member(job.created_ms, job.id);

  // The writes do not depend on what is read: build them once.
  std::vector<Command> writes;
  writes.push_back({"SET", job_key, job_json(stored, counts)});
  if (!job.items.empty()) {
    Command items{"HSET", k.items(job.id)};
    Command urls{"SADD", k.urls(job.id)};
    for (std::size_t i = 0; i < job.items.size(); ++i) {
      items.push_back(std::to_string(i));
      items.push_back(item_json(job.items[i]));
      urls.push_back(job.items[i].url);
      if (!job.items[i].blob_key.empty())
        writes.push_back({"HINCRBY", k.blob_refs(), job.items[i].blob_key, "1"});
    }
    writes.push_back(std::move(items));
    writes.push_back(std::move(urls));
    Command outbox{"ZADD", k.unpublished()};
    const auto due = std::to_string(std::max<std::int64_t>(job.created_ms, 1));
    for (std::size_t i = 0; i < job.items.size(); ++i) {
      if (job.items[i].state != ItemState::queued) continue;
      outbox.push_back(due);
      outbox.push_back(outbox_member(job.id, static_cast<int>(i)));
    }
    if (outbox.size() > 2) writes.push_back(std::move(outbox));
  }
  writes.push_back({"ZADD", k.jobs(), "0", member});
  if (!job.owner.empty()) writes.push_back({"ZADD", k.owner(job.owner), "0", member});
  if (counts.queued + counts.running > 0) writes.push_back({"ZADD", k.open(), "0", member});
  if (idempotent) {
    json::object o;
    o["id"] = job.id;
    o["request_hash"] = job.request_hash;
    writes.push_back({"SET", idem_key, json::serialize(o)});
  }

  return optimistic<Created>([&](Connection& c) -> Result<std::optional<Created>> {
    TRY(idempotent ? c.run({"WATCH", job_key, idem_key}) : c.run({"WATCH", job_key}));
    if (idempotent) {
      auto earlier = c.run({"GET", idem_key});
      if (!earlier) return fail(earlier.error());
      if (!earlier->is_nil()) {
        auto v = parse_json(earlier->str);
        if (!v || !v->is_object()) return fail(corrupt("an idempotency key"));
        if (json_string(v->as_object(), "request_hash") != job.request_hash) {
          return fail(Errc::conflict, "the idempotency key was used for a different request",
                      "Idempotency-Key");
        }
        return unwatch(c, Created{std::string(json_string(v->as_object(), "id")), true});
      }
    }
    auto exists = c.run({"EXISTS", job_key});
    if (!exists) return fail(exists.error());
    if (exists->integer != 0) return fail(Errc::conflict, "job id already exists");
    auto done = c.transaction(writes);
    if (!done) return fail(done.error());
    if (!*done) return std::nullopt;
    return Created{job.id, false};
  });
}

Result<Job> RedisJobStore::get(std::string_view job_id, bool with_items) {
  const Keys k{prefix_};
  return with_connection<Job>([&](Connection& c) -> Result<Job> {
    if (!with_items) {
      auto record = load_job(c, k.job(job_id), job_id);
      if (!record) return fail(record.error());
      return std::move(record->job);
    }
    // One transaction, so the items match the counts.
    auto r = c.transaction({{"GET", k.job(job_id)}, {"HGETALL", k.items(job_id)}});
    if (!r) return fail(r.error());
    if (!*r || (**r)[0].is_nil()) return fail(Errc::not_found, "no such job");
    auto record = parse_job(job_id, (**r)[0].str);
    if (!record) return fail(record.error());
    auto items = parse_items(job_id, (**r)[1]);
    if (!items) return fail(items.error());
    record->job.items = std::move(*items);
    return std::move(record->job);
  });
}

Result<JobPage> RedisJobStore::list(const ListQuery& query) {
  const int limit = std::clamp(query.limit, 1, 1000);
  std::string max = "+";
  if (!query.cursor.empty()) {
    std::int64_t before_ms = 0;
    std::string before_id;
    if (!store::parse_cursor(query.cursor, before_ms, before_id))
      return fail(Errc::invalid_argument, "bad cursor", "cursor");
    max = "(" + order_member(before_ms, before_id);
  }
  const Keys k{prefix_};
  const auto index = query.owner.empty() ? k.jobs() : k.owner(query.owner);
  return with_connection<JobPage>([&](Connection& c) -> Result<JobPage> {
    auto members =
        c.run({"ZREVRANGEBYLEX", index, max, "-", "LIMIT", "0", std::to_string(limit + 1)});
    if (!members) return fail(members.error());
    std::vector<Command> gets;
    std::vector<std::string> ids;
    const std::size_t n = std::min(members->elements.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) {
      const auto& m = members->elements[i];
      if (m.str.size() <= kMemberIdOffset) return fail(corrupt("the job index"));
      ids.push_back(m.str.substr(kMemberIdOffset));
      gets.push_back({"GET", k.job(ids.back())});
    }
    auto jobs = c.pipeline(gets);
    if (!jobs) return fail(jobs.error());
    JobPage page;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if ((*jobs)[i].type != Reply::Type::string) continue;  // purged meanwhile
      auto record = parse_job(ids[i], (*jobs)[i].str);
      if (!record) return fail(record.error());
      page.jobs.push_back(std::move(record->job));
    }
    if (members->elements.size() > n) {
      // The last member of this page, whether or not its job is still there.
      const auto& last = members->elements[n - 1].str;
      std::int64_t ms = 0;
      std::from_chars(last.data(), last.data() + kMemberIdOffset - 1, ms);
      page.next_cursor = store::make_cursor(ms, last.substr(kMemberIdOffset));
    }
    return page;
  });
}

namespace {

// The job's new counts, state and updated_ms, and its place in the open set.
void save_job(std::vector<Command>& writes, const std::string& job_key, const std::string& open_key,
              Job& job, const ItemCounts& counts, std::int64_t now_ms) {
  job.state = derive_state(counts, job.state == JobState::canceled);
  job.updated_ms = std::max(now_ms, job.updated_ms);
  job.total = counts.total();
  job.succeeded = counts.succeeded;
  job.failed = counts.failed;
  writes.push_back({"SET", job_key, job_json(job, counts)});
  const auto member = order_member(job.created_ms, job.id);
  if (counts.queued + counts.running > 0) {
    writes.push_back({"ZADD", open_key, "0", member});
  } else {
    writes.push_back({"ZREM", open_key, member});
  }
}

// Runs `writes` if nothing WATCHed moved: `value` then, nullopt to go again.
template <class T>
Result<std::optional<T>> commit(Connection& c, const std::vector<Command>& writes, T value) {
  auto done = c.transaction(writes);
  if (!done) return fail(done.error());
  if (!*done) return std::nullopt;
  return std::optional<T>(std::move(value));
}

}  // namespace

Result<std::vector<int>> RedisJobStore::add_items(std::string_view job_id,
                                                  std::span<const Item> items, int max_total,
                                                  std::int64_t now_ms) {
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto urls_key = k.urls(job_id);
  using Added = std::vector<int>;
  return optimistic<Added>([&](Connection& c) -> Result<std::optional<Added>> {
    TRY(c.run({"WATCH", job_key, urls_key}));
    auto record = load_job(c, job_key, job_id);
    if (!record) return fail(record.error());
    if (record->job.state == JobState::canceled)
      return fail(Errc::conflict, "the job was canceled");
    Added added;
    if (items.empty()) return std::optional<Added>(added);
    Command known_query{"SMISMEMBER", urls_key};
    for (const auto& item : items)
      known_query.push_back(item.url);
    auto known = c.run(known_query);
    if (!known) return fail(known.error());

    auto& counts = record->counts;
    std::set<std::string_view> seen;
    Command hset{"HSET", k.items(job_id)};
    Command sadd{"SADD", urls_key};
    Command outbox{"ZADD", k.unpublished()};
    const auto due = std::to_string(std::max<std::int64_t>(now_ms, 1));
    std::vector<Command> writes;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (counts.total() >= max_total) break;
      if (known->elements[i].integer != 0 || !seen.insert(items[i].url).second) continue;
      const int index = counts.total();
      hset.push_back(std::to_string(index));
      hset.push_back(item_json(items[i]));
      sadd.push_back(items[i].url);
      if (!items[i].blob_key.empty())
        writes.push_back({"HINCRBY", k.blob_refs(), items[i].blob_key, "1"});
      if (items[i].state == ItemState::queued) {
        outbox.push_back(due);
        outbox.push_back(outbox_member(job_id, index));
      }
      counts.add(items[i].state);
      added.push_back(index);
    }
    if (added.empty()) return unwatch(c, std::move(added));
    writes.push_back(std::move(hset));
    writes.push_back(std::move(sadd));
    if (outbox.size() > 2) writes.push_back(std::move(outbox));
    save_job(writes, job_key, k.open(), record->job, counts, now_ms);
    return commit(c, writes, std::move(added));
  });
}

Result<Item> RedisJobStore::start_item(std::string_view job_id, int index, std::int64_t now_ms) {
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto items_key = k.items(job_id);
  return change_open_item<Item>(
      job_key, items_key, job_id, index, Errc::conflict,
      [&](Connection& c, Item& item, JobRecord& record) -> Result<std::optional<Item>> {
        const auto was = item.state;
        item.state = ItemState::running;
        item.attempts += 1;
        item.started_ms = now_ms;
        std::vector<Command> writes{{"HSET", items_key, std::to_string(index), item_json(item)}};
        if (was == ItemState::queued) {
          record.counts.add(ItemState::queued, -1);
          record.counts.add(ItemState::running);
          save_job(writes, job_key, k.open(), record.job, record.counts, now_ms);
        }
        return commit(c, writes, std::move(item));
      });
}

Result<Finished> RedisJobStore::finish_item(std::string_view job_id, int index,
                                            const ItemResult& r) {
  if (r.state != ItemState::succeeded && r.state != ItemState::failed) {
    return fail(Errc::invalid_argument, "an item finishes as succeeded or failed");
  }
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto items_key = k.items(job_id);
  return change_open_item<Finished>(
      job_key, items_key, job_id, index, Errc::conflict,
      [&](Connection& c, Item& item, JobRecord& record) -> Result<std::optional<Finished>> {
        const auto job_was = record.job.state;
        std::vector<Command> writes;
        if (item.blob_key != r.blob_key) {
          if (!item.blob_key.empty())
            writes.push_back(
                {"EVAL", std::string(kBlobRelease), "1", k.blob_refs(), item.blob_key});
          if (!r.blob_key.empty()) writes.push_back({"HINCRBY", k.blob_refs(), r.blob_key, "1"});
        }
        record.counts.add(item.state, -1);
        record.counts.add(r.state);
        item.state = r.state;
        item.blob_key = r.blob_key;
        item.content_type = r.content_type;
        item.bytes = r.bytes;
        item.width = r.width;
        item.height = r.height;
        item.sha256 = r.sha256;
        item.facts_json = r.facts_json;
        item.error_code = r.error_code;
        item.error_message = r.error_message;
        item.cached = r.cached;
        item.finished_ms = r.finished_ms;
        writes.push_back({"HSET", items_key, std::to_string(index), item_json(item)});
        save_job(writes, job_key, k.open(), record.job, record.counts, r.finished_ms);
        const bool done = !is_terminal(job_was) && is_terminal(record.job.state);
        return commit(c, writes, Finished{std::move(record.job), done});
      });
}

Result<void> RedisJobStore::requeue_item(std::string_view job_id, int index, std::int64_t now_ms) {
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto items_key = k.items(job_id);
  // true: the job was canceled meanwhile (the item is now canceled too).
  auto canceled = change_open_item<bool>(
      job_key, items_key, job_id, index, Errc::canceled,
      [&](Connection& c, Item& item, JobRecord& record) -> Result<std::optional<bool>> {
        const bool job_canceled = record.job.state == JobState::canceled;
        const auto to = job_canceled ? ItemState::canceled : ItemState::queued;
        if (item.state == to) return unwatch(c, job_canceled);
        record.counts.add(item.state, -1);
        record.counts.add(to);
        item.state = to;
        item.finished_ms = job_canceled ? now_ms : 0;
        std::vector<Command> writes{{"HSET", items_key, std::to_string(index), item_json(item)}};
        save_job(writes, job_key, k.open(), record.job, record.counts, now_ms);
        return commit(c, writes, job_canceled);
      });
  if (!canceled) return fail(canceled.error());
  if (*canceled) return fail(Errc::canceled, "the job was canceled");
  return {};
}

Result<Job> RedisJobStore::cancel(std::string_view job_id, std::int64_t now_ms) {
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto items_key = k.items(job_id);
  return optimistic<Job>([&](Connection& c) -> Result<std::optional<Job>> {
    TRY(c.run({"WATCH", job_key, items_key}));
    auto record = load_job(c, job_key, job_id);
    if (!record) return fail(record.error());
    if (record->job.state == JobState::canceled) return unwatch(c, std::move(record->job));
    if (is_terminal(record->job.state)) {
      return fail(Errc::conflict,
                  "the job is already " + std::string(to_string(record->job.state)));
    }
    auto all = c.run({"HGETALL", items_key});
    if (!all) return fail(all.error());
    auto items = parse_items(job_id, *all);
    if (!items) return fail(items.error());
    Command hset{"HSET", items_key};
    for (auto& item : *items) {
      if (item.state != ItemState::queued) continue;
      item.state = ItemState::canceled;
      item.finished_ms = now_ms;
      hset.push_back(std::to_string(item.index));
      hset.push_back(item_json(item));
      record->counts.add(ItemState::queued, -1);
      record->counts.add(ItemState::canceled);
    }
    std::vector<Command> writes;
    if (hset.size() > 2) writes.push_back(std::move(hset));
    record->job.state = JobState::canceled;
    save_job(writes, job_key, k.open(), record->job, record->counts, now_ms);
    return commit(c, writes, std::move(record->job));
  });
}

Result<std::vector<ItemRef>> RedisJobStore::unfinished() {
  const Keys k{prefix_};
  return with_connection<std::vector<ItemRef>>([&](Connection& c) -> Result<std::vector<ItemRef>> {
    auto members = c.run({"ZRANGEBYLEX", k.open(), "-", "+"});
    if (!members) return fail(members.error());
    std::vector<std::string> ids;
    std::vector<Command> reads;
    for (const auto& m : members->elements) {
      if (m.str.size() <= kMemberIdOffset) return fail(corrupt("the open jobs"));
      ids.push_back(m.str.substr(kMemberIdOffset));
      reads.push_back({"HGETALL", k.items(ids.back())});
    }
    auto hashes = c.pipeline(reads);
    if (!hashes) return fail(hashes.error());
    std::vector<ItemRef> refs;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto items = parse_items(ids[i], (*hashes)[i]);
      if (!items) return fail(items.error());
      for (const auto& item : *items)
        if (!is_terminal(item.state)) refs.push_back(ItemRef{ids[i], item.index});
    }
    return refs;
  });
}

Result<void> RedisJobStore::mark_published(std::string_view job_id, std::span<const int> indexes) {
  if (indexes.empty()) return {};
  const Keys k{prefix_};
  Command zrem{"ZREM", k.unpublished()};
  for (int index : indexes)
    zrem.push_back(outbox_member(job_id, index));
  return with_connection<void>([&](Connection& c) -> Result<void> {
    auto r = c.run(zrem);
    if (!r) return fail(r.error());
    return {};
  });
}

Result<std::vector<ItemRef>> RedisJobStore::claim_unpublished(std::int64_t due_before_ms,
                                                              std::int64_t renew_ms, int limit) {
  const Keys k{prefix_};
  return with_connection<std::vector<ItemRef>>([&](Connection& c) -> Result<std::vector<ItemRef>> {
    std::vector<ItemRef> refs;
    if (limit <= 0 || due_before_ms < 1) return refs;
    auto r =
        c.run({"EVAL", std::string(kClaimUnpublished), "1", k.unpublished(),
               std::to_string(due_before_ms), std::to_string(std::max<std::int64_t>(renew_ms, 1)),
               std::to_string(limit), k.items_prefix()});
    if (!r) return fail(r.error());
    for (const auto& m : r->elements) {
      const auto colon = m.str.rfind(':');
      int index = 0;
      const char* digits = m.str.data() + colon + 1;
      const char* end = m.str.data() + m.str.size();
      if (colon == std::string::npos || std::from_chars(digits, end, index).ptr != end)
        return fail(corrupt("the outbox"));
      refs.push_back(ItemRef{m.str.substr(0, colon), index});
    }
    return refs;
  });
}

Result<std::optional<CacheEntry>> RedisJobStore::cache_get(std::string_view key,
                                                           std::int64_t now_ms) {
  const Keys k{prefix_};
  using Hit = std::optional<CacheEntry>;
  return with_connection<Hit>([&](Connection& c) -> Result<Hit> {
    auto r = c.run({"GET", k.cache(key)});
    if (!r) return fail(r.error());
    if (r->is_nil()) return Hit();
    auto entry = parse_cache(r->str);
    if (!entry) return fail(entry.error());
    if (entry->expires_ms <= now_ms) return Hit();
    return Hit(std::move(*entry));
  });
}

Result<void> RedisJobStore::cache_put(std::string_view key, const CacheEntry& e) {
  const Keys k{prefix_};
  // Redis drops the entry itself at its expiry (PEXPIREAT) when that is a
  // wall-clock time still ahead; purge_expired drops the index and counts the
  // blob's references, whatever clock the caller keeps.
  const auto expire_at = e.expires_ms > wall_clock_ms() ? std::to_string(e.expires_ms) : "0";
  return with_connection<void>([&](Connection& c) -> Result<void> {
    auto r = c.run({"EVAL", std::string(kCachePut), "4", k.cache(key), k.cache_blob(),
                    k.cache_expiry(), k.blob_refs(), std::string(key), cache_json(e), e.blob_key,
                    std::to_string(e.expires_ms), expire_at});
    if (!r) return fail(r.error());
    return {};
  });
}

Result<void> RedisJobStore::purge_job(const std::string& job_id, std::int64_t jobs_before_ms,
                                      std::vector<std::string>& out) {
  const Keys k{prefix_};
  const auto job_key = k.job(job_id);
  const auto items_key = k.items(job_id);
  using Orphans = std::vector<std::string>;
  auto orphans = optimistic<Orphans>([&](Connection& c) -> Result<std::optional<Orphans>> {
    TRY(c.run({"WATCH", job_key, items_key}));
    auto record = load_job(c, job_key, job_id);
    if (!record && record.error().code == Errc::not_found) return unwatch(c, Orphans{});
    if (!record) return fail(record.error());
    const auto& job = record->job;
    // Only jobs nothing is working on: a canceled job may still have a running item.
    if (!is_terminal(job.state) || record->counts.running > 0 || record->counts.queued > 0 ||
        job.created_ms >= jobs_before_ms) {
      return unwatch(c, Orphans{});
    }
    auto all = c.run({"HGETALL", items_key});
    if (!all) return fail(all.error());
    auto items = parse_items(job_id, *all);
    if (!items) return fail(items.error());
    const auto member = order_member(job.created_ms, job.id);
    std::vector<Command> writes{{"DEL", job_key, items_key, k.urls(job_id)},
                                {"ZREM", k.jobs(), member},
                                {"ZREM", k.open(), member}};
    if (!job.owner.empty()) writes.push_back({"ZREM", k.owner(job.owner), member});
    if (!job.idempotency_key.empty())
      writes.push_back({"DEL", k.idempotency(job.owner, job.idempotency_key)});
    const std::size_t first_release = writes.size();
    std::vector<std::string> blobs;
    for (const auto& item : *items) {
      if (item.blob_key.empty()) continue;
      blobs.push_back(item.blob_key);
      writes.push_back({"EVAL", std::string(kBlobRelease), "1", k.blob_refs(), item.blob_key});
    }
    auto done = c.transaction(writes);
    if (!done) return fail(done.error());
    if (!*done) return std::nullopt;
    Orphans found;
    for (std::size_t i = 0; i < blobs.size(); ++i)
      if ((**done)[first_release + i].integer == 1) found.push_back(blobs[i]);
    return std::optional<Orphans>(std::move(found));
  });
  if (!orphans) return fail(orphans.error());
  out.insert(out.end(), orphans->begin(), orphans->end());
  return {};
}

Result<std::vector<std::string>> RedisJobStore::purge_expired(std::int64_t now_ms,
                                                              std::int64_t jobs_before_ms) {
  const Keys k{prefix_};
  std::vector<std::string> orphans;
  // Cache entries, a batch per script run, so Redis is never blocked for long.
  for (int batch = 0; batch < 10'000; ++batch) {
    auto r = with_connection<Reply>([&](Connection& c) {
      return c.run({"EVAL", std::string(kCachePurge), "3", k.cache_expiry(), k.cache_blob(),
                    k.blob_refs(), std::to_string(now_ms), k.cache_prefix()});
    });
    if (!r) return fail(r.error());
    if (r->elements.size() != 2) return fail(corrupt("the cache purge"));
    for (const auto& blob : r->elements[1].elements)
      orphans.push_back(blob.str);
    if (r->elements[0].integer < 500) break;
  }
  if (jobs_before_ms > 0) {
    auto old = with_connection<Reply>([&](Connection& c) {
      return c.run({"ZRANGEBYLEX", k.jobs(), "-", "(" + order_member(jobs_before_ms, "")});
    });
    if (!old) return fail(old.error());
    for (const auto& m : old->elements) {
      if (m.str.size() <= kMemberIdOffset) return fail(corrupt("the job index"));
      TRY(purge_job(m.str.substr(kMemberIdOffset), jobs_before_ms, orphans));
    }
  }
  std::sort(orphans.begin(), orphans.end());
  orphans.erase(std::unique(orphans.begin(), orphans.end()), orphans.end());
  return orphans;
}

Result<void> RedisJobStore::ping() {
  return with_connection<void>(
      [](Connection& c) -> Result<void> {
        auto r = c.run({"PING"});
        if (!r) return fail(Errc::unavailable, r.error().message);
        return {};
      },
      /*attempts=*/2);
}

}  // namespace shot
