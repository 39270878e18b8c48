#include "job_store_conformance.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace shot::conformance {
namespace {

// Prints the error when a Result is not ok.
#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message
#define EXPECT_OK(r) EXPECT_TRUE(r) << (r).error().message

Item make_item(std::string url, ItemState state = ItemState::queued) {
  Item item;
  item.url = std::move(url);
  item.state = state;
  item.created_ms = 1000;
  return item;
}

Job make_job(std::string id, int n, std::int64_t created_ms = 1000,
             ItemState state = ItemState::queued) {
  Job job;
  job.id = std::move(id);
  job.created_ms = created_ms;
  job.updated_ms = created_ms;
  job.options_json = R"({"width":1280})";
  for (int i = 0; i < n; ++i) {
    job.items.push_back(make_item("https://example.com/" + std::to_string(i), state));
  }
  return job;
}

ItemResult success(std::int64_t at = 2000) {
  ItemResult r;
  r.state = ItemState::succeeded;
  r.blob_key = "jobs/x/0.png";
  r.content_type = "image/png";
  r.bytes = 1234;
  r.width = 1280;
  r.height = 800;
  r.sha256 = std::string(64, 'a');
  r.facts_json = R"({"title":"Example"})";
  r.finished_ms = at;
  return r;
}

ItemResult failure(std::int64_t at = 2000) {
  ItemResult r;
  r.state = ItemState::failed;
  r.error_code = "navigation_failed";
  r.error_message = "net::ERR_NAME_NOT_RESOLVED";
  r.finished_ms = at;
  return r;
}

TEST_P(JobStoreConformance, RoundTripKeepsEveryField) {
  Job job;
  job.id = "job-roundtrip";
  job.kind = JobKind::crawl;
  job.options_json = R"({"full_page":true,"format":"webp"})";
  job.callback_url = "https://hooks.example.com/done";
  job.idempotency_key = "key-1";
  job.request_hash = "hash-1";
  job.owner = "alice";
  job.created_ms = 1'700'000'000'123;
  job.updated_ms = 1'700'000'000'123;

  Item done;
  done.url = "https://example.com/";
  done.state = ItemState::succeeded;
  done.attempts = 2;
  done.blob_key = "jobs/job-roundtrip/0.webp";
  done.content_type = "image/webp";
  done.bytes = 987'654'321'000;  // beyond 32 bits
  done.width = 1280;
  done.height = 16384;
  done.sha256 = std::string(64, 'f');
  done.facts_json = R"({"final_url":"https://example.com/","status":200,"title":"Ünïcødé ✓"})";
  done.error_code = "";
  done.cached = true;
  done.created_ms = 1'700'000'000'123;
  done.started_ms = 1'700'000'000'200;
  done.finished_ms = 1'700'000'001'000;
  done.parent = -1;
  done.depth = 0;

  Item waiting;
  waiting.url = "https://example.com/about?q=1&r=2";
  waiting.state = ItemState::queued;
  waiting.error_code = "timeout";
  waiting.error_message = "a previous attempt timed out";
  waiting.created_ms = 1'700'000'000'500;
  waiting.parent = 0;
  waiting.depth = 1;
  job.items = {done, waiting};

  auto created = store_->create(job);
  ASSERT_OK(created);
  EXPECT_EQ(created->id, job.id);
  EXPECT_FALSE(created->existing);

  auto got = store_->get(job.id, true);
  ASSERT_OK(got);
  Job expected = job;
  expected.state = JobState::running;  // one finished, one queued
  expected.total = 2;
  expected.succeeded = 1;
  expected.failed = 0;
  for (int i = 0; i < 2; ++i) {
    expected.items[i].job_id = job.id;
    expected.items[i].index = i;
  }
  EXPECT_EQ(*got, expected);

  auto summary = store_->get(job.id, false);
  ASSERT_OK(summary);
  EXPECT_TRUE(summary->items.empty());
  EXPECT_EQ(summary->total, 2);
  EXPECT_EQ(summary->owner, "alice");
  EXPECT_EQ(summary->kind, JobKind::crawl);
}

TEST_P(JobStoreConformance, UnknownJobIsNotFound) {
  auto got = store_->get("nope", true);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::not_found);
  EXPECT_EQ(store_->start_item("nope", 0, 1).error().code, Errc::not_found);
  EXPECT_EQ(store_->finish_item("nope", 0, success()).error().code, Errc::not_found);
  EXPECT_EQ(store_->requeue_item("nope", 0, 1).error().code, Errc::not_found);
  EXPECT_EQ(store_->cancel("nope", 1).error().code, Errc::not_found);
  std::vector<Item> more{make_item("https://x/")};
  EXPECT_EQ(store_->add_items("nope", more, 10, 1).error().code, Errc::not_found);
}

