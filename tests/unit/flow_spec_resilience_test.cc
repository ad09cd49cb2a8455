// Pure tests of the resilience parts of flow specs: retry policies, timeouts,
// circuit breakers and fallbacks, in files, in the canonical JSON, and as the
// engine reads them (EffectiveRetry, EffectiveTimeouts, FlowResultTasks).
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/flow_spec_test_util.h"

namespace baton {
namespace {

using json = nlohmann::json;
using flow_spec_testing::FromJsonError;
using flow_spec_testing::InvalidMessage;
using flow_spec_testing::ParseError;
using flow_spec_testing::ParseOk;
using flow_spec_testing::ValidateError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using DelayKind = RetryPolicy::DelayKind;
using WhenOpen = CircuitBreakerSpec::WhenOpen;

// Every resilience key, set away from its default.
constexpr char kResilientYaml[] = R"yaml(name: resilient
timeout: 10m
defaults:
  retry: {retries: 2, delay: 500ms}
  timeout: 30s
  heartbeat_timeout: 20s
  schedule_to_start_timeout: 5m
tasks:
  - name: fetch
    handler: api.fetch
    retry:
      max_attempts: 4
      backoff: {initial: 1s, factor: 3, max: 1m}
      jitter: 0.2
      non_retryable_errors: [BadInput, ValueError]
      retry_timeouts: false
    timeout: 1m30s
    heartbeat_timeout: 10
    schedule_to_start_timeout: 2.5
    circuit_breaker:
      {key: primary-api, failure_threshold: 3, window: 1m, cooldown: 20s,
       when_open: fallback}
    fallback: fetch-cached
  - name: fetch-cached
    handler: api.cached
    retry: {retries: 1, delays: [1s, 5s, 30s]}
  - name: store
    handler: db.store
    depends_on: fetch
    circuit_breaker: {key: db, when_open: wait}
)yaml";

// The same flow written as JSON text (a flow file may be JSON).
constexpr char kResilientJsonText[] = R"json({
  "name": "resilient", "timeout": "10m",
  "defaults": {"retry": {"retries": 2, "delay": "500ms"}, "timeout": 30,
               "heartbeat_timeout": "20s", "schedule_to_start_timeout": "5m"},
  "tasks": [
    {"name": "fetch", "handler": "api.fetch",
     "retry": {"max_attempts": 4,
               "backoff": {"initial": "1s", "factor": 3, "max": "1m"},
               "jitter": 0.2, "non_retryable_errors": ["BadInput", "ValueError"],
               "retry_timeouts": false},
     "timeout": 90, "heartbeat_timeout": "10s",
     "schedule_to_start_timeout": "2500ms",
     "circuit_breaker": {"key": "primary-api", "failure_threshold": 3,
                         "window": "1m", "cooldown": "20s",
                         "when_open": "fallback"},
     "fallback": "fetch-cached"},
    {"name": "fetch-cached", "handler": "api.cached",
     "retry": {"retries": 1, "delays": ["1s", 5, "30s"]}},
    {"name": "store", "handler": "db.store", "depends_on": "fetch",
     "circuit_breaker": {"key": "db", "when_open": "wait"}}
  ]
})json";

// A flow named "f" whose tasks list starts on line 3.
std::string Flow(absl::string_view tasks) { return absl::StrCat("name: f\ntasks:\n", tasks); }

// One task "a" with `fields` (YAML flow-map entries) on line 3.
std::string FlowWithTask(absl::string_view fields) {
  return Flow(absl::StrCat("  - {name: a, handler: h, ", fields, "}\n"));
}

// The canonical JSON of a one-task flow with `task_fields` merged into the
// task: how a stored flow with a bad value looks.
json StoredFlowWith(const json& task_fields) {
  json task = {{"name", "a"}, {"handler", "h"}};
  task.update(task_fields);
  return {{"name", "f"}, {"tasks", {task}}};
}

TaskSpec Task(std::string name, std::vector<std::string> depends_on = {}) {
  TaskSpec task;
  task.name = std::move(name);
  task.handler = "h";
  task.depends_on = std::move(depends_on);
  return task;
}

FlowSpec SpecOf(std::vector<TaskSpec> tasks) {
  FlowSpec spec;
  spec.name = "f";
  spec.tasks = std::move(tasks);
  return spec;
}

