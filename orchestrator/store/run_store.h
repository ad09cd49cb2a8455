// Flow runs and their task runs: creation and reads. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/store/records.h"

namespace baton::store {

class PgPool;

struct RunFilter {
  std::string flow_name;                     // empty: any
  std::optional<model::FlowRunState> state;  // nullopt: any
  int limit = 50;
  // created_after <= created_at < created_before; the infinities: unbounded.
  absl::Time created_after = absl::InfinitePast();
  absl::Time created_before = absl::InfiniteFuture();
  std::string
      deployment_id{};  // empty: any; else a UUID. {}: older 3-field inits stay warning-free
};

class RunStore {
 public:
  // `worker_liveness`: a worker seen within it counts as online when GetRun
  // says which READY tasks no online worker serves.
  RunStore(PgPool& pool, absl::Duration worker_liveness)
      : pool_(pool), worker_liveness_(worker_liveness) {}

  struct Started {
    RunRecord run;         // without tasks
    bool created = false;  // false: the idempotency key named an existing run
  };

  // Creates the run (PENDING), its task runs (READY when they have no upstream,
  // PENDING otherwise), their edges and history, in one transaction, and
  // wakes pollers when tasks are ready. With an idempotency key already used
  // for this flow, returns that run instead (even under concurrent starts).
  absl::StatusOr<Started> StartRun(const engine::RunPlan& run);

  // The run with its task runs (dependency order) and their attempts; READY
  // tasks no online worker serves say what they wait for.
  // NOT_FOUND when no such run; INVALID_ARGUMENT when `run_id` is not a UUID.
  absl::StatusOr<RunRecord> GetRun(const std::string& run_id);

  // Cancels an active run (see store/cancellation.h) and returns it.
  // FAILED_PRECONDITION when it already ended; NOT_FOUND when unknown.
  absl::StatusOr<RunRecord> CancelRun(const std::string& run_id, const std::string& reason);

  // Newest first, without task runs. INVALID_ARGUMENT when `deployment_id` is
  // set but not a UUID.
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const RunFilter& filter);

  struct TransitionsPage {
    model::FlowRunState run_state;              // read before the transitions
    std::vector<TransitionRecord> transitions;  // id > after_id, by id, at most `limit`
  };

  // The run's transitions with an id above `after_id`, oldest first, and the
  // run's state read just before them (so a terminal state means the page
  // holds everything up to the end, unless it is full). NOT_FOUND when no such
  // run; INVALID_ARGUMENT when `run_id` is not a UUID.
  absl::StatusOr<TransitionsPage> TransitionsAfter(const std::string& run_id, int64_t after_id,
                                                   int limit);

 private:
  PgPool& pool_;
  const absl::Duration worker_liveness_;
};

}  // namespace baton::store
