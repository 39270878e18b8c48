#include "store/job_store.hpp"

#include <gtest/gtest.h>

namespace shot {
namespace {

TEST(JobStoreEnums, RoundTripThroughText) {
  for (auto k : {JobKind::screenshot, JobKind::crawl, JobKind::thumbnail}) {
    EXPECT_EQ(parse_job_kind(to_string(k)), k);
  }
  for (auto s : {JobState::queued, JobState::running, JobState::succeeded, JobState::partial,
                 JobState::failed, JobState::canceled}) {
    EXPECT_EQ(parse_job_state(to_string(s)), s);
  }
  for (auto s : {ItemState::queued, ItemState::running, ItemState::succeeded, ItemState::failed,
                 ItemState::canceled}) {
    EXPECT_EQ(parse_item_state(to_string(s)), s);
  }
  EXPECT_EQ(to_string(JobState::partial), "partial");
  EXPECT_FALSE(parse_job_state("Queued"));
  EXPECT_FALSE(parse_item_state(""));
  EXPECT_FALSE(parse_job_kind("pdf"));
}

ItemCounts counts(int q, int r, int s, int f, int c) {
  return ItemCounts{q, r, s, f, c};
}

TEST(JobStoreDeriveState, EveryMix) {
  EXPECT_EQ(derive_state(counts(0, 0, 0, 0, 0), false), JobState::queued);
  EXPECT_EQ(derive_state(counts(3, 0, 0, 0, 0), false), JobState::queued);
  EXPECT_EQ(derive_state(counts(2, 1, 0, 0, 0), false), JobState::running);
  EXPECT_EQ(derive_state(counts(0, 1, 0, 0, 0), false), JobState::running);
  EXPECT_EQ(derive_state(counts(1, 0, 1, 0, 0), false), JobState::running);
  EXPECT_EQ(derive_state(counts(1, 0, 0, 1, 0), false), JobState::running);
  EXPECT_EQ(derive_state(counts(0, 1, 2, 2, 0), false), JobState::running);
  EXPECT_EQ(derive_state(counts(0, 0, 3, 0, 0), false), JobState::succeeded);
  EXPECT_EQ(derive_state(counts(0, 0, 0, 3, 0), false), JobState::failed);
  EXPECT_EQ(derive_state(counts(0, 0, 2, 1, 0), false), JobState::partial);
  EXPECT_EQ(derive_state(counts(0, 0, 2, 0, 1), false), JobState::partial);
  EXPECT_EQ(derive_state(counts(0, 0, 0, 0, 2), false), JobState::canceled);
}

TEST(JobStoreDeriveState, CanceledStaysCanceled) {
  EXPECT_EQ(derive_state(counts(0, 1, 0, 0, 2), true), JobState::canceled);
  EXPECT_EQ(derive_state(counts(0, 0, 3, 0, 0), true), JobState::canceled);
  EXPECT_EQ(derive_state(counts(3, 0, 0, 0, 0), true), JobState::canceled);
}

TEST(JobStoreDeriveState, FromItems) {
  std::vector<Item> items(3);
  EXPECT_EQ(derive_state(items, false), JobState::queued);
  items[0].state = ItemState::succeeded;
  EXPECT_EQ(derive_state(items, false), JobState::running);
  items[1].state = ItemState::succeeded;
  items[2].state = ItemState::failed;
  EXPECT_EQ(derive_state(items, false), JobState::partial);
}

TEST(JobStoreTerminal, States) {
  EXPECT_FALSE(is_terminal(JobState::queued));
  EXPECT_FALSE(is_terminal(JobState::running));
  EXPECT_TRUE(is_terminal(JobState::partial));
  EXPECT_TRUE(is_terminal(JobState::canceled));
  EXPECT_FALSE(is_terminal(ItemState::running));
  EXPECT_TRUE(is_terminal(ItemState::canceled));
}

}  // namespace
}  // namespace shot
