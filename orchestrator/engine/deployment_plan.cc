#include "orchestrator/engine/deployment_plan.h"

#include "absl/strings/str_cat.h"

namespace baton::engine {
namespace {

// Every planned fire becomes a skipped one, with `reason`.
void SkipAll(ScheduleWrite& write, const std::vector<absl::Time>& fires,
             const std::string& reason) {
  for (absl::Time t : fires) write.skipped.push_back({t, reason});
}

std::string OverlapReason(const DueRun& due) {
  const std::string policy(Name(due.deployment.overlap));
  if (due.active_runs > 0) {
    return absl::StrCat("skipped: overlap policy ", policy, ": ", due.active_runs,
                        " earlier run(s) of deployment ", due.deployment.name, " still active");
  }
  return absl::StrCat("skipped: overlap policy ", policy,
                      ": an earlier scheduled run already waits");
}

}  // namespace

absl::StatusOr<RunPlan> PlanDeploymentRun(const std::string& deployment_id,
                                          const DeploymentSpec& spec, const FlowVersion& flow,
                                          const nlohmann::json& parameters,
                                          const std::string& idempotency_key) {
  absl::StatusOr<RunPlan> plan = PlanRun(flow.spec, flow.version, parameters, idempotency_key);
  if (!plan.ok()) return plan.status();
  ApplyWorkQueue(*plan, spec.work_queue);
  plan->deployment_id = deployment_id;
  plan->env = DeploymentSpecToJson(spec)["env"];
  plan->tags = spec.tags;
  return plan;
}

ScheduleWrite PlanDeploymentFires(const DeploymentToPlan& in, absl::Duration horizon) {
  const DeploymentSpec& spec = in.spec;
  auto next = [&spec](absl::Time after) -> std::optional<absl::Time> {
    std::vector<absl::Time> fires = NextDeploymentFires(spec, after, 1);
    if (fires.empty()) return std::nullopt;
    return fires.front();
  };
  FirePlan plan = PlanFires(next, in.cursor, in.now, horizon, spec.late_after, spec.catch_up);
  ScheduleWrite write{{}, plan.skipped, plan.skipped_unlisted, plan.cursor};
  if (!in.flow) {
    SkipAll(write, plan.create,
            spec.flow_version == 0
                ? absl::StrCat("flow \"", spec.flow, "\" does not exist")
                : absl::StrCat("flow \"", spec.flow, "\" has no version ", spec.flow_version));
    return write;
  }
  absl::StatusOr<nlohmann::json> params = ResolveParameters(in.flow->spec, spec.parameters);
  if (!params.ok()) {
    SkipAll(write, plan.create, std::string(params.status().message()));
    return write;
  }
  for (absl::Time t : plan.create) write.runs.push_back({t, in.flow->version, *params});
  return write;
}

absl::StatusOr<Promotion> DecidePromotion(const DueRun& due) {
  Promotion p;
  p.action = DecideOverlap(due.deployment.overlap, due.active_runs, due.earlier_waiting);
  if (p.action == OverlapAction::kWait) return p;
  if (p.action == OverlapAction::kSkip) {
    p.reason = OverlapReason(due);
    return p;
  }
  absl::StatusOr<RunPlan> plan =
      PlanDeploymentRun(due.deployment_id, due.deployment, due.flow, due.parameters, "");
  if (!plan.ok()) return plan.status();
  p.plan = *std::move(plan);
  p.late = IsLate(due.scheduled_time, due.now, due.deployment.late_after);
  p.reason = absl::StrCat(
      absl::FormatDuration(absl::Trunc(due.now - due.scheduled_time, absl::Milliseconds(1))),
      " after its scheduled time (late after ", absl::FormatDuration(due.deployment.late_after),
      ")");
  return p;
}

}  // namespace baton::engine
