// Moves a run forward after one of its task runs reached a terminal state:
// downstream tasks become READY (or SKIPPED), fallbacks stand in for the tasks
// they serve, and the run ends once no task is open. Store-internal; runs in
// the caller's transaction, which already updated (and locked) the task's row.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "orchestrator/engine/states.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {

// `task` reached `reached` (terminal) with `result` (COMPLETED only).
//  - COMPLETED: downstream tasks whose upstream all completed become READY. A
//    fallback's result becomes its primary's result, released to the
//    primary's downstream. A primary's unused fallback is SKIPPED.
//  - otherwise: with `run_fallback`, the task's fallback becomes READY and
//    `why` is recorded on both; else everything downstream (of the primary,
//    for a fallback task) is SKIPPED, with the unused fallbacks of those.
// Then closes the tasks that ended and ends the run if none is open.
void SettleTask(pqxx::work& tx, const TaskRow& task, engine::TaskRunState reached,
                const nlohmann::json& result, bool run_fallback, const std::string& why,
                std::vector<Transition>& history);

// Counts `closed` more tasks of the run as terminal (taking the run's row
// lock) and ends the run when none is open: COMPLETED, FAILED, or the end
// state a cancellation or flow timeout set.
void CloseTasks(pqxx::work& tx, const std::string& run_id, int closed,
                std::vector<Transition>& history);

}  // namespace baton::store