void ExpectResilientSpec(const FlowSpec& spec) {
  EXPECT_EQ(spec.timeout, absl::Minutes(10));
  ASSERT_TRUE(spec.default_retry.has_value());
  EXPECT_EQ(spec.default_retry->max_attempts, 3);
  EXPECT_EQ(spec.default_retry->delay_kind, DelayKind::kFixed);
  EXPECT_EQ(spec.default_retry->delay, absl::Milliseconds(500));
  EXPECT_EQ(spec.default_timeouts.execution, absl::Seconds(30));
  EXPECT_EQ(spec.default_timeouts.heartbeat, absl::Seconds(20));
  EXPECT_EQ(spec.default_timeouts.schedule_to_start, absl::Minutes(5));
  ASSERT_EQ(spec.tasks.size(), 3u);

  const TaskSpec& fetch = spec.tasks[0];
  ASSERT_TRUE(fetch.retry.has_value());
  EXPECT_EQ(fetch.retry->max_attempts, 4);
  EXPECT_EQ(fetch.retry->delay_kind, DelayKind::kExponential);
  EXPECT_EQ(fetch.retry->initial, absl::Seconds(1));
  EXPECT_EQ(fetch.retry->factor, 3.0);
  EXPECT_EQ(fetch.retry->max_delay, absl::Minutes(1));
  EXPECT_EQ(fetch.retry->jitter, 0.2);
  EXPECT_THAT(fetch.retry->non_retryable_errors, ElementsAre("BadInput", "ValueError"));
  EXPECT_FALSE(fetch.retry->retry_timeouts);
  EXPECT_EQ(fetch.timeouts.execution, absl::Seconds(90));
  EXPECT_EQ(fetch.timeouts.heartbeat, absl::Seconds(10));
  EXPECT_EQ(fetch.timeouts.schedule_to_start, absl::Milliseconds(2500));
  ASSERT_TRUE(fetch.circuit_breaker.has_value());
  EXPECT_EQ(fetch.circuit_breaker->key, "primary-api");
  EXPECT_EQ(fetch.circuit_breaker->failure_threshold, 3);
  EXPECT_EQ(fetch.circuit_breaker->window, absl::Minutes(1));
  EXPECT_EQ(fetch.circuit_breaker->cooldown, absl::Seconds(20));
  EXPECT_EQ(fetch.circuit_breaker->when_open, WhenOpen::kFallback);
  EXPECT_EQ(fetch.fallback, "fetch-cached");

  const TaskSpec& cached = spec.tasks[1];
  ASSERT_TRUE(cached.retry.has_value());
  EXPECT_EQ(cached.retry->max_attempts, 2);
  EXPECT_EQ(cached.retry->delay_kind, DelayKind::kList);
  EXPECT_THAT(cached.retry->delays,
              ElementsAre(absl::Seconds(1), absl::Seconds(5), absl::Seconds(30)));
  EXPECT_TRUE(cached.retry->retry_timeouts);
  EXPECT_EQ(cached.timeouts.execution, absl::ZeroDuration());
  EXPECT_FALSE(cached.circuit_breaker.has_value());

  const TaskSpec& store = spec.tasks[2];
  EXPECT_FALSE(store.retry.has_value());
  ASSERT_TRUE(store.circuit_breaker.has_value());
  EXPECT_EQ(store.circuit_breaker->key, "db");
  EXPECT_EQ(store.circuit_breaker->failure_threshold, 5);
  EXPECT_EQ(store.circuit_breaker->window, absl::Minutes(1));
  EXPECT_EQ(store.circuit_breaker->cooldown, absl::Seconds(30));
  EXPECT_EQ(store.circuit_breaker->when_open, WhenOpen::kWait);
  EXPECT_TRUE(store.fallback.empty());
}

// --- Reading every key
// ---------------------------------------------------------

TEST(ResilienceParseTest, ReadsEveryKeyFromYaml) { ExpectResilientSpec(ParseOk(kResilientYaml)); }

TEST(ResilienceParseTest, ReadsEveryKeyFromJsonText) {
  FlowSpec spec = ParseOk(kResilientJsonText);
  ExpectResilientSpec(spec);
  EXPECT_EQ(FlowSpecToJson(spec), FlowSpecToJson(ParseOk(kResilientYaml)));
}

TEST(ResilienceParseTest, LeavesEverythingUnsetWhenAbsent) {
  FlowSpec spec = ParseOk(FlowWithTask("queue: q"));
  EXPECT_FALSE(spec.default_retry.has_value());
  EXPECT_EQ(spec.timeout, absl::ZeroDuration());
  EXPECT_FALSE(spec.tasks[0].retry.has_value());
  EXPECT_FALSE(spec.tasks[0].circuit_breaker.has_value());
  EXPECT_EQ(spec.tasks[0].timeouts.execution, absl::ZeroDuration());
  EXPECT_TRUE(spec.tasks[0].fallback.empty());
}

TEST(ResilienceParseTest, AnEmptyRetryMapIsOneAttemptWithDefaults) {
  FlowSpec spec = ParseOk(FlowWithTask("retry: {}"));
  ASSERT_TRUE(spec.tasks[0].retry.has_value());
  EXPECT_EQ(spec.tasks[0].retry->max_attempts, 1);
  EXPECT_EQ(spec.tasks[0].retry->delay_kind, DelayKind::kFixed);
  EXPECT_EQ(spec.tasks[0].retry->delay, absl::ZeroDuration());
  EXPECT_TRUE(spec.tasks[0].retry->retry_timeouts);
  // An empty backoff map is exponential with the documented defaults.
  spec = ParseOk(FlowWithTask("retry: {backoff: {}}"));
  EXPECT_EQ(spec.tasks[0].retry->delay_kind, DelayKind::kExponential);
  EXPECT_EQ(spec.tasks[0].retry->initial, absl::Seconds(1));
  EXPECT_EQ(spec.tasks[0].retry->factor, 2.0);
  EXPECT_EQ(spec.tasks[0].retry->max_delay, absl::Minutes(5));
}

// --- Durations ---------------------------------------------------------------

absl::Duration ParsedDelay(absl::string_view text) {
  FlowSpec spec = ParseOk(FlowWithTask(absl::StrCat("retry: {delay: ", text, "}")));
  return spec.tasks.empty() ? absl::InfiniteDuration() : spec.tasks[0].retry->delay;
}