TEST_P(JobStoreConformance, UnknownItemIsNotFound) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  EXPECT_EQ(store_->start_item("j", 1, 1).error().code, Errc::not_found);
  EXPECT_EQ(store_->finish_item("j", -1, success()).error().code, Errc::not_found);
}

TEST_P(JobStoreConformance, CreateRejectsEmptyAndTakenIds) {
  auto empty = store_->create(make_job("", 1));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);

  ASSERT_OK(store_->create(make_job("dup", 1)));
  auto again = store_->create(make_job("dup", 3));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::conflict);
  // The first job is untouched: the failed create wrote nothing.
  EXPECT_EQ(store_->get("dup", true)->items.size(), 1u);
}

TEST_P(JobStoreConformance, IdempotencyKeySameRequestReturnsTheFirstJob) {
  auto first = make_job("first", 2);
  first.owner = "alice";
  first.idempotency_key = "abc";
  first.request_hash = "h1";
  ASSERT_OK(store_->create(first));

  auto retry = make_job("second", 2);
  retry.owner = "alice";
  retry.idempotency_key = "abc";
  retry.request_hash = "h1";
  auto created = store_->create(retry);
  ASSERT_OK(created);
  EXPECT_EQ(created->id, "first");
  EXPECT_TRUE(created->existing);
  EXPECT_EQ(store_->get("second", false).error().code, Errc::not_found);
}

TEST_P(JobStoreConformance, IdempotencyKeyDifferentRequestIsConflict) {
  auto first = make_job("first", 1);
  first.owner = "alice";
  first.idempotency_key = "abc";
  first.request_hash = "h1";
  ASSERT_OK(store_->create(first));

  auto other = make_job("second", 1);
  other.owner = "alice";
  other.idempotency_key = "abc";
  other.request_hash = "h2";
  auto created = store_->create(other);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::conflict);
}

TEST_P(JobStoreConformance, IdempotencyKeysArePerOwner) {
  auto a = make_job("a", 1);
  a.owner = "alice";
  a.idempotency_key = "same";
  a.request_hash = "h1";
  auto b = make_job("b", 1);
  b.owner = "bob";
  b.idempotency_key = "same";
  b.request_hash = "h2";
  ASSERT_OK(store_->create(a));
  auto created = store_->create(b);
  ASSERT_OK(created);
  EXPECT_EQ(created->id, "b");
  EXPECT_FALSE(created->existing);
  // No key at all never matches another job.
  ASSERT_OK(store_->create(make_job("c", 1)));
  auto d = store_->create(make_job("d", 1));
  ASSERT_OK(d);
  EXPECT_EQ(d->id, "d");
}

