// Routing by handler: a worker is leased only the tasks of its queues whose
// handler it registered (the lease query, store/lease_store.cc, applies it).
// A READY task no online worker can take waits, visibly: these rules say
// what it waits for. Pure; thread-safe.
#pragma once

#include <set>
#include <string>
#include <utility>

namespace baton::engine {

// (queue, handler) pairs that online workers serve.
using ServedRoutes = std::set<std::pair<std::string, std::string>>;

// What a READY task on `queue` with `handler` waits for when no online worker
// serves that pair, e.g. `no online worker serves handler "etl.load" on queue
// "default"`; empty when one does. Other states wait for nothing here.
std::string MissingRoute(bool ready, const std::string& queue, const std::string& handler,
                         const ServedRoutes& served);

}  // namespace baton::engine
