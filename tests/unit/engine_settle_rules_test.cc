#include <gtest/gtest.h>

#include "orchestrator/engine/settle_rules.h"

namespace baton::engine {
namespace {

using model::TaskRunState;

FinishedTask Task(TaskRunState reached) {
  FinishedTask t;
  t.name = "charge";
  t.reached = reached;
  return t;
}

TEST(DecideSettleTest, CompletedTaskReleasesItsDownstreamAndNothingElse) {
  const SettleDecision d = DecideSettle(Task(TaskRunState::kCompleted));
  ASSERT_TRUE(d.release_downstream_of.has_value());
  EXPECT_EQ(*d.release_downstream_of, "charge");
  EXPECT_FALSE(d.adopt_result_into.has_value());
  EXPECT_FALSE(d.activate_fallback.has_value());
  EXPECT_FALSE(d.skip_descendants_of.has_value());
  EXPECT_FALSE(d.skip_unused_fallback.has_value());
  EXPECT_EQ(d.resolution, "");
}

TEST(DecideSettleTest, CompletedPrimarySkipsItsUnusedFallback) {
  FinishedTask t = Task(TaskRunState::kCompleted);
  t.fallback_name = "charge_later";
  const SettleDecision d = DecideSettle(t);
  EXPECT_EQ(d.release_downstream_of.value_or(""), "charge");
  ASSERT_TRUE(d.skip_unused_fallback.has_value());
  EXPECT_EQ(d.skip_unused_fallback->task, "charge_later");
  EXPECT_EQ(d.skip_unused_fallback->reason, "not needed: the task it stands in for completed");
}

TEST(DecideSettleTest, CompletedFallbackHandsItsResultToItsPrimary) {
  FinishedTask t = Task(TaskRunState::kCompleted);
  t.name = "charge_later";
  t.fallback_for = "charge";
  const SettleDecision d = DecideSettle(t);
  ASSERT_TRUE(d.adopt_result_into.has_value());
  EXPECT_EQ(d.adopt_result_into->task, "charge");
  EXPECT_EQ(d.adopt_result_into->reason,
            "fallback \"charge_later\" completed; its result stands in");
  // The primary's downstream is released by the adoption, not the fallback's.
  EXPECT_FALSE(d.release_downstream_of.has_value());
  EXPECT_FALSE(d.skip_descendants_of.has_value());
}

TEST(DecideSettleTest, FailedTaskWithAllowedFallbackActivatesIt) {
  FinishedTask t = Task(TaskRunState::kFailed);
  t.fallback_name = "charge_later";
  t.fallback_allowed = true;
  t.why = "card declined";
  const SettleDecision d = DecideSettle(t);
  ASSERT_TRUE(d.activate_fallback.has_value());
  EXPECT_EQ(d.activate_fallback->task, "charge_later");
  EXPECT_EQ(d.activate_fallback->reason, "standing in for \"charge\": card declined");
  EXPECT_EQ(d.resolution, "fallback \"charge_later\" runs instead: card declined");
  EXPECT_FALSE(d.skip_descendants_of.has_value());
  EXPECT_FALSE(d.skip_unused_fallback.has_value());
  EXPECT_FALSE(d.release_downstream_of.has_value());
}

TEST(DecideSettleTest, FallbackNotAllowedSkipsBelowAndTheUnusedFallback) {
  FinishedTask t = Task(TaskRunState::kCancelled);
  t.fallback_name = "charge_later";
  t.fallback_allowed = false;
  const SettleDecision d = DecideSettle(t);
  EXPECT_FALSE(d.activate_fallback.has_value());
  ASSERT_TRUE(d.skip_descendants_of.has_value());
  EXPECT_EQ(d.skip_descendants_of->task, "charge");
  EXPECT_EQ(d.skip_descendants_of->reason, "upstream task \"charge\" CANCELLED");
  ASSERT_TRUE(d.skip_unused_fallback.has_value());
  EXPECT_EQ(d.skip_unused_fallback->reason, "not needed: upstream task \"charge\" CANCELLED");
}

TEST(DecideSettleTest, AllowedButWithoutFallbackSkipsBelow) {
  FinishedTask t = Task(TaskRunState::kTimedOut);
  t.fallback_allowed = true;
  const SettleDecision d = DecideSettle(t);
  ASSERT_TRUE(d.skip_descendants_of.has_value());
  EXPECT_EQ(d.skip_descendants_of->reason, "upstream task \"charge\" TIMED_OUT");
  EXPECT_FALSE(d.skip_unused_fallback.has_value());
}

TEST(DecideSettleTest, FailedFallbackSkipsEverythingBelowItsPrimary) {
  FinishedTask t = Task(TaskRunState::kFailed);
  t.name = "charge_later";
  t.fallback_for = "charge";
  t.fallback_allowed = true;  // a fallback has no fallback of its own
  const SettleDecision d = DecideSettle(t);
  ASSERT_TRUE(d.skip_descendants_of.has_value());
  EXPECT_EQ(d.skip_descendants_of->task, "charge");
  EXPECT_EQ(d.skip_descendants_of->reason, "upstream task \"charge\" FAILED");
  EXPECT_FALSE(d.activate_fallback.has_value());
  EXPECT_FALSE(d.skip_unused_fallback.has_value());
}

}  // namespace
}  // namespace baton::engine
