// The canonical JSON form of a deployment: durations as integer milliseconds,
// times as RFC 3339 strings in UTC, enums by name, secrets included.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/spec/deployment.h"
#include "common/spec/internal/deployment_rules.h"
#include "common/spec/internal/json_reader.h"

namespace baton {
namespace deployment_spec_internal {
namespace {

using flow_spec_internal::IndexPath;
using flow_spec_internal::JoinPath;
using flow_spec_internal::JsonReader;
using flow_spec_internal::Quote;
using flow_spec_internal::WrongTypeIssue;
using json = nlohmann::json;

int64_t ToMs(absl::Duration duration) { return absl::ToInt64Milliseconds(duration); }

json ScheduleToJson(const ScheduleSpec& schedule) {
  json out = json::object();
  if (!schedule.cron.empty()) {
    out["cron"] = schedule.cron;
    out["timezone"] = schedule.timezone;
  } else {
    out["interval_ms"] = ToMs(schedule.interval);
    out["anchor"] = FormatRfc3339(schedule.anchor);
  }
  if (schedule.start != absl::InfinitePast()) {
    out["start"] = FormatRfc3339(schedule.start);
  }
  if (schedule.end != absl::InfiniteFuture()) {
    out["end"] = FormatRfc3339(schedule.end);
  }
  return out;
}

json CatchUpToJson(const CatchUpPolicy& catch_up) {
  json out = {{"policy", std::string(Name(catch_up.kind))}};
  if (catch_up.kind == CatchUpPolicy::Kind::kAll) {
    out["max"] = catch_up.max;
    out["within_ms"] = ToMs(catch_up.within);
  }
  return out;
}

absl::Status ReadTime(const JsonReader& reader, const json& object, const std::string& parent,
                      absl::string_view key, absl::Time* out) {
  if (!object.contains(std::string(key))) return absl::OkStatus();
  std::string text;
  BATON_RETURN_IF_ERROR(reader.ReadString(object, parent, key, false, &text));
  std::optional<absl::Time> time = ParseRfc3339(text);
  if (!time.has_value()) return reader.Fail(TimeIssue(JoinPath(parent, key), text));
  *out = *time;
  return absl::OkStatus();
}

absl::Status ReadSchedule(const JsonReader& reader, const json& value, const std::string& path,
                          ScheduleSpec* out) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, path, kJsonScheduleKeys));
  bool has_cron = value.contains("cron");
  if (has_cron && value.contains("interval_ms")) {
    return reader.Fail(Issue{JoinPath(path, "interval_ms"), "both cron and interval_ms are given",
                             std::string(kScheduleKindExpected)});
  }
  if (!has_cron && !value.contains("interval_ms")) {
    return reader.Fail(NoScheduleKindIssue(path));
  }
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "cron", false, &out->cron));
  if (has_cron) {
    if (auto issue = CronIssue(JoinPath(path, "cron"), out->cron)) {
      return reader.Fail(*issue);
    }
  }
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "timezone", false, &out->timezone));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(value, path, "interval_ms", &out->interval));
  BATON_RETURN_IF_ERROR(ReadTime(reader, value, path, "anchor", &out->anchor));
  BATON_RETURN_IF_ERROR(ReadTime(reader, value, path, "start", &out->start));
  return ReadTime(reader, value, path, "end", &out->end);
}

absl::Status ReadSchedules(const JsonReader& reader, const json& object,
                           std::vector<ScheduleSpec>* out) {
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, "", "schedules", false));
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_array()) {
    return reader.WrongType("schedules", *value, "a list of schedules");
  }
  for (const json& item : *value) {
    std::string path = IndexPath("schedules", out->size());
    BATON_RETURN_IF_ERROR(ReadSchedule(reader, item, path, &out->emplace_back()));
  }
  return absl::OkStatus();
}

absl::Status ReadEnv(const JsonReader& reader, const json& object,
                     std::map<std::string, EnvVar>* out) {
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, "", "env", false));
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_object()) {
    return reader.WrongType("env", *value, "a map of variable names to values");
  }
  for (const auto& [name, var] : value->items()) {
    std::string path = JoinPath("env", name);
    BATON_RETURN_IF_ERROR(reader.CheckObject(var, path, kEnvVarKeys));
    EnvVar& env_var = (*out)[name];
    BATON_RETURN_IF_ERROR(reader.ReadString(var, path, "value", true, &env_var.value));
    BATON_RETURN_IF_ERROR(reader.ReadBool(var, path, "secret", &env_var.secret));
  }
  return absl::OkStatus();
}

template <typename Enum>
absl::Status ReadEnum(const JsonReader& reader, const json& object, const std::string& parent,
                      absl::string_view key, bool required,
                      std::optional<Enum> (*from_name)(absl::string_view),
                      absl::string_view expected, Enum* out) {
  std::string text;
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, parent, key, required));
  if (value == nullptr) return absl::OkStatus();
  BATON_RETURN_IF_ERROR(reader.ReadString(object, parent, key, required, &text));
  std::optional<Enum> parsed = from_name(text);
  if (!parsed.has_value()) {
    return reader.Fail(WrongTypeIssue(JoinPath(parent, key), Quote(text), expected));
  }
  *out = *parsed;
  return absl::OkStatus();
}

