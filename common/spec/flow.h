// Flow definitions: parsing (YAML or JSON), validation, and the canonical JSON
// form stored by the orchestrator.
//
// A flow file looks like:
//
//   name: basic-etl
//   description: extract -> transform -> load
//   parameters:
//     items: {default: [1, 2, 3, 4, 5], description: "what to extract"}
//     source: {required: true}
//   result: load            # optional; which task's result is the flow result
//   tasks:
//     - name: extract
//       handler: etl.extract
//     - name: transform
//       handler: etl.transform
//       depends_on: [extract]
//       queue: default
//       config: {factor: 2}   # handler-specific options, an object
//
// Every function here is pure (no I/O) and thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/limits.h"
#include "nlohmann/json.hpp"

namespace baton {

// Bounds on what a flow file may contain (kMaxFlowFileBytes, kMaxTasksPerFlow,
// ...) are in common/base/limits.h. Exceeding any is INVALID_ARGUMENT.

struct ParameterSpec {
  std::string name;
  nlohmann::json default_value;  // null when there is no default
  bool required = false;         // true: a run must supply it (no default allowed)
  std::string description;
};

// How failed attempts of a task are retried. Durations are whole milliseconds.
//
//   retry:
//     retries: 3              # or max_attempts: 4 (total attempts); not both
//     delay: 2s               # fixed delay ...
//     delays: [1s, 5s, 30s]   # ... or an explicit list (the last one repeats) ...
//     backoff: {initial: 1s, factor: 2, max: 1m}   # ... or exponential; at most one
//     jitter: 0.2             # each delay spread over delay * (1 +- jitter), capped
//     non_retryable_errors: [BadInput, ValueError]  # error types never retried
//     retry_timeouts: true    # whether timed-out attempts are retried
//
// Durations are strings absl::ParseDuration accepts ("2s", "1m30s", "250ms")
// or plain numbers of seconds.
struct RetryPolicy {
  enum class DelayKind { kFixed, kList, kExponential };
  int max_attempts = 1;  // 1..100; 1 means no retry
  DelayKind delay_kind = DelayKind::kFixed;
  absl::Duration delay = absl::ZeroDuration();    // kFixed, 0..1 day
  std::vector<absl::Duration> delays;             // kList, 1..100 entries, each 0..1 day
  absl::Duration initial = absl::Seconds(1);      // kExponential, 1 ms..1 day
  double factor = 2.0;                            // kExponential, 1..10
  absl::Duration max_delay = absl::Minutes(5);    // kExponential cap, >= initial, <= 1 day
  double jitter = 0.0;                            // 0..1
  std::vector<std::string> non_retryable_errors;  // each a valid name, at most 50
  bool retry_timeouts = true;
};

// A circuit breaker guarding a task, shared (by key) by every task, flow,
// worker and orchestrator replica that names it.
//
//   circuit_breaker: {key: primary-api, failure_threshold: 3, window: 1m,
//                     cooldown: 20s, when_open: fallback}
struct CircuitBreakerSpec {
  enum class WhenOpen { kFallback, kWait };
  std::string key;                              // a valid name
  int failure_threshold = 5;                    // 1..1000 failures within `window` open it
  absl::Duration window = absl::Minutes(1);     // 1 s..1 day
  absl::Duration cooldown = absl::Seconds(30);  // open -> half-open, 1 s..1 day
  WhenOpen when_open = WhenOpen::kFallback;     // kFallback needs the task's `fallback`
};

// Zero means "not set" (inherit the flow default; then none).
struct TaskTimeouts {
  absl::Duration execution = absl::ZeroDuration();          // `timeout`: one attempt's run time
  absl::Duration heartbeat = absl::ZeroDuration();          // `heartbeat_timeout`
  absl::Duration schedule_to_start = absl::ZeroDuration();  // `schedule_to_start_timeout`
};

inline constexpr absl::Duration kMaxTimeout = absl::Hours(24 * 7);
inline constexpr absl::Duration kMaxRetryDelay = absl::Hours(24);
inline constexpr absl::Duration kMinHeartbeatTimeout = absl::Seconds(1);

struct TaskSpec {
  std::string name;
  std::string handler;
  std::vector<std::string> depends_on;  // in file order, no duplicates
  std::string queue = "default";
  nlohmann::json config = nlohmann::json::object();  // always an object
  std::optional<RetryPolicy> retry;                  // unset: the flow's default
  TaskTimeouts timeouts;                             // each 0 or 1 ms..kMaxTimeout
  std::optional<CircuitBreakerSpec> circuit_breaker;
  // The task that stands in for this one when it fails for good (retries
  // spent, non-retryable, timed out) or is short-circuited by its open
  // breaker. A fallback task has no depends_on (it gets this task's input),
  // nothing depends on it, it has no fallback itself, and it serves only one
  // task. It runs only as a fallback.
  std::string fallback;
};

// Flow-level defaults:
//   timeout: 10m                 # the whole run
//   defaults:
//     retry: {...}               # for tasks without their own `retry`
//     timeout: 30s               # and for timeouts a task leaves unset
//     heartbeat_timeout: 20s
//     schedule_to_start_timeout: 5m
struct FlowSpec {
  std::string name;
  std::string description;
  std::vector<ParameterSpec> parameters;  // in file order
  std::vector<TaskSpec> tasks;            // in file order
  std::string result_task;                // empty: see FlowResultTasks()
  std::optional<RetryPolicy> default_retry;
  TaskTimeouts default_timeouts;
  absl::Duration timeout = absl::ZeroDuration();  // the whole run; 0 = none
};

// Parses and validates a flow file. `source_name` (usually the file name) starts
// every error message. Errors are INVALID_ARGUMENT and read like
//   etl.yaml: tasks[2].depends_on[0] (line 14, column 19): task "load" depends on
//   unknown task "transfrom"; expected one of: extract, transform
// i.e. source, field path, position when known, what was wrong, what was expected.
// YAML and JSON are both accepted (JSON is YAML). Unknown keys are errors.
absl::StatusOr<FlowSpec> ParseFlowSpec(absl::string_view text, absl::string_view source_name);

// Checks every rule a parsed spec must satisfy: names well formed and bounded,
// task names unique, every dependency exists and is not the task itself, no
// cycle (the message names it: `a -> b -> c -> a`), result task exists, sizes
// bounded. Errors as for ParseFlowSpec, without line/column.
absl::Status ValidateFlowSpec(const FlowSpec& spec, absl::string_view source_name);

// Canonical JSON form (stable key order) used for storage and digests, and its
// inverse. FlowSpecFromJson validates like ParseFlowSpec.
nlohmann::json FlowSpecToJson(const FlowSpec& spec);
absl::StatusOr<FlowSpec> FlowSpecFromJson(const nlohmann::json& json,
                                          absl::string_view source_name);

// Task names in a dependency-respecting order (each task after all of its
// upstream tasks; ties in file order). Precondition: spec is valid.
std::vector<std::string> TopologicalOrder(const FlowSpec& spec);

// The tasks whose results make up the flow result: {result_task} when set,
// else every task no other task depends on and that is not a fallback task
// (in file order). `result` may not name a fallback task.
std::vector<std::string> FlowResultTasks(const FlowSpec& spec);

// The policy and timeouts in force for `task`: its own, else the flow's
// defaults (retry: a policy of one attempt when neither is set).
RetryPolicy EffectiveRetry(const FlowSpec& spec, const TaskSpec& task);
TaskTimeouts EffectiveTimeouts(const FlowSpec& spec, const TaskSpec& task);

// True when some task names `name` as its fallback.
bool IsFallbackTask(const FlowSpec& spec, absl::string_view name);

// JSON forms used in the canonical flow JSON and stored with each task run
// (durations as integer milliseconds, e.g. {"max_attempts": 4, "delay_ms": 2000, ...}).
nlohmann::json RetryPolicyToJson(const RetryPolicy& policy);
absl::StatusOr<RetryPolicy> RetryPolicyFromJson(const nlohmann::json& json);
nlohmann::json CircuitBreakerToJson(const CircuitBreakerSpec& breaker);
absl::StatusOr<CircuitBreakerSpec> CircuitBreakerFromJson(const nlohmann::json& json);

// Merges run parameters over the spec's defaults. `given` must be a JSON object
// (or null for none). Errors (INVALID_ARGUMENT): unknown parameter (names the
// known ones), missing required parameter, value too large.
absl::StatusOr<nlohmann::json> ResolveParameters(const FlowSpec& spec, const nlohmann::json& given);

// True when `name` is a well formed flow/task/queue/parameter name:
// 1..128 characters of [A-Za-z0-9_.-], starting with a letter or digit.
bool IsValidName(absl::string_view name);

// True when `handler` is a well formed handler name: dot-separated segments,
// each [a-z_][a-z0-9_]*  (e.g. "exec", "etl.extract"), at most 128 characters.
bool IsValidHandlerName(absl::string_view handler);

}  // namespace baton
