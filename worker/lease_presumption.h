// When a worker stops an attempt on its own, presuming its lease lost because
// no heartbeat was accepted for a whole lease, and how long one heartbeat
// call may take. Pure; thread-safe.
//
// The outage rule, worker side: when the orchestrator itself answers that its
// database cannot be reached (UNAVAILABLE, "database..." — the store's words
// for a connection it lost or cannot make, orchestrator/store/pg_pool.cc),
// nobody can expire or re-lease the attempt either, since that needs the
// database, and the timer leader grants every running attempt a fresh lease
// when the database is back. So the worker keeps running it and keeps
// heartbeating. Any other failure (orchestrator unreachable, link cut) may
// mean the orchestrators have moved on: past one lease the worker stops the
// attempt. Either way its report is fenced by the orchestrator.
#pragma once

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"

namespace baton::worker {

// The orchestrator answered, and said its database cannot be reached.
inline bool OrchestratorLostItsDatabase(const absl::Status& heartbeat_error) {
  return absl::IsUnavailable(heartbeat_error) &&
         absl::StartsWith(heartbeat_error.message(), "database");
}

// Whether an attempt whose last accepted heartbeat was `since_confirmed` ago,
// with lease `lease`, is presumed lost after a heartbeat failed with `error`.
inline bool PresumeLeaseLost(const absl::Status& error, absl::Duration since_confirmed,
                             absl::Duration lease) {
  return since_confirmed > lease && !OrchestratorLostItsDatabase(error);
}

// The deadline of one heartbeat call, when the shortest lease among the
// running attempts is `shortest_lease`: a third of it (the worker beats that
// often), at least kMinHeartbeatCall, at most `rpc_timeout`. A call stuck on
// a frozen or cut-off replica thus ends in time for the next beat to try the
// other replica (the channel balances calls over the addresses) before the
// lease runs out, instead of holding every beat for a whole `rpc_timeout`.
inline constexpr absl::Duration kMinHeartbeatCall = absl::Milliseconds(500);
inline absl::Duration HeartbeatCallDeadline(absl::Duration shortest_lease,
                                            absl::Duration rpc_timeout) {
  return std::min(rpc_timeout, std::max(shortest_lease / 3, kMinHeartbeatCall));
}

}  // namespace baton::worker
