// Reads a deployment file's structure with the flow files' YAML helpers; the
// rules on the values read live in deployment_spec_rules.cc.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/spec/deployment.h"
#include "common/spec/internal/deployment_rules.h"
#include "common/spec/internal/flow_yaml.h"

namespace baton {
namespace deployment_spec_internal {
namespace {

using flow_spec_internal::CheckExclusive;
using flow_spec_internal::FindEntry;
using flow_spec_internal::IndexPath;
using flow_spec_internal::JoinPath;
using flow_spec_internal::Quote;
using flow_spec_internal::ReadFields;
using flow_spec_internal::ReadString;
using flow_spec_internal::ValueMark;
using flow_spec_internal::WrongTypeIssue;
using flow_spec_internal::YamlContext;
using flow_spec_internal::YamlEntry;
using flow_spec_internal::YamlKindName;

constexpr absl::string_view kDeploymentExpected =
    "a deployment: a map with keys name, flow and optionally flow_version, "
    "description, schedules, parameters, env, tags, work_queue, paused, "
    "catch_up, overlap, late_after";
constexpr absl::string_view kScheduleExpected =
    "a schedule: a map with key cron (and optionally timezone) or interval "
    "(and optionally anchor), and optionally start, end";
constexpr absl::string_view kCatchUpMapExpected =
    "a map with key policy and, for policy all, optionally max and within";
constexpr absl::string_view kEnvVarExpected = "a map with key value and optionally secret";
constexpr absl::string_view kEnvValueExpected =
    "a string (numbers and true/false are taken as written), or "
    "{value: ..., secret: true}";

absl::Status ReadTime(const YamlContext& context, const YAML::Node& node, const std::string& path,
                      absl::Time* out) {
  std::string text;
  BATON_RETURN_IF_ERROR(ReadString(context, node, path, &text));
  std::optional<absl::Time> time = ParseRfc3339(text);
  if (!time.has_value()) return context.Fail(TimeIssue(path, text), node);
  *out = *time;
  return absl::OkStatus();
}

absl::Status ReadCron(const YamlContext& context, const YAML::Node& node, const std::string& path,
                      std::string* out) {
  BATON_RETURN_IF_ERROR(ReadString(context, node, path, out));
  // Checked here too, so that `cron: ""` is not taken for an interval.
  if (auto issue = CronIssue(path, *out)) return context.Fail(*issue, node);
  return absl::OkStatus();
}

absl::Status ReadSchedule(YamlContext& context, const YAML::Node& node, const std::string& path,
                          ScheduleSpec* out) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileScheduleKeys, kScheduleExpected));
  BATON_RETURN_IF_ERROR(
      CheckExclusive(context, entries, path, {"cron", "interval"}, kScheduleKindExpected));
  const YamlEntry* cron = FindEntry(entries, "cron");
  const YamlEntry* interval = FindEntry(entries, "interval");
  if (cron == nullptr && interval == nullptr) {
    return context.Fail(NoScheduleKindIssue(path), node);
  }
  if (cron != nullptr) {
    BATON_RETURN_IF_ERROR(ReadCron(context, cron->value, JoinPath(path, "cron"), &out->cron));
  }
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadOptionalString(context, entries, path, "timezone", &out->timezone));
  if (interval != nullptr) {
    BATON_RETURN_IF_ERROR(flow_spec_internal::ReadDuration(
        context, interval->value, JoinPath(path, "interval"), &out->interval));
  }
  const std::pair<absl::string_view, absl::Time*> times[] = {
      {"anchor", &out->anchor}, {"start", &out->start}, {"end", &out->end}};
  for (const auto& [key, time] : times) {
    const YamlEntry* entry = FindEntry(entries, key);
    if (entry == nullptr) continue;
    BATON_RETURN_IF_ERROR(ReadTime(context, entry->value, JoinPath(path, key), time));
  }
  return absl::OkStatus();
}

absl::Status ReadSchedules(YamlContext& context, const YAML::Node& node,
                           std::vector<ScheduleSpec>* out) {
  if (!node.IsSequence()) {
    return context.Fail(WrongTypeIssue("schedules", YamlKindName(node), "a list of schedules"),
                        node);
  }
  for (const YAML::Node& item : node) {
    std::string path = IndexPath("schedules", out->size());
    context.Note(path, item.Mark());
    BATON_RETURN_IF_ERROR(ReadSchedule(context, item, path, &out->emplace_back()));
  }
  return absl::OkStatus();
}

