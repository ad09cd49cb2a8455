#include "common/spec/internal/resilience_rules.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::flow_spec_internal {
namespace {

constexpr int kMaxAttempts = 100;
constexpr size_t kMaxListedDelays = 100;
constexpr size_t kMaxNonRetryableErrors = 50;
constexpr double kMaxBackoffFactor = 10;
constexpr int kMaxFailureThreshold = 1000;

constexpr DurationRange kTimeoutRange{absl::Milliseconds(1), kMaxTimeout, true};
constexpr DurationRange kHeartbeatRange{kMinHeartbeatTimeout, kMaxTimeout, true};
constexpr DurationRange kDelayRange{absl::ZeroDuration(), kMaxRetryDelay};
constexpr DurationRange kBackoffRange{absl::Milliseconds(1), kMaxRetryDelay};
constexpr DurationRange kBreakerRange{absl::Seconds(1), absl::Hours(24)};

std::string RangeText(const DurationRange& range) {
  std::string span =
      absl::StrCat(absl::FormatDuration(range.min), " to ", absl::FormatDuration(range.max));
  return range.zero_means_none ? absl::StrCat("0 (none) or ", span) : span;
}

// Written so that NaN is out of range too.
std::optional<Issue> NumberIssue(std::string path, absl::string_view what, double value, double min,
                                 double max) {
  if (value >= min && value <= max) return std::nullopt;
  return Issue{std::move(path), absl::StrCat(what, " ", value, " is out of range"),
               absl::StrCat(min, " to ", max)};
}

// A file may say `retries` instead; the message reads right for both.
std::optional<Issue> AttemptsIssue(int max_attempts, std::string path) {
  if (max_attempts >= 1 && max_attempts <= kMaxAttempts) return std::nullopt;
  return Issue{std::move(path),
               absl::StrFormat("max_attempts %d (retries %d) is out of range", max_attempts,
                               int64_t{max_attempts} - 1),
               absl::StrFormat("max_attempts 1 to %d, i.e. retries 0 to %d", kMaxAttempts,
                               kMaxAttempts - 1)};
}

std::optional<Issue> DelaysIssue(const RetryPolicy& policy, const std::string& path) {
  if (policy.delay_kind == RetryPolicy::DelayKind::kList && policy.delays.empty()) {
    return Issue{path, "the list of delays is empty",
                 absl::StrCat("1 to ", kMaxListedDelays, " delays")};
  }
  if (auto issue = CountIssue(path, "delays", policy.delays.size(), kMaxListedDelays)) {
    return issue;
  }
  for (size_t k = 0; k < policy.delays.size(); ++k) {
    if (auto issue =
            DurationIssue(IndexPath(path, k), "retry delay", policy.delays[k], kDelayRange)) {
      return issue;
    }
  }
  return std::nullopt;
}

std::optional<Issue> BackoffIssue(const RetryPolicy& policy, const std::string& path, Form form) {
  std::string max_path = FieldPath(form, path, "backoff.max", "max_delay_ms");
  if (auto issue = DurationIssue(FieldPath(form, path, "backoff.initial", "initial_ms"),
                                 "initial backoff delay", policy.initial, kBackoffRange)) {
    return issue;
  }
  if (auto issue = NumberIssue(FieldPath(form, path, "backoff.factor", "factor"), "backoff factor",
                               policy.factor, 1, kMaxBackoffFactor)) {
    return issue;
  }
  if (auto issue =
          DurationIssue(max_path, "maximum backoff delay", policy.max_delay, kBackoffRange)) {
    return issue;
  }
  if (policy.max_delay >= policy.initial) return std::nullopt;
  return Issue{
      max_path,
      absl::StrCat("maximum backoff delay ", absl::FormatDuration(policy.max_delay),
                   " is less than the initial delay ", absl::FormatDuration(policy.initial)),
      absl::StrCat(absl::FormatDuration(policy.initial), " to ",
                   absl::FormatDuration(kMaxRetryDelay))};
}

std::optional<Issue> ErrorTypesIssue(const RetryPolicy& policy, const std::string& path) {
  if (auto issue = CountIssue(path, "non-retryable error types", policy.non_retryable_errors.size(),
                              kMaxNonRetryableErrors)) {
    return issue;
  }
  for (size_t k = 0; k < policy.non_retryable_errors.size(); ++k) {
    if (auto issue = NameIssue(IndexPath(path, k), "error type", policy.non_retryable_errors[k])) {
      return issue;
    }
  }
  return std::nullopt;
}

std::optional<Issue> TimeoutsIssue(const TaskTimeouts& timeouts, const std::string& parent,
                                   Form form) {
  if (auto issue = DurationIssue(FieldPath(form, parent, "timeout", "timeout_ms"), "timeout",
                                 timeouts.execution, kTimeoutRange)) {
    return issue;
  }
  if (auto issue =
          DurationIssue(FieldPath(form, parent, "heartbeat_timeout", "heartbeat_timeout_ms"),
                        "heartbeat timeout", timeouts.heartbeat, kHeartbeatRange)) {
    return issue;
  }
  return DurationIssue(
      FieldPath(form, parent, "schedule_to_start_timeout", "schedule_to_start_timeout_ms"),
      "schedule-to-start timeout", timeouts.schedule_to_start, kTimeoutRange);
}

std::optional<Issue> TaskBreakerIssue(const TaskSpec& task, const std::string& path, Form form) {
  const CircuitBreakerSpec& breaker = *task.circuit_breaker;
  if (auto issue = BreakerIssue(breaker, path, form)) return issue;
  if (breaker.when_open != CircuitBreakerSpec::WhenOpen::kFallback || !task.fallback.empty()) {
    return std::nullopt;
  }
  return Issue{JoinPath(path, "when_open"),
               absl::StrCat("task ", Quote(task.name),
                            " falls back while its circuit breaker is open "
                            "(when_open: fallback, the default) but has no "
                            "fallback"),
               "a fallback naming another task, or when_open: wait"};
}

}  // namespace

