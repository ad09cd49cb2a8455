// Injects one fault of a FaultPlan into a SoakCluster, holds it, undoes it,
// and records what was seen meanwhile: one line printed when it begins and
// one when it is over, with the time since the soak began.
//
// It also checks that the fault took hold (a read-only spell reaches a
// session opened before it; a proxy reports the connections it holds) and
// watches two product rules no database row shows:
//  - the processes of a SIGKILLed worker's `exec` tasks do not outlive it
//    (checked 2 s after the kill; a worker is killed once it runs one, if it
//    does within 8 s; a "busy" target is whichever worker runs one first);
//  - a replica that leads the timers or the scheduler and is frozen
//    (SIGSTOP) or cut off from PostgreSQL behind a TCP-alive path (its
//    proxy blackholed) no longer leads kLeaderBound later (checked at the
//    end of every such fault that holds that long). Targets named "leader"
//    are resolved, when the fault begins, to the replica leading the timers.
// What fails is recorded as a finding, never thrown.
//
// Not thread-safe: one fault at a time, from one thread.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/chaos/fault_plan.h"
#include "tests/chaos/soak_cluster.h"

namespace baton::chaos {

struct Finding {
  std::string check;  // names an invariant of the soak's report
  std::string row;
};

// The checks Findings name.
inline constexpr char kOrphanCheck[] = "exec process outlived its SIGKILLed worker";
inline constexpr char kFaultFailedCheck[] = "fault could not be injected or undone (harness)";
inline constexpr char kNoReplicaCheck[] = "replica did not serve again after a restart";
inline constexpr char kNotServingCheck[] = "replica not SERVING 60 s after every fault was healed";
inline constexpr char kFrozenLeaderCheck[] =
    "frozen or cut-off replica still led 11 s later (a leader loses the lead within its 10 s term "
    "plus a 1 s tick)";

// The bound kFrozenLeaderCheck holds a stuck leader to.
inline constexpr absl::Duration kLeaderBound = absl::Seconds(11);

struct FaultRecord {
  int number = 0;
  Fault fault;
  std::string target;    // fault.target, "leader" resolved
  absl::Duration began;  // since the soak began
  absl::Duration lasted;
  // While the target was gone, frozen, cut off or blackholed (a kill: until
  // it was restarted), from when the fault had taken effect: a lease the
  // worker acknowledged while its link was still being cut was delivered.
  // Equal when the fault is a single act.
  absl::Time from;
  absl::Time until;
  std::string seen;  // what was observed while it held
};

class FaultInjector {
 public:
  FaultInjector(SoakCluster& cluster, absl::Time epoch);

  // Injects, holds and undoes `fault`; returns its record (also kept).
  const FaultRecord& Inject(const Fault& fault);

  const std::vector<FaultRecord>& records() const { return records_; }
  const std::vector<Finding>& findings() const { return findings_; }
  // Adds findings found elsewhere (e.g. while healing).
  void AddFinding(const std::string& check, const std::string& row);

 private:
  // Each sets r.from, r.until and r.seen.
  void KillWorker(FaultRecord& r);
  void StopProcess(FaultRecord& r);
  void CutWorker(FaultRecord& r);
  void KillReplica(FaultRecord& r);
  void RestartPostgres(FaultRecord& r, const std::string& mode);
  void TerminateSessions(FaultRecord& r);
  void ReadOnlySpell(FaultRecord& r);
  void Blackhole(FaultRecord& r);

  // Sleeps `hold`, sampling the replicas' health and the leaders half-way.
  std::string HoldAndSample(absl::Duration hold);
  // The replica leading the timers ("o1" when nobody does).
  std::string Leader() const;
  // The first worker seen running an exec process (bounded wait; else "w1").
  std::string BusyWorker() const;
  // At the end of a fault that froze or cut off `replica` for r's hold.
  void CheckLeadLost(const FaultRecord& r, const std::string& replica);
  void Check(const absl::Status& status, const std::string& what);
  std::string Since() const;

  SoakCluster& cluster_;
  const absl::Time epoch_;
  std::vector<FaultRecord> records_;
  std::vector<Finding> findings_;
};

}  // namespace baton::chaos
