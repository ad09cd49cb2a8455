// Pure tests of the state machines: stored names, terminal states, and the
// complete table of legal transitions. A change to the rules has to change the
// expected tables below, so it is visible in review.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "orchestrator/model/states.h"

namespace baton::model {
namespace {

const std::vector<FlowRunState> kAllFlowRunStates = {
    FlowRunState::kScheduled, FlowRunState::kPending,  FlowRunState::kRunning,
    FlowRunState::kCompleted, FlowRunState::kFailed,   FlowRunState::kCancelling,
    FlowRunState::kCancelled, FlowRunState::kTimedOut,
};

const std::vector<TaskRunState> kAllTaskRunStates = {
    TaskRunState::kPending,       TaskRunState::kReady,     TaskRunState::kRunning,
    TaskRunState::kAwaitingRetry, TaskRunState::kCompleted, TaskRunState::kFailed,
    TaskRunState::kCancelled,     TaskRunState::kTimedOut,  TaskRunState::kSkipped,
};

const std::vector<AttemptState> kAllAttemptStates = {
    AttemptState::kRunning,      AttemptState::kSucceeded, AttemptState::kFailed,
    AttemptState::kLeaseExpired, AttemptState::kTimedOut,  AttemptState::kCancelled,
    AttemptState::kUndelivered,
};

// Every legal transition, as "FROM -> TO". Everything else is illegal.
const std::set<std::string> kLegalFlowRunTransitions = {
    "SCHEDULED -> PENDING",    "SCHEDULED -> CANCELLING", "SCHEDULED -> CANCELLED",
    "PENDING -> RUNNING",      "PENDING -> COMPLETED",    "PENDING -> FAILED",
    "PENDING -> CANCELLING",   "PENDING -> CANCELLED",    "PENDING -> TIMED_OUT",
    "RUNNING -> COMPLETED",    "RUNNING -> FAILED",       "RUNNING -> CANCELLING",
    "RUNNING -> CANCELLED",    "RUNNING -> TIMED_OUT",    "CANCELLING -> CANCELLED",
    "CANCELLING -> TIMED_OUT",
};

const std::set<std::string> kLegalTaskRunTransitions = {
    "PENDING -> READY",
    "PENDING -> SKIPPED",
    "PENDING -> CANCELLED",
    "READY -> RUNNING",
    "READY -> FAILED",
    "READY -> TIMED_OUT",
    "READY -> CANCELLED",
    "RUNNING -> READY",
    "RUNNING -> AWAITING_RETRY",
    "RUNNING -> COMPLETED",
    "RUNNING -> FAILED",
    "RUNNING -> TIMED_OUT",
    "RUNNING -> CANCELLED",
    "AWAITING_RETRY -> READY",
    "AWAITING_RETRY -> FAILED",
    "AWAITING_RETRY -> TIMED_OUT",
    "AWAITING_RETRY -> CANCELLED",
};

const std::set<std::string> kLegalAttemptTransitions = {
    "RUNNING -> SUCCEEDED", "RUNNING -> FAILED",    "RUNNING -> LEASE_EXPIRED",
    "RUNNING -> TIMED_OUT", "RUNNING -> CANCELLED", "RUNNING -> UNDELIVERED",
};

template <typename E>
std::string Arrow(E from, E to) {
  return absl::StrCat(Name(from), " -> ", Name(to));
}

// The transitions CanTransition allows among `all`, in the table's notation.
template <typename E>
std::set<std::string> AllowedTransitions(const std::vector<E>& all) {
  std::set<std::string> allowed;
  for (E from : all) {
    for (E to : all) {
      if (CanTransition(from, to)) allowed.insert(Arrow(from, to));
    }
  }
  return allowed;
}

template <typename E>
void ExpectNamesRoundTrip(const std::vector<E>& all, std::optional<E> (*parse)(absl::string_view)) {
  std::set<std::string> names;
  for (E state : all) {
    const std::string name(Name(state));
    SCOPED_TRACE(name);
    EXPECT_NE(name, "UNKNOWN");
    EXPECT_TRUE(names.insert(name).second) << "name used twice";
    ASSERT_TRUE(parse(name).has_value());
    EXPECT_EQ(*parse(name), state);
  }
}

TEST(EngineStatesTest, FlowRunStateNamesRoundTrip) {
  ExpectNamesRoundTrip(kAllFlowRunStates, &ParseFlowRunState);
  EXPECT_EQ(Name(FlowRunState::kTimedOut), "TIMED_OUT");
  EXPECT_EQ(Name(FlowRunState::kCancelling), "CANCELLING");
}

TEST(EngineStatesTest, TaskRunStateNamesRoundTrip) {
  ExpectNamesRoundTrip(kAllTaskRunStates, &ParseTaskRunState);
  EXPECT_EQ(Name(TaskRunState::kAwaitingRetry), "AWAITING_RETRY");
  EXPECT_EQ(Name(TaskRunState::kSkipped), "SKIPPED");
}

TEST(EngineStatesTest, AttemptStateNamesRoundTrip) {
  ExpectNamesRoundTrip(kAllAttemptStates, &ParseAttemptState);
  EXPECT_EQ(Name(AttemptState::kLeaseExpired), "LEASE_EXPIRED");
  EXPECT_EQ(Name(AttemptState::kSucceeded), "SUCCEEDED");
}

TEST(EngineStatesTest, ParseRejectsUnknownAndWrongCaseNames) {
  for (const char* bad : {"", "running", "Running", "DONE", "RUNNING ", "UNKNOWN"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseFlowRunState(bad).has_value());
    EXPECT_FALSE(ParseTaskRunState(bad).has_value());
    EXPECT_FALSE(ParseAttemptState(bad).has_value());
  }
  // Names of one machine are not names of another.
  EXPECT_FALSE(ParseFlowRunState("SKIPPED").has_value());
  EXPECT_FALSE(ParseTaskRunState("SUCCEEDED").has_value());
  EXPECT_FALSE(ParseAttemptState("COMPLETED").has_value());
}

TEST(EngineStatesTest, TerminalFlowRunStates) {
  std::set<std::string> terminal;
  for (FlowRunState s : kAllFlowRunStates) {
    if (IsTerminal(s)) terminal.insert(std::string(Name(s)));
  }
  EXPECT_EQ(terminal, (std::set<std::string>{"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}));
}

TEST(EngineStatesTest, TerminalTaskRunStates) {
  std::set<std::string> terminal;
  for (TaskRunState s : kAllTaskRunStates) {
    if (IsTerminal(s)) terminal.insert(std::string(Name(s)));
  }
  EXPECT_EQ(terminal,
            (std::set<std::string>{"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT", "SKIPPED"}));
}

TEST(EngineStatesTest, TerminalAttemptStates) {
  for (AttemptState s : kAllAttemptStates) {
    EXPECT_EQ(IsTerminal(s), s != AttemptState::kRunning) << Name(s);
  }
}

TEST(EngineStatesTest, FlowRunTransitionsMatchTheTable) {
  EXPECT_EQ(AllowedTransitions(kAllFlowRunStates), kLegalFlowRunTransitions);
}

TEST(EngineStatesTest, TaskRunTransitionsMatchTheTable) {
  EXPECT_EQ(AllowedTransitions(kAllTaskRunStates), kLegalTaskRunTransitions);
}

TEST(EngineStatesTest, AttemptTransitionsMatchTheTable) {
  EXPECT_EQ(AllowedTransitions(kAllAttemptStates), kLegalAttemptTransitions);
}

TEST(EngineStatesTest, TerminalStatesNeverTransition) {
  for (FlowRunState from : kAllFlowRunStates) {
    if (!IsTerminal(from)) continue;
    for (FlowRunState to : kAllFlowRunStates)
      EXPECT_FALSE(CanTransition(from, to)) << Arrow(from, to);
  }
  for (TaskRunState from : kAllTaskRunStates) {
    if (!IsTerminal(from)) continue;
    for (TaskRunState to : kAllTaskRunStates)
      EXPECT_FALSE(CanTransition(from, to)) << Arrow(from, to);
  }
  for (AttemptState from : kAllAttemptStates) {
    if (!IsTerminal(from)) continue;
    for (AttemptState to : kAllAttemptStates)
      EXPECT_FALSE(CanTransition(from, to)) << Arrow(from, to);
  }
}

TEST(EngineStatesTest, NoSelfTransitions) {
  for (FlowRunState s : kAllFlowRunStates) EXPECT_FALSE(CanTransition(s, s)) << Name(s);
  for (TaskRunState s : kAllTaskRunStates) EXPECT_FALSE(CanTransition(s, s)) << Name(s);
  for (AttemptState s : kAllAttemptStates) EXPECT_FALSE(CanTransition(s, s)) << Name(s);
}

TEST(EngineStatesTest, EveryNonTerminalStateCanReachATerminalState) {
  for (FlowRunState from : kAllFlowRunStates) {
    if (IsTerminal(from)) continue;
    bool reaches = false;
    for (FlowRunState to : kAllFlowRunStates) reaches |= IsTerminal(to) && CanTransition(from, to);
    EXPECT_TRUE(reaches) << Name(from);
  }
  for (TaskRunState from : kAllTaskRunStates) {
    if (IsTerminal(from)) continue;
    bool reaches = false;
    for (TaskRunState to : kAllTaskRunStates) reaches |= IsTerminal(to) && CanTransition(from, to);
    EXPECT_TRUE(reaches) << Name(from);
  }
}

}  // namespace
}  // namespace baton::model
