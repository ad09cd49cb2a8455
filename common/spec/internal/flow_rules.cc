#include "common/spec/internal/flow_rules.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/json_util.h"
#include "common/spec/internal/flow_graph.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton {
namespace flow_spec_internal {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxQuotedChars = 64;

std::optional<Issue> FlowFieldsIssue(const FlowSpec& spec, Form form) {
  if (auto issue = NameIssue("name", "flow name", spec.name)) return issue;
  if (auto issue = TextIssue("description", "description", spec.description)) {
    return issue;
  }
  return FlowResilienceIssue(spec, form);
}

std::optional<Issue> ParameterIssue(const FlowSpec& spec, Form form, size_t i) {
  const ParameterSpec& param = spec.parameters[i];
  auto path = [&](absl::string_view field) { return ParameterPath(form, spec, i, field); };
  if (auto issue = NameIssue(path("name"), "parameter name", param.name)) {
    return issue;
  }
  if (param.required && !param.default_value.is_null()) {
    return Issue{
        path("default"),
        absl::StrCat("parameter ", Quote(param.name), " is required and also has a default"),
        "either required: true or a default, not both"};
  }
  if (auto issue = JsonValueIssue(path("default"), "default", param.default_value,
                                  kMaxParameterValueBytes)) {
    return issue;
  }
  return TextIssue(path("description"), "description", param.description);
}

std::optional<Issue> DuplicateParameterIssue(const FlowSpec& spec, Form form, size_t i) {
  for (size_t j = 0; j < i; ++j) {
    if (spec.parameters[j].name != spec.parameters[i].name) continue;
    return Issue{ParameterPath(form, spec, i, "name"),
                 absl::StrCat(IndexPath("parameters", j), " and ", IndexPath("parameters", i),
                              " are both named ", Quote(spec.parameters[i].name)),
                 "unique parameter names"};
  }
  return std::nullopt;
}

std::optional<Issue> ParametersIssue(const FlowSpec& spec, Form form) {
  if (auto issue = CountIssue("parameters", "parameters", spec.parameters.size(), kMaxParameters)) {
    return issue;
  }
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    if (auto issue = ParameterIssue(spec, form, i)) return issue;
    if (auto issue = DuplicateParameterIssue(spec, form, i)) return issue;
  }
  return std::nullopt;
}

std::optional<Issue> HandlerIssue(std::string path, absl::string_view handler) {
  if (IsValidHandlerName(handler)) return std::nullopt;
  return Issue{std::move(path),
               absl::StrCat("handler ", Quote(handler), " is not a valid handler name"),
               absl::StrFormat("dot-separated segments of [a-z_][a-z0-9_]*, at most "
                               "%d characters (e.g. \"etl.extract\")",
                               kMaxHandlerNameLength)};
}

std::optional<Issue> ConfigIssue(std::string path, const json& config) {
  if (!config.is_object()) {
    return WrongTypeIssue(std::move(path), absl::StrCat("a JSON ", config.type_name()),
                          "a map of option names to values");
  }
  return JsonValueIssue(std::move(path), "config", config, kMaxTaskConfigBytes);
}

std::optional<Issue> TaskIssue(const TaskSpec& task, const std::string& path, Form form) {
  if (auto issue = NameIssue(JoinPath(path, "name"), "task name", task.name)) {
    return issue;
  }
  if (auto issue = HandlerIssue(JoinPath(path, "handler"), task.handler)) {
    return issue;
  }
  if (auto issue = NameIssue(JoinPath(path, "queue"), "queue", task.queue)) {
    return issue;
  }
  if (auto issue = CountIssue(JoinPath(path, "depends_on"), "dependencies", task.depends_on.size(),
                              kMaxDependenciesPerTask)) {
    return issue;
  }
  if (auto issue = ConfigIssue(JoinPath(path, "config"), task.config)) {
    return issue;
  }
  return TaskResilienceIssue(task, path, form);
}

std::optional<Issue> TasksIssue(const FlowSpec& spec, Form form) {
  if (spec.tasks.empty()) {
    return Issue{"tasks", "the flow has no tasks", "at least one task"};
  }
  if (auto issue = CountIssue("tasks", "tasks", spec.tasks.size(), kMaxTasksPerFlow)) {
    return issue;
  }
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    if (auto issue = TaskIssue(spec.tasks[i], IndexPath("tasks", i), form)) {
      return issue;
    }
  }
  return DuplicateTaskIssue(spec);
}

// Each value was checked on its own; here all of them together, serialized.
std::optional<Issue> ValuesSizeIssue(const FlowSpec& spec, Form) {
  size_t total = 0;
  for (const ParameterSpec& param : spec.parameters) total += param.default_value.dump().size();
  for (const TaskSpec& task : spec.tasks) total += task.config.dump().size();
  if (total <= kMaxFlowValuesBytes) return std::nullopt;
  return Issue{"tasks",
               absl::StrFormat("task configs and parameter defaults are %d bytes as JSON "
                               "all together",
                               total),
               absl::StrFormat("at most %d bytes in all", kMaxFlowValuesBytes), false};
}

std::optional<Issue> GraphIssue(const FlowSpec& spec, Form form) {
  if (auto issue = DependencyIssue(spec)) return issue;
  if (auto issue = FallbackIssue(spec)) return issue;
  if (auto issue = ResultIssue(spec)) return issue;
  if (auto issue = CycleIssue(spec)) return issue;
  return BreakerKeyIssue(spec, form);
}

// "tasks[0].retry.delays[2]" -> "tasks[0].retry.delays" -> "tasks[0].retry".
std::string ParentPath(absl::string_view path) {
  size_t cut = path.find_last_of(".[");
  return std::string(path.substr(0, cut == absl::string_view::npos ? 0 : cut));
}

}  // namespace

