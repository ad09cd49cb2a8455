#include "common/spec/internal/flow_graph.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton::flow_spec_internal {
namespace {

// Listing every task of a large flow would drown the message.
constexpr size_t kMaxListedNames = 20;

using TaskIndex = absl::flat_hash_map<absl::string_view, size_t>;

// Task name -> index of its first use.
TaskIndex IndexTasks(const FlowSpec& spec) {
  TaskIndex index;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    index.emplace(spec.tasks[i].name, i);
  }
  return index;
}

// "one of: a, b, c" over every task but `skip` (pass SIZE_MAX to skip none).
std::string ExpectOneOfTasks(const FlowSpec& spec, size_t skip) {
  std::vector<absl::string_view> names;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    if (i != skip) names.push_back(spec.tasks[i].name);
  }
  if (names.empty()) return "no dependencies (the flow has no other task)";
  std::string out = absl::StrCat(
      "one of: ",
      absl::StrJoin(names.begin(), names.begin() + std::min(names.size(), kMaxListedNames), ", "));
  if (names.size() > kMaxListedNames) {
    absl::StrAppend(&out, ", ... (", names.size() - kMaxListedNames, " more)");
  }
  return out;
}

std::optional<Issue> DependencyIssueAt(const FlowSpec& spec, const TaskIndex& index, size_t i,
                                       size_t k) {
  const TaskSpec& task = spec.tasks[i];
  const std::string& dep = task.depends_on[k];
  std::string path = IndexPath(JoinPath(IndexPath("tasks", i), "depends_on"), k);
  auto first = std::find(task.depends_on.begin(), task.depends_on.end(), dep);
  if (first != task.depends_on.begin() + k) {
    return Issue{path,
                 absl::StrCat("task ", Quote(task.name), " lists ", Quote(dep),
                              " twice (also depends_on[", first - task.depends_on.begin(), "])"),
                 "each dependency listed once"};
  }
  if (dep == task.name) {
    return Issue{path, absl::StrCat("task ", Quote(task.name), " depends on itself"),
                 "a dependency on another task"};
  }
  if (index.contains(dep)) return std::nullopt;
  return Issue{path,
               absl::StrCat("task ", Quote(task.name), " depends on unknown task ", Quote(dep)),
               ExpectOneOfTasks(spec, i)};
}

// Task index -> the index of the task it is the fallback of, or kNone.
constexpr size_t kNone = SIZE_MAX;
using ServedBy = std::vector<size_t>;

// The fallback of task i, checked alone; records whom it serves in `served`.
std::optional<Issue> FallbackNameIssue(const FlowSpec& spec, const TaskIndex& index, size_t i,
                                       ServedBy* served) {
  const TaskSpec& task = spec.tasks[i];
  std::string path = JoinPath(IndexPath("tasks", i), "fallback");
  if (task.fallback == task.name) {
    return Issue{path, absl::StrCat("task ", Quote(task.name), " names itself as its fallback"),
                 "another task"};
  }
  auto it = index.find(task.fallback);
  if (it == index.end()) {
    return Issue{path,
                 absl::StrCat("task ", Quote(task.name), " names unknown task ",
                              Quote(task.fallback), " as its fallback"),
                 ExpectOneOfTasks(spec, i)};
  }
  size_t& serves = (*served)[it->second];
  if (serves == kNone) {
    serves = i;
    return std::nullopt;
  }
  return Issue{path,
               absl::StrCat("tasks ", Quote(spec.tasks[serves].name), " and ", Quote(task.name),
                            " both name ", Quote(task.fallback), " as their fallback"),
               "a fallback task that serves only one task"};
}

// Fallback task j, serving task i, must stand alone.
std::optional<Issue> FallbackTaskIssue(const FlowSpec& spec, size_t j, size_t i) {
  const TaskSpec& fallback = spec.tasks[j];
  std::string role = absl::StrCat("task ", Quote(fallback.name), " is the fallback of task ",
                                  Quote(spec.tasks[i].name));
  if (!fallback.depends_on.empty()) {
    return Issue{JoinPath(IndexPath("tasks", j), "depends_on"),
                 absl::StrCat(role, " but has depends_on"),
                 absl::StrCat("no depends_on on a fallback task (it gets the "
                              "input of ",
                              Quote(spec.tasks[i].name), ")")};
  }
  if (fallback.fallback.empty()) return std::nullopt;
  return Issue{
      JoinPath(IndexPath("tasks", j), "fallback"),
      absl::StrCat(role, " but has a fallback of its own (", Quote(fallback.fallback), ")"),
      "no fallback on a fallback task"};
}

