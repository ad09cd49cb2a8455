// Moves a run forward after one of its task runs reached a terminal state,
// executing the engine's decisions (engine/settle_rules.h, engine/run_rules.h). Store-internal;
// runs in the caller's transaction, which already updated (and locked) the task's row.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "orchestrator/model/states.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {

// `task` reached `reached` (terminal) with `result` (COMPLETED only):
// executes engine::DecideSettle (what is released, which fallback stands in,
// what is skipped; `fallback_allowed` and `why` come from the ending), then
// closes the tasks that ended and ends the run if none is open.
void SettleTask(pqxx::work& tx, const TaskRow& task, model::TaskRunState reached,
                const nlohmann::json& result, bool fallback_allowed, const std::string& why,
                std::vector<Transition>& history);

// Counts `closed` more tasks of the run as terminal (taking the run's row
// lock) and ends the run when none is open: COMPLETED, FAILED, or the end
// state a cancellation or flow timeout set.
void CloseTasks(pqxx::work& tx, const std::string& run_id, int closed,
                std::vector<Transition>& history);

}  // namespace baton::store
