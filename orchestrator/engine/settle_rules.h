// What happens below a task run that reached a terminal state: which tasks it
// releases, which fallback stands in, what is skipped. Pure; thread-safe. The
// store executes the decision in the transaction that ended the task.
#pragma once

#include <optional>
#include <string>

#include "orchestrator/model/states.h"

namespace baton::engine {

// A task run that has just reached a terminal state.
struct FinishedTask {
  std::string name;
  model::TaskRunState reached = model::TaskRunState::kCompleted;
  std::string fallback_name;  // the task that stands in for this one, if any
  std::string fallback_for;   // set when this task is itself a fallback
  // The ending allows the fallback to run (a failure the flow declared a
  // fallback for, not a cancellation).
  bool fallback_allowed = false;
  std::string why;  // the ending, for the fallback's reason
};

// A task of the run, by name, and the reason recorded with what happens to it.
struct TaskAction {
  std::string task;
  std::string reason;
};

// Each field is one step for the store, executed in this order; unset steps
// do not happen. At most one of release, adopt, activate and skip is set.
struct SettleDecision {
  // The task's downstream tasks are released: each becomes READY once every
  // task it waits for has released it.
  std::optional<std::string> release_downstream_of;
  // A completed fallback's result becomes its primary's (`task`), recorded
  // as the primary's resolution, and the primary's downstream is released.
  std::optional<TaskAction> adopt_result_into;
  // The fallback (`task`) becomes READY with `reason`; `resolution` is
  // recorded on the finished task.
  std::optional<TaskAction> activate_fallback;
  std::string resolution;
  // Every PENDING task below `task` is SKIPPED with `reason`, and so are the
  // unused fallbacks of the tasks skipped.
  std::optional<TaskAction> skip_descendants_of;
  // The finished task's own fallback is not needed: SKIPPED if still PENDING.
  std::optional<TaskAction> skip_unused_fallback;
};

// The rule below a finished task:
//  - COMPLETED: its downstream is released and its unused fallback skipped;
//    a completed fallback instead hands its result to its primary, whose
//    downstream is released.
//  - otherwise, when the fallback is allowed and the task has one: the
//    fallback runs, standing in for it.
//  - otherwise everything below it (below its primary, for a fallback) is
//    skipped, naming the task that ended and how, and its unused fallback too.
SettleDecision DecideSettle(const FinishedTask& task);

}  // namespace baton::engine