TEST_P(JobStoreConformance, DerivedStateForEveryMix) {
  using S = ItemState;
  struct Case {
    std::vector<S> items;
    JobState expected;
  };
  const std::vector<Case> cases = {
      {{S::queued, S::queued}, JobState::queued},
      {{S::queued, S::running}, JobState::running},
      {{S::running, S::running}, JobState::running},
      {{S::queued, S::succeeded}, JobState::running},
      {{S::queued, S::failed}, JobState::running},
      {{S::running, S::succeeded, S::failed}, JobState::running},
      {{S::succeeded, S::succeeded}, JobState::succeeded},
      {{S::failed, S::failed}, JobState::failed},
      {{S::succeeded, S::failed}, JobState::partial},
      {{S::succeeded, S::canceled}, JobState::partial},
      {{S::succeeded}, JobState::succeeded},
      {{S::failed}, JobState::failed},
  };
  int n = 0;
  for (const auto& c : cases) {
    Job job = make_job("mix-" + std::to_string(n++), 0);
    for (auto s : c.items)
      job.items.push_back(make_item("https://x/" + std::to_string(job.items.size()), s));
    ASSERT_OK(store_->create(job));
    auto got = store_->get(job.id, false);
    ASSERT_OK(got);
    EXPECT_EQ(got->state, c.expected) << "case " << job.id;
  }
}

TEST_P(JobStoreConformance, StartAndFinishUpdateCountsAndState) {
  ASSERT_OK(store_->create(make_job("j", 3)));

  auto started = store_->start_item("j", 0, 1500);
  ASSERT_OK(started);
  EXPECT_EQ(started->state, ItemState::running);
  EXPECT_EQ(started->attempts, 1);
  EXPECT_EQ(started->started_ms, 1500);
  EXPECT_EQ(started->url, "https://example.com/0");
  EXPECT_EQ(store_->get("j", false)->state, JobState::running);

  auto first = store_->finish_item("j", 0, success(2000));
  ASSERT_OK(first);
  EXPECT_FALSE(first->job_done);
  EXPECT_EQ(first->job.state, JobState::running);
  EXPECT_EQ(first->job.succeeded, 1);
  EXPECT_EQ(first->job.failed, 0);
  EXPECT_EQ(first->job.total, 3);
  EXPECT_TRUE(first->job.items.empty());

  ASSERT_OK(store_->start_item("j", 1, 2100));
  auto second = store_->finish_item("j", 1, failure(2200));
  ASSERT_OK(second);
  EXPECT_FALSE(second->job_done);
  EXPECT_EQ(second->job.failed, 1);

  // Finishing straight from queued is allowed (e.g. a URL refused before capture).
  auto third = store_->finish_item("j", 2, success(2300));
  ASSERT_OK(third);
  EXPECT_TRUE(third->job_done);
  EXPECT_EQ(third->job.state, JobState::partial);
  EXPECT_EQ(third->job.succeeded, 2);
  EXPECT_EQ(third->job.failed, 1);
  EXPECT_GE(third->job.updated_ms, 2300);

  auto job = store_->get("j", true);
  ASSERT_OK(job);
  const auto& ok = job->items[0];
  EXPECT_EQ(ok.state, ItemState::succeeded);
  EXPECT_EQ(ok.blob_key, "jobs/x/0.png");
  EXPECT_EQ(ok.content_type, "image/png");
  EXPECT_EQ(ok.bytes, 1234);
  EXPECT_EQ(ok.width, 1280);
  EXPECT_EQ(ok.height, 800);
  EXPECT_EQ(ok.sha256, std::string(64, 'a'));
  EXPECT_EQ(ok.facts_json, R"({"title":"Example"})");
  EXPECT_EQ(ok.started_ms, 1500);
  EXPECT_EQ(ok.finished_ms, 2000);
  EXPECT_EQ(ok.attempts, 1);
  const auto& bad = job->items[1];
  EXPECT_EQ(bad.state, ItemState::failed);
  EXPECT_EQ(bad.error_code, "navigation_failed");
  EXPECT_EQ(bad.error_message, "net::ERR_NAME_NOT_RESOLVED");
}

