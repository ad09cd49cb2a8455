// Reads the resilience parts of a flow file (retry policies, timeouts, circuit
// breakers, fallbacks): their shape and how durations are written. Every bound
// on the values read lives in flow_spec_resilience_rules.cc.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "common/spec/internal/flow_yaml.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton::flow_spec_internal {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kRetryExpected =
    "a retry policy: a map with optional keys retries or max_attempts, delay "
    "or delays or backoff, jitter, non_retryable_errors, retry_timeouts";
constexpr absl::string_view kBackoffExpected = "a map with optional keys initial, factor, max";
constexpr absl::string_view kBreakerExpected =
    "a circuit breaker: a map with key \"key\" and optionally "
    "failure_threshold, window, cooldown, when_open";
constexpr absl::string_view kDefaultsExpected =
    "a map with optional keys retry, timeout, heartbeat_timeout, "
    "schedule_to_start_timeout";

// What a node is, for "found ..." in messages: a scalar's text, else its kind.
std::string Found(const YAML::Node& node) {
  return node.IsScalar() ? Quote(node.Scalar()) : YamlKindName(node);
}

// A scalar's value by the YAML core schema; null for anything else.
absl::StatusOr<json> ScalarValue(const YamlContext& context, const YAML::Node& node,
                                 const std::string& path) {
  if (!node.IsScalar()) return json();
  return YamlToJson(context, node, path, "value", node.Scalar().size() + 16);
}

absl::Status ReadNumber(const YamlContext& context, const YAML::Node& node, const std::string& path,
                        double* out) {
  BATON_ASSIGN_OR_RETURN(json value, ScalarValue(context, node, path));
  if (!value.is_number()) {
    return context.Fail(WrongTypeIssue(path, Found(node), "a number"), node);
  }
  *out = value.get<double>();
  return absl::OkStatus();
}

// A plain number is seconds; a string is what absl::ParseDuration accepts.
std::optional<absl::Duration> ToDuration(const json& value) {
  if (value.is_number_unsigned()) {
    uint64_t n = value.get<uint64_t>();
    if (n > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return absl::InfiniteDuration();
    }
    return absl::Seconds(static_cast<int64_t>(n));
  }
  if (value.is_number_integer()) return absl::Seconds(value.get<int64_t>());
  if (value.is_number_float()) return absl::Seconds(value.get<double>());
  absl::Duration duration;
  if (value.is_string() && absl::ParseDuration(value.get_ref<const std::string&>(), &duration)) {
    return duration;
  }
  return std::nullopt;
}

absl::Status ReadDurationList(YamlContext& context, const YAML::Node& node, const std::string& path,
                              std::vector<absl::Duration>* out) {
  if (!node.IsSequence()) {
    return context.Fail(WrongTypeIssue(path, YamlKindName(node), "a list of durations"), node);
  }
  for (const YAML::Node& item : node) {
    std::string item_path = IndexPath(path, out->size());
    context.Note(item_path, item.Mark());
    BATON_RETURN_IF_ERROR(ReadDuration(context, item, item_path, &out->emplace_back()));
  }
  return absl::OkStatus();
}

// `retries: n` is max_attempts n + 1; rules about it then name `retries`.
absl::Status ReadAttempts(YamlContext& context, const std::vector<YamlEntry>& entries,
                          const std::string& path, int* max_attempts) {
  if (const YamlEntry* entry = FindEntry(entries, "max_attempts")) {
    return ReadInt(context, entry->value, JoinPath(path, "max_attempts"), max_attempts);
  }
  const YamlEntry* retries = FindEntry(entries, "retries");
  if (retries == nullptr) return absl::OkStatus();
  int count = 0;
  BATON_RETURN_IF_ERROR(ReadInt(context, retries->value, JoinPath(path, "retries"), &count));
  context.NoteAlias(JoinPath(path, "max_attempts"), JoinPath(path, "retries"), ValueMark(*retries));
  *max_attempts = count + 1;  // |count| <= kMaxReadInteger: no overflow
  return absl::OkStatus();
}

absl::Status ReadBackoff(YamlContext& context, const YAML::Node& node, const std::string& path,
                         RetryPolicy* policy) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileBackoffKeys, kBackoffExpected));
  policy->delay_kind = RetryPolicy::DelayKind::kExponential;
  if (const YamlEntry* entry = FindEntry(entries, "initial")) {
    BATON_RETURN_IF_ERROR(
        ReadDuration(context, entry->value, JoinPath(path, "initial"), &policy->initial));
  }
  if (const YamlEntry* entry = FindEntry(entries, "factor")) {
    BATON_RETURN_IF_ERROR(
        ReadNumber(context, entry->value, JoinPath(path, "factor"), &policy->factor));
  }
  if (const YamlEntry* entry = FindEntry(entries, "max")) {
    BATON_RETURN_IF_ERROR(
        ReadDuration(context, entry->value, JoinPath(path, "max"), &policy->max_delay));
  }
  return absl::OkStatus();
}

