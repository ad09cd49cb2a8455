// The state machines of flow runs, task runs and attempts: names (as stored in
// the database), terminal states, and which transitions are legal.
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace baton::model {

enum class FlowRunState {
  kScheduled,
  kPending,
  kRunning,
  kCompleted,
  kFailed,
  kCancelling,
  kCancelled,
  kTimedOut,
};

enum class TaskRunState {
  kPending,
  kReady,
  kRunning,
  kAwaitingRetry,
  kCompleted,
  kFailed,
  kCancelled,
  kTimedOut,
  kSkipped,
};

enum class AttemptState {
  kRunning,
  kSucceeded,
  kFailed,
  kLeaseExpired,
  kTimedOut,
  kCancelled,
  // The lease never reached a worker that took it (its poll was gone, or it
  // was not acknowledged in time). Does not count as an attempt spent.
  kUndelivered,
};

// Upper-case names as stored in the database ("RUNNING", "AWAITING_RETRY").
absl::string_view Name(FlowRunState state);
absl::string_view Name(TaskRunState state);
absl::string_view Name(AttemptState state);

std::optional<FlowRunState> ParseFlowRunState(absl::string_view name);
std::optional<TaskRunState> ParseTaskRunState(absl::string_view name);
std::optional<AttemptState> ParseAttemptState(absl::string_view name);

bool IsTerminal(FlowRunState state);
bool IsTerminal(TaskRunState state);
bool IsTerminal(AttemptState state);

// Legal transitions. A terminal state never changes again; a state never
// "transitions" to itself.
bool CanTransition(FlowRunState from, FlowRunState to);
bool CanTransition(TaskRunState from, TaskRunState to);
bool CanTransition(AttemptState from, AttemptState to);

}  // namespace baton::model
