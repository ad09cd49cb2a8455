// Internal to common/ (include only from common/*.cc).
//
// The rules on retry policies, timeouts and circuit breakers (their values;
// how tasks name each other as fallbacks is in flow_spec_graph.h), plus the
// vocabulary both readers share for them: keys, enum names, and how a
// duration read from a file is rounded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "common/spec/internal/flow_rules.h"

namespace baton::flow_spec_internal {

// Keys of a flow's `defaults`, a retry policy, its `backoff`, and a circuit
// breaker, in the file form and in the canonical JSON form.
inline constexpr absl::string_view kFileDefaultsKeys[] = {"retry", "timeout", "heartbeat_timeout",
                                                          "schedule_to_start_timeout"};
inline constexpr absl::string_view kJsonDefaultsKeys[] = {
    "retry", "timeout_ms", "heartbeat_timeout_ms", "schedule_to_start_timeout_ms"};
inline constexpr absl::string_view kFileRetryKeys[] = {
    "retries", "max_attempts",         "delay",         "delays", "backoff",
    "jitter",  "non_retryable_errors", "retry_timeouts"};
inline constexpr absl::string_view kFileBackoffKeys[] = {"initial", "factor", "max"};
inline constexpr absl::string_view kJsonRetryKeys[] = {
    "max_attempts",         "delay_kind",    "delay_ms",     "delays_ms",
    "initial_ms",           "factor",        "max_delay_ms", "jitter",
    "non_retryable_errors", "retry_timeouts"};
inline constexpr absl::string_view kFileBreakerKeys[] = {"key", "failure_threshold", "window",
                                                         "cooldown", "when_open"};
inline constexpr absl::string_view kJsonBreakerKeys[] = {"key", "failure_threshold", "window_ms",
                                                         "cooldown_ms", "when_open"};

// What a duration in a flow file may look like, for messages.
inline constexpr absl::string_view kDurationExample =
    "e.g. 2s, 500ms, 1m30s or a number of seconds";

// Integer fields read beyond this magnitude are refused by the readers before
// any rule sees them (every documented bound lies far inside).
inline constexpr int64_t kMaxReadInteger = 1000000000;

// The durations a field allows: `min` to `max`, and 0 if `zero_means_none`.
struct DurationRange {
  absl::Duration min;
  absl::Duration max;
  bool zero_means_none = false;
};

// "<what> <d> is negative / too short / too long; expected <min> to <max>",
// or not a whole number of milliseconds; nullopt when `d` is in `range`.
std::optional<Issue> DurationIssue(std::string path, absl::string_view what, absl::Duration d,
                                   const DurationRange& range);

// "<what> <value> is out of range; expected <min> to <max>" outside min..max.
std::optional<Issue> IntIssue(std::string path, absl::string_view what, int value, int min,
                              int max);

// "<text> is out of range; expected an integer of at most 9 digits".
Issue IntegerOutOfRangeIssue(std::string path, absl::string_view text);

// `duration` rounded to the nearest millisecond (halves away from zero).
absl::Duration RoundToMilliseconds(absl::Duration duration);

// "fixed", "list", "exponential"; "fallback", "wait".
absl::string_view DelayKindName(RetryPolicy::DelayKind kind);
std::optional<RetryPolicy::DelayKind> DelayKindFromName(absl::string_view name);
absl::string_view WhenOpenName(CircuitBreakerSpec::WhenOpen when_open);
std::optional<CircuitBreakerSpec::WhenOpen> WhenOpenFromName(absl::string_view name);

// The path of a field spelled `file_key` in a file and `json_key` in the
// canonical JSON: FieldPath(kCanonical, "tasks[0]", "timeout", "timeout_ms").
std::string FieldPath(Form form, absl::string_view parent, absl::string_view file_key,
                      absl::string_view json_key);

// A retry policy at `path` ("tasks[0].retry", "defaults.retry", or "" alone):
// every bound in RetryPolicy's comments.
std::optional<Issue> RetryIssue(const RetryPolicy& policy, const std::string& path, Form form);

// A circuit breaker's own values (key, threshold, window, cooldown).
std::optional<Issue> BreakerIssue(const CircuitBreakerSpec& breaker, const std::string& path,
                                  Form form);

// A task's retry, timeouts and breaker, and its breaker's when_open: fallback
// needing a `fallback`. `path` is "tasks[i]".
std::optional<Issue> TaskResilienceIssue(const TaskSpec& task, const std::string& path, Form form);

// The flow's `timeout` and `defaults`.
std::optional<Issue> FlowResilienceIssue(const FlowSpec& spec, Form form);

}  // namespace baton::flow_spec_internal