absl::Status ReadDelays(YamlContext& context, const std::vector<YamlEntry>& entries,
                        const std::string& path, RetryPolicy* policy) {
  if (const YamlEntry* entry = FindEntry(entries, "delay")) {
    policy->delay_kind = RetryPolicy::DelayKind::kFixed;
    return ReadDuration(context, entry->value, JoinPath(path, "delay"), &policy->delay);
  }
  if (const YamlEntry* entry = FindEntry(entries, "delays")) {
    policy->delay_kind = RetryPolicy::DelayKind::kList;
    return ReadDurationList(context, entry->value, JoinPath(path, "delays"), &policy->delays);
  }
  if (const YamlEntry* entry = FindEntry(entries, "backoff")) {
    return ReadBackoff(context, entry->value, JoinPath(path, "backoff"), policy);
  }
  return absl::OkStatus();
}

absl::StatusOr<RetryPolicy> ReadRetry(YamlContext& context, const YAML::Node& node,
                                      const std::string& path) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileRetryKeys, kRetryExpected));
  BATON_RETURN_IF_ERROR(
      CheckExclusive(context, entries, path, {"retries", "max_attempts"},
                     "either retries or max_attempts (max_attempts = retries + 1)"));
  BATON_RETURN_IF_ERROR(CheckExclusive(context, entries, path, {"delay", "delays", "backoff"},
                                       "at most one of delay, delays, backoff"));
  RetryPolicy policy;
  BATON_RETURN_IF_ERROR(ReadAttempts(context, entries, path, &policy.max_attempts));
  BATON_RETURN_IF_ERROR(ReadDelays(context, entries, path, &policy));
  if (const YamlEntry* entry = FindEntry(entries, "jitter")) {
    BATON_RETURN_IF_ERROR(
        ReadNumber(context, entry->value, JoinPath(path, "jitter"), &policy.jitter));
  }
  if (const YamlEntry* entry = FindEntry(entries, "non_retryable_errors")) {
    BATON_RETURN_IF_ERROR(ReadStringList(context, entry->value,
                                         JoinPath(path, "non_retryable_errors"),
                                         &policy.non_retryable_errors));
  }
  if (const YamlEntry* entry = FindEntry(entries, "retry_timeouts")) {
    BATON_RETURN_IF_ERROR(
        ReadBool(context, entry->value, JoinPath(path, "retry_timeouts"), &policy.retry_timeouts));
  }
  return policy;
}

absl::Status ReadWhenOpen(const YamlContext& context, const YAML::Node& node,
                          const std::string& path, CircuitBreakerSpec::WhenOpen* out) {
  std::string text;
  BATON_RETURN_IF_ERROR(ReadString(context, node, path, &text));
  std::optional<CircuitBreakerSpec::WhenOpen> when_open = WhenOpenFromName(text);
  if (!when_open.has_value()) {
    return context.Fail(WrongTypeIssue(path, Quote(text), "fallback or wait"), node);
  }
  *out = *when_open;
  return absl::OkStatus();
}

absl::StatusOr<CircuitBreakerSpec> ReadBreaker(YamlContext& context, const YAML::Node& node,
                                               const std::string& path) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileBreakerKeys, kBreakerExpected));
  CircuitBreakerSpec breaker;
  BATON_RETURN_IF_ERROR(ReadRequiredString(context, entries, node, path, "key", &breaker.key));
  if (const YamlEntry* entry = FindEntry(entries, "failure_threshold")) {
    BATON_RETURN_IF_ERROR(ReadInt(context, entry->value, JoinPath(path, "failure_threshold"),
                                  &breaker.failure_threshold));
  }
  if (const YamlEntry* entry = FindEntry(entries, "window")) {
    BATON_RETURN_IF_ERROR(
        ReadDuration(context, entry->value, JoinPath(path, "window"), &breaker.window));
  }
  if (const YamlEntry* entry = FindEntry(entries, "cooldown")) {
    BATON_RETURN_IF_ERROR(
        ReadDuration(context, entry->value, JoinPath(path, "cooldown"), &breaker.cooldown));
  }
  if (const YamlEntry* entry = FindEntry(entries, "when_open")) {
    BATON_RETURN_IF_ERROR(
        ReadWhenOpen(context, entry->value, JoinPath(path, "when_open"), &breaker.when_open));
  }
  return breaker;
}

