#include "orchestrator/scheduler.h"

#include "absl/strings/str_cat.h"
#include "common/flow_spec.h"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/engine/schedule_rules.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

constexpr int kDueBatch = 200;

// Every planned fire becomes a skipped one, with `reason`.
void SkipAll(store::ScheduleWrite& write, const std::vector<absl::Time>& fires,
             const std::string& reason) {
  for (absl::Time t : fires) write.skipped.push_back({t, reason});
}

std::string OverlapReason(const store::DueRun& due) {
  const std::string policy(Name(due.deployment.overlap));
  if (due.active_runs > 0) {
    return absl::StrCat("skipped: overlap policy ", policy, ": ", due.active_runs,
                        " earlier run(s) of deployment ", due.deployment.name, " still active");
  }
  return absl::StrCat("skipped: overlap policy ", policy,
                      ": an earlier scheduled run already waits");
}

}  // namespace

absl::StatusOr<store::ScheduleWrite> Scheduler::Plan(const store::DeploymentToPlan& in,
                                                     absl::Duration horizon) {
  const DeploymentSpec& spec = in.deployment.spec;
  auto next = [&spec](absl::Time after) -> std::optional<absl::Time> {
    std::vector<absl::Time> fires = NextDeploymentFires(spec, after, 1);
    if (fires.empty()) return std::nullopt;
    return fires.front();
  };
  engine::FirePlan plan = engine::PlanFires(next, in.deployment.cursor, in.now, horizon,
                                            spec.late_after, spec.catch_up);
  store::ScheduleWrite write{{}, plan.skipped, plan.skipped_unlisted, plan.cursor};
  if (!in.flow) {
    SkipAll(write, plan.create, absl::StrCat("flow \"", spec.flow, "\" does not exist"));
    return write;
  }
  absl::StatusOr<FlowSpec> flow = FlowSpecFromJson(in.flow->spec, spec.flow);
  if (!flow.ok()) return flow.status();
  absl::StatusOr<nlohmann::json> params = ResolveParameters(*flow, spec.parameters);
  if (!params.ok()) {
    SkipAll(write, plan.create, std::string(params.status().message()));
    return write;
  }
  for (absl::Time t : plan.create) write.runs.push_back({t, in.flow->version, *params});
  return write;
}

absl::StatusOr<store::Promotion> Scheduler::Decide(const store::DueRun& due) {
  store::Promotion p;
  p.action = engine::DecideOverlap(due.deployment.overlap, due.active_runs, due.earlier_waiting);
  if (p.action == engine::OverlapAction::kWait) return p;
  if (p.action == engine::OverlapAction::kSkip) {
    p.reason = OverlapReason(due);
    return p;
  }
  absl::StatusOr<FlowSpec> flow = FlowSpecFromJson(due.flow.spec, due.deployment.flow);
  if (!flow.ok()) return flow.status();
  auto plan = engine::PlanRun(*flow, due.flow.version, due.parameters, "");
  if (!plan.ok()) return plan.status();
  engine::ApplyWorkQueue(*plan, due.deployment.work_queue);
  p.plan = *std::move(plan);
  p.late = engine::IsLate(due.scheduled_time, due.now, due.deployment.late_after);
  p.reason = absl::StrCat(
      absl::FormatDuration(absl::Trunc(due.now - due.scheduled_time, absl::Milliseconds(1))),
      " after its scheduled time (late after ", absl::FormatDuration(due.deployment.late_after),
      ")");
  return p;
}

void Scheduler::Step() {
  auto deployments = store_.ActiveDeployments();
  if (!deployments.ok()) {
    spdlog::warn("scheduler: {}", deployments.status().ToString());
    return;
  }
  const absl::Duration horizon = horizon_;
  for (const std::string& id : *deployments) {
    absl::Status s = store_.ScheduleDeployment(
        id, [horizon](const store::DeploymentToPlan& in) { return Plan(in, horizon); });
    if (!s.ok()) spdlog::warn("scheduler: deployment {}: {}", id, s.ToString());
  }
  auto due = store_.DueRuns(kDueBatch);
  if (!due.ok()) {
    spdlog::warn("scheduler: {}", due.status().ToString());
    return;
  }
  for (const std::string& run_id : *due) {
    absl::Status s = store_.PromoteDueRun(run_id, Decide);
    if (!s.ok()) spdlog::warn("scheduler: run {}: {}", run_id, s.ToString());
  }
}

}  // namespace baton