std::optional<Issue> DependsOnFallbackIssue(const FlowSpec& spec, const TaskIndex& index,
                                            const ServedBy& served) {
  for (size_t k = 0; k < spec.tasks.size(); ++k) {
    const TaskSpec& task = spec.tasks[k];
    for (size_t m = 0; m < task.depends_on.size(); ++m) {
      auto it = index.find(task.depends_on[m]);
      size_t serves = it == index.end() ? kNone : served[it->second];
      if (serves == kNone) continue;
      return Issue{
          IndexPath(JoinPath(IndexPath("tasks", k), "depends_on"), m),
          absl::StrCat("task ", Quote(task.name), " depends on ", Quote(task.depends_on[m]),
                       ", the fallback of task ", Quote(spec.tasks[serves].name)),
          absl::StrCat("no dependencies on a fallback task (it runs only in "
                       "place of ",
                       Quote(spec.tasks[serves].name), ")")};
    }
  }
  return std::nullopt;
}

// Which tasks are fallbacks, and of whom; assumes FallbackIssue held.
ServedBy FallbackOwners(const FlowSpec& spec) {
  TaskIndex index = IndexTasks(spec);
  ServedBy served(spec.tasks.size(), kNone);
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    auto it = index.find(spec.tasks[i].fallback);
    if (it != index.end()) served[it->second] = i;
  }
  return served;
}

// The first setting in which two breakers of one key differ.
std::optional<Issue> BreakerMismatchIssue(const FlowSpec& spec, size_t first, size_t i, Form form) {
  const CircuitBreakerSpec& a = *spec.tasks[first].circuit_breaker;
  const CircuitBreakerSpec& b = *spec.tasks[i].circuit_breaker;
  struct Setting {
    absl::string_view file_key;
    absl::string_view json_key;
    std::string mine;
    std::string theirs;
  };
  const Setting settings[] = {
      {"failure_threshold", "failure_threshold", absl::StrCat(a.failure_threshold),
       absl::StrCat(b.failure_threshold)},
      {"window", "window_ms", absl::FormatDuration(a.window), absl::FormatDuration(b.window)},
      {"cooldown", "cooldown_ms", absl::FormatDuration(a.cooldown),
       absl::FormatDuration(b.cooldown)}};
  std::string path = JoinPath(IndexPath("tasks", i), "circuit_breaker");
  for (const Setting& s : settings) {
    if (s.mine == s.theirs) continue;
    return Issue{FieldPath(form, path, s.file_key, s.json_key),
                 absl::StrFormat("tasks %s and %s both use circuit breaker %s but with "
                                 "%s %s and %s",
                                 Quote(spec.tasks[first].name), Quote(spec.tasks[i].name),
                                 Quote(a.key), s.file_key, s.mine, s.theirs),
                 "the same failure_threshold, window and cooldown wherever a breaker "
                 "key is used"};
  }
  return std::nullopt;
}

// Task i -> the tasks that depend on it, and the count of each task's
// dependencies not yet run.
struct Graph {
  std::vector<std::vector<size_t>> downstream;
  std::vector<size_t> pending;
};

Graph BuildGraph(const FlowSpec& spec) {
  TaskIndex index = IndexTasks(spec);
  Graph graph{std::vector<std::vector<size_t>>(spec.tasks.size()),
              std::vector<size_t>(spec.tasks.size(), 0)};
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    for (const std::string& dep : spec.tasks[i].depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) continue;
      graph.downstream[it->second].push_back(i);
      ++graph.pending[i];
    }
  }
  return graph;
}

// Follows not-yet-ordered dependencies from `start` until a task repeats; every
// task left out of Kahn's order has such a dependency, so this always ends.
// Returns the cycle in walk order, i.e. each task followed by a dependency.
std::vector<size_t> WalkToCycle(const FlowSpec& spec, const std::vector<bool>& ordered,
                                size_t start) {
  TaskIndex index = IndexTasks(spec);
  absl::flat_hash_map<size_t, size_t> seen_at;
  std::vector<size_t> walk;
  size_t current = start;
  while (!seen_at.contains(current)) {
    seen_at[current] = walk.size();
    walk.push_back(current);
    for (const std::string& dep : spec.tasks[current].depends_on) {
      auto it = index.find(dep);
      if (it != index.end() && !ordered[it->second]) {
        current = it->second;
        break;
      }
    }
  }
  return std::vector<size_t>(walk.begin() + seen_at[current], walk.end());
}

