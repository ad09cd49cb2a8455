// Pure tests of how a run ends when fallbacks stood in for tasks, and when a
// cancellation or the flow timeout forces the end (DecideRunEnd), with the
// flow-run transitions that forced ends take.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/model/states.h"

namespace baton::engine {

using model::CanTransition;
using model::FlowRunState;
using model::IsTerminal;
using model::TaskRunState;

namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

TaskStateView Task(std::string name, TaskRunState state, std::string error = "") {
  TaskStateView t;
  t.name = std::move(name);
  t.state = state;
  t.error = std::move(error);
  return t;
}

// `name` stood in for by `fallback`.
TaskStateView Primary(std::string name, TaskRunState state, std::string fallback,
                      std::string error = "") {
  TaskStateView t = Task(std::move(name), state, std::move(error));
  t.fallback_name = std::move(fallback);
  return t;
}

TaskStateView Fallback(std::string name, TaskRunState state, std::string serves,
                       std::string error = "") {
  TaskStateView t = Task(std::move(name), state, std::move(error));
  t.fallback_for = std::move(serves);
  return t;
}

void ExpectCompleted(const std::optional<RunEnd>& end) {
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kCompleted);
  EXPECT_EQ(end->error, "");
}

// --- Fallbacks ---

TEST(RunEndFallbackTest, FailedPrimaryCoveredByACompletedFallbackCompletes) {
  ExpectCompleted(DecideRunEnd({
      Task("extract", TaskRunState::kCompleted),
      Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
      Fallback("fetch-cache", TaskRunState::kCompleted, "fetch"),
      Task("load", TaskRunState::kCompleted),
  }));
}

TEST(RunEndFallbackTest, TimedOutPrimaryCoveredByACompletedFallbackCompletes) {
  ExpectCompleted(DecideRunEnd({
      Primary("fetch", TaskRunState::kTimedOut, "fetch-cache", "execution timeout"),
      Fallback("fetch-cache", TaskRunState::kCompleted, "fetch"),
  }));
}

TEST(RunEndFallbackTest, ShortCircuitedPrimaryCoveredByACompletedFallbackCompletes) {
  // The breaker was open: the primary was SKIPPED and the fallback ran.
  ExpectCompleted(DecideRunEnd({
      Primary("fetch", TaskRunState::kSkipped, "fetch-cache"),
      Fallback("fetch-cache", TaskRunState::kCompleted, "fetch"),
      Task("load", TaskRunState::kCompleted),
  }));
}

TEST(RunEndFallbackTest, UnusedSkippedFallbackIsIgnored) {
  ExpectCompleted(DecideRunEnd({
      Primary("fetch", TaskRunState::kCompleted, "fetch-cache"),
      Fallback("fetch-cache", TaskRunState::kSkipped, "fetch"),
  }));
}

TEST(RunEndFallbackTest, OrderOfTasksDoesNotMatter) {
  ExpectCompleted(DecideRunEnd({
      Fallback("fetch-cache", TaskRunState::kCompleted, "fetch"),
      Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
  }));
}

TEST(RunEndFallbackTest, FailedFallbackFailsTheRunNamingBoth) {
  std::optional<RunEnd> end = DecideRunEnd({
      Task("extract", TaskRunState::kCompleted),
      Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
      Fallback("fetch-cache", TaskRunState::kFailed, "fetch", "cache miss"),
  });
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error,
            "task \"fetch\" FAILED: HTTP 503; fallback task \"fetch-cache\" FAILED: cache miss");
}

TEST(RunEndFallbackTest, TimedOutOrCancelledFallbackFailsTheRun) {
  for (TaskRunState bad : {TaskRunState::kTimedOut, TaskRunState::kCancelled}) {
    std::optional<RunEnd> end = DecideRunEnd({
        Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
        Fallback("fetch-cache", bad, "fetch"),
    });
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->state, FlowRunState::kFailed) << Name(bad);
    EXPECT_THAT(end->error, HasSubstr("task \"fetch\" FAILED: HTTP 503"));
    EXPECT_THAT(end->error,
                HasSubstr(std::string("fallback task \"fetch-cache\" ") + std::string(Name(bad))));
  }
}

TEST(RunEndFallbackTest, ShortCircuitedPrimaryWithAFailedFallbackFailsTheRun) {
  std::optional<RunEnd> end = DecideRunEnd({
      Primary("fetch", TaskRunState::kSkipped, "fetch-cache"),
      Fallback("fetch-cache", TaskRunState::kFailed, "fetch", "cache miss"),
  });
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_THAT(end->error, HasSubstr("fallback task \"fetch-cache\" FAILED: cache miss"));
}

TEST(RunEndFallbackTest, AFallbackCoversOnlyItsOwnTask) {
  std::optional<RunEnd> end = DecideRunEnd({
      Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
      Fallback("fetch-cache", TaskRunState::kCompleted, "fetch"),
      Task("load", TaskRunState::kFailed, "disk full"),
  });
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "task \"load\" FAILED: disk full");
  EXPECT_THAT(end->error, Not(HasSubstr("fetch")));
}

