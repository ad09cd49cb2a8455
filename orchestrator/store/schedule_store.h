// What the scheduler reads and writes: creating scheduled runs ahead of time
// (one per deployment and fire time, by a unique constraint), recording
// skipped fires, and promoting due scheduled runs. Each deployment and each
// due run is handled in its own transaction under a row lock taken with SKIP
// LOCKED, so any number of orchestrator replicas may run the scheduler.
// Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/engine/schedule_rules.h"
#include "orchestrator/store/deployment_store.h"

namespace baton::store {

class PgPool;

struct FlowVersion {
  int32_t version = 0;
  nlohmann::json spec;  // canonical flow JSON
};

// A deployment as the planner sees it, with the flow version its runs get.
struct DeploymentToPlan {
  DeploymentRecord deployment;
  std::optional<FlowVersion> flow;  // pinned or latest; nullopt: the flow is gone
  absl::Time now;                   // the database clock
};

struct ScheduledRun {
  absl::Time scheduled_time;
  int32_t flow_version = 0;
  nlohmann::json parameters;  // resolved
};

struct ScheduleWrite {
  std::vector<ScheduledRun> runs;
  std::vector<engine::SkippedFire> skipped;
  int64_t skipped_unlisted = 0;
  absl::Time cursor;
};

// A scheduled run whose time has come, with what the overlap decision needs.
struct DueRun {
  std::string run_id;
  std::string deployment_id;
  DeploymentSpec deployment;
  FlowVersion flow;
  nlohmann::json parameters;
  absl::Time scheduled_time;
  int active_runs = 0;           // of the deployment: PENDING, RUNNING, CANCELLING
  bool earlier_waiting = false;  // an earlier due scheduled run of it still waits
  absl::Time now;
};

struct Promotion {
  engine::OverlapAction action = engine::OverlapAction::kStart;
  std::optional<engine::RunPlan> plan;  // for kStart / kStartAndCancelPrevious
  bool late = false;
  std::string reason;  // for kSkip (and history)
};

class ScheduleStore {
 public:
  explicit ScheduleStore(PgPool& pool) : pool_(pool) {}

  // Ids of deployments that are not paused.
  absl::StatusOr<std::vector<std::string>> ActiveDeployments();

  // Locks the deployment (skipping it when another replica holds it), asks
  // `plan` what to write, and writes it: scheduled runs (an existing run for
  // the same fire is kept), skipped fires, the new cursor.
  absl::Status ScheduleDeployment(
      const std::string& deployment_id,
      const std::function<absl::StatusOr<ScheduleWrite>(const DeploymentToPlan&)>& plan);

  // Ids of scheduled runs whose time has come, oldest first.
  absl::StatusOr<std::vector<std::string>> DueRuns(int limit);

  // Locks the due run (skipping it when held elsewhere), asks `decide`, and
  // applies the answer: start (tasks created, roots READY), wait, skip (the
  // run ends CANCELLED and the fire is recorded as skipped), or cancel the
  // deployment's active runs and start.
  absl::Status PromoteDueRun(const std::string& run_id,
                             const std::function<absl::StatusOr<Promotion>(const DueRun&)>& decide);

  // Skipped fires of a deployment, newest first.
  absl::StatusOr<std::vector<engine::SkippedFire>> SkippedFires(const std::string& deployment_id,
                                                                int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
