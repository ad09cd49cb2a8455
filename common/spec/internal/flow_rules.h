// Internal to common/ (include only from common/*.cc): the flow_spec module's
// rules and the error vocabulary other file formats in common/ share.
//
// The rules a FlowSpec must satisfy, written once and shared by ParseFlowSpec
// (which adds line/column), ValidateFlowSpec and FlowSpecFromJson, plus the
// error vocabulary the YAML and JSON readers share.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/spec/flow.h"
#include "nlohmann/json.hpp"

namespace baton::flow_spec_internal {

// Keys a flow may have at the top level, a task, and a parameter in the file
// form (keyed by name) and in the canonical JSON form (a list, so with "name").
// Durations are spelled "timeout" in a file and "timeout_ms" in the JSON.
inline constexpr absl::string_view kFileFlowKeys[] = {
    "name", "description", "parameters", "result", "tasks", "timeout", "defaults"};
inline constexpr absl::string_view kJsonFlowKeys[] = {
    "name", "description", "parameters", "result", "tasks", "timeout_ms", "defaults"};
inline constexpr absl::string_view kFileTaskKeys[] = {"name",
                                                      "handler",
                                                      "depends_on",
                                                      "queue",
                                                      "config",
                                                      "retry",
                                                      "timeout",
                                                      "heartbeat_timeout",
                                                      "schedule_to_start_timeout",
                                                      "circuit_breaker",
                                                      "fallback"};
inline constexpr absl::string_view kJsonTaskKeys[] = {"name",
                                                      "handler",
                                                      "depends_on",
                                                      "queue",
                                                      "config",
                                                      "retry",
                                                      "timeout_ms",
                                                      "heartbeat_timeout_ms",
                                                      "schedule_to_start_timeout_ms",
                                                      "circuit_breaker",
                                                      "fallback"};
inline constexpr absl::string_view kFileParameterKeys[] = {"default", "required", "description"};
inline constexpr absl::string_view kJsonParameterKeys[] = {"name", "default", "required",
                                                           "description"};

// A 1-based position in a flow file.
struct Position {
  int line = 0;
  int column = 0;
  // The path as the file spells it, when that differs from the path the rules
  // use (`retries: 3` is checked as max_attempts).
  std::string written_path;
};

// Field path -> where that field starts in the file.
using PositionTable = absl::flat_hash_map<std::string, Position>;

// One broken rule: where (a field path such as "tasks[2].depends_on[0]", empty
// for the whole file), what was wrong, and what was expected instead.
struct Issue {
  std::string path;
  std::string what;
  std::string expected;
  bool positioned = true;  // false: no single place in the file is to blame
};

// How parameter paths are spelled: the file keys parameters by name
// ("parameters.items.default"), the canonical JSON lists them
// ("parameters[0].default").
enum class Form { kFile, kCanonical };

// INVALID_ARGUMENT "<source>: <path> (line L, column C): <what>; expected <x>".
// The position part appears only when `position` is given.
absl::Status IssueStatus(absl::string_view source, const Issue& issue,
                         const std::optional<Position>& position = std::nullopt);

// As above, with the position looked up by the issue's path, else by its
// nearest ancestor's (a field left at its default has no place of its own).
absl::Status IssueStatus(absl::string_view source, const Issue& issue,
                         const PositionTable& positions);

// Path pieces: JoinPath("tasks[0]", "name"), JoinPath("", "name") == "name",
// IndexPath("tasks", 2) == "tasks[2]".
std::string JoinPath(absl::string_view parent, absl::string_view key);
std::string IndexPath(absl::string_view parent, size_t index);

// The path of parameter `index`'s `field` ("" or "name" for the parameter).
std::string ParameterPath(Form form, const FlowSpec& spec, size_t index, absl::string_view field);

// `s` quoted and escaped for an error message, cut short when long.
std::string Quote(absl::string_view s);

// Issues both readers raise.
Issue UnknownKeyIssue(absl::string_view parent, absl::string_view key,
                      absl::Span<const absl::string_view> allowed);
Issue MissingKeyIssue(absl::string_view parent, absl::string_view key);
Issue WrongTypeIssue(std::string path, absl::string_view got, absl::string_view expected);
Issue TooLargeIssue(std::string path, absl::string_view what, size_t max_bytes);

// "<kind> "<name>" is not a valid name" unless IsValidName(name).
std::optional<Issue> NameIssue(std::string path, absl::string_view kind, absl::string_view name);

// "<count> <what>; expected at most <max>" when count > max.
std::optional<Issue> CountIssue(std::string path, absl::string_view what, size_t count, size_t max);

// Free text (a description): at most kMaxDescriptionLength bytes of UTF-8
// without NUL; `what` names it in the message.
std::optional<Issue> TextIssue(std::string path, absl::string_view what, absl::string_view text);

// A JSON value that must serialize (valid UTF-8) to at most `max_bytes`.
std::optional<Issue> JsonValueIssue(std::string path, absl::string_view what,
                                    const nlohmann::json& value, size_t max_bytes);

// The first rule `spec` breaks, checking in file order; nullopt when valid.
std::optional<Issue> FindIssue(const FlowSpec& spec, Form form);

// Task indices in Kahn's order, ready ties taken in file order. Unknown
// dependencies are ignored; tasks on or downstream of a cycle are left out.
std::vector<size_t> KahnOrder(const FlowSpec& spec);

}  // namespace baton::flow_spec_internal
