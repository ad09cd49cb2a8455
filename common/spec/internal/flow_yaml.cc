// Reads a flow file's structure. Every rule about the values read (names,
// sizes, the graph) lives in FindIssue; this file only knows the shape.
#include "common/spec/internal/flow_yaml.h"

#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/json_util.h"
#include "common/base/status_macros.h"

namespace baton::flow_spec_internal {

using json = nlohmann::json;

const YamlEntry* FindEntry(const std::vector<YamlEntry>& entries, absl::string_view key) {
  auto it = absl::c_find_if(entries, [&](const YamlEntry& entry) { return entry.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

// yaml-cpp places an empty value ("key:" and a line break) at the start of the
// next line; the key is the better place.
YAML::Mark ValueMark(const YamlEntry& entry) {
  YAML::Mark value = entry.value.Mark();
  bool moved = value.line > entry.key_node.Mark().line;
  return entry.value.IsNull() && moved ? entry.key_node.Mark() : value;
}

absl::StatusOr<std::vector<YamlEntry>> ReadFields(YamlContext& context, const YAML::Node& node,
                                                  const std::string& path,
                                                  absl::Span<const absl::string_view> allowed,
                                                  absl::string_view expected) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         YamlMapEntries(context, node, path, expected));
  for (const YamlEntry& entry : entries) {
    if (!absl::c_linear_search(allowed, entry.key)) {
      return context.Fail(UnknownKeyIssue(path, entry.key, allowed), entry.key_node.Mark());
    }
    context.Note(JoinPath(path, entry.key), ValueMark(entry));
  }
  return entries;
}

absl::Status ReadString(const YamlContext& context, const YAML::Node& node, const std::string& path,
                        std::string* out) {
  if (!node.IsScalar()) {
    return context.Fail(WrongTypeIssue(path, YamlKindName(node), "a string"), node);
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status ReadOptionalString(const YamlContext& context, const std::vector<YamlEntry>& entries,
                                const std::string& parent, absl::string_view key,
                                std::string* out) {
  const YamlEntry* entry = FindEntry(entries, key);
  if (entry == nullptr) return absl::OkStatus();
  return ReadString(context, entry->value, JoinPath(parent, key), out);
}

absl::Status ReadRequiredString(const YamlContext& context, const std::vector<YamlEntry>& entries,
                                const YAML::Node& map, const std::string& parent,
                                absl::string_view key, std::string* out) {
  if (FindEntry(entries, key) == nullptr) {
    return context.Fail(MissingKeyIssue(parent, key), map.Mark());
  }
  return ReadOptionalString(context, entries, parent, key, out);
}

absl::Status ReadBool(const YamlContext& context, const YAML::Node& node, const std::string& path,
                      bool* out) {
  BATON_ASSIGN_OR_RETURN(json value, YamlToJson(context, node, path, "value", 64));
  if (!value.is_boolean()) {
    std::string got = node.IsScalar() ? Quote(node.Scalar()) : YamlKindName(node);
    return context.Fail(WrongTypeIssue(path, got, "true or false (unquoted)"), node);
  }
  *out = value.get<bool>();
  return absl::OkStatus();
}

namespace {

// A single task name, or a list of them.
absl::Status ReadDependsOn(YamlContext& context, const YAML::Node& node, const std::string& path,
                           std::vector<std::string>* out) {
  if (node.IsScalar()) {
    context.Note(IndexPath(path, 0), node.Mark());
    out->push_back(node.Scalar());
    return absl::OkStatus();
  }
  if (!node.IsSequence()) {
    return context.Fail(
        WrongTypeIssue(path, YamlKindName(node), "a task name or a list of task names"), node);
  }
  for (const YAML::Node& item : node) {
    std::string item_path = IndexPath(path, out->size());
    context.Note(item_path, item.Mark());
    BATON_RETURN_IF_ERROR(ReadString(context, item, item_path, &out->emplace_back()));
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskSpec> ReadTask(YamlContext& context, const YAML::Node& node,
                                  const std::string& path) {
  context.Note(path, node.Mark());
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileTaskKeys,
                                    "a task: a map with keys name, handler and "
                                    "optionally depends_on, queue, config, retry, "
                                    "timeout, heartbeat_timeout, "
                                    "schedule_to_start_timeout, circuit_breaker, "
                                    "fallback"));
  TaskSpec task;
  BATON_RETURN_IF_ERROR(ReadRequiredString(context, entries, node, path, "name", &task.name));
  BATON_RETURN_IF_ERROR(ReadRequiredString(context, entries, node, path, "handler", &task.handler));
  BATON_RETURN_IF_ERROR(ReadOptionalString(context, entries, path, "queue", &task.queue));
  if (const YamlEntry* entry = FindEntry(entries, "depends_on")) {
    BATON_RETURN_IF_ERROR(
        ReadDependsOn(context, entry->value, JoinPath(path, "depends_on"), &task.depends_on));
  }
  if (const YamlEntry* entry = FindEntry(entries, "config")) {
    BATON_ASSIGN_OR_RETURN(task.config, YamlToJson(context, entry->value, JoinPath(path, "config"),
                                                   "config", kMaxTaskConfigBytes));
  }
  BATON_RETURN_IF_ERROR(ReadTaskResilience(context, entries, path, &task));
  return task;
}

absl::Status ReadTasks(YamlContext& context, const YAML::Node& node, std::vector<TaskSpec>* out) {
  if (!node.IsSequence()) {
    return context.Fail(WrongTypeIssue("tasks", YamlKindName(node), "a list of tasks"), node);
  }
  for (const YAML::Node& item : node) {
    BATON_ASSIGN_OR_RETURN(TaskSpec task, ReadTask(context, item, IndexPath("tasks", out->size())));
    out->push_back(std::move(task));
  }
  return absl::OkStatus();
}

absl::Status ReadParameter(YamlContext& context, const YAML::Node& node, const std::string& path,
                           ParameterSpec* param) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, node, path, kFileParameterKeys,
                                    "a map with optional keys default, required, "
                                    "description"));
  if (const YamlEntry* entry = FindEntry(entries, "default")) {
    BATON_ASSIGN_OR_RETURN(param->default_value,
                           YamlToJson(context, entry->value, JoinPath(path, "default"), "default",
                                      kMaxParameterValueBytes));
  }
  if (const YamlEntry* entry = FindEntry(entries, "required")) {
    BATON_RETURN_IF_ERROR(
        ReadBool(context, entry->value, JoinPath(path, "required"), &param->required));
  }
  return ReadOptionalString(context, entries, path, "description", &param->description);
}

absl::Status ReadParameters(YamlContext& context, const YAML::Node& node,
                            std::vector<ParameterSpec>* out) {
  BATON_ASSIGN_OR_RETURN(
      std::vector<YamlEntry> entries,
      YamlMapEntries(context, node, "parameters", "a map of parameter names to parameters"));
  for (const YamlEntry& entry : entries) {
    std::string path = JoinPath("parameters", entry.key);
    context.Note(path, entry.key_node.Mark());
    ParameterSpec& param = out->emplace_back();
    param.name = entry.key;
    BATON_RETURN_IF_ERROR(ReadParameter(context, entry.value, path, &param));
  }
  return absl::OkStatus();
}

absl::Status ReadFlow(YamlContext& context, const YAML::Node& root, FlowSpec* spec) {
  BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                         ReadFields(context, root, "", kFileFlowKeys,
                                    "a flow: a map with keys name, tasks and "
                                    "optionally description, parameters, result, "
                                    "timeout, defaults"));
  BATON_RETURN_IF_ERROR(ReadRequiredString(context, entries, root, "", "name", &spec->name));
  BATON_RETURN_IF_ERROR(
      ReadOptionalString(context, entries, "", "description", &spec->description));
  if (const YamlEntry* entry = FindEntry(entries, "parameters")) {
    BATON_RETURN_IF_ERROR(ReadParameters(context, entry->value, &spec->parameters));
  }
  BATON_RETURN_IF_ERROR(ReadOptionalString(context, entries, "", "result", &spec->result_task));
  BATON_RETURN_IF_ERROR(ReadFlowResilience(context, entries, spec));
  const YamlEntry* tasks = FindEntry(entries, "tasks");
  if (tasks == nullptr) {
    return context.Fail(MissingKeyIssue("", "tasks"), root.Mark());
  }
  return ReadTasks(context, tasks->value, &spec->tasks);
}

// The line and column (0-based, as yaml-cpp counts) of byte `offset`.
YAML::Mark MarkAt(absl::string_view text, size_t offset) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else {
      ++mark.column;
    }
  }
  return mark;
}

}  // namespace

