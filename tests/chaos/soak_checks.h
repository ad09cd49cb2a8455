// The chaos soak's verdict, read from the database once every fault is
// healed and the acknowledged runs have ended (or the bounded wait for them
// ran out). Besides every invariant of tests/support/invariants.h:
//
//  - every acknowledged submit exists, is the run of that submit (flow and
//    correlation id) and is terminal; one idempotency key never answered
//    with two different runs;
//  - no run ended other than its flow is designed to (soak_flows.h). This is
//    what "failed for a reason the faults do not explain" means here: the
//    designed-to-complete flows carry a retry budget no injected fault can
//    spend, so any end but COMPLETED with the designed result, and any
//    designed failure that ended for another cause (a lost lease, a database
//    error), is unexplained;
//  - no open row is overdue: a RUNNING task's lease, an AWAITING_RETRY
//    task's retry time, a SCHEDULED run's time passed more than 30 s ago,
//    or a READY task waited more than 60 s with every worker healthy;
//  - every fire of the deployment up to its cursor has its run or is
//    recorded as skipped;
//  - leases: no attempt was spent on a worker that was already gone (killed,
//    frozen or cut off) when it was leased — such a lease could not be
//    delivered; and no lease was lost by a worker that no fault touched while
//    it held it (the README: database outages do not expire leases, a killed
//    replica costs no lease; so no database or replica fault may);
//  - clients: no CLI call failed (other than FAILED_PRECONDITION, the
//    answer to cancelling an ended run) while every replica's health said
//    SERVING from 1.5 s before the call to 1.5 s after it;
//  - what the fault injector found (exec processes outliving their worker,
//    a frozen or cut-off leader keeping the lead, a replica not serving
//    again, a fault that could not be injected).
//
// Informational (printed, not failing): submits never acknowledged whose run
// was committed anyway, runs per flow and final state, attempts per state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/chaos/fault_injector.h"
#include "tests/chaos/health_sampler.h"
#include "tests/chaos/load_generator.h"
#include "tests/chaos/soak_cluster.h"
#include "tests/support/invariants.h"

namespace baton::chaos {

struct SoakReport {
  std::vector<testing::InvariantCheck> checks;  // every check, in print order
  std::map<std::string, int> runs;              // "flow STATE" -> count
  std::map<std::string, int> attempts;          // "STATE error type" -> count
  std::vector<std::string> notes;               // informational lines
  bool ok() const;
};

// Everything the soak recorded on its side.
struct SoakRecord {
  absl::Time epoch;  // when the load began
  std::vector<Submit> submits;
  std::vector<CallRecord> calls;
  std::vector<HealthSample> health;
  std::vector<FaultRecord> faults;
  std::vector<Finding> findings;
};

// Judges the soak. The faults also explain, in the rows printed, what
// overlapped each offending run or attempt. Throws what libpqxx throws when
// the database cannot be read.
SoakReport CheckSoak(const SoakCluster& cluster, const SoakRecord& record);

// Prints the report: runs, attempts, each check's count and up to
// `max_rows` offending rows each, then the notes.
void PrintReport(const SoakReport& report, size_t max_rows);

}  // namespace baton::chaos
