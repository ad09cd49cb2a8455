// The main() of a worker binary: flags, logging, signals, Run(). Programs
// that register their own handlers call it with a function that registers
// them (see examples/).
#pragma once

#include <functional>

#include "worker/worker.h"

namespace baton::worker {

// Flags: --orchestrator (env BATON_ADDRESS; repeatable or comma-separated),
// --tls, --tls-ca, --tls-cert, --tls-key, --tls-server-name, --token-file
// (else env BATON_TOKEN), --name, --queue (repeatable),
// --label k=v (repeatable), --slots, --poll-wait, --drain-timeout,
// --log-level. SIGTERM/SIGINT start a drain. Returns the process exit code.
int WorkerMain(int argc, char** argv, const char* description,
               const std::function<void(Worker&)>& register_handlers);

}  // namespace baton::worker