TEST_P(JobStoreConformance, AllSucceededAndAllFailedJobs) {
  ASSERT_OK(store_->create(make_job("good", 2)));
  ASSERT_OK(store_->finish_item("good", 0, success()));
  auto last = store_->finish_item("good", 1, success());
  ASSERT_OK(last);
  EXPECT_TRUE(last->job_done);
  EXPECT_EQ(last->job.state, JobState::succeeded);

  ASSERT_OK(store_->create(make_job("bad", 2)));
  ASSERT_OK(store_->finish_item("bad", 0, failure()));
  auto end = store_->finish_item("bad", 1, failure());
  ASSERT_OK(end);
  EXPECT_TRUE(end->job_done);
  EXPECT_EQ(end->job.state, JobState::failed);
}

TEST_P(JobStoreConformance, RedeliveredFinishedItemIsConflict) {
  ASSERT_OK(store_->create(make_job("j", 2)));
  ASSERT_OK(store_->start_item("j", 0, 1));
  ASSERT_OK(store_->finish_item("j", 0, success()));

  auto again = store_->start_item("j", 0, 5);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::conflict);
  auto twice = store_->finish_item("j", 0, failure());
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
  auto job = store_->get("j", true);
  EXPECT_EQ(job->items[0].state, ItemState::succeeded);
  EXPECT_EQ(job->succeeded, 1);
  EXPECT_EQ(job->failed, 0);
}

TEST_P(JobStoreConformance, RunningItemCanBeStartedAgainAfterACrash) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  ASSERT_OK(store_->start_item("j", 0, 100));
  auto again = store_->start_item("j", 0, 200);
  ASSERT_OK(again);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->started_ms, 200);
  EXPECT_EQ(store_->get("j", false)->state, JobState::running);
  auto done = store_->finish_item("j", 0, success());
  ASSERT_OK(done);
  EXPECT_TRUE(done->job_done);
  EXPECT_EQ(done->job.state, JobState::succeeded);
}

TEST_P(JobStoreConformance, FinishAsQueuedOrRunningIsInvalid) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  ItemResult r = success();
  r.state = ItemState::running;
  EXPECT_EQ(store_->finish_item("j", 0, r).error().code, Errc::invalid_argument);
  r.state = ItemState::canceled;
  EXPECT_EQ(store_->finish_item("j", 0, r).error().code, Errc::invalid_argument);
}

TEST_P(JobStoreConformance, RequeuePutsARunningItemBack) {
  ASSERT_OK(store_->create(make_job("j", 2)));
  ASSERT_OK(store_->start_item("j", 0, 100));
  ASSERT_OK(store_->requeue_item("j", 0, 150));
  auto job = store_->get("j", true);
  EXPECT_EQ(job->items[0].state, ItemState::queued);
  EXPECT_EQ(job->items[0].attempts, 1);  // kept, for the delivery limit
  EXPECT_EQ(job->state, JobState::queued);
  EXPECT_OK(store_->requeue_item("j", 0, 160));  // already queued: fine

  ASSERT_OK(store_->finish_item("j", 1, success()));
  auto finished = store_->requeue_item("j", 1, 170);
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, Errc::conflict);

  auto restarted = store_->start_item("j", 0, 200);
  ASSERT_OK(restarted);
  EXPECT_EQ(restarted->attempts, 2);
}

TEST_P(JobStoreConformance, CancelStopsQueuedItemsAndLetsRunningOnesFinish) {
  ASSERT_OK(store_->create(make_job("j", 3)));
  ASSERT_OK(store_->start_item("j", 0, 100));

  auto canceled = store_->cancel("j", 200);
  ASSERT_OK(canceled);
  EXPECT_EQ(canceled->state, JobState::canceled);
  auto job = store_->get("j", true);
  EXPECT_EQ(job->state, JobState::canceled);
  EXPECT_EQ(job->items[0].state, ItemState::running);
  EXPECT_EQ(job->items[1].state, ItemState::canceled);
  EXPECT_EQ(job->items[2].state, ItemState::canceled);

  // A queued message arriving later must not be captured.
  EXPECT_EQ(store_->start_item("j", 1, 300).error().code, Errc::conflict);
  // The running capture records its result; the job stays canceled.
  auto finished = store_->finish_item("j", 0, success(400));
  ASSERT_OK(finished);
  EXPECT_EQ(finished->job.state, JobState::canceled);
  EXPECT_FALSE(finished->job_done);  // it was done when canceled
  EXPECT_EQ(finished->job.succeeded, 1);
  EXPECT_EQ(store_->get("j", true)->items[0].state, ItemState::succeeded);

  EXPECT_OK(store_->cancel("j", 500));  // twice: fine
  std::vector<Item> more{make_item("https://late/")};
  EXPECT_EQ(store_->add_items("j", more, 100, 600).error().code, Errc::conflict);
}

