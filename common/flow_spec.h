// Flow definitions: parsing (YAML or JSON), validation, and the canonical JSON
// form stored by the orchestrator.
//
// A flow file looks like:
//
//   name: basic-etl
//   description: extract -> transform -> load
//   parameters:
//     items: {default: [1, 2, 3, 4, 5], description: "what to extract"}
//     source: {required: true}
//   result: load            # optional; which task's result is the flow result
//   tasks:
//     - name: extract
//       handler: etl.extract
//     - name: transform
//       handler: etl.transform
//       depends_on: [extract]
//       queue: default
//       config: {factor: 2}   # handler-specific options, an object
//
// Every function here is pure (no I/O) and thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace baton {

// Bounds on what a flow file may contain. Exceeding any is INVALID_ARGUMENT.
inline constexpr size_t kMaxFlowFileBytes = 1 << 20;        // 1 MiB of text
inline constexpr size_t kMaxTasksPerFlow = 1000;
inline constexpr size_t kMaxDependenciesPerTask = 100;
inline constexpr size_t kMaxNameLength = 128;               // flow, task, queue, parameter
inline constexpr size_t kMaxHandlerNameLength = 128;
inline constexpr size_t kMaxDescriptionLength = 4096;
inline constexpr size_t kMaxParameters = 100;
inline constexpr size_t kMaxTaskConfigBytes = 64 * 1024;    // serialized JSON
inline constexpr size_t kMaxParameterValueBytes = 64 * 1024; // one default, serialized

struct ParameterSpec {
  std::string name;
  nlohmann::json default_value;  // null when there is no default
  bool required = false;         // true: a run must supply it (no default allowed)
  std::string description;
};

struct TaskSpec {
  std::string name;
  std::string handler;
  std::vector<std::string> depends_on;  // in file order, no duplicates
  std::string queue = "default";
  nlohmann::json config = nlohmann::json::object();  // always an object
};

struct FlowSpec {
  std::string name;
  std::string description;
  std::vector<ParameterSpec> parameters;  // in file order
  std::vector<TaskSpec> tasks;            // in file order
  std::string result_task;                // empty: see FlowResultTasks()
};

// Parses and validates a flow file. `source_name` (usually the file name) starts
// every error message. Errors are INVALID_ARGUMENT and read like
//   etl.yaml: tasks[2].depends_on[0] (line 14, column 19): task "load" depends on
//   unknown task "transfrom"; expected one of: extract, transform
// i.e. source, field path, position when known, what was wrong, what was expected.
// YAML and JSON are both accepted (JSON is YAML). Unknown keys are errors.
absl::StatusOr<FlowSpec> ParseFlowSpec(absl::string_view text,
                                       absl::string_view source_name);

// Checks every rule a parsed spec must satisfy: names well formed and bounded,
// task names unique, every dependency exists and is not the task itself, no
// cycle (the message names it: `a -> b -> c -> a`), result task exists, sizes
// bounded. Errors as for ParseFlowSpec, without line/column.
absl::Status ValidateFlowSpec(const FlowSpec& spec, absl::string_view source_name);

// Canonical JSON form (stable key order) used for storage and digests, and its
// inverse. FlowSpecFromJson validates like ParseFlowSpec.
nlohmann::json FlowSpecToJson(const FlowSpec& spec);
absl::StatusOr<FlowSpec> FlowSpecFromJson(const nlohmann::json& json,
                                          absl::string_view source_name);

// Task names in a dependency-respecting order (each task after all of its
// upstream tasks; ties in file order). Precondition: spec is valid.
std::vector<std::string> TopologicalOrder(const FlowSpec& spec);

// The tasks whose results make up the flow result: {result_task} when set,
// else every task no other task depends on (in file order).
std::vector<std::string> FlowResultTasks(const FlowSpec& spec);

// Merges run parameters over the spec's defaults. `given` must be a JSON object
// (or null for none). Errors (INVALID_ARGUMENT): unknown parameter (names the
// known ones), missing required parameter, value too large.
absl::StatusOr<nlohmann::json> ResolveParameters(const FlowSpec& spec,
                                                 const nlohmann::json& given);

// True when `name` is a well formed flow/task/queue/parameter name:
// 1..128 characters of [A-Za-z0-9_.-], starting with a letter or digit.
bool IsValidName(absl::string_view name);

// True when `handler` is a well formed handler name: dot-separated segments,
// each [a-z_][a-z0-9_]*  (e.g. "exec", "etl.extract"), at most 128 characters.
bool IsValidHandlerName(absl::string_view handler);

}  // namespace baton
