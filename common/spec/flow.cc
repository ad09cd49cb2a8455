#include "common/spec/flow.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/status_macros.h"
#include "common/spec/internal/flow_rules.h"
#include "common/spec/internal/flow_yaml.h"

namespace baton {
namespace {

using json = nlohmann::json;
using flow_spec_internal::Issue;

absl::Status ParameterError(const FlowSpec& spec, const Issue& issue) {
  return flow_spec_internal::IssueStatus(
      absl::StrCat("flow ", flow_spec_internal::Quote(spec.name)), issue);
}

std::string ExpectOneOfParameters(const FlowSpec& spec) {
  if (spec.parameters.empty()) return "no parameters (this flow takes none)";
  return absl::StrCat("one of: ", absl::StrJoin(spec.parameters, ", ",
                                                [](std::string* out, const ParameterSpec& param) {
                                                  absl::StrAppend(out, param.name);
                                                }));
}

absl::Status CheckGivenNames(const FlowSpec& spec, const json& given) {
  absl::flat_hash_set<absl::string_view> known;
  for (const ParameterSpec& param : spec.parameters) known.insert(param.name);
  for (const auto& [name, unused] : given.items()) {
    if (known.contains(name)) continue;
    return ParameterError(spec,
                          Issue{flow_spec_internal::JoinPath("parameters", name),
                                absl::StrCat("unknown parameter ", flow_spec_internal::Quote(name)),
                                ExpectOneOfParameters(spec)});
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ResolveOne(const FlowSpec& spec, const ParameterSpec& param,
                                const json& given) {
  std::string path = flow_spec_internal::JoinPath("parameters", param.name);
  auto it = given.find(param.name);
  if (it == given.end() && param.required) {
    return ParameterError(spec, Issue{path,
                                      absl::StrCat("missing required parameter ",
                                                   flow_spec_internal::Quote(param.name)),
                                      "a value for every required parameter"});
  }
  if (it == given.end()) return param.default_value;
  if (auto issue =
          flow_spec_internal::JsonValueIssue(path, "value", *it, kMaxParameterValueBytes)) {
    return ParameterError(spec, *issue);
  }
  return *it;
}

}  // namespace

absl::StatusOr<FlowSpec> ParseFlowSpec(absl::string_view text, absl::string_view source_name) {
  BATON_ASSIGN_OR_RETURN(flow_spec_internal::ParsedFlow parsed,
                         flow_spec_internal::ReadYamlFlow(text, source_name));
  if (auto issue = flow_spec_internal::FindIssue(parsed.spec, flow_spec_internal::Form::kFile)) {
    return flow_spec_internal::IssueStatus(source_name, *issue, parsed.positions);
  }
  return std::move(parsed.spec);
}

absl::Status ValidateFlowSpec(const FlowSpec& spec, absl::string_view source_name) {
  if (auto issue = flow_spec_internal::FindIssue(spec, flow_spec_internal::Form::kFile)) {
    return flow_spec_internal::IssueStatus(source_name, *issue);
  }
  return absl::OkStatus();
}

std::vector<std::string> TopologicalOrder(const FlowSpec& spec) {
  std::vector<std::string> order;
  for (size_t i : flow_spec_internal::KahnOrder(spec)) {
    order.push_back(spec.tasks[i].name);
  }
  return order;
}

std::vector<std::string> FlowResultTasks(const FlowSpec& spec) {
  if (!spec.result_task.empty()) return {spec.result_task};
  absl::flat_hash_set<absl::string_view> excluded;  // upstream or fallbacks
  for (const TaskSpec& task : spec.tasks) {
    excluded.insert(task.depends_on.begin(), task.depends_on.end());
    if (!task.fallback.empty()) excluded.insert(task.fallback);
  }
  std::vector<std::string> sinks;
  for (const TaskSpec& task : spec.tasks) {
    if (!excluded.contains(task.name)) sinks.push_back(task.name);
  }
  return sinks;
}

RetryPolicy EffectiveRetry(const FlowSpec& spec, const TaskSpec& task) {
  if (task.retry.has_value()) return *task.retry;
  if (spec.default_retry.has_value()) return *spec.default_retry;
  return RetryPolicy();
}

TaskTimeouts EffectiveTimeouts(const FlowSpec& spec, const TaskSpec& task) {
  auto either = [](absl::Duration own, absl::Duration inherited) {
    return own == absl::ZeroDuration() ? inherited : own;
  };
  const TaskTimeouts& flow = spec.default_timeouts;
  return TaskTimeouts{either(task.timeouts.execution, flow.execution),
                      either(task.timeouts.heartbeat, flow.heartbeat),
                      either(task.timeouts.schedule_to_start, flow.schedule_to_start)};
}

bool IsFallbackTask(const FlowSpec& spec, absl::string_view name) {
  for (const TaskSpec& task : spec.tasks) {
    if (!task.fallback.empty() && task.fallback == name) return true;
  }
  return false;
}

absl::StatusOr<json> ResolveParameters(const FlowSpec& spec, const json& given) {
  if (!given.is_null() && !given.is_object()) {
    return ParameterError(
        spec, Issue{"parameters", absl::StrCat("run parameters are a JSON ", given.type_name()),
                    "a JSON object of parameter names to values"});
  }
  const json none = json::object();
  const json& supplied = given.is_null() ? none : given;
  BATON_RETURN_IF_ERROR(CheckGivenNames(spec, supplied));
  json resolved = json::object();
  for (const ParameterSpec& param : spec.parameters) {
    BATON_ASSIGN_OR_RETURN(resolved[param.name], ResolveOne(spec, param, supplied));
  }
  return resolved;
}

}  // namespace baton