TEST(ResilienceDurationTest, AcceptsDurationStringsAndSeconds) {
  EXPECT_EQ(ParsedDelay("2s"), absl::Seconds(2));
  EXPECT_EQ(ParsedDelay("\"2s\""), absl::Seconds(2));
  EXPECT_EQ(ParsedDelay("1m30s"), absl::Seconds(90));
  EXPECT_EQ(ParsedDelay("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(ParsedDelay("1h"), absl::Hours(1));
  EXPECT_EQ(ParsedDelay("0"), absl::ZeroDuration());
  EXPECT_EQ(ParsedDelay("2"), absl::Seconds(2));
  EXPECT_EQ(ParsedDelay("1.5"), absl::Milliseconds(1500));
  EXPECT_EQ(ParsedDelay("0.25"), absl::Milliseconds(250));
  EXPECT_EQ(ParsedDelay("1e1"), absl::Seconds(10));
}

TEST(ResilienceDurationTest, RoundsToWholeMilliseconds) {
  EXPECT_EQ(ParsedDelay("1.0004s"), absl::Milliseconds(1000));
  EXPECT_EQ(ParsedDelay("1.0005s"), absl::Milliseconds(1001));
  EXPECT_EQ(ParsedDelay("0.0015"), absl::Milliseconds(2));
  EXPECT_EQ(ParsedDelay("1500us"), absl::Milliseconds(2));
  EXPECT_EQ(ParsedDelay("400us"), absl::ZeroDuration());
}

TEST(ResilienceDurationTest, RefusesWhatIsNotADuration) {
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n    retry:\n"
                            "      retries: 2\n      delay: 2 seconds\n")),
            "flow.yaml: tasks[0].retry.delay (line 7, column 14): \"2 "
            "seconds\" is not a duration; expected e.g. 2s, 500ms, 1m30s or "
            "a number of seconds");
  // A quoted number is text, and text needs a unit.
  EXPECT_THAT(ParseError(FlowWithTask("timeout: \"30\"")),
              HasSubstr("tasks[0].timeout (line 3, column 36): \"30\" is not "
                        "a duration"));
  EXPECT_THAT(ParseError(FlowWithTask("timeout: true")), HasSubstr("\"true\" is not a duration"));
  EXPECT_EQ(ParseError(FlowWithTask("timeout: [1s]")),
            "flow.yaml: tasks[0].timeout (line 3, column 36): found a list; "
            "expected a duration, e.g. 2s, 500ms, 1m30s or a number of "
            "seconds");
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n    timeout:\n")),
            "flow.yaml: tasks[0].timeout (line 5, column 5): found null; "
            "expected a duration, e.g. 2s, 500ms, 1m30s or a number of "
            "seconds");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {delays: 1s}")),
              HasSubstr("tasks[0].retry.delays (line 3, column 43): found a "
                        "scalar; expected a list of durations"));
}

TEST(ResilienceDurationTest, RefusesNegativeDurations) {
  EXPECT_EQ(ParseError(FlowWithTask("retry: {delay: -1}")),
            "flow.yaml: tasks[0].retry.delay (line 3, column 42): retry delay "
            "-1s is negative; expected 0 to 24h");
  EXPECT_EQ(ParseError(FlowWithTask("timeout: -2s")),
            "flow.yaml: tasks[0].timeout (line 3, column 36): timeout -2s is "
            "negative; expected 0 (none) or 1ms to 168h");
}

// --- Retry rules
// ---------------------------------------------------------------

TEST(RetryRulesTest, RetriesAndMaxAttemptsAreExclusive) {
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n    retry:\n"
                            "      retries: 2\n      max_attempts: 3\n")),
            "flow.yaml: tasks[0].retry.max_attempts (line 7, column 7): both "
            "retries and max_attempts are given; expected either retries or "
            "max_attempts (max_attempts = retries + 1)");
}

TEST(RetryRulesTest, AtMostOneDelayForm) {
  EXPECT_EQ(ParseError(FlowWithTask("retry: {delay: 1s, delays: [1s]}")),
            "flow.yaml: tasks[0].retry.delays (line 3, column 46): both delay "
            "and delays are given; expected at most one of delay, delays, "
            "backoff");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {backoff: {}, delay: 1s}")),
              HasSubstr("tasks[0].retry.delay (line 3, column 48): both "
                        "backoff and delay are given"));
  EXPECT_THAT(ParseError(FlowWithTask("retry: {delays: [], backoff: {}}")),
              HasSubstr("both delays and backoff are given"));
}

TEST(RetryRulesTest, AttemptBounds) {
  ParseOk(FlowWithTask("retry: {max_attempts: 100}"));
  ParseOk(FlowWithTask("retry: {retries: 99}"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {max_attempts: 0}")),
            "flow.yaml: tasks[0].retry.max_attempts (line 3, column 49): "
            "max_attempts 0 (retries -1) is out of range; expected "
            "max_attempts 1 to 100, i.e. retries 0 to 99");
  // Written as retries, the error names retries and points at it.
  EXPECT_EQ(ParseError(FlowWithTask("retry: {retries: 100}")),
            "flow.yaml: tasks[0].retry.retries (line 3, column 44): "
            "max_attempts 101 (retries 100) is out of range; expected "
            "max_attempts 1 to 100, i.e. retries 0 to 99");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {retries: -1}")),
              HasSubstr("tasks[0].retry.retries (line 3, column 44): "
                        "max_attempts 0 (retries -1) is out of range"));
}

TEST(RetryRulesTest, IntegersMustBeIntegers) {
  EXPECT_EQ(ParseError(FlowWithTask("retry: {retries: three}")),
            "flow.yaml: tasks[0].retry.retries (line 3, column 44): found "
            "\"three\"; expected an integer");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {retries: 2.5}")),
              HasSubstr("found \"2.5\"; expected an integer"));
  EXPECT_THAT(ParseError(FlowWithTask("retry: {retries: \"2\"}")),
              HasSubstr("found \"2\"; expected an integer"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {max_attempts: 99999999999}")),
            "flow.yaml: tasks[0].retry.max_attempts (line 3, column 49): "
            "99999999999 is out of range; expected an integer of at most 9 "
            "digits");
}

TEST(RetryRulesTest, DelayBounds) {
  ParseOk(FlowWithTask("retry: {delay: 24h}"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {delay: 25h}")),
            "flow.yaml: tasks[0].retry.delay (line 3, column 42): retry delay "
            "25h is too long; expected 0 to 24h");
  EXPECT_EQ(ParseError(FlowWithTask("retry: {delays: [1s, 48h]}")),
            "flow.yaml: tasks[0].retry.delays[1] (line 3, column 48): retry "
            "delay 48h is too long; expected 0 to 24h");
  EXPECT_EQ(ParseError(FlowWithTask("retry: {delays: []}")),
            "flow.yaml: tasks[0].retry.delays (line 3, column 43): the list "
            "of delays is empty; expected 1 to 100 delays");
  std::string many = "0";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&many, ", 1");
  EXPECT_THAT(ParseError(FlowWithTask(absl::StrCat("retry: {delays: [", many, "]}"))),
              HasSubstr("tasks[0].retry.delays (line 3, column 43): 101 delays; "
                        "expected at most 100"));
}

