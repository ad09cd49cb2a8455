// Runs of deployments: what the scheduler writes ahead of time for a
// deployment's fires, what happens to a scheduled run when its time comes,
// and the plan of any deployment run (scheduled or started by hand). Pure;
// thread-safe. The store calls these inside the transaction holding the
// deployment's or the run's row lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/spec/deployment.h"
#include "common/spec/flow.h"
#include "nlohmann/json.hpp"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/engine/schedule_rules.h"

namespace baton::engine {

// A stored flow version, decoded.
struct FlowVersion {
  int32_t version = 0;
  FlowSpec spec;
};

// The plan of a run of deployment `deployment_id` (`spec`) on `flow`:
// `parameters` are the deployment's merged with any given for this run;
// tasks on the "default" queue move to the deployment's work queue; the run
// carries the deployment's environment and tags. INVALID_ARGUMENT as PlanRun.
absl::StatusOr<RunPlan> PlanDeploymentRun(const std::string& deployment_id,
                                          const DeploymentSpec& spec, const FlowVersion& flow,
                                          const nlohmann::json& parameters,
                                          const std::string& idempotency_key);

// A deployment as the planner sees it, with the flow version its runs get.
struct DeploymentToPlan {
  DeploymentSpec spec;
  absl::Time cursor;                // every fire <= cursor has been handled
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
  std::vector<SkippedFire> skipped;
  int64_t skipped_unlisted = 0;
  absl::Time cursor;
};

// The fires after the cursor up to `now + horizon` (PlanFires with the
// deployment's catch-up policy) as scheduled runs to create and fires to
// skip. Every fire is skipped, saying why, when the flow (or its pinned
// version) is gone or the deployment's parameters no longer fit it.
ScheduleWrite PlanDeploymentFires(const DeploymentToPlan& in, absl::Duration horizon);

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
  OverlapAction action = OverlapAction::kStart;
  std::optional<RunPlan> plan;  // for kStart / kStartAndCancelPrevious
  bool late = false;
  std::string reason;  // for kSkip (and history)
};

// What happens to a due run: the deployment's overlap policy decides
// (DecideOverlap); a run that starts gets its plan and is late when it starts
// more than the deployment's late_after after its scheduled time.
absl::StatusOr<Promotion> DecidePromotion(const DueRun& due);

}  // namespace baton::engine
