#include "orchestrator/model/states.h"

#include <array>
#include <utility>

namespace baton::model {
namespace {

template <typename E, size_t N>
using NameTable = std::array<std::pair<E, absl::string_view>, N>;

constexpr NameTable<FlowRunState, 8> kFlowRunNames{{
    {FlowRunState::kScheduled, "SCHEDULED"},
    {FlowRunState::kPending, "PENDING"},
    {FlowRunState::kRunning, "RUNNING"},
    {FlowRunState::kCompleted, "COMPLETED"},
    {FlowRunState::kFailed, "FAILED"},
    {FlowRunState::kCancelling, "CANCELLING"},
    {FlowRunState::kCancelled, "CANCELLED"},
    {FlowRunState::kTimedOut, "TIMED_OUT"},
}};

constexpr NameTable<TaskRunState, 9> kTaskRunNames{{
    {TaskRunState::kPending, "PENDING"},
    {TaskRunState::kReady, "READY"},
    {TaskRunState::kRunning, "RUNNING"},
    {TaskRunState::kAwaitingRetry, "AWAITING_RETRY"},
    {TaskRunState::kCompleted, "COMPLETED"},
    {TaskRunState::kFailed, "FAILED"},
    {TaskRunState::kCancelled, "CANCELLED"},
    {TaskRunState::kTimedOut, "TIMED_OUT"},
    {TaskRunState::kSkipped, "SKIPPED"},
}};

constexpr NameTable<AttemptState, 7> kAttemptNames{{
    {AttemptState::kRunning, "RUNNING"},
    {AttemptState::kSucceeded, "SUCCEEDED"},
    {AttemptState::kFailed, "FAILED"},
    {AttemptState::kLeaseExpired, "LEASE_EXPIRED"},
    {AttemptState::kTimedOut, "TIMED_OUT"},
    {AttemptState::kCancelled, "CANCELLED"},
    {AttemptState::kUndelivered, "UNDELIVERED"},
}};

template <typename E, size_t N>
absl::string_view Lookup(const NameTable<E, N>& table, E state) {
  for (const auto& [value, name] : table) {
    if (value == state) return name;
  }
  return "UNKNOWN";
}

template <typename E, size_t N>
std::optional<E> Parse(const NameTable<E, N>& table, absl::string_view name) {
  for (const auto& [value, value_name] : table) {
    if (value_name == name) return value;
  }
  return std::nullopt;
}

}  // namespace

absl::string_view Name(FlowRunState s) { return Lookup(kFlowRunNames, s); }
absl::string_view Name(TaskRunState s) { return Lookup(kTaskRunNames, s); }
absl::string_view Name(AttemptState s) { return Lookup(kAttemptNames, s); }

std::optional<FlowRunState> ParseFlowRunState(absl::string_view n) {
  return Parse(kFlowRunNames, n);
}
std::optional<TaskRunState> ParseTaskRunState(absl::string_view n) {
  return Parse(kTaskRunNames, n);
}
std::optional<AttemptState> ParseAttemptState(absl::string_view n) {
  return Parse(kAttemptNames, n);
}

bool IsTerminal(FlowRunState s) {
  return s == FlowRunState::kCompleted || s == FlowRunState::kFailed ||
         s == FlowRunState::kCancelled || s == FlowRunState::kTimedOut;
}

bool IsTerminal(TaskRunState s) {
  return s == TaskRunState::kCompleted || s == TaskRunState::kFailed ||
         s == TaskRunState::kCancelled || s == TaskRunState::kTimedOut ||
         s == TaskRunState::kSkipped;
}

bool IsTerminal(AttemptState s) { return s != AttemptState::kRunning; }

bool CanTransition(FlowRunState from, FlowRunState to) {
  using S = FlowRunState;
  if (IsTerminal(from) || from == to) return false;
  switch (to) {
    case S::kScheduled:
      return false;
    case S::kPending:
      return from == S::kScheduled;
    case S::kRunning:
      return from == S::kPending;
    case S::kCancelling:
      return from != S::kCancelling;
    case S::kCancelled:
      return true;
    case S::kCompleted:
    case S::kFailed:
      return from == S::kRunning || from == S::kPending;
    case S::kTimedOut:
      return from != S::kScheduled;
  }
  return false;
}

bool CanTransition(TaskRunState from, TaskRunState to) {
  using S = TaskRunState;
  if (IsTerminal(from) || from == to) return false;
  switch (to) {
    case S::kPending:
      return false;
    case S::kReady:  // upstream done, retry time reached, or a lease expired
      return from == S::kPending || from == S::kAwaitingRetry || from == S::kRunning;
    case S::kRunning:
      return from == S::kReady;
    case S::kAwaitingRetry:
      return from == S::kRunning;
    case S::kCompleted:
      return from == S::kRunning;
    case S::kFailed:
      return from == S::kRunning || from == S::kReady || from == S::kAwaitingRetry;
    case S::kTimedOut:
      return from == S::kRunning || from == S::kReady || from == S::kAwaitingRetry;
    case S::kSkipped:
      return from == S::kPending;
    case S::kCancelled:
      return true;
  }
  return false;
}

bool CanTransition(AttemptState from, AttemptState to) {
  return from == AttemptState::kRunning && to != AttemptState::kRunning;
}

}  // namespace baton::model