absl::Status ReadParameters(const YamlContext& context, const YAML::Node& node,
                            nlohmann::json* out) {
  if (!node.IsMap()) {
    return context.Fail(
        WrongTypeIssue("parameters", YamlKindName(node), "a map of parameter names to values"),
        node);
  }
  BATON_ASSIGN_OR_RETURN(*out,
                         flow_spec_internal::YamlToJson(context, node, "parameters", "parameters",
                                                        kMaxDeploymentFileBytes));
  return absl::OkStatus();
}

// Any scalar, as written: `PORT: 8080` is "8080", `DEBUG: true` is "true".
absl::Status ReadEnvValue(const YamlContext& context, const YAML::Node& node,
                          const std::string& path, absl::string_view expected, std::string* out) {
  if (!node.IsScalar()) {
    return context.Fail(WrongTypeIssue(path, YamlKindName(node), expected), node);
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status ReadEnvVar(YamlContext& context, const YamlEntry& entry, const std::string& path,
                        EnvVar* out) {
  std::string value_path = JoinPath(path, "value");
  if (!entry.value.IsMap()) {
    // Errors about the value name the variable, as the file has no `value`.
    context.NoteAlias(value_path, path, ValueMark(entry));
    return ReadEnvValue(context, entry.value, path, kEnvValueExpected, &out->value);
  }
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> fields,
                         ReadFields(context, entry.value, path, kEnvVarKeys, kEnvVarExpected));
  const YamlEntry* value = FindEntry(fields, "value");
  if (value == nullptr) {
    return context.Fail(flow_spec_internal::MissingKeyIssue(path, "value"), entry.value.Mark());
  }
  BATON_RETURN_IF_ERROR(ReadEnvValue(context, value->value, value_path, "a string", &out->value));
  if (const YamlEntry* secret = FindEntry(fields, "secret")) {
    BATON_RETURN_IF_ERROR(flow_spec_internal::ReadBool(context, secret->value,
                                                       JoinPath(path, "secret"), &out->secret));
  }
  return absl::OkStatus();
}

absl::Status ReadEnv(YamlContext& context, const YAML::Node& node,
                     std::map<std::string, EnvVar>* out) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         flow_spec_internal::YamlMapEntries(context, node, "env",
                                                            "a map of variable names to values"));
  for (const YamlEntry& entry : entries) {
    std::string path = JoinPath("env", entry.key);
    context.Note(path, entry.key_node.Mark());
    BATON_RETURN_IF_ERROR(ReadEnvVar(context, entry, path, &(*out)[entry.key]));
  }
  return absl::OkStatus();
}

template <typename Enum>
absl::Status ReadEnum(const YamlContext& context, const YAML::Node& node, const std::string& path,
                      std::optional<Enum> (*from_name)(absl::string_view),
                      absl::string_view expected, Enum* out) {
  std::string text;
  BATON_RETURN_IF_ERROR(ReadString(context, node, path, &text));
  std::optional<Enum> value = from_name(text);
  if (!value.has_value()) {
    return context.Fail(WrongTypeIssue(path, Quote(text), expected), node);
  }
  *out = *value;
  return absl::OkStatus();
}

absl::Status ReadCatchUp(YamlContext& context, const YAML::Node& node, CatchUpPolicy* out) {
  BATON_ASSIGN_OR_RETURN(
      std::vector<YamlEntry> entries,
      ReadFields(context, node, "catch_up", kFileCatchUpKeys, kCatchUpMapExpected));
  const YamlEntry* policy = FindEntry(entries, "policy");
  if (policy == nullptr) {
    return context.Fail(flow_spec_internal::MissingKeyIssue("catch_up", "policy"), node);
  }
  BATON_RETURN_IF_ERROR(ReadEnum(context, policy->value, "catch_up.policy", &CatchUpKindFromName,
                                 kCatchUpExpected, &out->kind));
  for (absl::string_view key : {"max", "within"}) {
    const YamlEntry* entry = FindEntry(entries, key);
    if (entry == nullptr) continue;
    if (auto issue = CatchUpKeyIssue("catch_up", key, out->kind)) {
      return context.Fail(*issue, entry->key_node.Mark());
    }
  }
  if (const YamlEntry* max = FindEntry(entries, "max")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadInt(context, max->value, "catch_up.max", &out->max));
  }
  if (const YamlEntry* within = FindEntry(entries, "within")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadDuration(context, within->value, "catch_up.within", &out->within));
  }
  return absl::OkStatus();
}

