// Runs one leased attempt through its handler and turns the outcome into the
// completion to report. No I/O of its own; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "baton/v1/worker_service.pb.h"
#include "worker/task_context.h"

namespace baton::worker {

// The context for `lease` received at `received_at` (identity, parsed config,
// deadline from the execution timeout measured from receipt, so the worker's
// clock never has to agree with the orchestrator's).
std::shared_ptr<TaskContext> MakeContext(const v1::Lease& lease, absl::Time received_at);

// Calls `handler` (null: no handler of that name on this worker) with the
// lease's input and returns the completion: the result as JSON text, or an
// error whose message says what failed. The run's secret values are masked
// in both (in the result's strings and keys) before any bound applies.
// Exceptions thrown by the handler are caught and reported as errors. A
// handler that returns CANCELLED after its context was cancelled reports the
// cancel reason. A result over kMaxResultBytes (common/base/limits.h) or not valid
// UTF-8 is reported as a non-retryable error (types ResultTooLarge,
// BadResult) instead of being sent.
v1::CompleteAttemptRequest RunAttempt(const Handler* handler, TaskContext& ctx,
                                      const v1::Lease& lease, const std::string& worker_id);

}  // namespace baton::worker
