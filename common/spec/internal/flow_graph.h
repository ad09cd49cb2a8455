// Internal to the flow_spec module (include only from common/flow_spec*.cc).
//
// The rules about how tasks refer to each other. Each assumes the rules before
// it held: task names are checked for duplicates first, then dependencies,
// fallbacks and the result task must name existing tasks, then the graph must
// be acyclic.
#pragma once

#include <optional>

#include "common/spec/flow.h"
#include "common/spec/internal/flow_rules.h"

namespace baton::flow_spec_internal {

// A task name used twice: names both indices.
std::optional<Issue> DuplicateTaskIssue(const FlowSpec& spec);

// A dependency listed twice, on the task itself, or on an unknown task.
std::optional<Issue> DependencyIssue(const FlowSpec& spec);

// A fallback that names the task itself or an unknown task, or that breaks
// the fallback contract (see TaskSpec::fallback): a fallback task serving two
// tasks, having depends_on or a fallback of its own, or depended on.
std::optional<Issue> FallbackIssue(const FlowSpec& spec);

// A result task that is not one of the tasks, or that is a fallback task.
std::optional<Issue> ResultIssue(const FlowSpec& spec);

// A dependency cycle, named in execution order from its earliest task:
// "dependency cycle: a -> b -> c -> a".
std::optional<Issue> CycleIssue(const FlowSpec& spec);

// Two tasks naming one circuit breaker key with different failure_threshold,
// window or cooldown (they share one breaker). when_open may differ: it is
// how each task reacts to the open breaker, not part of the breaker.
std::optional<Issue> BreakerKeyIssue(const FlowSpec& spec, Form form);

}  // namespace baton::flow_spec_internal
