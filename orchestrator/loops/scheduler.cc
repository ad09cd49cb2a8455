#include "orchestrator/loops/scheduler.h"

#include "spdlog/spdlog.h"

namespace baton {
namespace {

constexpr int kDueBatch = 200;

}  // namespace

void Scheduler::Step() {
  auto deployments = store_.ActiveDeployments();
  if (!deployments.ok()) {
    spdlog::warn("scheduler: {}", deployments.status().ToString());
    return;
  }
  for (const std::string& id : *deployments) {
    absl::Status s = store_.ScheduleDeployment(id, horizon_);
    if (!s.ok()) spdlog::warn("scheduler: deployment {}: {}", id, s.ToString());
  }
  auto due = store_.DueRuns(kDueBatch);
  if (!due.ok()) {
    spdlog::warn("scheduler: {}", due.status().ToString());
    return;
  }
  for (const std::string& run_id : *due) {
    absl::Status s = store_.PromoteDueRun(run_id);
    if (!s.ok()) spdlog::warn("scheduler: run {}: {}", run_id, s.ToString());
  }
}

}  // namespace baton