std::string FormatCycle(const FlowSpec& spec, std::vector<size_t> cycle) {
  // The walk went against the arrows (task -> its dependency); show them the
  // way work flows, starting from the task that comes first in the file.
  std::reverse(cycle.begin(), cycle.end());
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  cycle.push_back(cycle.front());
  return absl::StrJoin(
      cycle, " -> ", [&](std::string* out, size_t i) { absl::StrAppend(out, spec.tasks[i].name); });
}

}  // namespace

std::optional<Issue> DuplicateTaskIssue(const FlowSpec& spec) {
  TaskIndex first;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    auto [it, inserted] = first.emplace(spec.tasks[i].name, i);
    if (inserted) continue;
    return Issue{JoinPath(IndexPath("tasks", i), "name"),
                 absl::StrCat("task name ", Quote(spec.tasks[i].name), " is already used by ",
                              IndexPath("tasks", it->second)),
                 "unique task names"};
  }
  return std::nullopt;
}

std::optional<Issue> DependencyIssue(const FlowSpec& spec) {
  TaskIndex index = IndexTasks(spec);
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    for (size_t k = 0; k < spec.tasks[i].depends_on.size(); ++k) {
      if (auto issue = DependencyIssueAt(spec, index, i, k)) return issue;
    }
  }
  return std::nullopt;
}

std::optional<Issue> FallbackIssue(const FlowSpec& spec) {
  TaskIndex index = IndexTasks(spec);
  ServedBy served(spec.tasks.size(), kNone);
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    if (spec.tasks[i].fallback.empty()) continue;
    if (auto issue = FallbackNameIssue(spec, index, i, &served)) return issue;
  }
  for (size_t j = 0; j < spec.tasks.size(); ++j) {
    if (served[j] == kNone) continue;
    if (auto issue = FallbackTaskIssue(spec, j, served[j])) return issue;
  }
  return DependsOnFallbackIssue(spec, index, served);
}

std::optional<Issue> ResultIssue(const FlowSpec& spec) {
  if (spec.result_task.empty()) return std::nullopt;
  TaskIndex index = IndexTasks(spec);
  auto it = index.find(spec.result_task);
  if (it == index.end()) {
    return Issue{"result", absl::StrCat("result names unknown task ", Quote(spec.result_task)),
                 ExpectOneOfTasks(spec, SIZE_MAX)};
  }
  size_t serves = FallbackOwners(spec)[it->second];
  if (serves == kNone) return std::nullopt;
  return Issue{"result",
               absl::StrCat("result names ", Quote(spec.result_task), ", the fallback of task ",
                            Quote(spec.tasks[serves].name)),
               "a task that is not a fallback"};
}

std::optional<Issue> CycleIssue(const FlowSpec& spec) {
  std::vector<bool> ordered(spec.tasks.size(), false);
  for (size_t i : KahnOrder(spec)) ordered[i] = true;
  auto start = std::find(ordered.begin(), ordered.end(), false);
  if (start == ordered.end()) return std::nullopt;
  std::vector<size_t> cycle = WalkToCycle(spec, ordered, start - ordered.begin());
  Issue issue{"tasks", absl::StrCat("dependency cycle: ", FormatCycle(spec, cycle)),
              "dependencies that form no cycle"};
  issue.positioned = false;  // a cycle spans tasks; its names locate it
  return issue;
}

std::optional<Issue> BreakerKeyIssue(const FlowSpec& spec, Form form) {
  absl::flat_hash_map<absl::string_view, size_t> first_use;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    const std::optional<CircuitBreakerSpec>& breaker = spec.tasks[i].circuit_breaker;
    if (!breaker.has_value()) continue;
    auto [it, inserted] = first_use.emplace(breaker->key, i);
    if (inserted) continue;
    if (auto issue = BreakerMismatchIssue(spec, it->second, i, form)) {
      return issue;
    }
  }
  return std::nullopt;
}

std::vector<size_t> KahnOrder(const FlowSpec& spec) {
  Graph graph = BuildGraph(spec);
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    if (graph.pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t next : graph.downstream[i]) {
      if (--graph.pending[next] == 0) ready.push(next);
    }
  }
  return order;
}

}  // namespace baton::flow_spec_internal