TEST_P(JobStoreConformance, RequeueAfterCancelCancelsTheItem) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  ASSERT_OK(store_->start_item("j", 0, 100));
  ASSERT_OK(store_->cancel("j", 200));
  auto requeued = store_->requeue_item("j", 0, 300);
  ASSERT_FALSE(requeued);
  EXPECT_EQ(requeued.error().code, Errc::canceled);
  EXPECT_EQ(store_->get("j", true)->items[0].state, ItemState::canceled);
  auto refs = store_->unfinished();
  ASSERT_OK(refs);
  EXPECT_TRUE(refs->empty());
}

TEST_P(JobStoreConformance, CancelFinishedJobIsConflict) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  ASSERT_OK(store_->finish_item("j", 0, success()));
  auto canceled = store_->cancel("j", 100);
  ASSERT_FALSE(canceled);
  EXPECT_EQ(canceled.error().code, Errc::conflict);
  EXPECT_EQ(store_->get("j", false)->state, JobState::succeeded);
}

TEST_P(JobStoreConformance, UnfinishedItemsSurviveARestart) {
  ASSERT_OK(store_->create(make_job("old", 3, 1000)));
  ASSERT_OK(store_->create(make_job("new", 1, 2000)));
  ASSERT_OK(store_->create(make_job("done", 1, 500)));
  ASSERT_OK(store_->start_item("old", 0, 1100));        // running when the process died
  ASSERT_OK(store_->finish_item("old", 1, success()));  // finished
  ASSERT_OK(store_->finish_item("done", 0, success()));

  reopen();
  auto refs = store_->unfinished();
  ASSERT_OK(refs);
  const std::vector<ItemRef> expected = {{"old", 0}, {"old", 2}, {"new", 0}};
  EXPECT_EQ(*refs, expected);

  auto job = store_->get("old", true);
  ASSERT_OK(job);
  EXPECT_EQ(job->items[0].state, ItemState::running);
  EXPECT_EQ(job->items[1].state, ItemState::succeeded);
  EXPECT_EQ(job->items[1].blob_key, "jobs/x/0.png");
  EXPECT_EQ(job->items[2].state, ItemState::queued);
  EXPECT_EQ(job->succeeded, 1);
  // Work goes on after the restart.
  ASSERT_OK(store_->start_item("old", 0, 3000));
  ASSERT_OK(store_->finish_item("old", 0, success()));
  auto last = store_->finish_item("old", 2, success());
  ASSERT_OK(last);
  EXPECT_TRUE(last->job_done);
}