std::optional<Issue> DurationIssue(std::string path, absl::string_view what, absl::Duration d,
                                   const DurationRange& range) {
  std::string value = absl::StrCat(what, " ", absl::FormatDuration(d));
  if (d != absl::Trunc(d, absl::Milliseconds(1))) {
    // Only a spec built in code can get here; files and JSON hold whole ms.
    return Issue{std::move(path), absl::StrCat(value, " is not a whole number of milliseconds"),
                 absl::StrCat("whole milliseconds, ", RangeText(range))};
  }
  absl::string_view problem;
  if (d < absl::ZeroDuration()) {
    problem = "is negative";
  } else if (d == absl::ZeroDuration() && range.zero_means_none) {
    return std::nullopt;
  } else if (d < range.min) {
    problem = "is too short";
  } else if (d > range.max) {
    problem = "is too long";
  } else {
    return std::nullopt;
  }
  return Issue{std::move(path), absl::StrCat(value, " ", problem), RangeText(range)};
}

std::optional<Issue> IntIssue(std::string path, absl::string_view what, int value, int min,
                              int max) {
  if (value >= min && value <= max) return std::nullopt;
  return Issue{std::move(path), absl::StrCat(what, " ", value, " is out of range"),
               absl::StrCat(min, " to ", max)};
}

Issue IntegerOutOfRangeIssue(std::string path, absl::string_view text) {
  return Issue{std::move(path), absl::StrCat(text, " is out of range"),
               "an integer of at most 9 digits"};
}

absl::Duration RoundToMilliseconds(absl::Duration duration) {
  const absl::Duration unit = absl::Milliseconds(1);
  const absl::Duration half = absl::Microseconds(500);
  if (duration < absl::ZeroDuration()) {
    return -absl::Floor(-duration + half, unit);
  }
  return absl::Floor(duration + half, unit);
}

