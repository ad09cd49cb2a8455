// When a leader of a background loop must run its takeover (for the timers:
// grant every running attempt a fresh lease, the outage rule in
// lease_rules.h) before it acts again. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace baton::engine {

// What one successful renewal of the lead saw.
struct LeadTick {
  int64_t term = 0;                                       // the lease's term
  absl::Time database_started_at = absl::InfinitePast();  // pg_postmaster_start_time()
  absl::Time at;                                          // this replica's clock
};

// True when `now` is not a plain continuation of `last` (the previous tick
// this replica led, if any): a new term (it just took the lead, or took it
// back after losing it), a database that restarted in between, or a gap
// longer than `max_gap` between the two ticks (this replica was frozen, hung
// or cut off, and workers may not have been able to heartbeat meanwhile).
bool MustTakeOver(const std::optional<LeadTick>& last, const LeadTick& now, absl::Duration max_gap);

}  // namespace baton::engine
