// Handlers every baton-worker has: "exec", "sleep", "noop".
#pragma once

#include <map>
#include <string>

#include "worker/task_context.h"

namespace baton::worker {

// "noop": returns its input's params unchanged as {"ok": true}.
absl::StatusOr<nlohmann::json> NoopHandler(TaskContext& ctx, const nlohmann::json& input);

// "sleep": config {"seconds": number (0..86400)}; returns {"slept_seconds": s}.
// Returns CANCELLED early if the attempt is cancelled.
absl::StatusOr<nlohmann::json> SleepHandler(TaskContext& ctx, const nlohmann::json& input);

// "exec": config {"command": "prog", "args": ["..."], "env": {"K": "V"},
// "working_dir": "/path", "kill_grace_seconds": 5}. Runs the command in its own
// process group with the task input as JSON on stdin. Exit 0: the last
// non-empty line of stdout is the result if it parses as JSON, else the result
// is {"stdout": "<last line>"}. Non-zero exit or death by signal: an error
// carrying the exit code and the tail of stderr. Cancellation kills the
// process group (SIGTERM, then SIGKILL after the grace).
absl::StatusOr<nlohmann::json> ExecHandler(TaskContext& ctx, const nlohmann::json& input);

// name -> handler for the three above.
std::map<std::string, Handler> BuiltinHandlers();

}  // namespace baton::worker