absl::Status YamlContext::Fail(const Issue& issue, const YAML::Mark& mark) const {
  if (mark.is_null()) return IssueStatus(source_, issue);
  return IssueStatus(source_, issue, Position{mark.line + 1, mark.column + 1, ""});
}

absl::Status YamlContext::Fail(const Issue& issue, const YAML::Node& node) const {
  auto noted = positions_.find(issue.path);
  if (node.IsNull() && noted != positions_.end()) {
    return IssueStatus(source_, issue, noted->second);
  }
  return Fail(issue, node.Mark());
}

absl::StatusOr<YAML::Node> LoadYamlDocument(const YamlContext& context, absl::string_view text,
                                            size_t max_bytes, absl::string_view kind,
                                            absl::string_view expected) {
  if (text.size() > max_bytes) {
    return context.Fail(Issue{"", absl::StrFormat("the file is %d bytes", text.size()),
                              absl::StrFormat("at most %d bytes", max_bytes)},
                        YAML::Mark::null_mark());
  }
  if (auto at = FindExcessNesting(text, kMaxFileDepth, TextSyntax::kYaml)) {
    return context.Fail(
        Issue{"", absl::StrFormat("the file nests more than %d levels of [ and {", kMaxFileDepth),
              absl::StrFormat("at most %d levels", kMaxFileDepth)},
        MarkAt(text, *at));
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return context.Fail(Issue{"", "invalid YAML: " + e.msg, "well-formed YAML or JSON"}, e.mark);
  }
  if (documents.empty()) {
    return context.Fail(Issue{"", absl::StrCat("the file holds no ", kind), std::string(expected)},
                        YAML::Mark::null_mark());
  }
  if (documents.size() > 1) {
    return context.Fail(
        Issue{"", absl::StrFormat("the file holds %d YAML documents", documents.size()),
              "exactly one"},
        documents[1].Mark());
  }
  return documents[0];
}

void YamlContext::Note(const std::string& path, const YAML::Mark& mark) {
  NoteAlias(path, "", mark);
}

void YamlContext::NoteAlias(const std::string& path, const std::string& written_path,
                            const YAML::Mark& mark) {
  if (!mark.is_null()) {
    positions_[path] = Position{mark.line + 1, mark.column + 1, written_path};
  }
}

absl::StatusOr<ParsedFlow> ReadYamlFlow(absl::string_view text, absl::string_view source) {
  YamlContext context(source);
  BATON_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(context, text, kMaxFlowFileBytes, "flow",
                                                           "a map with keys name and tasks"));
  ParsedFlow parsed;
  try {
    BATON_RETURN_IF_ERROR(ReadFlow(context, root, &parsed.spec));
  } catch (const YAML::Exception& e) {
    // Not expected from a loaded document; kept so no exception escapes.
    return context.Fail(Issue{"", "unreadable YAML: " + e.msg, "well-formed YAML or JSON"}, e.mark);
  }
  parsed.positions = context.TakePositions();
  return parsed;
}

}  // namespace baton::flow_spec_internal
