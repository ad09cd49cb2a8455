// baton-example-worker: a worker built on the SDK with the handlers of the
// course's exercises, plus the built-in ones. The way to ship your own
// handlers: link baton_worker_sdk, register them, call WorkerMain.
#include "examples/01-basic-flow/etl_handlers.h"
#include "examples/course_handlers.h"
#include "worker/builtin_handlers.h"
#include "worker/worker_main.h"

int main(int argc, char** argv) {
  return baton::worker::WorkerMain(
      argc, argv, "baton-example-worker: the course's handlers on a Baton worker",
      [](baton::worker::Worker& worker) {
        for (auto& [name, handler] : baton::worker::BuiltinHandlers()) {
          worker.Register(name, handler);
        }
        baton::examples::RegisterEtlHandlers(worker);
        baton::examples::RegisterCourseHandlers(worker);
      });
}
