// Store-internal: the (queue, handler) pairs online workers serve, read in
// the caller's transaction (defined in worker_store.cc).
#pragma once

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "orchestrator/engine/routing_rules.h"

namespace baton::store {

// Pairs registered by workers seen within `liveness` and not stopped: what
// can be leased now.
engine::ServedRoutes ReadServedRoutes(pqxx::work& tx, absl::Duration liveness);

}  // namespace baton::store
