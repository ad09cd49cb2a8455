// The soak's checks that need the fault windows and the client's view
// (soak_checks.h states them): leases spent on workers already gone, leases
// lost by workers no fault touched, and CLI calls that failed while health
// said SERVING. Also the helpers that relate times to the faults.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/chaos/fault_injector.h"
#include "tests/chaos/health_sampler.h"
#include "tests/chaos/load_generator.h"
#include "tests/support/invariants.h"

namespace baton::chaos {

// "+12.3s": `t` after `epoch`.
std::string Since(absl::Time t, absl::Time epoch);

// "#3 worker-kill w2 at +12.0s; ..." for the faults in effect at some time
// in [from, to], or "none".
std::string FaultsDuring(const std::vector<FaultRecord>& faults, absl::Time from, absl::Time to,
                         absl::Time epoch);

// Two checks: attempts spent on a worker already gone when leased, and
// leases lost by a worker no fault touched while it held them.
std::vector<testing::InvariantCheck> CheckLostLeases(pqxx::transaction_base& tx,
                                                     const std::vector<FaultRecord>& faults,
                                                     absl::Time epoch);

// CLI calls that failed while every replica said SERVING all along.
testing::InvariantCheck CheckClientCalls(const std::vector<CallRecord>& calls,
                                         const std::vector<HealthSample>& health,
                                         const std::vector<FaultRecord>& faults, absl::Time epoch);

}  // namespace baton::chaos
