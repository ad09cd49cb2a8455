// The orchestrator's background loops — the timers (lease reaper, retry
// delays, timeouts, breakers) and the scheduler — each led by one replica
// through a lease with a term in PostgreSQL (store::Leadership). Every replica runs
// both loops; on each tick a loop asks whether this replica leads it, and
// only the leader acts, through stores on its own fenced connection.
//
// The outage rule (engine/lease_rules.h): each time a replica takes the lead
// of the timers it first grants every running attempt a fresh lease
// (LeaseStore::GrantLeases), and only then expires anything.
//
// Thread-safe: Start and Stop from the owner's thread; leads_*() from any.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton {

struct BackgroundLoopOptions {
  std::string database_url;
  std::string replica;  // this replica in logs and pg_stat_activity
  absl::Duration reaper_interval = absl::Seconds(1);
  absl::Duration execution_grace = absl::Seconds(5);
  absl::Duration lease_duration = absl::Seconds(30);  // for tasks without a heartbeat timeout
  absl::Duration schedule_horizon = absl::Minutes(10);
  absl::Duration scheduler_interval = absl::Seconds(1);
};

class BackgroundLoops {
 public:
  // Opens the two lock connections and starts both loops. UNAVAILABLE when
  // the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<BackgroundLoops>> Start(
      const BackgroundLoopOptions& options);
  ~BackgroundLoops();  // Stop(); closing the connections hands the leads over

  // Stops both loops, each bounded by one step. Idempotent.
  void Stop();

  bool leads_timers() const;
  bool leads_scheduler() const;

  struct Parts;

 private:
  explicit BackgroundLoops(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// "<host>/<pid> <listen address>": how a replica names itself.
std::string ReplicaName(const std::string& listen);

}  // namespace baton
