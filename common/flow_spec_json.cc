// The canonical JSON form of a flow: FlowSpecToJson and FlowSpecFromJson.
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "common/flow_spec.h"
#include "common/flow_spec_rules.h"
#include "common/status_macros.h"

namespace baton {
namespace {

using json = nlohmann::json;
using flow_spec_internal::Form;
using flow_spec_internal::Issue;

json ParameterToJson(const ParameterSpec& param) {
  return json{{"name", param.name},
              {"default", param.default_value},
              {"required", param.required},
              {"description", param.description}};
}

json TaskToJson(const TaskSpec& task) {
  return json{{"name", task.name},
              {"handler", task.handler},
              {"depends_on", task.depends_on},
              {"queue", task.queue},
              {"config", task.config}};
}

// Reads the canonical form's shape; FindIssue then checks the values. Every
// key but the names is optional and defaults as in a flow file.
class JsonReader {
 public:
  explicit JsonReader(absl::string_view source) : source_(source) {}

  absl::Status ReadFlow(const json& flow, FlowSpec* spec) const {
    RETURN_IF_ERROR(CheckObject(flow, "", flow_spec_internal::kFlowKeys));
    RETURN_IF_ERROR(ReadString(flow, "", "name", true, &spec->name));
    RETURN_IF_ERROR(
        ReadString(flow, "", "description", false, &spec->description));
    RETURN_IF_ERROR(ReadString(flow, "", "result", false, &spec->result_task));
    RETURN_IF_ERROR(ReadList(flow, "parameters", false, &spec->parameters,
                             &JsonReader::ReadParameter));
    return ReadList(flow, "tasks", true, &spec->tasks, &JsonReader::ReadTask);
  }

 private:
  absl::Status Fail(const Issue& issue) const {
    return flow_spec_internal::IssueStatus(source_, issue);
  }

  absl::Status WrongType(std::string path, const json& value,
                         absl::string_view expected) const {
    return Fail(flow_spec_internal::WrongTypeIssue(
        std::move(path), absl::StrCat("a JSON ", value.type_name()), expected));
  }

  absl::Status CheckObject(const json& value, const std::string& path,
                           absl::Span<const absl::string_view> allowed) const {
    if (!value.is_object()) return WrongType(path, value, "a JSON object");
    for (const auto& [key, unused] : value.items()) {
      if (!absl::c_linear_search(allowed, key)) {
        return Fail(flow_spec_internal::UnknownKeyIssue(path, key, allowed));
      }
    }
    return absl::OkStatus();
  }

  // The member `key` of `object`; nullptr when it is absent but optional.
  absl::StatusOr<const json*> Member(const json& object,
                                     const std::string& parent,
                                     absl::string_view key,
                                     bool required) const {
    auto it = object.find(std::string(key));
    if (it != object.end()) return &*it;
    if (!required) return nullptr;
    return Fail(flow_spec_internal::MissingKeyIssue(parent, key));
  }

  absl::Status ReadString(const json& object, const std::string& parent,
                          absl::string_view key, bool required,
                          std::string* out) const {
    ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, required));
    if (value == nullptr) return absl::OkStatus();
    std::string path = flow_spec_internal::JoinPath(parent, key);
    if (!value->is_string()) return WrongType(path, *value, "a string");
    *out = value->get_ref<const std::string&>();
    return absl::OkStatus();
  }

  absl::Status ReadStrings(const json& value, const std::string& path,
                           std::vector<std::string>* out) const {
    if (!value.is_array()) return WrongType(path, value, "a list of strings");
    for (const json& item : value) {
      std::string item_path = flow_spec_internal::IndexPath(path, out->size());
      if (!item.is_string()) return WrongType(item_path, item, "a string");
      out->push_back(item.get<std::string>());
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status ReadList(const json& flow, absl::string_view key, bool required,
                        std::vector<T>* out,
                        absl::Status (JsonReader::*read_item)(
                            const json&, const std::string&, T*) const) const {
    ASSIGN_OR_RETURN(const json* list, Member(flow, "", key, required));
    if (list == nullptr) return absl::OkStatus();
    if (!list->is_array()) return WrongType(std::string(key), *list, "a list");
    for (const json& item : *list) {
      std::string path = flow_spec_internal::IndexPath(key, out->size());
      RETURN_IF_ERROR((this->*read_item)(item, path, &out->emplace_back()));
    }
    return absl::OkStatus();
  }

  absl::Status ReadParameter(const json& value, const std::string& path,
                             ParameterSpec* param) const {
    RETURN_IF_ERROR(
        CheckObject(value, path, flow_spec_internal::kJsonParameterKeys));
    RETURN_IF_ERROR(ReadString(value, path, "name", true, &param->name));
    RETURN_IF_ERROR(
        ReadString(value, path, "description", false, &param->description));
    ASSIGN_OR_RETURN(const json* required,
                     Member(value, path, "required", false));
    if (required != nullptr && !required->is_boolean()) {
      return WrongType(flow_spec_internal::JoinPath(path, "required"),
                       *required, "true or false");
    }
    param->required = required != nullptr && required->get<bool>();
    param->default_value = value.value("default", json());
    return absl::OkStatus();
  }

  absl::Status ReadTask(const json& value, const std::string& path,
                        TaskSpec* task) const {
    RETURN_IF_ERROR(CheckObject(value, path, flow_spec_internal::kTaskKeys));
    RETURN_IF_ERROR(ReadString(value, path, "name", true, &task->name));
    RETURN_IF_ERROR(ReadString(value, path, "handler", true, &task->handler));
    RETURN_IF_ERROR(ReadString(value, path, "queue", false, &task->queue));
    ASSIGN_OR_RETURN(const json* depends_on,
                     Member(value, path, "depends_on", false));
    if (depends_on != nullptr) {
      RETURN_IF_ERROR(ReadStrings(
          *depends_on, flow_spec_internal::JoinPath(path, "depends_on"),
          &task->depends_on));
    }
    task->config = value.value("config", json::object());
    return absl::OkStatus();
  }

  std::string source_;
};

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
              {"tasks", std::move(tasks)}};
}

absl::StatusOr<FlowSpec> FlowSpecFromJson(const json& flow,
                                          absl::string_view source_name) {
  FlowSpec spec;
  RETURN_IF_ERROR(JsonReader(source_name).ReadFlow(flow, &spec));
  if (auto issue = flow_spec_internal::FindIssue(spec, Form::kCanonical)) {
    return flow_spec_internal::IssueStatus(source_name, *issue);
  }
  return spec;
}

}  // namespace baton
