// The circuit breaker state machine. Pure functions of (breaker, event, now);
// thread-safe.
//
//   CLOSED --failure_threshold failures within window--> OPEN
//   OPEN --cooldown passed--> HALF_OPEN (exactly one probe attempt is admitted)
//   HALF_OPEN --probe succeeds--> CLOSED;  --probe fails or is lost--> OPEN
//
// A success while CLOSED resets the failure count. While OPEN or HALF_OPEN,
// outcomes of attempts other than the probe (leased before the breaker
// opened) change nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/spec/flow.h"

namespace baton::engine {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

absl::string_view Name(BreakerState state);  // "CLOSED", "OPEN", "HALF_OPEN"
std::optional<BreakerState> ParseBreakerState(absl::string_view name);

struct Breaker {
  BreakerState state = BreakerState::kClosed;
  int failures = 0;                                // in the current window
  absl::Time window_start = absl::InfinitePast();  // first failure of the window
  absl::Time open_until = absl::InfinitePast();    // when OPEN: end of the cooldown
  int64_t probe_task_run_id = 0;                   // HALF_OPEN: the probe in flight, 0: none
};

struct BreakerChange {
  Breaker next;
  bool transitioned = false;  // the state changed
  std::string reason;         // for history, when transitioned
};

BreakerChange OnAttemptSucceeded(const Breaker& breaker, int64_t task_run_id, absl::Time now);
BreakerChange OnAttemptFailed(const Breaker& breaker, const CircuitBreakerSpec& spec,
                              int64_t task_run_id, absl::Time now);

// OPEN whose cooldown has passed becomes HALF_OPEN; anything else is unchanged.
BreakerChange Tick(const Breaker& breaker, absl::Time now);

enum class Admission {
  kAllow,    // closed: lease normally
  kProbe,    // half-open without a probe: lease this one task as the probe
  kBlocked,  // open, or half-open with its probe in flight
};

// Whether a ready task behind `breaker` may be leased at `now` (after Tick).
Admission Admit(const Breaker& breaker, absl::Time now);

}  // namespace baton::engine
