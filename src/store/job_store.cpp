#include "store/job_store.hpp"

#include <array>
#include <utility>

#include "store/redis/redis_job_store.hpp"
#include "store/sqlite/sqlite_job_store.hpp"

namespace shot {
namespace {

constexpr std::array<std::pair<JobKind, std::string_view>, 3> kKinds{{
    {JobKind::screenshot, "screenshot"},
    {JobKind::crawl, "crawl"},
    {JobKind::thumbnail, "thumbnail"},
}};

constexpr std::array<std::pair<JobState, std::string_view>, 6> kJobStates{{
    {JobState::queued, "queued"},
    {JobState::running, "running"},
    {JobState::succeeded, "succeeded"},
    {JobState::partial, "partial"},
    {JobState::failed, "failed"},
    {JobState::canceled, "canceled"},
}};

constexpr std::array<std::pair<ItemState, std::string_view>, 5> kItemStates{{
    {ItemState::queued, "queued"},
    {ItemState::running, "running"},
    {ItemState::succeeded, "succeeded"},
    {ItemState::failed, "failed"},
    {ItemState::canceled, "canceled"},
}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view text) {
  for (const auto& [e, name] : table) {
    if (name == text) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(JobKind kind) {
  return name_of(kKinds, kind);
}
std::string_view to_string(JobState state) {
  return name_of(kJobStates, state);
}
std::string_view to_string(ItemState state) {
  return name_of(kItemStates, state);
}
std::optional<JobKind> parse_job_kind(std::string_view text) {
  return value_of(kKinds, text);
}
std::optional<JobState> parse_job_state(std::string_view text) {
  return value_of(kJobStates, text);
}
std::optional<ItemState> parse_item_state(std::string_view text) {
  return value_of(kItemStates, text);
}

bool is_terminal(JobState state) {
  return state != JobState::queued && state != JobState::running;
}
bool is_terminal(ItemState state) {
  return state != ItemState::queued && state != ItemState::running;
}

void ItemCounts::add(ItemState state, int n) {
  switch (state) {
    case ItemState::queued:
      queued += n;
      return;
    case ItemState::running:
      running += n;
      return;
    case ItemState::succeeded:
      succeeded += n;
      return;
    case ItemState::failed:
      failed += n;
      return;
    case ItemState::canceled:
      canceled += n;
      return;
  }
}

JobState derive_state(const ItemCounts& c, bool job_canceled) {
  if (job_canceled) return JobState::canceled;
  const int total = c.total();
  const int finished = c.succeeded + c.failed + c.canceled;
  if (c.running > 0) return JobState::running;
  if (c.queued > 0) return finished > 0 ? JobState::running : JobState::queued;
  if (total == 0) return JobState::queued;  // a crawl before its first page is added
  if (c.succeeded == total) return JobState::succeeded;
  if (c.failed == total) return JobState::failed;
  if (c.canceled == total) return JobState::canceled;
  return JobState::partial;
}

JobState derive_state(std::span<const Item> items, bool job_canceled) {
  ItemCounts counts;
  for (const auto& item : items)
    counts.add(item.state);
  return derive_state(counts, job_canceled);
}

Result<std::unique_ptr<JobStore>> open_job_store(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    auto store = SqliteJobStore::open(url.substr(kSqlite.size()));
    if (!store) return fail(store.error());
    return std::unique_ptr<JobStore>(std::move(*store));
  }
  if (url.starts_with("redis://")) {
    auto store = RedisJobStore::open(url);
    if (!store) return fail(store.error());
    return std::unique_ptr<JobStore>(std::move(*store));
  }
  // Only the scheme goes into the message: the rest may hold a password.
  const auto scheme = url.substr(0, url.find(':'));
  return fail(Errc::invalid_argument, "unknown store backend: " + std::string(scheme), "store");
}

}  // namespace shot
