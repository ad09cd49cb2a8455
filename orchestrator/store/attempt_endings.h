// Ending an attempt — reported by a worker or expired by a timer — in the
// caller's transaction: the attempt, the task run (fenced), history, the
// circuit breaker, and the run's progress. Store-internal.
#pragma once

#include <pqxx/pqxx>

#include "orchestrator/engine/attempt_rules.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {

// The policy the engine needs about `task`.
engine::TaskPolicy PolicyOf(const TaskRow& task);

// Applies `ending` to the current attempt of `task`, which the caller locked
// and found RUNNING.
void ApplyEnding(pqxx::work& tx, const TaskRow& task, const engine::AttemptEnding& ending);

}  // namespace baton::store