absl::string_view DelayKindName(RetryPolicy::DelayKind kind) {
  switch (kind) {
    case RetryPolicy::DelayKind::kFixed:
      return "fixed";
    case RetryPolicy::DelayKind::kList:
      return "list";
    case RetryPolicy::DelayKind::kExponential:
      return "exponential";
  }
  return "fixed";
}

std::optional<RetryPolicy::DelayKind> DelayKindFromName(absl::string_view name) {
  for (auto kind : {RetryPolicy::DelayKind::kFixed, RetryPolicy::DelayKind::kList,
                    RetryPolicy::DelayKind::kExponential}) {
    if (DelayKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

absl::string_view WhenOpenName(CircuitBreakerSpec::WhenOpen when_open) {
  return when_open == CircuitBreakerSpec::WhenOpen::kWait ? "wait" : "fallback";
}

std::optional<CircuitBreakerSpec::WhenOpen> WhenOpenFromName(absl::string_view name) {
  if (name == "fallback") return CircuitBreakerSpec::WhenOpen::kFallback;
  if (name == "wait") return CircuitBreakerSpec::WhenOpen::kWait;
  return std::nullopt;
}

std::string FieldPath(Form form, absl::string_view parent, absl::string_view file_key,
                      absl::string_view json_key) {
  return JoinPath(parent, form == Form::kFile ? file_key : json_key);
}

std::optional<Issue> RetryIssue(const RetryPolicy& policy, const std::string& path, Form form) {
  if (auto issue = AttemptsIssue(policy.max_attempts, JoinPath(path, "max_attempts"))) {
    return issue;
  }
  if (auto issue = DurationIssue(FieldPath(form, path, "delay", "delay_ms"), "retry delay",
                                 policy.delay, kDelayRange)) {
    return issue;
  }
  if (auto issue = DelaysIssue(policy, FieldPath(form, path, "delays", "delays_ms"))) {
    return issue;
  }
  if (auto issue = BackoffIssue(policy, path, form)) return issue;
  if (auto issue = NumberIssue(JoinPath(path, "jitter"), "jitter", policy.jitter, 0, 1)) {
    return issue;
  }
  return ErrorTypesIssue(policy, JoinPath(path, "non_retryable_errors"));
}

std::optional<Issue> BreakerIssue(const CircuitBreakerSpec& breaker, const std::string& path,
                                  Form form) {
  if (auto issue = NameIssue(JoinPath(path, "key"), "circuit breaker key", breaker.key)) {
    return issue;
  }
  if (auto issue = IntIssue(JoinPath(path, "failure_threshold"), "failure threshold",
                            breaker.failure_threshold, 1, kMaxFailureThreshold)) {
    return issue;
  }
  if (auto issue = DurationIssue(FieldPath(form, path, "window", "window_ms"), "breaker window",
                                 breaker.window, kBreakerRange)) {
    return issue;
  }
  return DurationIssue(FieldPath(form, path, "cooldown", "cooldown_ms"), "breaker cooldown",
                       breaker.cooldown, kBreakerRange);
}

std::optional<Issue> TaskResilienceIssue(const TaskSpec& task, const std::string& path, Form form) {
  if (task.retry.has_value()) {
    if (auto issue = RetryIssue(*task.retry, JoinPath(path, "retry"), form)) {
      return issue;
    }
  }
  if (auto issue = TimeoutsIssue(task.timeouts, path, form)) return issue;
  if (!task.circuit_breaker.has_value()) return std::nullopt;
  return TaskBreakerIssue(task, JoinPath(path, "circuit_breaker"), form);
}

std::optional<Issue> FlowResilienceIssue(const FlowSpec& spec, Form form) {
  if (auto issue = DurationIssue(FieldPath(form, "", "timeout", "timeout_ms"), "flow timeout",
                                 spec.timeout, kTimeoutRange)) {
    return issue;
  }
  if (spec.default_retry.has_value()) {
    if (auto issue = RetryIssue(*spec.default_retry, "defaults.retry", form)) {
      return issue;
    }
  }
  return TimeoutsIssue(spec.default_timeouts, "defaults", form);
}

}  // namespace baton::flow_spec_internal
