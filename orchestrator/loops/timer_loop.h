// The background loop that drives every deadline kept in the database: lost
// leases and execution timeouts, retry delays, schedule-to-start timeouts,
// circuit breakers short-circuiting to fallbacks, and flow timeouts. Every
// replica runs it, but only the leader sweeps: `lead` is asked before each
// sweep (store::Leadership::Lead), so that a lease is never ended by a replica
// that has not granted the outage rule's fresh leases.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/periodic_thread.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/timer_store.h"

namespace baton {

class TimerLoop {
 public:
  // `lead` (empty: always) says whether this replica sweeps this tick.
  TimerLoop(store::LeaseStore& leases, store::TimerStore& timers, absl::Duration interval,
            std::function<bool()> lead = {});
  ~TimerLoop() = default;  // stops the thread
  TimerLoop(const TimerLoop&) = delete;
  TimerLoop& operator=(const TimerLoop&) = delete;

  void Start() { thread_.Start(); }
  void Stop() { thread_.Stop(); }  // bounded by one sweep

 private:
  struct Sweep {
    std::string what;
    std::function<absl::StatusOr<int>(int limit)> run;
  };

  void SweepOnce();

  std::vector<Sweep> sweeps_;
  const std::function<bool()> lead_;
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace baton