absl::Status ReadCatchUp(const JsonReader& reader, const json& object, CatchUpPolicy* out) {
  BATON_ASSIGN_OR_RETURN(const json* value, reader.Member(object, "", "catch_up", false));
  if (value == nullptr) return absl::OkStatus();
  BATON_RETURN_IF_ERROR(reader.CheckObject(*value, "catch_up", kJsonCatchUpKeys));
  BATON_RETURN_IF_ERROR(ReadEnum(reader, *value, "catch_up", "policy", true, &CatchUpKindFromName,
                                 kCatchUpExpected, &out->kind));
  for (absl::string_view key : {"max", "within_ms"}) {
    if (!value->contains(std::string(key))) continue;
    if (auto issue = CatchUpKeyIssue("catch_up", key, out->kind)) {
      return reader.Fail(*issue);
    }
  }
  BATON_RETURN_IF_ERROR(reader.ReadInt(*value, "catch_up", "max", &out->max));
  return reader.ReadMilliseconds(*value, "catch_up", "within_ms", &out->within);
}

absl::Status ReadNames(const JsonReader& reader, const json& object, DeploymentSpec* spec) {
  BATON_RETURN_IF_ERROR(reader.ReadString(object, "", "name", true, &spec->name));
  BATON_RETURN_IF_ERROR(reader.ReadString(object, "", "flow", true, &spec->flow));
  BATON_RETURN_IF_ERROR(reader.ReadInt(object, "", "flow_version", &spec->flow_version));
  return reader.ReadString(object, "", "description", false, &spec->description);
}

absl::Status ReadLists(const JsonReader& reader, const json& object, DeploymentSpec* spec) {
  BATON_RETURN_IF_ERROR(ReadSchedules(reader, object, &spec->schedules));
  if (auto it = object.find("parameters"); it != object.end()) {
    spec->parameters = *it;
  }
  BATON_RETURN_IF_ERROR(ReadEnv(reader, object, &spec->env));
  BATON_ASSIGN_OR_RETURN(const json* tags, reader.Member(object, "", "tags", false));
  if (tags == nullptr) return absl::OkStatus();
  return reader.ReadStrings(*tags, "tags", &spec->tags);
}

absl::Status ReadPolicies(const JsonReader& reader, const json& object, DeploymentSpec* spec) {
  BATON_RETURN_IF_ERROR(reader.ReadString(object, "", "work_queue", false, &spec->work_queue));
  BATON_RETURN_IF_ERROR(reader.ReadBool(object, "", "paused", &spec->paused));
  BATON_RETURN_IF_ERROR(ReadCatchUp(reader, object, &spec->catch_up));
  BATON_RETURN_IF_ERROR(ReadEnum(reader, object, "", "overlap", false, &OverlapFromName,
                                 kOverlapExpected, &spec->overlap));
  return reader.ReadMilliseconds(object, "", "late_after_ms", &spec->late_after);
}

}  // namespace
}  // namespace deployment_spec_internal

nlohmann::json DeploymentSpecToJson(const DeploymentSpec& spec) {
  namespace internal = deployment_spec_internal;
  using json = nlohmann::json;
  json schedules = json::array();
  for (const ScheduleSpec& schedule : spec.schedules) {
    schedules.push_back(internal::ScheduleToJson(schedule));
  }
  json env = json::object();
  for (const auto& [name, var] : spec.env) {
    env[name] = {{"value", var.value}, {"secret", var.secret}};
  }
  return json{{"name", spec.name},
              {"flow", spec.flow},
              {"flow_version", spec.flow_version},
              {"description", spec.description},
              {"schedules", std::move(schedules)},
              {"parameters", spec.parameters},
              {"env", std::move(env)},
              {"tags", spec.tags},
              {"work_queue", spec.work_queue},
              {"paused", spec.paused},
              {"catch_up", internal::CatchUpToJson(spec.catch_up)},
              {"overlap", std::string(Name(spec.overlap))},
              {"late_after_ms", internal::ToMs(spec.late_after)}};
}

absl::StatusOr<DeploymentSpec> DeploymentSpecFromJson(const nlohmann::json& value,
                                                      absl::string_view source_name) {
  namespace internal = deployment_spec_internal;
  flow_spec_internal::JsonReader reader(source_name);
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, "", internal::kJsonDeploymentKeys));
  DeploymentSpec spec;
  BATON_RETURN_IF_ERROR(internal::ReadNames(reader, value, &spec));
  BATON_RETURN_IF_ERROR(internal::ReadLists(reader, value, &spec));
  BATON_RETURN_IF_ERROR(internal::ReadPolicies(reader, value, &spec));
  if (auto issue = internal::FindIssue(spec, internal::Form::kCanonical)) {
    return reader.Fail(*issue);
  }
  return spec;
}

nlohmann::json RedactedEnv(const std::map<std::string, EnvVar>& env) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, var] : env) {
    out[name] = var.secret ? std::string("***") : var.value;
  }
  return out;
}

}  // namespace baton
