// baton-worker: a worker process with the built-in handlers (exec, sleep, noop).
//   baton-worker --orchestrator HOST:PORT [--queue Q ...] [--slots N] [--label k=v ...]

#include "worker/builtin_handlers.h"
#include "worker/worker_main.h"

int main(int argc, char** argv) {
  return baton::worker::WorkerMain(
      argc, argv, "baton-worker: runs Baton task attempts", [](baton::worker::Worker& worker) {
        for (auto& [name, handler] : baton::worker::BuiltinHandlers()) {
          worker.Register(name, handler);
        }
      });
}