// timeout, heartbeat_timeout and schedule_to_start_timeout among `entries`.
absl::Status ReadTimeouts(const YamlContext& context, const std::vector<YamlEntry>& entries,
                          const std::string& parent, TaskTimeouts* out) {
  const std::pair<absl::string_view, absl::Duration*> fields[] = {
      {"timeout", &out->execution},
      {"heartbeat_timeout", &out->heartbeat},
      {"schedule_to_start_timeout", &out->schedule_to_start}};
  for (const auto& [key, duration] : fields) {
    const YamlEntry* entry = FindEntry(entries, key);
    if (entry == nullptr) continue;
    BATON_RETURN_IF_ERROR(ReadDuration(context, entry->value, JoinPath(parent, key), duration));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadInt(const YamlContext& context, const YAML::Node& node, const std::string& path,
                     int* out) {
  BATON_ASSIGN_OR_RETURN(json value, ScalarValue(context, node, path));
  if (!value.is_number_integer()) {
    return context.Fail(WrongTypeIssue(path, Found(node), "an integer"), node);
  }
  bool in_range = value.is_number_unsigned() ? value.get<uint64_t>() <= uint64_t{kMaxReadInteger}
                                             : value.get<int64_t>() >= -kMaxReadInteger &&
                                                   value.get<int64_t>() <= kMaxReadInteger;
  if (!in_range) {
    return context.Fail(IntegerOutOfRangeIssue(path, node.Scalar()), node);
  }
  *out = static_cast<int>(value.get<int64_t>());
  return absl::OkStatus();
}

absl::Status ReadDuration(const YamlContext& context, const YAML::Node& node,
                          const std::string& path, absl::Duration* out) {
  if (!node.IsScalar()) {
    return context.Fail(
        WrongTypeIssue(path, YamlKindName(node), absl::StrCat("a duration, ", kDurationExample)),
        node);
  }
  BATON_ASSIGN_OR_RETURN(json value, ScalarValue(context, node, path));
  std::optional<absl::Duration> duration = ToDuration(value);
  if (!duration.has_value()) {
    return context.Fail(Issue{path, absl::StrCat(Quote(node.Scalar()), " is not a duration"),
                              std::string(kDurationExample)},
                        node);
  }
  *out = RoundToMilliseconds(*duration);
  return absl::OkStatus();
}

absl::Status ReadStringList(YamlContext& context, const YAML::Node& node, const std::string& path,
                            std::vector<std::string>* out) {
  if (!node.IsSequence()) {
    return context.Fail(WrongTypeIssue(path, YamlKindName(node), "a list of strings"), node);
  }
  for (const YAML::Node& item : node) {
    std::string item_path = IndexPath(path, out->size());
    context.Note(item_path, item.Mark());
    BATON_RETURN_IF_ERROR(ReadString(context, item, item_path, &out->emplace_back()));
  }
  return absl::OkStatus();
}

absl::Status CheckExclusive(const YamlContext& context, const std::vector<YamlEntry>& entries,
                            const std::string& path, std::initializer_list<absl::string_view> keys,
                            absl::string_view expected) {
  const YamlEntry* first = nullptr;
  for (const YamlEntry& entry : entries) {
    if (!absl::c_linear_search(keys, entry.key)) continue;
    if (first == nullptr) {
      first = &entry;
      continue;
    }
    return context.Fail(Issue{JoinPath(path, entry.key),
                              absl::StrCat("both ", first->key, " and ", entry.key, " are given"),
                              std::string(expected)},
                        entry.key_node.Mark());
  }
  return absl::OkStatus();
}

absl::Status ReadTaskResilience(YamlContext& context, const std::vector<YamlEntry>& entries,
                                const std::string& path, TaskSpec* task) {
  if (const YamlEntry* entry = FindEntry(entries, "retry")) {
    BATON_ASSIGN_OR_RETURN(task->retry, ReadRetry(context, entry->value, JoinPath(path, "retry")));
  }
  BATON_RETURN_IF_ERROR(ReadTimeouts(context, entries, path, &task->timeouts));
  if (const YamlEntry* entry = FindEntry(entries, "circuit_breaker")) {
    BATON_ASSIGN_OR_RETURN(task->circuit_breaker,
                           ReadBreaker(context, entry->value, JoinPath(path, "circuit_breaker")));
  }
  return ReadOptionalString(context, entries, path, "fallback", &task->fallback);
}

absl::Status ReadFlowResilience(YamlContext& context, const std::vector<YamlEntry>& entries,
                                FlowSpec* spec) {
  if (const YamlEntry* entry = FindEntry(entries, "timeout")) {
    BATON_RETURN_IF_ERROR(ReadDuration(context, entry->value, "timeout", &spec->timeout));
  }
  const YamlEntry* defaults = FindEntry(entries, "defaults");
  if (defaults == nullptr) return absl::OkStatus();
  BATON_ASSIGN_OR_RETURN(
      std::vector<YamlEntry> fields,
      ReadFields(context, defaults->value, "defaults", kFileDefaultsKeys, kDefaultsExpected));
  if (const YamlEntry* entry = FindEntry(fields, "retry")) {
    BATON_ASSIGN_OR_RETURN(spec->default_retry, ReadRetry(context, entry->value, "defaults.retry"));
  }
  return ReadTimeouts(context, fields, "defaults", &spec->default_timeouts);
}

}  // namespace baton::flow_spec_internal
