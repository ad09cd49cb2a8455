// The canonical JSON form of a flow: FlowSpecToJson and FlowSpecFromJson.
#include <string>
#include <utility>
#include <vector>

#include "common/base/status_macros.h"
#include "common/spec/flow.h"
#include "common/spec/internal/flow_rules.h"
#include "common/spec/internal/json_reader.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton {
namespace {

using json = nlohmann::json;
using flow_spec_internal::Form;
using flow_spec_internal::JoinPath;
using flow_spec_internal::JsonReader;

json ParameterToJson(const ParameterSpec& param) {
  return json{{"name", param.name},
              {"default", param.default_value},
              {"required", param.required},
              {"description", param.description}};
}

json OptionalRetryToJson(const std::optional<RetryPolicy>& retry) {
  return retry.has_value() ? RetryPolicyToJson(*retry) : json();
}

json TaskToJson(const TaskSpec& task) {
  json out{
      {"name", task.name},
      {"handler", task.handler},
      {"depends_on", task.depends_on},
      {"queue", task.queue},
      {"config", task.config},
      {"retry", OptionalRetryToJson(task.retry)},
      {"circuit_breaker",
       task.circuit_breaker.has_value() ? CircuitBreakerToJson(*task.circuit_breaker) : json()},
      {"fallback", task.fallback}};
  flow_spec_internal::AddTimeoutsJson(task.timeouts, &out);
  return out;
}

json DefaultsToJson(const FlowSpec& spec) {
  json out{{"retry", OptionalRetryToJson(spec.default_retry)}};
  flow_spec_internal::AddTimeoutsJson(spec.default_timeouts, &out);
  return out;
}

// The list flow[key] (nullptr when absent but optional), checked to be a list.
absl::StatusOr<const json*> ListMember(const JsonReader& reader, const json& flow,
                                       absl::string_view key, bool required) {
  BATON_ASSIGN_OR_RETURN(const json* list, reader.Member(flow, "", key, required));
  if (list != nullptr && !list->is_array()) {
    return reader.WrongType(std::string(key), *list, "a list");
  }
  return list;
}

absl::Status ReadParameter(const JsonReader& reader, const json& value, const std::string& path,
                           ParameterSpec* param) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, path, flow_spec_internal::kJsonParameterKeys));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "name", true, &param->name));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "description", false, &param->description));
  BATON_RETURN_IF_ERROR(reader.ReadBool(value, path, "required", &param->required));
  param->default_value = value.value("default", json());
  return absl::OkStatus();
}

absl::Status ReadTask(const JsonReader& reader, const json& value, const std::string& path,
                      TaskSpec* task) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(value, path, flow_spec_internal::kJsonTaskKeys));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "name", true, &task->name));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "handler", true, &task->handler));
  BATON_RETURN_IF_ERROR(reader.ReadString(value, path, "queue", false, &task->queue));
  BATON_ASSIGN_OR_RETURN(const json* depends_on, reader.Member(value, path, "depends_on", false));
  if (depends_on != nullptr) {
    BATON_RETURN_IF_ERROR(
        reader.ReadStrings(*depends_on, JoinPath(path, "depends_on"), &task->depends_on));
  }
  task->config = value.value("config", json::object());
  BATON_RETURN_IF_ERROR(
      flow_spec_internal::ReadOptionalRetryJson(reader, value, path, "retry", &task->retry));
  BATON_RETURN_IF_ERROR(flow_spec_internal::ReadTimeoutsJson(reader, value, path, &task->timeouts));
  BATON_RETURN_IF_ERROR(flow_spec_internal::ReadOptionalBreakerJson(
      reader, value, path, "circuit_breaker", &task->circuit_breaker));
  return reader.ReadString(value, path, "fallback", false, &task->fallback);
}

absl::Status ReadDefaults(const JsonReader& reader, const json& flow, FlowSpec* spec) {
  BATON_ASSIGN_OR_RETURN(const json* defaults, reader.Member(flow, "", "defaults", false));
  if (defaults == nullptr) return absl::OkStatus();
  BATON_RETURN_IF_ERROR(
      reader.CheckObject(*defaults, "defaults", flow_spec_internal::kJsonDefaultsKeys));
  BATON_RETURN_IF_ERROR(flow_spec_internal::ReadOptionalRetryJson(reader, *defaults, "defaults",
                                                                  "retry", &spec->default_retry));
  return flow_spec_internal::ReadTimeoutsJson(reader, *defaults, "defaults",
                                              &spec->default_timeouts);
}

absl::Status ReadFlow(const JsonReader& reader, const json& flow, FlowSpec* spec) {
  BATON_RETURN_IF_ERROR(reader.CheckObject(flow, "", flow_spec_internal::kJsonFlowKeys));
  BATON_RETURN_IF_ERROR(reader.ReadString(flow, "", "name", true, &spec->name));
  BATON_RETURN_IF_ERROR(reader.ReadString(flow, "", "description", false, &spec->description));
  BATON_RETURN_IF_ERROR(reader.ReadString(flow, "", "result", false, &spec->result_task));
  BATON_RETURN_IF_ERROR(reader.ReadMilliseconds(flow, "", "timeout_ms", &spec->timeout));
  BATON_RETURN_IF_ERROR(ReadDefaults(reader, flow, spec));
  BATON_ASSIGN_OR_RETURN(const json* parameters, ListMember(reader, flow, "parameters", false));
  for (size_t i = 0; parameters != nullptr && i < parameters->size(); ++i) {
    BATON_RETURN_IF_ERROR(ReadParameter(reader, (*parameters)[i],
                                        flow_spec_internal::IndexPath("parameters", i),
                                        &spec->parameters.emplace_back()));
  }
  BATON_ASSIGN_OR_RETURN(const json* tasks, ListMember(reader, flow, "tasks", true));
  for (size_t i = 0; i < tasks->size(); ++i) {
    BATON_RETURN_IF_ERROR(ReadTask(reader, (*tasks)[i], flow_spec_internal::IndexPath("tasks", i),
                                   &spec->tasks.emplace_back()));
  }
  return absl::OkStatus();
}

}  // namespace

json FlowSpecToJson(const FlowSpec& spec) {
  json parameters = json::array();
  for (const ParameterSpec& param : spec.parameters) {
    parameters.push_back(ParameterToJson(param));
  }
  json tasks = json::array();
  for (const TaskSpec& task : spec.tasks) tasks.push_back(TaskToJson(task));
  return json{{"name", spec.name},
              {"description", spec.description},
              {"parameters", std::move(parameters)},
              {"result", spec.result_task},
              {"tasks", std::move(tasks)},
              {"timeout_ms", absl::ToInt64Milliseconds(spec.timeout)},
              {"defaults", DefaultsToJson(spec)}};
}

absl::StatusOr<FlowSpec> FlowSpecFromJson(const json& flow, absl::string_view source_name) {
  FlowSpec spec;
  BATON_RETURN_IF_ERROR(ReadFlow(JsonReader(source_name), flow, &spec));
  if (auto issue = flow_spec_internal::FindIssue(spec, Form::kCanonical)) {
    return flow_spec_internal::IssueStatus(source_name, *issue);
  }
  return spec;
}

}  // namespace baton
