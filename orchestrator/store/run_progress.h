// Moves a run forward after one of its task runs reached a terminal state:
// downstream tasks become READY (or SKIPPED when the task did not complete),
// and the run ends once no task is open. Store-internal; runs inside the
// caller's transaction, which must already hold the task run's row lock.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "orchestrator/engine/states.h"

namespace baton::store {

void AdvanceRun(pqxx::work& tx, const std::string& run_id, int64_t task_run_id,
                engine::TaskRunState reached);

}  // namespace baton::store
