// The faults of a chaos soak, drawn from a seed: which kind, which target,
// how long it holds, and the quiet gap before it. The same seed gives the
// same sequence on every machine (std::mt19937_64 and integer arithmetic
// only). Kinds come in rounds, each round every kind once in a shuffled
// order, so that even a short soak injects every kind. Pure; not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace baton::chaos {

enum class FaultKind {
  kWorkerKill,          // SIGKILL a worker; restarted (same name) after `hold`
  kWorkerStop,          // SIGSTOP a worker for `hold`, then SIGCONT
  kWorkerNetCut,        // drop every packet of a worker's host for `hold`
  kReplicaKill,         // SIGKILL an orchestrator replica; restarted after `hold`
  kReplicaStop,         // SIGSTOP a replica for `hold`, then SIGCONT
  kPgRestartFast,       // pg_ctl stop -m fast, down for `hold`, start
  kPgRestartImmediate,  // pg_ctl stop -m immediate, down for `hold`, start
  kPgTerminate,         // pg_terminate_backend of Baton's sessions (target: which)
  kReadOnly,            // default_transaction_read_only on for `hold`
  kBlackhole,           // the replica's database proxy forwards nothing for `hold`
};

inline constexpr FaultKind kAllFaultKinds[] = {
    FaultKind::kWorkerKill,         FaultKind::kWorkerStop,  FaultKind::kWorkerNetCut,
    FaultKind::kReplicaKill,        FaultKind::kReplicaStop, FaultKind::kPgRestartFast,
    FaultKind::kPgRestartImmediate, FaultKind::kPgTerminate, FaultKind::kReadOnly,
    FaultKind::kBlackhole};

// "worker-kill", "pg-restart-immediate", ...
absl::string_view Name(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kWorkerKill;
  // A worker or replica host; "leader" (the replica leading the timers when
  // it begins); "busy" (a worker running an exec process when it begins); "both" replicas;
  // "postgres"; for kPgTerminate "all", "lock" or "pooled" (which of Baton's sessions).
  std::string target;
  absl::Duration hold = absl::ZeroDuration();
  absl::Duration gap_before = absl::ZeroDuration();
};

// "worker-stop w2 for 7.2s"
std::string Describe(const Fault& fault);

class FaultPlan {
 public:
  FaultPlan(uint64_t seed, std::vector<std::string> workers, std::vector<std::string> replicas);

  Fault Next();

 private:
  absl::Duration Between(absl::Duration low, absl::Duration high);
  const std::string& Pick(const std::vector<std::string>& from);
  std::string TargetFor(FaultKind kind);

  std::mt19937_64 random_;
  std::vector<std::string> workers_;
  std::vector<std::string> replicas_;
  std::vector<FaultKind> round_;  // kinds left in this round, next at the back
};

}  // namespace baton::chaos
