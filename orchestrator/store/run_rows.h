// Creating a run's task runs, shared by starting a run and promoting a
// scheduled one. Store-internal.
#pragma once

#include <pqxx/pqxx>
#include <string>

#include "orchestrator/engine/run_plan.h"

namespace baton::store {

// Inserts the task runs of `run` (roots READY, the rest PENDING; fallback
// tasks wait), their edges, breaker rows and history, records the run's move
// to PENDING from `from_state` ("" for a new run) with `reason`, and wakes
// pollers when tasks are ready.
void InsertTaskRuns(pqxx::work& tx, const std::string& run_id, const engine::RunPlan& run,
                    const std::string& from_state, const std::string& reason);

}  // namespace baton::store