TEST(RetryRulesTest, BackoffBounds) {
  ParseOk(
      FlowWithTask("retry: {backoff: {initial: 1ms, factor: 10, max: "
                   "24h}}"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {backoff: {initial: 0}}")),
            "flow.yaml: tasks[0].retry.backoff.initial (line 3, column 54): "
            "initial backoff delay 0 is too short; expected 1ms to 24h");
  EXPECT_EQ(ParseError(FlowWithTask("retry: {backoff: {factor: 0.5}}")),
            "flow.yaml: tasks[0].retry.backoff.factor (line 3, column 53): "
            "backoff factor 0.5 is out of range; expected 1 to 10");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {backoff: {factor: 11}}")),
              HasSubstr("backoff factor 11 is out of range"));
  EXPECT_THAT(ParseError(FlowWithTask("retry: {backoff: {factor: x}}")),
              HasSubstr("backoff.factor (line 3, column 53): found \"x\"; "
                        "expected a number"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {backoff: {initial: 10s, max: "
                                    "5s}}")),
            "flow.yaml: tasks[0].retry.backoff.max (line 3, column 64): "
            "maximum backoff delay 5s is less than the initial delay 10s; "
            "expected 10s to 24h");
  // The default max (5m) is below this initial delay: blamed on backoff.
  EXPECT_THAT(ParseError(FlowWithTask("retry: {backoff: {initial: 10m}}")),
              HasSubstr("tasks[0].retry.backoff.max (line 3, column 44): "
                        "maximum backoff delay 5m is less than the initial "
                        "delay 10m"));
  EXPECT_THAT(ParseError(FlowWithTask("retry: {backoff: {max: 48h}}")),
              HasSubstr("maximum backoff delay 48h is too long"));
}

TEST(RetryRulesTest, JitterErrorTypesAndFlags) {
  ParseOk(FlowWithTask("retry: {jitter: 1}"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {jitter: 1.5}")),
            "flow.yaml: tasks[0].retry.jitter (line 3, column 43): jitter 1.5 "
            "is out of range; expected 0 to 1");
  EXPECT_THAT(ParseError(FlowWithTask("retry: {jitter: -0.1}")),
              HasSubstr("jitter -0.1 is out of range"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {non_retryable_errors: [ok, \"bad name\"]}")),
            "flow.yaml: tasks[0].retry.non_retryable_errors[1] (line 3, "
            "column 62): error type \"bad name\" is not a valid name; expected "
            "1 to 128 characters of [A-Za-z0-9_.-], starting with a letter "
            "or digit");
  std::string many = "E0";
  for (int i = 1; i <= 50; ++i) absl::StrAppend(&many, ", E", i);
  EXPECT_THAT(ParseError(FlowWithTask(absl::StrCat("retry: {non_retryable_errors: [", many, "]}"))),
              HasSubstr("tasks[0].retry.non_retryable_errors (line 3, column "
                        "57): 51 non-retryable error types; expected at most "
                        "50"));
  EXPECT_THAT(ParseError(FlowWithTask("retry: {non_retryable_errors: X}")),
              HasSubstr("found a scalar; expected a list of strings"));
  EXPECT_EQ(ParseError(FlowWithTask("retry: {retry_timeouts: yes}")),
            "flow.yaml: tasks[0].retry.retry_timeouts (line 3, column 51): "
            "found \"yes\"; expected true or false (unquoted)");
}

TEST(RetryRulesTest, UnknownKeysListTheAllowedOnes) {
  EXPECT_EQ(ParseError(FlowWithTask("retry: {retires: 3}")),
            "flow.yaml: tasks[0].retry.retires (line 3, column 35): unknown "
            "key \"retires\"; expected one of: retries, max_attempts, delay, "
            "delays, backoff, jitter, non_retryable_errors, retry_timeouts");
  EXPECT_EQ(ParseError(FlowWithTask("retry: {backoff: {maximum: 1m}}")),
            "flow.yaml: tasks[0].retry.backoff.maximum (line 3, column 45): "
            "unknown key \"maximum\"; expected one of: initial, factor, max");
  EXPECT_EQ(ParseError(FlowWithTask("retry: 3")),
            "flow.yaml: tasks[0].retry (line 3, column 34): found a scalar; "
            "expected a retry policy: a map with optional keys retries or "
            "max_attempts, delay or delays or backoff, jitter, "
            "non_retryable_errors, retry_timeouts");
}

// --- Timeouts
// ------------------------------------------------------------------

TEST(TimeoutRulesTest, TaskTimeoutBounds) {
  ParseOk(
      FlowWithTask("timeout: 168h, heartbeat_timeout: 1s, "
                   "schedule_to_start_timeout: 1ms"));
  EXPECT_EQ(ParseError(FlowWithTask("timeout: 192h")),
            "flow.yaml: tasks[0].timeout (line 3, column 36): timeout 192h is "
            "too long; expected 0 (none) or 1ms to 168h");
  EXPECT_EQ(ParseError(FlowWithTask("heartbeat_timeout: 500ms")),
            "flow.yaml: tasks[0].heartbeat_timeout (line 3, column 46): "
            "heartbeat timeout 500ms is too short; expected 0 (none) or 1s to "
            "168h");
  EXPECT_EQ(ParseError(FlowWithTask("schedule_to_start_timeout: inf")),
            "flow.yaml: tasks[0].schedule_to_start_timeout (line 3, column "
            "54): schedule-to-start timeout inf is too long; expected 0 "
            "(none) or 1ms to 168h");
  // 0 means "not set", and a sub-millisecond value rounds to it.
  ParseOk(FlowWithTask("heartbeat_timeout: 0"));
}

TEST(TimeoutRulesTest, FlowTimeoutAndDefaults) {
  const std::string tasks = "tasks: [{name: a, handler: h}]\n";
  EXPECT_EQ(ParseError("name: f\ntimeout: 169h\n" + tasks),
            "flow.yaml: timeout (line 2, column 10): flow timeout 169h is too "
            "long; expected 0 (none) or 1ms to 168h");
  EXPECT_EQ(ParseError("name: f\ndefaults:\n  heartbeat_timeout: 0.5\n" + tasks),
            "flow.yaml: defaults.heartbeat_timeout (line 3, column 22): "
            "heartbeat timeout 500ms is too short; expected 0 (none) or 1s to "
            "168h");
  EXPECT_EQ(ParseError("name: f\ndefaults:\n  retry: {delay: 48h}\n" + tasks),
            "flow.yaml: defaults.retry.delay (line 3, column 18): retry delay "
            "48h is too long; expected 0 to 24h");
  EXPECT_EQ(ParseError("name: f\ndefaults:\n  timeot: 1s\n" + tasks),
            "flow.yaml: defaults.timeot (line 3, column 3): unknown key "
            "\"timeot\"; expected one of: retry, timeout, heartbeat_timeout, "
            "schedule_to_start_timeout");
  EXPECT_EQ(ParseError("name: f\ndefaults: [retry]\n" + tasks),
            "flow.yaml: defaults (line 2, column 11): found a list; expected "
            "a map with optional keys retry, timeout, heartbeat_timeout, "
            "schedule_to_start_timeout");
}

// --- Circuit breakers
// ----------------------------------------------------------

TEST(BreakerRulesTest, NeedsAWellFormedKey) {
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {window: 1m}")),
            "flow.yaml: tasks[0].circuit_breaker.key (line 3, column 44): "
            "missing required key \"key\"; expected a \"key\" key in "
            "tasks[0].circuit_breaker");
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {key: \"a b\", when_open: "
                                    "wait}")),
            "flow.yaml: tasks[0].circuit_breaker.key (line 3, column 50): circuit "
            "breaker key \"a b\" is not a valid name; expected 1 to 128 characters "
            "of [A-Za-z0-9_.-], starting with a letter or digit");
}