std::optional<Issue> TextIssue(std::string path, absl::string_view what, absl::string_view text) {
  if (text.size() > kMaxDescriptionLength) {
    return Issue{std::move(path), absl::StrFormat("%s is %d bytes long", what, text.size()),
                 absl::StrFormat("at most %d bytes", kMaxDescriptionLength)};
  }
  return JsonValueIssue(std::move(path), what, json(std::string(text)), SIZE_MAX);
}

absl::Status IssueStatus(absl::string_view source, const Issue& issue,
                         const std::optional<Position>& position) {
  std::string message(source);
  if (!issue.path.empty()) absl::StrAppend(&message, ": ", issue.path);
  if (position.has_value() && issue.positioned) {
    absl::StrAppendFormat(&message, " (line %d, column %d)", position->line, position->column);
  }
  absl::StrAppend(&message, ": ", issue.what, "; expected ", issue.expected);
  return absl::InvalidArgumentError(message);
}

absl::Status IssueStatus(absl::string_view source, const Issue& issue,
                         const PositionTable& positions) {
  for (std::string path = issue.path; !path.empty(); path = ParentPath(path)) {
    auto it = positions.find(path);
    if (it == positions.end()) continue;
    if (path != issue.path || it->second.written_path.empty()) {
      return IssueStatus(source, issue, it->second);
    }
    Issue as_written = issue;
    as_written.path = it->second.written_path;
    return IssueStatus(source, as_written, it->second);
  }
  return IssueStatus(source, issue);
}

std::string JoinPath(absl::string_view parent, absl::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(parent, ".", key);
}

std::string IndexPath(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

std::string ParameterPath(Form form, const FlowSpec& spec, size_t index, absl::string_view field) {
  if (form == Form::kCanonical) {
    return JoinPath(IndexPath("parameters", index), field);
  }
  std::string base = JoinPath("parameters", spec.parameters[index].name);
  if (field.empty() || field == "name") return base;
  return JoinPath(base, field);
}

std::optional<Issue> NameIssue(std::string path, absl::string_view kind, absl::string_view name) {
  if (IsValidName(name)) return std::nullopt;
  return Issue{std::move(path), absl::StrCat(kind, " ", Quote(name), " is not a valid name"),
               absl::StrFormat("1 to %d characters of [A-Za-z0-9_.-], "
                               "starting with a letter or digit",
                               kMaxNameLength)};
}

std::optional<Issue> CountIssue(std::string path, absl::string_view what, size_t count,
                                size_t max) {
  if (count <= max) return std::nullopt;
  return Issue{std::move(path), absl::StrFormat("%d %s", count, what),
               absl::StrFormat("at most %d", max)};
}

std::string Quote(absl::string_view s) {
  if (s.size() <= kMaxQuotedChars) {
    return absl::StrCat("\"", absl::CHexEscape(s), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMaxQuotedChars)), "...\"");
}

Issue UnknownKeyIssue(absl::string_view parent, absl::string_view key,
                      absl::Span<const absl::string_view> allowed) {
  return Issue{JoinPath(parent, key), absl::StrCat("unknown key ", Quote(key)),
               absl::StrCat("one of: ", absl::StrJoin(allowed, ", "))};
}

Issue MissingKeyIssue(absl::string_view parent, absl::string_view key) {
  std::string where =
      parent.empty() ? std::string("at the top level") : absl::StrCat("in ", parent);
  return Issue{JoinPath(parent, key), absl::StrCat("missing required key ", Quote(key)),
               absl::StrCat("a ", Quote(key), " key ", where)};
}

Issue WrongTypeIssue(std::string path, absl::string_view got, absl::string_view expected) {
  return Issue{std::move(path), absl::StrCat("found ", got), std::string(expected)};
}

Issue TooLargeIssue(std::string path, absl::string_view what, size_t max_bytes) {
  return Issue{std::move(path),
               absl::StrFormat("%s is larger than %d bytes as JSON", what, max_bytes),
               absl::StrFormat("at most %d bytes", max_bytes)};
}

std::optional<Issue> JsonValueIssue(std::string path, absl::string_view what, const json& value,
                                    size_t max_bytes) {
  std::string text;
  try {
    text = value.dump();
  } catch (const json::exception&) {
    return Issue{std::move(path), absl::StrCat(what, " contains text that is not valid UTF-8"),
                 "UTF-8 text"};
  }
  if (ContainsNulCharacter(value)) {
    return Issue{std::move(path), absl::StrCat(what, " contains the character U+0000 (NUL)"),
                 "text without NUL characters, which the database cannot store"};
  }
  if (text.size() <= max_bytes) return std::nullopt;
  return TooLargeIssue(std::move(path), what, max_bytes);
}

std::optional<Issue> FindIssue(const FlowSpec& spec, Form form) {
  for (auto* rules :
       {&FlowFieldsIssue, &ParametersIssue, &TasksIssue, &ValuesSizeIssue, &GraphIssue}) {
    if (auto issue = rules(spec, form)) return issue;
  }
  return std::nullopt;
}

}  // namespace flow_spec_internal

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsValidHandlerName(absl::string_view handler) {
  if (handler.empty() || handler.size() > kMaxHandlerNameLength) return false;
  for (absl::string_view segment : absl::StrSplit(handler, '.')) {
    if (segment.empty()) return false;
    if (absl::ascii_isdigit(static_cast<unsigned char>(segment[0]))) {
      return false;
    }
    for (char c : segment) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
        return false;
      }
    }
  }
  return true;
}

}  // namespace baton
