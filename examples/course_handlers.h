// Handlers of the course's exercises 02 and 03 (examples/02-*, examples/03-*).
#pragma once

#include "worker/worker.h"

namespace baton::examples {

// course.flaky_call: fails with a TransientError with probability
// params.failure_rate (and always on the first params.fail_first attempts),
// else works config.work_seconds and returns 42. A fraction outside [0, 1] is
// a non-retryable BadInput error.
// course.primary_provider: "primary:<q>", or a failure when params.primary_down.
// course.secondary_provider: waits config.latency_seconds, returns "secondary:<q>".
// course.answer: {"answer": upstream.primary} — the primary's result, or the
// fallback's standing in for it.
void RegisterCourseHandlers(worker::Worker& worker);

}  // namespace baton::examples
