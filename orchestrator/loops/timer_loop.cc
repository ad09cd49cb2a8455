#include "orchestrator/loops/timer_loop.h"

#include "spdlog/spdlog.h"

namespace baton {
namespace {
constexpr int kBatch = 500;
}  // namespace

TimerLoop::TimerLoop(store::LeaseStore& leases, store::TimerStore& timers, absl::Duration interval,
                     std::function<bool()> lead)
    : lead_(std::move(lead)), thread_(interval, [this] {
        if (!lead_ || lead_()) SweepOnce();
      }) {
  sweeps_ = {
      {"expired lease or execution timeout", [&leases](int n) { return leases.ExpireLeases(n); }},
      {"retry delay over", [&timers](int n) { return timers.WakeRetries(n); }},
      {"schedule-to-start timeout", [&timers](int n) { return timers.ExpireScheduleToStart(n); }},
      {"short-circuited by an open breaker", [&timers](int n) { return timers.ShortCircuit(n); }},
      {"flow timeout", [&timers](int n) { return timers.TimeOutRuns(n); }},
  };
}

void TimerLoop::SweepOnce() {
  for (const Sweep& sweep : sweeps_) {
    for (int round = 0; round < 10; ++round) {  // bounded: the next tick continues
      absl::StatusOr<int> changed = sweep.run(kBatch);
      if (!changed.ok()) {
        spdlog::warn("timers ({}): {}", sweep.what, changed.status().ToString());
        break;
      }
      if (*changed > 0) spdlog::info("timers: {} x {}", *changed, sweep.what);
      if (*changed < kBatch) break;
    }
  }
}

}  // namespace baton