TEST(BreakerRulesTest, Bounds) {
  const std::string wait = ", when_open: wait}";
  ParseOk(
      FlowWithTask("circuit_breaker: {key: k, failure_threshold: 1000, "
                   "window: 24h, cooldown: 1s" +
                   wait));
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {key: k, failure_threshold: 0" + wait)),
            "flow.yaml: tasks[0].circuit_breaker.failure_threshold (line 3, "
            "column 72): failure threshold 0 is out of range; expected 1 to "
            "1000");
  EXPECT_THAT(ParseError(FlowWithTask("circuit_breaker: {key: k, failure_threshold: 1001" + wait)),
              HasSubstr("failure threshold 1001 is out of range"));
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {key: k, window: 500ms" + wait)),
            "flow.yaml: tasks[0].circuit_breaker.window (line 3, column 61): "
            "breaker window 500ms is too short; expected 1s to 24h");
  EXPECT_THAT(ParseError(FlowWithTask("circuit_breaker: {key: k, cooldown: 48h" + wait)),
              HasSubstr("tasks[0].circuit_breaker.cooldown (line 3, column "
                        "63): breaker cooldown 48h is too long; expected 1s "
                        "to 24h"));
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {key: k, when_open: "
                                    "never}")),
            "flow.yaml: tasks[0].circuit_breaker.when_open (line 3, column "
            "64): found \"never\"; expected fallback or wait");
  EXPECT_THAT(ParseError(FlowWithTask("circuit_breaker: {key: k, windows: 1m}")),
              HasSubstr("unknown key \"windows\"; expected one of: key, "
                        "failure_threshold, window, cooldown, when_open"));
}

TEST(BreakerRulesTest, FallingBackNeedsAFallback) {
  EXPECT_EQ(ParseError(FlowWithTask("circuit_breaker: {key: k, when_open: "
                                    "fallback}")),
            "flow.yaml: tasks[0].circuit_breaker.when_open (line 3, column "
            "64): task \"a\" falls back while its circuit breaker is open "
            "(when_open: fallback, the default) but has no fallback; expected "
            "a fallback naming another task, or when_open: wait");
  // when_open left at its default: the breaker itself is pointed at.
  EXPECT_THAT(ParseError(FlowWithTask("circuit_breaker: {key: k}")),
              HasSubstr("tasks[0].circuit_breaker.when_open (line 3, column "
                        "44): task \"a\" falls back"));
  ParseOk(FlowWithTask("circuit_breaker: {key: k, when_open: wait}"));
}

TEST(BreakerRulesTest, OneKeyMeansOneSetOfSettings) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, circuit_breaker: {key: api, "
                            "when_open: wait}}\n"
                            "  - {name: b, handler: h, circuit_breaker: {key: api, "
                            "failure_threshold: 3, when_open: wait}}\n")),
            "flow.yaml: tasks[1].circuit_breaker.failure_threshold (line 4, column "
            "74): tasks \"a\" and \"b\" both use circuit breaker \"api\" but with "
            "failure_threshold 5 and 3; expected the same failure_threshold, window "
            "and cooldown wherever a breaker key is used");
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: h, circuit_breaker: {key: api, "
                              "cooldown: 10s, when_open: wait}}\n"
                              "  - {name: b, handler: h, circuit_breaker: {key: api, "
                              "when_open: wait}}\n")),
              HasSubstr("tasks[1].circuit_breaker.cooldown (line 4, column 44): tasks "
                        "\"a\" and \"b\" both use circuit breaker \"api\" but with "
                        "cooldown 10s and 30s"));
  // How each task reacts to the open breaker is its own business.
  ParseOk(
      Flow("  - {name: a, handler: h, circuit_breaker: {key: api, "
           "when_open: wait}}\n"
           "  - {name: b, handler: h, fallback: c,\n"
           "     circuit_breaker: {key: api, window: 60s}}\n"
           "  - {name: c, handler: h}\n"));
}

