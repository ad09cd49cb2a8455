// The scheduler loop: plans each deployment's fires ahead of time (bounded
// horizon) and promotes scheduled runs when their time comes, applying the
// catch-up and overlap policies (engine/deployment_plan.h, called by the
// store inside its transactions). Every replica runs
// it; `lead` is asked before each step, so only the leader steps
// (store::Leadership). Even two leaders would be safe: one run per
// (deployment, fire) is a unique constraint, and rows are taken with SKIP LOCKED.
#pragma once

#include <functional>

#include "absl/time/time.h"
#include "common/base/periodic_thread.h"
#include "orchestrator/store/schedule_store.h"

namespace baton {

class Scheduler {
 public:
  // `lead` (empty: always) says whether this replica steps this tick.
  Scheduler(store::ScheduleStore& store, absl::Duration horizon, absl::Duration interval,
            std::function<bool()> lead = {})
      : store_(store), horizon_(horizon), lead_(std::move(lead)), thread_(interval, [this] {
          if (!lead_ || lead_()) Step();
        }) {}
  ~Scheduler() = default;  // stops the thread
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start() { thread_.Start(); }
  void Stop() { thread_.Stop(); }  // bounded by one step

  // One step, as the loop does it (exposed for tests).
  void Step();

 private:
  store::ScheduleStore& store_;
  const absl::Duration horizon_;
  const std::function<bool()> lead_;
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace baton
