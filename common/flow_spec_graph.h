// Internal to the flow_spec module (include only from common/flow_spec*.cc).
//
// The rules about how tasks refer to each other. Each assumes the rules before
// it held: task names are checked for duplicates first, then dependencies and
// the result task must name existing tasks, then the graph must be acyclic.
#pragma once

#include <optional>

#include "common/flow_spec.h"
#include "common/flow_spec_rules.h"

namespace baton::flow_spec_internal {

// A task name used twice: names both indices.
std::optional<Issue> DuplicateTaskIssue(const FlowSpec& spec);

// A dependency listed twice, on the task itself, or on an unknown task.
std::optional<Issue> DependencyIssue(const FlowSpec& spec);

// A result task that is not one of the tasks.
std::optional<Issue> ResultIssue(const FlowSpec& spec);

// A dependency cycle, named in execution order from its earliest task:
// "dependency cycle: a -> b -> c -> a".
std::optional<Issue> CycleIssue(const FlowSpec& spec);

}  // namespace baton::flow_spec_internal