// --- Fallbacks
// -----------------------------------------------------------------

TEST(FallbackRulesTest, NamesAnotherExistingTask) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, fallback: zz}\n"
                            "  - {name: b, handler: h}\n")),
            "flow.yaml: tasks[0].fallback (line 3, column 37): task \"a\" "
            "names unknown task \"zz\" as its fallback; expected one of: b");
  EXPECT_EQ(ParseError(FlowWithTask("fallback: a")),
            "flow.yaml: tasks[0].fallback (line 3, column 37): task \"a\" "
            "names itself as its fallback; expected another task");
}

TEST(FallbackRulesTest, AFallbackTaskStandsAlone) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, fallback: b}\n"
                            "  - {name: b, handler: h, depends_on: c}\n"
                            "  - {name: c, handler: h}\n")),
            "flow.yaml: tasks[1].depends_on (line 4, column 39): task \"b\" is "
            "the fallback of task \"a\" but has depends_on; expected no "
            "depends_on on a fallback task (it gets the input of \"a\")");
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, fallback: b}\n"
                            "  - {name: b, handler: h, fallback: c}\n"
                            "  - {name: c, handler: h}\n")),
            "flow.yaml: tasks[1].fallback (line 4, column 37): task \"b\" is "
            "the fallback of task \"a\" but has a fallback of its own (\"c\"); "
            "expected no fallback on a fallback task");
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, fallback: b}\n"
                            "  - {name: b, handler: h}\n"
                            "  - {name: c, handler: h, depends_on: [a, b]}\n")),
            "flow.yaml: tasks[2].depends_on[1] (line 5, column 43): task \"c\" "
            "depends on \"b\", the fallback of task \"a\"; expected no "
            "dependencies on a fallback task (it runs only in place of "
            "\"a\")");
}

TEST(FallbackRulesTest, ServesOnlyOneTask) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, fallback: c}\n"
                            "  - {name: b, handler: h, fallback: c}\n"
                            "  - {name: c, handler: h}\n")),
            "flow.yaml: tasks[1].fallback (line 4, column 37): tasks \"a\" and "
            "\"b\" both name \"c\" as their fallback; expected a fallback task "
            "that serves only one task");
}

TEST(FallbackRulesTest, IsNotTheResult) {
  EXPECT_EQ(ParseError("name: f\nresult: b\ntasks:\n"
                       "  - {name: a, handler: h, fallback: b}\n"
                       "  - {name: b, handler: h}\n"),
            "flow.yaml: result (line 2, column 9): result names \"b\", the "
            "fallback of task \"a\"; expected a task that is not a fallback");
}

// --- ValidateFlowSpec and the canonical JSON share the rules
// -------------------

TEST(ResilienceValidateTest, SameRulesWithoutPositions) {
  FlowSpec spec = SpecOf({Task("a"), Task("b")});
  spec.tasks[0].retry.emplace().delay_kind = DelayKind::kList;
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks[0].retry.delays: the list of delays is empty; "
            "expected 1 to 100 delays");

  spec = SpecOf({Task("a"), Task("b")});
  spec.tasks[0].circuit_breaker.emplace().key = "k";
  EXPECT_THAT(ValidateError(spec), HasSubstr("spec: tasks[0].circuit_breaker.when_open: task \"a\" "
                                             "falls back"));
  spec.tasks[0].fallback = "b";
  EXPECT_TRUE(ValidateFlowSpec(spec, "spec").ok());
  spec.result_task = "b";
  EXPECT_EQ(ValidateError(spec),
            "spec: result: result names \"b\", the fallback of task \"a\"; "
            "expected a task that is not a fallback");

  spec = SpecOf({Task("a")});
  spec.default_retry.emplace().factor = std::nan("");
  EXPECT_THAT(ValidateError(spec), HasSubstr("spec: defaults.retry.backoff.factor: backoff factor "
                                             "nan is out of range"));
}

TEST(ResilienceValidateTest, DurationsMustBeWholeMilliseconds) {
  FlowSpec spec = SpecOf({Task("a")});
  spec.tasks[0].timeouts.execution = absl::Microseconds(1500);
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks[0].timeout: timeout 1.5ms is not a whole number of "
            "milliseconds; expected whole milliseconds, 0 (none) or 1ms to "
            "168h");
}

TEST(ResilienceJsonTest, FromJsonReportsCanonicalPaths) {
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"timeout_ms", -5}})),
            "stored: tasks[0].timeout_ms: timeout -5ms is negative; expected "
            "0 (none) or 1ms to 168h");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"timeout_ms", "1s"}})),
            "stored: tasks[0].timeout_ms: found a JSON string; expected an "
            "integer number of milliseconds");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"heartbeat_timeout_ms", 1.5}})),
            "stored: tasks[0].heartbeat_timeout_ms: found a JSON number; "
            "expected an integer number of milliseconds");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"retry", {{"delays_ms", {1, -1}}}}, {"fallback", "b"}})),
            "stored: tasks[0].retry.delays_ms[1]: retry delay -1ms is "
            "negative; expected 0 to 24h");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"retry", {{"delay", 1}}}})),
            "stored: tasks[0].retry.delay: unknown key \"delay\"; expected one "
            "of: max_attempts, delay_kind, delay_ms, delays_ms, initial_ms, "
            "factor, max_delay_ms, jitter, non_retryable_errors, "
            "retry_timeouts");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"retry", {{"delay_kind", "linear"}}}})),
            "stored: tasks[0].retry.delay_kind: found \"linear\"; expected "
            "one of: fixed, list, exponential");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"retry", {{"max_delay_ms", 10}, {"initial_ms", 20}}}})),
            "stored: tasks[0].retry.max_delay_ms: maximum backoff delay 10ms "
            "is less than the initial delay 20ms; expected 20ms to 24h");
  EXPECT_EQ(FromJsonError(StoredFlowWith(
                {{"circuit_breaker", {{"key", "k"}, {"window_ms", 10}}}, {"fallback", "a"}})),
            "stored: tasks[0].circuit_breaker.window_ms: breaker window 10ms "
            "is too short; expected 1s to 24h");
  EXPECT_EQ(
      FromJsonError(StoredFlowWith({{"circuit_breaker", {{"key", "k"}, {"when_open", true}}}})),
      "stored: tasks[0].circuit_breaker.when_open: found a JSON boolean; "
      "expected fallback or wait");
  EXPECT_EQ(FromJsonError(StoredFlowWith({{"fallback", "a"}})),
            "stored: tasks[0].fallback: task \"a\" names itself as its "
            "fallback; expected another task");
  EXPECT_EQ(FromJsonError({{"name", "f"},
                           {"tasks", {{{"name", "a"}, {"handler", "h"}}}},
                           {"defaults", {{"timeout", 1}}}}),
            "stored: defaults.timeout: unknown key \"timeout\"; expected one "
            "of: retry, timeout_ms, heartbeat_timeout_ms, "
            "schedule_to_start_timeout_ms");
}

