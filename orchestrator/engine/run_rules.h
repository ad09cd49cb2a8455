// Rules that move task runs and flow runs forward: the outcome of an attempt,
// the inputs of a task, the end of a run and its result. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/limits.h"
#include "nlohmann/json.hpp"
#include "orchestrator/model/states.h"

namespace baton::engine {

// Bounds of run parameters, results and error messages, from common/base/limits.h.
using ::baton::kMaxErrorMessageBytes;
using ::baton::kMaxParametersBytes;
using ::baton::kMaxResultBytes;

// What a worker reported for an attempt.
struct ReportedOutcome {
  bool succeeded = false;
  std::string result_json;  // when succeeded
  std::string error;        // when failed
  bool non_retryable = false;
  std::string error_type;  // when failed; may be empty
};

// The decision for an accepted report.
struct AttemptDecision {
  model::AttemptState attempt_state;
  model::TaskRunState task_state;
  nlohmann::json result;  // null unless task_state == kCompleted
  std::string error;      // empty when task_state == kCompleted
};

// Without retry policies (yet), a success completes the task run and a failure
// fails it. A "success" whose result is not JSON, exceeds kMaxResultBytes,
// nests deeper than kMaxJsonDepth or holds a U+0000 character (which the database cannot store) is
// a failure whose error says so.
AttemptDecision DecideAttempt(const ReportedOutcome& outcome);

// Input of a task: {"params": parameters, "upstream": {name: result, ...}}.
nlohmann::json BuildTaskInput(const nlohmann::json& parameters,
                              const std::map<std::string, nlohmann::json>& upstream_results);

struct TaskStateView {
  std::string name;
  model::TaskRunState state;
  std::string error;
  std::string fallback_name;  // the task standing in for this one, if any
  std::string fallback_for;   // set on a fallback task
};

struct RunEnd {
  model::FlowRunState state;
  std::string error;  // empty when COMPLETED
};

// The run's terminal state once no task can change any more (nullopt while
// any task is not terminal):
//  - `forced_end` (CANCELLED or TIMED_OUT, set by a cancellation or the flow
//    timeout) when given, with `forced_reason` as the error;
//  - COMPLETED when every task completed or was stood in for by a completed
//    fallback (unused fallbacks are SKIPPED and do not count);
//  - otherwise FAILED naming the tasks that failed, timed out or were
//    cancelled, including fallbacks that failed.
std::optional<RunEnd> DecideRunEnd(const std::vector<TaskStateView>& tasks,
                                   std::optional<model::FlowRunState> forced_end = std::nullopt,
                                   const std::string& forced_reason = "");

// The result of a completed run: the single result task's result, or an
// object of result tasks by name when there are several.
nlohmann::json BuildRunResult(const std::vector<std::string>& result_tasks,
                              const std::map<std::string, nlohmann::json>& results);

// Cuts `message` to kMaxErrorMessageBytes (on a UTF-8 boundary), marking the
// cut, and writes each U+0000 (which the database cannot store) as "\0".
std::string BoundErrorMessage(std::string message);

}  // namespace baton::engine