TEST_P(JobStoreConformance, ConcurrentFinishesGiveExactCounts) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  constexpr int kItems = kThreads * kPerThread;
  ASSERT_OK(store_->create(make_job("big", kItems)));

  std::atomic<int> done_signals{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kItems; i += kThreads) {
        if (!store_->start_item("big", i, 100)) ++errors;
        auto r = store_->finish_item("big", i, i % 3 == 0 ? failure() : success());
        if (!r) {
          ++errors;
        } else if (r->job_done) {
          ++done_signals;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(done_signals.load(), 1);
  auto job = store_->get("big", true);
  ASSERT_OK(job);
  const int failed = (kItems + 2) / 3;
  EXPECT_EQ(job->total, kItems);
  EXPECT_EQ(job->failed, failed);
  EXPECT_EQ(job->succeeded, kItems - failed);
  EXPECT_EQ(job->state, JobState::partial);
  for (const auto& item : job->items)
    EXPECT_EQ(item.attempts, 1);
}

TEST_P(JobStoreConformance, ConcurrentStartsOfOneItemCountEveryAttempt) {
  ASSERT_OK(store_->create(make_job("j", 1)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i)
        (void)store_->start_item("j", 0, 100);
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(store_->get("j", true)->items[0].attempts, 80);
}

TEST_P(JobStoreConformance, AddItemsAppendsNewUrlsUpToTheLimit) {
  Job crawl = make_job("crawl", 0);
  crawl.kind = JobKind::crawl;
  crawl.items.push_back(make_item("https://site/"));
  ASSERT_OK(store_->create(crawl));
  ASSERT_OK(store_->start_item("crawl", 0, 100));

  std::vector<Item> links;
  for (const char* url : {"https://site/a", "https://site/b", "https://site/a", "https://site/"}) {
    auto item = make_item(url);
    item.parent = 0;
    item.depth = 1;
    item.index = 99;  // ignored
    links.push_back(item);
  }
  auto added = store_->add_items("crawl", links, 100, 150);
  ASSERT_OK(added);
  EXPECT_EQ(*added, (std::vector<int>{1, 2}));

  std::vector<Item> deeper{make_item("https://site/c"), make_item("https://site/d"),
                           make_item("https://site/e")};
  auto capped = store_->add_items("crawl", deeper, 4, 160);
  ASSERT_OK(capped);
  EXPECT_EQ(*capped, (std::vector<int>{3}));

  // The page's links are in before the page finishes: the job is not done.
  auto finished = store_->finish_item("crawl", 0, success());
  ASSERT_OK(finished);
  EXPECT_FALSE(finished->job_done);
  EXPECT_EQ(finished->job.state, JobState::running);
  EXPECT_EQ(finished->job.total, 4);

  auto job = store_->get("crawl", true);
  ASSERT_OK(job);
  ASSERT_EQ(job->items.size(), 4u);
  EXPECT_EQ(job->items[1].url, "https://site/a");
  EXPECT_EQ(job->items[1].job_id, "crawl");
  EXPECT_EQ(job->items[1].index, 1);
  EXPECT_EQ(job->items[1].parent, 0);
  EXPECT_EQ(job->items[1].depth, 1);
  EXPECT_EQ(job->items[2].url, "https://site/b");
  EXPECT_EQ(job->items[3].url, "https://site/c");
  EXPECT_EQ(job->items[3].state, ItemState::queued);

  auto refs = store_->unfinished();
  ASSERT_OK(refs);
  EXPECT_EQ(refs->size(), 3u);
}

TEST_P(JobStoreConformance, ConcurrentAddItemsNeverDuplicateUrlsOrIndexes) {
  Job crawl = make_job("crawl", 1);
  crawl.kind = JobKind::crawl;
  ASSERT_OK(store_->create(crawl));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      // Every thread finds the same 20 links.
      std::vector<Item> links;
      for (int i = 0; i < 20; ++i)
        links.push_back(make_item("https://link/" + std::to_string(i)));
      (void)store_->add_items("crawl", links, 15, 100);
    });
  }
  for (auto& t : threads)
    t.join();
  auto job = store_->get("crawl", true);
  ASSERT_OK(job);
  EXPECT_EQ(job->total, 15);
  std::set<std::string> urls;
  for (int i = 0; i < static_cast<int>(job->items.size()); ++i) {
    EXPECT_EQ(job->items[i].index, i);
    urls.insert(job->items[i].url);
  }
  EXPECT_EQ(urls.size(), 15u);
}

