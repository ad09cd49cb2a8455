#include "orchestrator/engine/run_plan.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "orchestrator/engine/run_rules.h"

namespace baton::engine {

absl::StatusOr<RunPlan> PlanRun(const FlowSpec& spec, int32_t flow_version,
                                const nlohmann::json& given_parameters,
                                const std::string& idempotency_key) {
  if (idempotency_key.size() > kMaxIdempotencyKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat("idempotency_key: ", idempotency_key.size(),
                                                   " characters; expected at most ",
                                                   kMaxIdempotencyKeyLength));
  }
  absl::StatusOr<nlohmann::json> params = ResolveParameters(spec, given_parameters);
  if (!params.ok()) return params.status();
  if (params->dump().size() > kMaxParametersBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters: larger than ", kMaxParametersBytes, " bytes"));
  }
  RunPlan plan;
  plan.flow_name = spec.name;
  plan.flow_version = flow_version;
  plan.parameters = *std::move(params);
  plan.result_tasks = FlowResultTasks(spec);
  plan.idempotency_key = idempotency_key;
  plan.timeout = spec.timeout;
  std::map<std::string, const TaskSpec*> by_name;
  std::map<std::string, std::string> primary_of;
  for (const TaskSpec& task : spec.tasks) {
    by_name[task.name] = &task;
    if (!task.fallback.empty()) primary_of[task.fallback] = task.name;
  }
  for (const std::string& name : TopologicalOrder(spec)) {
    const TaskSpec& t = *by_name.at(name);
    plan.tasks.push_back({t.name, t.handler, t.queue, t.config, t.depends_on,
                          EffectiveRetry(spec, t), EffectiveTimeouts(spec, t), t.circuit_breaker,
                          t.fallback, primary_of.count(name) ? primary_of[name] : ""});
  }
  return plan;
}

void ApplyWorkQueue(RunPlan& plan, const std::string& work_queue) {
  if (work_queue.empty()) return;
  plan.work_queue = work_queue;
  for (auto& task : plan.tasks) {
    if (task.queue == "default") task.queue = work_queue;
  }
}

}  // namespace baton::engine