TEST(ResilienceJsonTest, StandaloneFormsValidateToo) {
  EXPECT_EQ(InvalidMessage(RetryPolicyFromJson({{"max_attempts", 101}}).status()),
            "retry policy: max_attempts: max_attempts 101 (retries 100) is out of "
            "range; expected max_attempts 1 to 100, i.e. retries 0 to 99");
  EXPECT_EQ(InvalidMessage(RetryPolicyFromJson(json::array()).status()),
            "retry policy: found a JSON array; expected a JSON object");
  EXPECT_EQ(InvalidMessage(CircuitBreakerFromJson({{"window_ms", 1000}}).status()),
            "circuit breaker: key: missing required key \"key\"; expected a "
            "\"key\" key at the top level");
  EXPECT_EQ(
      InvalidMessage(CircuitBreakerFromJson({{"key", "k"}, {"failure_threshold", 0}}).status()),
      "circuit breaker: failure_threshold: failure threshold 0 is out "
      "of range; expected 1 to 1000");
  // Alone, a breaker that falls back is fine: the task decides.
  EXPECT_TRUE(CircuitBreakerFromJson({{"key", "k"}}).ok());
}

// --- Canonical JSON
// ------------------------------------------------------------

TEST(ResilienceJsonTest, PolicyAndBreakerForms) {
  FlowSpec spec = ParseOk(kResilientYaml);
  EXPECT_EQ(RetryPolicyToJson(*spec.tasks[0].retry), json::parse(R"({
    "max_attempts": 4, "delay_kind": "exponential", "delay_ms": 0,
    "delays_ms": [], "initial_ms": 1000, "factor": 3.0, "max_delay_ms": 60000,
    "jitter": 0.2, "non_retryable_errors": ["BadInput", "ValueError"],
    "retry_timeouts": false})"));
  EXPECT_EQ(RetryPolicyToJson(*spec.tasks[1].retry)["delays_ms"], json({1000, 5000, 30000}));
  EXPECT_EQ(RetryPolicyToJson(*spec.tasks[1].retry)["delay_kind"], "list");
  EXPECT_EQ(RetryPolicyToJson(RetryPolicy())["delay_kind"], "fixed");
  EXPECT_EQ(CircuitBreakerToJson(*spec.tasks[0].circuit_breaker),
            json::parse(R"({"key": "primary-api", "failure_threshold": 3,
                            "window_ms": 60000, "cooldown_ms": 20000,
                            "when_open": "fallback"})"));
  EXPECT_EQ(CircuitBreakerToJson(*spec.tasks[2].circuit_breaker)["when_open"], "wait");
}

TEST(ResilienceJsonTest, CanonicalFormOfAFullSpec) {
  json canonical = FlowSpecToJson(ParseOk(kResilientYaml));
  EXPECT_EQ(canonical["timeout_ms"], 600000);
  EXPECT_EQ(canonical["defaults"], json::parse(R"({
    "retry": {"max_attempts": 3, "delay_kind": "fixed", "delay_ms": 500,
              "delays_ms": [], "initial_ms": 1000, "factor": 2.0,
              "max_delay_ms": 300000, "jitter": 0.0,
              "non_retryable_errors": [], "retry_timeouts": true},
    "timeout_ms": 30000, "heartbeat_timeout_ms": 20000,
    "schedule_to_start_timeout_ms": 300000})"));
  const json& fetch = canonical["tasks"][0];
  EXPECT_EQ(fetch["timeout_ms"], 90000);
  EXPECT_EQ(fetch["heartbeat_timeout_ms"], 10000);
  EXPECT_EQ(fetch["schedule_to_start_timeout_ms"], 2500);
  EXPECT_EQ(fetch["fallback"], "fetch-cached");
  EXPECT_EQ(fetch["circuit_breaker"]["key"], "primary-api");
  EXPECT_EQ(fetch["retry"]["max_attempts"], 4);
  EXPECT_TRUE(canonical["tasks"][2]["retry"].is_null());
  EXPECT_EQ(canonical["tasks"][1]["circuit_breaker"], nullptr);
}

void ExpectExactRoundTrip(const FlowSpec& spec) {
  json canonical = FlowSpecToJson(spec);
  absl::StatusOr<FlowSpec> back = FlowSpecFromJson(json::parse(canonical.dump()), "stored");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FlowSpecToJson(*back).dump(), canonical.dump());
}

