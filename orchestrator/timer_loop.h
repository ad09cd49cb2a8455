// The background loop that drives every deadline kept in the database: lost
// leases and execution timeouts, retry delays, schedule-to-start timeouts,
// circuit breakers short-circuiting to fallbacks, and flow timeouts. Safe to
// run in every orchestrator replica: the store claims rows with SKIP LOCKED.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/timer_store.h"

namespace baton {

class TimerLoop {
 public:
  TimerLoop(store::LeaseStore& leases, store::TimerStore& timers, absl::Duration interval);
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
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace baton