TEST_P(JobStoreConformance, CacheEntriesExpire) {
  CacheEntry entry{"blobs/a.png", "image/png", 10, 100, 50, "abc", R"({"t":1})", 1000};
  EXPECT_EQ(store_->cache_get("k", 0)->has_value(), false);
  ASSERT_OK(store_->cache_put("k", entry));

  auto hit = store_->cache_get("k", 999);
  ASSERT_OK(hit);
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(**hit, entry);
  auto expired = store_->cache_get("k", 1000);
  ASSERT_OK(expired);
  EXPECT_FALSE(expired->has_value());

  CacheEntry fresher = entry;
  fresher.blob_key = "blobs/b.png";
  fresher.expires_ms = 5000;
  ASSERT_OK(store_->cache_put("k", fresher));
  EXPECT_EQ(store_->cache_get("k", 2000)->value(), fresher);
}

TEST_P(JobStoreConformance, PurgeReturnsOnlyBlobsNothingRefersTo) {
  ASSERT_OK(store_->cache_put("only-cache", {"blob/x", "image/png", 1, 1, 1, "", "", 100}));
  ASSERT_OK(store_->cache_put("also-item", {"blob/y", "image/png", 1, 1, 1, "", "", 100}));
  ASSERT_OK(store_->cache_put("alive", {"blob/z", "image/png", 1, 1, 1, "", "", 10'000}));
  ASSERT_OK(store_->cache_put("shares-alive", {"blob/z", "image/png", 1, 1, 1, "", "", 100}));

  auto old_job = make_job("old", 1, 50);
  ASSERT_OK(store_->create(old_job));
  auto r = success();
  r.blob_key = "blob/y";
  ASSERT_OK(store_->finish_item("old", 0, r));

  auto busy = make_job("busy", 1, 50);
  ASSERT_OK(store_->create(busy));
  ASSERT_OK(store_->start_item("busy", 0, 60));

  // Cache only: blob/y is still an item's picture, blob/z still cached.
  auto orphans = store_->purge_expired(500, 0);
  ASSERT_OK(orphans);
  EXPECT_EQ(*orphans, std::vector<std::string>{"blob/x"});
  EXPECT_FALSE(store_->cache_get("only-cache", 0)->has_value());
  EXPECT_TRUE(store_->cache_get("alive", 0)->has_value());
  EXPECT_TRUE(store_->get("old", false));

  // Old finished jobs too: blob/y loses its last reference; a job still being
  // worked on is kept whatever its age.
  auto more = store_->purge_expired(500, 100);
  ASSERT_OK(more);
  EXPECT_EQ(*more, std::vector<std::string>{"blob/y"});
  EXPECT_EQ(store_->get("old", false).error().code, Errc::not_found);
  EXPECT_TRUE(store_->get("busy", false));

  auto nothing = store_->purge_expired(500, 100);
  ASSERT_OK(nothing);
  EXPECT_TRUE(nothing->empty());
}

TEST_P(JobStoreConformance, ListPagesNewestFirst) {
  // Two jobs share a timestamp: the order must still be total and stable.
  const std::vector<std::pair<std::string, std::int64_t>> jobs = {
      {"a", 100}, {"b", 300}, {"c", 200}, {"d", 300}, {"e", 50}, {"f", 400}, {"g", 250}};
  for (const auto& [id, at] : jobs) {
    auto job = make_job(id, 1, at);
    job.owner = id < "d" ? "alice" : "bob";
    ASSERT_OK(store_->create(job));
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store_->list({3, cursor, ""});
    ASSERT_OK(page);
    EXPECT_LE(page->jobs.size(), 3u);
    for (const auto& job : page->jobs) {
      EXPECT_TRUE(job.items.empty());
      EXPECT_EQ(job.total, 1);
      seen.push_back(job.id);
    }
    cursor = page->next_cursor;
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  const std::vector<std::string> newest_first = {"f", "d", "b", "g", "c", "a", "e"};
  EXPECT_EQ(seen, newest_first);

  auto alice = store_->list({10, "", "alice"});
  ASSERT_OK(alice);
  std::vector<std::string> ids;
  for (const auto& job : alice->jobs)
    ids.push_back(job.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_TRUE(alice->next_cursor.empty());

  auto bad = store_->list({10, "garbage", ""});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

TEST_P(JobStoreConformance, ListOfEmptyStoreIsEmpty) {
  auto page = store_->list({});
  ASSERT_OK(page);
  EXPECT_TRUE(page->jobs.empty());
  EXPECT_TRUE(page->next_cursor.empty());
  auto refs = store_->unfinished();
  ASSERT_OK(refs);
  EXPECT_TRUE(refs->empty());
}

TEST_P(JobStoreConformance, PingSaysReady) {
  EXPECT_OK(store_->ping());
}

// What an outbox sweep takes: items due at or before `due_before`, due again at `renew`.
std::vector<ItemRef> claim(JobStore& store, std::int64_t due_before, std::int64_t renew,
                           int limit = 10) {
  auto refs = store.claim_unpublished(due_before, renew, limit);
  EXPECT_TRUE(refs) << refs.error().message;
  return refs ? *refs : std::vector<ItemRef>{};
}

void mark(JobStore& store, std::string_view job_id, std::vector<int> indexes) {
  auto marked = store.mark_published(job_id, indexes);
  EXPECT_TRUE(marked) << marked.error().message;
}

using Refs = std::vector<ItemRef>;

TEST_P(JobStoreConformance, StoredButNeverQueuedItemsAreClaimedOnceDue) {
  auto job = make_job("j", 3, 1000);
  job.items[2].state = ItemState::succeeded;  // served from the cache: nothing to queue
  ASSERT_OK(store_->create(job));
  EXPECT_TRUE(claim(*store_, 999, 5000).empty());

  // The node that stored it stopped before queueing: both queued items are due.
  reopen();
  EXPECT_EQ(claim(*store_, 1000, 5000), (Refs{{"j", 0}, {"j", 1}}));
  // Claimed: due again at 5000, not before, so a second sweep does not take them too.
  EXPECT_TRUE(claim(*store_, 4999, 9000).empty());
  // The sweep that claimed them queued item 0 and stopped before item 1.
  mark(*store_, "j", {0});
  EXPECT_EQ(claim(*store_, 5000, 9000), (Refs{{"j", 1}}));
  mark(*store_, "j", {1});
  EXPECT_TRUE(claim(*store_, 1'000'000, 2'000'000).empty());
}

TEST_P(JobStoreConformance, PublishedItemsAreNeverClaimed) {
  ASSERT_OK(store_->create(make_job("j", 2, 1000)));
  mark(*store_, "j", {0, 1});
  EXPECT_TRUE(claim(*store_, 1'000'000, 2'000'000).empty());
}

TEST_P(JobStoreConformance, ClaimSkipsItemsNoLongerQueuedAndHonoursTheLimit) {
  ASSERT_OK(store_->create(make_job("a", 3, 1000)));
  ASSERT_OK(store_->create(make_job("b", 1, 2000)));
  ASSERT_OK(store_->finish_item("a", 1, success()));  // queued by someone after all, and done
  ASSERT_OK(store_->cancel("b", 2100));
  EXPECT_EQ(claim(*store_, 3000, 10'000, 1), (Refs{{"a", 0}}));
  // Not the finished item, not the canceled job's.
  EXPECT_EQ(claim(*store_, 3000, 10'000), (Refs{{"a", 2}}));
}

TEST_P(JobStoreConformance, AddedItemsAreDueFromWhenTheyWereAdded) {
  ASSERT_OK(store_->create(make_job("j", 1, 1000)));
  mark(*store_, "j", {0});
  std::vector<Item> more = {make_item("https://example.com/a"), make_item("https://example.com/b")};
  ASSERT_OK(store_->add_items("j", more, 100, 5000));
  EXPECT_TRUE(claim(*store_, 4999, 9000).empty());
  EXPECT_EQ(claim(*store_, 5000, 9000), (Refs{{"j", 1}, {"j", 2}}));
}

}  // namespace
}  // namespace shot::conformance