TEST(ResilienceJsonTest, RoundTripsAreExact) {
  FlowSpec full = ParseOk(kResilientYaml);
  ExpectResilientSpec(*FlowSpecFromJson(FlowSpecToJson(full), "stored"));
  ExpectExactRoundTrip(full);
  ExpectExactRoundTrip(ParseOk(FlowWithTask("queue: q")));
  // Fields a file never sets for the delay kind it uses survive too.
  RetryPolicy odd;
  odd.delay_kind = DelayKind::kList;
  odd.delays = {absl::Milliseconds(1), absl::Hours(24)};
  odd.delay = absl::Milliseconds(7);
  odd.factor = 1.1;
  odd.jitter = 0.123456789;
  FlowSpec spec = SpecOf({Task("a")});
  spec.tasks[0].retry = odd;
  ExpectExactRoundTrip(spec);
  absl::StatusOr<RetryPolicy> policy =
      RetryPolicyFromJson(json::parse(RetryPolicyToJson(odd).dump()));
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(RetryPolicyToJson(*policy), RetryPolicyToJson(odd));
  EXPECT_EQ(policy->delays, odd.delays);
  absl::StatusOr<CircuitBreakerSpec> breaker =
      CircuitBreakerFromJson(CircuitBreakerToJson(*full.tasks[2].circuit_breaker));
  ASSERT_TRUE(breaker.ok()) << breaker.status();
  EXPECT_EQ(CircuitBreakerToJson(*breaker), CircuitBreakerToJson(*full.tasks[2].circuit_breaker));
}

TEST(ResilienceJsonTest, LoadsCanonicalJsonWrittenBeforeTheseKeys) {
  absl::StatusOr<FlowSpec> spec = FlowSpecFromJson(json::parse(R"({
    "name": "old", "description": "", "parameters": [], "result": "",
    "tasks": [
      {"name": "a", "handler": "h", "depends_on": [], "queue": "default",
       "config": {}},
      {"name": "b", "handler": "h", "depends_on": ["a"], "queue": "default",
       "config": {}}]})"),
                                                   "stored");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->timeout, absl::ZeroDuration());
  EXPECT_FALSE(spec->default_retry.has_value());
  EXPECT_EQ(spec->default_timeouts.execution, absl::ZeroDuration());
  for (const TaskSpec& task : spec->tasks) {
    EXPECT_FALSE(task.retry.has_value());
    EXPECT_FALSE(task.circuit_breaker.has_value());
    EXPECT_EQ(task.timeouts.heartbeat, absl::ZeroDuration());
    EXPECT_TRUE(task.fallback.empty());
  }
  EXPECT_EQ(EffectiveRetry(*spec, spec->tasks[0]).max_attempts, 1);
  // Partial policies fill in the documented defaults.
  absl::StatusOr<RetryPolicy> policy = RetryPolicyFromJson({{"delay_ms", 5}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->max_attempts, 1);
  EXPECT_EQ(policy->delay, absl::Milliseconds(5));
  EXPECT_EQ(policy->max_delay, absl::Minutes(5));
}

// --- What the engine reads
// -----------------------------------------------------

TEST(EffectiveSettingsTest, TaskOverFlowOverNone) {
  FlowSpec spec = ParseOk(kResilientYaml);
  EXPECT_EQ(EffectiveRetry(spec, spec.tasks[0]).max_attempts, 4);
  EXPECT_EQ(EffectiveRetry(spec, spec.tasks[2]).max_attempts, 3);
  EXPECT_EQ(EffectiveRetry(spec, spec.tasks[2]).delay, absl::Milliseconds(500));
  spec.default_retry.reset();
  RetryPolicy none = EffectiveRetry(spec, spec.tasks[2]);
  EXPECT_EQ(none.max_attempts, 1);
  EXPECT_EQ(RetryPolicyToJson(none), RetryPolicyToJson(RetryPolicy()));
}

TEST(EffectiveSettingsTest, EachTimeoutInheritsSeparately) {
  FlowSpec spec = ParseOk(kResilientYaml);
  TaskTimeouts own = EffectiveTimeouts(spec, spec.tasks[0]);
  EXPECT_EQ(own.execution, absl::Seconds(90));
  EXPECT_EQ(own.heartbeat, absl::Seconds(10));
  EXPECT_EQ(own.schedule_to_start, absl::Milliseconds(2500));
  spec.tasks[0].timeouts.heartbeat = absl::ZeroDuration();
  TaskTimeouts mixed = EffectiveTimeouts(spec, spec.tasks[0]);
  EXPECT_EQ(mixed.execution, absl::Seconds(90));
  EXPECT_EQ(mixed.heartbeat, absl::Seconds(20));
  TaskTimeouts inherited = EffectiveTimeouts(spec, spec.tasks[1]);
  EXPECT_EQ(inherited.execution, absl::Seconds(30));
  EXPECT_EQ(inherited.schedule_to_start, absl::Minutes(5));
  TaskTimeouts none = EffectiveTimeouts(SpecOf({Task("a")}), Task("a"));
  EXPECT_EQ(none.execution, absl::ZeroDuration());
  EXPECT_EQ(none.heartbeat, absl::ZeroDuration());
  EXPECT_EQ(none.schedule_to_start, absl::ZeroDuration());
}

TEST(FallbackTasksTest, AreNotResultsButAreOrdered) {
  FlowSpec spec = ParseOk(kResilientYaml);
  // fetch-cached depends on nothing and nothing depends on it, yet it only
  // stands in for fetch.
  EXPECT_THAT(FlowResultTasks(spec), ElementsAre("store"));
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre("fetch", "fetch-cached", "store"));
  EXPECT_TRUE(IsFallbackTask(spec, "fetch-cached"));
  EXPECT_FALSE(IsFallbackTask(spec, "fetch"));
  EXPECT_FALSE(IsFallbackTask(spec, "store"));
  EXPECT_FALSE(IsFallbackTask(spec, ""));
  EXPECT_FALSE(IsFallbackTask(spec, "nope"));
  spec.result_task = "fetch";
  EXPECT_THAT(FlowResultTasks(spec), ElementsAre("fetch"));
}

}  // namespace
}  // namespace baton
