// When a worker stops an attempt on its own, presuming its lease lost because
// no heartbeat was accepted for a whole lease, and how long one heartbeat
// call may take. Pure; thread-safe.
//
// The outage rule, worker side: when an orchestrator itself answers that its
// database cannot be reached or did not answer in time (UNAVAILABLE or
// DEADLINE_EXCEEDED, "database..." — the store's words, orchestrator/store/
// pg_pool.cc), nobody can expire or re-lease the attempt either, since that
// needs the database, and the timer leader grants every running attempt a
// fresh lease when the database is back. So the worker keeps running it and
// keeps heartbeating, as long as such an answer came within the last lease:
// beats bounded by a third of the lease may also end unanswered (the
// orchestrator was still waiting for its database, or the beat went to a
// frozen replica), and those alone prove nothing. With no answer at all
// (orchestrators unreachable, link cut, every beat unanswered) the
// orchestrators may have moved on: past one lease the worker stops the
// attempt. Either way its report is fenced by the orchestrator.
#pragma once

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"

namespace baton::worker {

// The orchestrator answered, and said its database cannot be reached or did
// not answer within the call's deadline.
inline bool OrchestratorLostItsDatabase(const absl::Status& error) {
  return (absl::IsUnavailable(error) || absl::IsDeadlineExceeded(error)) &&
         absl::StartsWith(error.message(), "database");
}

// Whether an attempt whose last accepted heartbeat was `since_confirmed` ago
// is presumed lost, when an orchestrator last answered that its database
// was unavailable `since_database_answer` ago (InfiniteDuration: never) and
// the attempt's lease is `lease`.
inline bool PresumeLeaseLost(absl::Duration since_confirmed, absl::Duration since_database_answer,
                             absl::Duration lease) {
  return since_confirmed > lease && since_database_answer > lease;
}

// The deadline of one heartbeat call, when the shortest lease among the
// running attempts is `shortest_lease`: a third of it (the worker beats that
// often), at least kMinHeartbeatCall, at most `rpc_timeout`. A call stuck on
// a frozen or cut-off replica thus ends in time for the next beat to try the
// other replica (the channel balances calls over the addresses) before the
// lease runs out, instead of holding every beat for a whole `rpc_timeout`.
inline constexpr absl::Duration kMinHeartbeatCall = absl::Seconds(1);
inline absl::Duration HeartbeatCallDeadline(absl::Duration shortest_lease,
                                            absl::Duration rpc_timeout) {
  return std::min(rpc_timeout, std::max(shortest_lease / 3, kMinHeartbeatCall));
}

}  // namespace baton::worker
