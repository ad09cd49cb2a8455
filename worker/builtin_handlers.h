// Handlers every baton-worker has: "exec", "sleep", "noop".
#pragma once

#include <map>
#include <string>

#include "worker/task_context.h"

namespace baton::worker {

// Config errors are INVALID_ARGUMENT naming the field, e.g.
// `exec: config.args[1]: expected a string, got 5`; unknown config fields are
// rejected. Handlers are thread-safe: each call uses only its arguments.

// "noop": ignores its input and returns {"ok": true}.
absl::StatusOr<nlohmann::json> NoopHandler(TaskContext& ctx, const nlohmann::json& input);

// "sleep": config {"seconds": number (0..86400, default 1)}; returns
// {"slept_seconds": s}.
// Returns CANCELLED early if the attempt is cancelled.
absl::StatusOr<nlohmann::json> SleepHandler(TaskContext& ctx, const nlohmann::json& input);

// "exec": config {"command": "prog", "args": ["..."], "env": {"K": "V"},
// "working_dir": "/path", "kill_grace_seconds": 5}. Runs the command in its own
// process group with the task input as JSON on stdin (one line). Exit 0: the
// last non-empty line of stdout is the result if it parses as JSON, else the
// result is {"stdout": "<last line>"}; no output gives {"exit_code": 0}.
// Non-zero exit or death by signal: ABORTED carrying the exit code or signal
// and the last 2 KiB of stderr. The run's secret values are masked in the
// output as it is read, before any bound cuts it (log lines, this tail, the
// result). Cancellation kills the process group (SIGTERM, then SIGKILL after
// the grace) and returns CANCELLED with the cancel reason. When the command
// exits, whatever it left in its group is killed; if the worker dies, however
// it dies, the whole group dies with it. A command or working_dir that does
// not exist: NOT_FOUND; one that cannot be used: FAILED_PRECONDITION.
absl::StatusOr<nlohmann::json> ExecHandler(TaskContext& ctx, const nlohmann::json& input);

// name -> handler for the three above.
std::map<std::string, Handler> BuiltinHandlers();

}  // namespace baton::worker
