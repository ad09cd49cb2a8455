#include "orchestrator/engine/settle_rules.h"

#include "absl/strings/str_cat.h"

namespace baton::engine {
namespace {

using model::TaskRunState;

SettleDecision Completed(const FinishedTask& task) {
  SettleDecision d;
  if (!task.fallback_for.empty()) {
    d.adopt_result_into =
        TaskAction{task.fallback_for,
                   absl::StrCat("fallback \"", task.name, "\" completed; its result stands in")};
    return d;
  }
  d.release_downstream_of = task.name;
  if (!task.fallback_name.empty()) {
    d.skip_unused_fallback =
        TaskAction{task.fallback_name, "not needed: the task it stands in for completed"};
  }
  return d;
}

SettleDecision Fallback(const FinishedTask& task) {
  SettleDecision d;
  d.activate_fallback = TaskAction{task.fallback_name,
                                   absl::StrCat("standing in for \"", task.name, "\": ", task.why)};
  d.resolution = absl::StrCat("fallback \"", task.fallback_name, "\" runs instead: ", task.why);
  return d;
}

SettleDecision Skip(const FinishedTask& task) {
  const std::string& top = task.fallback_for.empty() ? task.name : task.fallback_for;
  const std::string reason =
      absl::StrCat("upstream task \"", top, "\" ", model::Name(task.reached));
  SettleDecision d;
  d.skip_descendants_of = TaskAction{top, reason};
  if (!task.fallback_name.empty()) {
    d.skip_unused_fallback = TaskAction{task.fallback_name, absl::StrCat("not needed: ", reason)};
  }
  return d;
}

}  // namespace

SettleDecision DecideSettle(const FinishedTask& task) {
  if (task.reached == TaskRunState::kCompleted) return Completed(task);
  if (task.fallback_allowed && !task.fallback_name.empty()) return Fallback(task);
  return Skip(task);
}

}  // namespace baton::engine
