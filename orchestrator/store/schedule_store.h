// What the scheduler reads and writes: creating scheduled runs ahead of time
// (one per deployment and fire time, by a unique constraint), recording
// skipped fires, and promoting due scheduled runs. Each deployment and each
// due run is handled in its own transaction under a row lock taken with SKIP
// LOCKED, so any number of orchestrator replicas may run the scheduler.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "orchestrator/engine/deployment_plan.h"
#include "orchestrator/store/deployment_store.h"

namespace baton::store {

class PgPool;

class ScheduleStore {
 public:
  explicit ScheduleStore(PgPool& pool) : pool_(pool) {}

  // Ids of deployments that are not paused.
  absl::StatusOr<std::vector<std::string>> ActiveDeployments();

  // Locks the deployment (skipping it when another replica holds it), plans
  // its fires up to `horizon` ahead (engine::PlanDeploymentFires) and writes
  // the plan: scheduled runs (an existing run for the same fire is kept),
  // skipped fires, the new cursor.
  absl::Status ScheduleDeployment(const std::string& deployment_id, absl::Duration horizon);

  // Ids of scheduled runs whose time has come, oldest first.
  absl::StatusOr<std::vector<std::string>> DueRuns(int limit);

  // Locks the due run (skipping it when held elsewhere), decides
  // (engine::DecidePromotion) and applies the decision: start (tasks created,
  // roots READY), wait, skip (the run ends CANCELLED and the fire is recorded
  // as skipped), or cancel the deployment's active runs and start.
  absl::Status PromoteDueRun(const std::string& run_id);

  // Skipped fires of a deployment, newest first.
  absl::StatusOr<std::vector<engine::SkippedFire>> SkippedFires(const std::string& deployment_id,
                                                                int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
