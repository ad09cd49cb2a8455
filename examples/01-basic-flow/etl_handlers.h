// Handlers of the course's basic ETL flow (examples/01-basic-flow/flow.yaml).
#pragma once

#include "worker/worker.h"

namespace baton::examples {

// etl.extract: waits config.io_seconds (simulated I/O, cancellable), returns
//   {"items": params.items}.
// etl.transform: returns upstream.extract.items, each times params.factor.
// etl.load: returns {"count": number of values from upstream.transform}.
void RegisterEtlHandlers(worker::Worker& worker);

}  // namespace baton::examples
