// The JSON forms of retry policies, circuit breakers and timeouts: durations
// as integer milliseconds, enums by name.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/spec/flow.h"
#include "common/spec/internal/json_reader.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton {
namespace flow_spec_internal {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kRetrySource = "retry policy";
constexpr absl::string_view kBreakerSource = "circuit breaker";

int64_t ToMs(absl::Duration duration) { return absl::ToInt64Milliseconds(duration); }

// object[key], a string naming one value of Enum (as `from_name` knows them).
template <typename Enum>
absl::Status ReadEnum(const JsonReader& reader, const json& object, const std::string& parent,
                      absl::string_view key, std::optional<Enum> (*from_name)(absl::string_view),
                      absl::string_view expected, Enum* out) {
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, parent, key, false));
  if (value == nullptr) return absl::OkStatus();
  std::string path = JoinPath(parent, key);
  if (!value->is_string()) return reader.WrongType(path, *value, expected);
  const std::string& name = value->get_ref<const std::string&>();
  std::optional<Enum> parsed = from_name(name);
  if (!parsed.has_value()) {
    return reader.Fail(WrongTypeIssue(path, Quote(name), expected));
  }
  *out = *parsed;
  return absl::OkStatus();
}

absl::Status ReadRetryJson(const JsonReader& reader, const json& value, const std::string& path,
                           RetryPolicy* out) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, path, kJsonRetryKeys));
  BATON_RETURN_IF_ERROR(reader.ReadInt(value, path, "max_attempts", &out->max_attempts));
  BATON_RETURN_IF_ERROR(ReadEnum(reader, value, path, "delay_kind", &DelayKindFromName,
                                 "one of: fixed, list, exponential", &out->delay_kind));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "delay_ms", &out->delay));
  BATON_ASSIGN_OR_RETURN(const json* delays, reader.Member(value, path, "delays_ms", false));
  if (delays != nullptr) {
    BATON_RETURN_IF_ERROR(
        reader.ReadMillisecondsList(*delays, JoinPath(path, "delays_ms"), &out->delays));
  }
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "initial_ms", &out->initial));
  BATON_RETURN_IF_ERROR(reader.ReadNumber(value, path, "factor", &out->factor));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "max_delay_ms", &out->max_delay));
  BATON_RETURN_IF_ERROR(reader.ReadNumber(value, path, "jitter", &out->jitter));
  BATON_ASSIGN_OR_RETURN(const json* errors,
                         reader.Member(value, path, "non_retryable_errors", false));
  if (errors != nullptr) {
    BATON_RETURN_IF_ERROR(reader.ReadStrings(*errors, JoinPath(path, "non_retryable_errors"),
                                             &out->non_retryable_errors));
  }
  return reader.ReadBool(value, path, "retry_timeouts", &out->retry_timeouts);
}

absl::Status ReadBreakerJson(const JsonReader& reader, const json& value, const std::string& path,
                             CircuitBreakerSpec* out) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, path, kJsonBreakerKeys));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "key", true, &out->key));
  BATON_RETURN_IF_ERROR(reader.ReadInt(value, path, "failure_threshold", &out->failure_threshold));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "window_ms", &out->window));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "cooldown_ms", &out->cooldown));
  return ReadEnum(reader, value, path, "when_open", &WhenOpenFromName, "fallback or wait",
                  &out->when_open);
}

// object[key] when present and not null, read by `read`.
template <typename T>
absl::Status ReadOptional(const JsonReader& reader, const json& object, const std::string& parent,
                          absl::string_view key,
                          absl::Status (*read)(const JsonReader&, const json&, const std::string&,
                                               T*),
                          std::optional<T>* out) {
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, parent, key, false));
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  return read(reader, *value, JoinPath(parent, key), &out->emplace());
}

}  // namespace

void AddTimeoutsJson(const TaskTimeouts& timeouts, json* object) {
  (*object)["timeout_ms"] = ToMs(timeouts.execution);
  (*object)["heartbeat_timeout_ms"] = ToMs(timeouts.heartbeat);
  (*object)["schedule_to_start_timeout_ms"] = ToMs(timeouts.schedule_to_start);
}

absl::Status ReadTimeoutsJson(const JsonReader& reader, const json& object,
                              const std::string& parent, TaskTimeouts* out) {
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(object, parent, "timeout_ms", &out->execution));
  BATON_RETURN_IF_ERROR(
      reader.ReadMilliseconds(object, parent, "heartbeat_timeout_ms", &out->heartbeat));
  return reader.ReadMilliseconds(object, parent, "schedule_to_start_timeout_ms",
                                 &out->schedule_to_start);
}

absl::Status ReadOptionalRetryJson(const JsonReader& reader, const json& object,
                                   const std::string& parent, absl::string_view key,
                                   std::optional<RetryPolicy>* out) {
  return ReadOptional(reader, object, parent, key, &ReadRetryJson, out);
}

absl::Status ReadOptionalBreakerJson(const JsonReader& reader, const json& object,
                                     const std::string& parent, absl::string_view key,
                                     std::optional<CircuitBreakerSpec>* out) {
  return ReadOptional(reader, object, parent, key, &ReadBreakerJson, out);
}

}  // namespace flow_spec_internal

namespace {

using flow_spec_internal::Form;
using flow_spec_internal::IssueStatus;
using flow_spec_internal::JsonReader;
using flow_spec_internal::kBreakerSource;
using flow_spec_internal::kRetrySource;
using flow_spec_internal::ToMs;

}  // namespace

nlohmann::json RetryPolicyToJson(const RetryPolicy& policy) {
  nlohmann::json delays = nlohmann::json::array();
  for (absl::Duration delay : policy.delays) delays.push_back(ToMs(delay));
  return nlohmann::json{
      {"max_attempts", policy.max_attempts},
      {"delay_kind", std::string(flow_spec_internal::DelayKindName(policy.delay_kind))},
      {"delay_ms", ToMs(policy.delay)},
      {"delays_ms", std::move(delays)},
      {"initial_ms", ToMs(policy.initial)},
      {"factor", policy.factor},
      {"max_delay_ms", ToMs(policy.max_delay)},
      {"jitter", policy.jitter},
      {"non_retryable_errors", policy.non_retryable_errors},
      {"retry_timeouts", policy.retry_timeouts}};
}

absl::StatusOr<RetryPolicy> RetryPolicyFromJson(const nlohmann::json& json) {
  RetryPolicy policy;
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadRetryJson(JsonReader(kRetrySource), json, "", &policy));
  if (auto issue = flow_spec_internal::RetryIssue(policy, "", Form::kCanonical)) {
    return IssueStatus(kRetrySource, *issue);
  }
  return policy;
}

nlohmann::json CircuitBreakerToJson(const CircuitBreakerSpec& breaker) {
  return nlohmann::json{
      {"key", breaker.key},
      {"failure_threshold", breaker.failure_threshold},
      {"window_ms", ToMs(breaker.window)},
      {"cooldown_ms", ToMs(breaker.cooldown)},
      {"when_open", std::string(flow_spec_internal::WhenOpenName(breaker.when_open))}};
}

absl::StatusOr<CircuitBreakerSpec> CircuitBreakerFromJson(const nlohmann::json& json) {
  CircuitBreakerSpec breaker;
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadBreakerJson(JsonReader(kBreakerSource), json, "", &breaker));
  if (auto issue = flow_spec_internal::BreakerIssue(breaker, "", Form::kCanonical)) {
    return IssueStatus(kBreakerSource, *issue);
  }
  return breaker;
}

}  // namespace baton