absl::Status ReadNames(YamlContext& context, const std::vector<YamlEntry>& entries,
                       const YAML::Node& root, DeploymentSpec* spec) {
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadRequiredString(context, entries, root, "", "name", &spec->name));
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadRequiredString(context, entries, root, "", "flow", &spec->flow));
  if (const YamlEntry* entry = FindEntry(entries, "flow_version")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadInt(context, entry->value, "flow_version", &spec->flow_version));
  }
  return flow_spec_internal::ReadOptionalString(context, entries, "", "description",
                                                &spec->description);
}

absl::Status ReadPolicies(YamlContext& context, const std::vector<YamlEntry>& entries,
                          DeploymentSpec* spec) {
  BATON_RETURN_IF_ERROR(flow_spec_internal::ReadOptionalString(context, entries, "", "work_queue",
                                                               &spec->work_queue));
  if (const YamlEntry* entry = FindEntry(entries, "paused")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadBool(context, entry->value, "paused", &spec->paused));
  }
  if (const YamlEntry* entry = FindEntry(entries, "catch_up")) {
    BATON_RETURN_IF_ERROR(ReadCatchUp(context, entry->value, &spec->catch_up));
  }
  if (const YamlEntry* entry = FindEntry(entries, "overlap")) {
    BATON_RETURN_IF_ERROR(ReadEnum(context, entry->value, "overlap", &OverlapFromName,
                                   kOverlapExpected, &spec->overlap));
  }
  if (const YamlEntry* entry = FindEntry(entries, "late_after")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadDuration(context, entry->value, "late_after", &spec->late_after));
  }
  return absl::OkStatus();
}

absl::Status ReadDeployment(YamlContext& context, const YAML::Node& root, DeploymentSpec* spec) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, root, "", kFileDeploymentKeys, kDeploymentExpected));
  BATON_RETURN_IF_ERROR(ReadNames(context, entries, root, spec));
  if (const YamlEntry* entry = FindEntry(entries, "schedules")) {
    BATON_RETURN_IF_ERROR(ReadSchedules(context, entry->value, &spec->schedules));
  }
  if (const YamlEntry* entry = FindEntry(entries, "parameters")) {
    BATON_RETURN_IF_ERROR(ReadParameters(context, entry->value, &spec->parameters));
  }
  if (const YamlEntry* entry = FindEntry(entries, "env")) {
    BATON_RETURN_IF_ERROR(ReadEnv(context, entry->value, &spec->env));
  }
  if (const YamlEntry* entry = FindEntry(entries, "tags")) {
    BATON_RETURN_IF_ERROR(
        flow_spec_internal::ReadStringList(context, entry->value, "tags", &spec->tags));
  }
  return ReadPolicies(context, entries, spec);
}

}  // namespace
}  // namespace deployment_spec_internal

absl::StatusOr<DeploymentSpec> ParseDeploymentSpec(absl::string_view text,
                                                   absl::string_view source_name) {
  namespace internal = deployment_spec_internal;
  flow_spec_internal::YamlContext context(source_name);
  BATON_ASSIGN_OR_RETURN(YAML::Node root, flow_spec_internal::LoadYamlDocument(
                                              context, text, kMaxDeploymentFileBytes, "deployment",
                                              "a map with keys name and flow"));
  DeploymentSpec spec;
  try {
    BATON_RETURN_IF_ERROR(internal::ReadDeployment(context, root, &spec));
  } catch (const YAML::Exception& e) {
    // Not expected from a loaded document; kept so no exception escapes.
    return context.Fail(
        internal::Issue{"", "unreadable YAML: " + e.msg, "well-formed YAML or JSON"}, e.mark);
  }
  if (auto issue = internal::FindIssue(spec, internal::Form::kFile)) {
    return flow_spec_internal::IssueStatus(source_name, *issue, context.TakePositions());
  }
  return spec;
}

}  // namespace baton