TEST(RunEndFallbackTest, NoEndWhileTheFallbackStillRuns) {
  for (TaskRunState open : {TaskRunState::kPending, TaskRunState::kReady, TaskRunState::kRunning,
                            TaskRunState::kAwaitingRetry}) {
    EXPECT_EQ(DecideRunEnd({
                  Primary("fetch", TaskRunState::kFailed, "fetch-cache", "HTTP 503"),
                  Fallback("fetch-cache", open, "fetch"),
              }),
              std::nullopt)
        << Name(open);
  }
}

// --- Forced ends ---

std::vector<TaskStateView> AllTerminal() {
  return {Task("a", TaskRunState::kCompleted), Task("b", TaskRunState::kCancelled),
          Task("c", TaskRunState::kSkipped)};
}

TEST(RunEndForcedTest, CancellationEndsTheRunCancelledWithItsReason) {
  std::optional<RunEnd> end =
      DecideRunEnd(AllTerminal(), FlowRunState::kCancelled, "cancelled by alice");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kCancelled);
  EXPECT_EQ(end->error, "cancelled by alice");
}

TEST(RunEndForcedTest, FlowTimeoutEndsTheRunTimedOutWithItsReason) {
  std::optional<RunEnd> end =
      DecideRunEnd(AllTerminal(), FlowRunState::kTimedOut, "flow timeout of 10m passed");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kTimedOut);
  EXPECT_EQ(end->error, "flow timeout of 10m passed");
}

TEST(RunEndForcedTest, ForcedEndWinsEvenWhenEveryTaskCompleted) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kCompleted), Task("b", TaskRunState::kCompleted)},
                   FlowRunState::kCancelled, "cancelled");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kCancelled);
}

TEST(RunEndForcedTest, ForcedEndWinsOverFailures) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kFailed, "boom"), Task("b", TaskRunState::kTimedOut)},
                   FlowRunState::kTimedOut, "flow timeout");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kTimedOut);
  EXPECT_EQ(end->error, "flow timeout");
}

TEST(RunEndForcedTest, NoEndWhileAnyTaskIsOpen) {
  for (FlowRunState forced : {FlowRunState::kCancelled, FlowRunState::kTimedOut}) {
    for (TaskRunState open : {TaskRunState::kPending, TaskRunState::kReady, TaskRunState::kRunning,
                              TaskRunState::kAwaitingRetry}) {
      std::vector<TaskStateView> tasks = AllTerminal();
      tasks.push_back(Task("d", open));
      EXPECT_EQ(DecideRunEnd(tasks, forced, "stop"), std::nullopt)
          << Name(forced) << " with a task " << Name(open);
    }
  }
}

TEST(RunEndForcedTest, EmptyRunEndsAtOnce) {
  std::optional<RunEnd> end = DecideRunEnd({}, FlowRunState::kCancelled, "cancelled");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kCancelled);
}

TEST(RunEndForcedTest, LongReasonIsBounded) {
  std::optional<RunEnd> end = DecideRunEnd(AllTerminal(), FlowRunState::kCancelled,
                                           std::string(2 * kMaxErrorMessageBytes, 'r'));
  ASSERT_TRUE(end.has_value());
  EXPECT_LE(end->error.size(), kMaxErrorMessageBytes + 32);
  EXPECT_THAT(end->error, EndsWith("... (truncated)"));
}

TEST(RunEndForcedTest, CancellingMayEndCancelledOrTimedOutOnly) {
  EXPECT_TRUE(CanTransition(FlowRunState::kCancelling, FlowRunState::kCancelled));
  EXPECT_TRUE(CanTransition(FlowRunState::kCancelling, FlowRunState::kTimedOut));
  for (FlowRunState other :
       {FlowRunState::kScheduled, FlowRunState::kPending, FlowRunState::kRunning,
        FlowRunState::kCompleted, FlowRunState::kFailed, FlowRunState::kCancelling}) {
    EXPECT_FALSE(CanTransition(FlowRunState::kCancelling, other)) << Name(other);
  }
}

TEST(RunEndForcedTest, OpenRunsMayBeCancelledOrTimedOut) {
  for (FlowRunState from : {FlowRunState::kPending, FlowRunState::kRunning}) {
    EXPECT_TRUE(CanTransition(from, FlowRunState::kCancelling)) << Name(from);
    EXPECT_TRUE(CanTransition(from, FlowRunState::kCancelled)) << Name(from);
    EXPECT_TRUE(CanTransition(from, FlowRunState::kTimedOut)) << Name(from);
  }
}

TEST(RunEndForcedTest, ForcedEndsAreFinal) {
  for (FlowRunState end : {FlowRunState::kCancelled, FlowRunState::kTimedOut}) {
    EXPECT_TRUE(IsTerminal(end));
    for (FlowRunState to :
         {FlowRunState::kRunning, FlowRunState::kCompleted, FlowRunState::kFailed,
          FlowRunState::kCancelling, FlowRunState::kCancelled, FlowRunState::kTimedOut}) {
      EXPECT_FALSE(CanTransition(end, to)) << Name(end) << " -> " << Name(to);
    }
  }
}

}  // namespace
}  // namespace baton::engine
