// Stopping a run — cancelled by a user or past its flow timeout — inside the
// caller's transaction. Store-internal.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orchestrator/model/states.h"
#include "orchestrator/store/history.h"

namespace baton::store {

// The run's pending, ready and retry-waiting tasks end CANCELLED; running ones
// are asked to stop (their heartbeat answer says CANCEL); the run is
// CANCELLING until they have, then ends `end_state` (CANCELLED or TIMED_OUT),
// at once when nothing was running. FAILED_PRECONDITION when the run already
// ended; NOT_FOUND when there is no such run. A run already CANCELLING is left
// as it is.
absl::Status BeginCancel(pqxx::work& tx, const std::string& run_id, model::FlowRunState end_state,
                         const std::string& reason, std::vector<Transition>& history);

}  // namespace baton::store
