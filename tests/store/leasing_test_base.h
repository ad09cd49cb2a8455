// Fixture of store tests that play a worker (the lease, timer and breaker
// store tests): a registered worker, leasing with or without acknowledging,
// reporting outcomes, and a bounded wait for a sweep to change something.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "orchestrator/engine/lease_rules.h"
#include "orchestrator/engine/run_rules.h"
#include "tests/store/store_test_base.h"

namespace baton::store {

inline engine::AttemptClaim ClaimOf(const LeaseRecord& lease) {
  engine::AttemptClaim claim;
  claim.task_run_id = lease.task_run_id;
  claim.attempt = lease.attempt;
  claim.lease_token = lease.lease_token;
  return claim;
}

// Field by field, so that new fields of ReportedOutcome keep their defaults.
inline engine::ReportedOutcome SucceededWithText(const std::string& result_json) {
  engine::ReportedOutcome outcome;
  outcome.succeeded = true;
  outcome.result_json = result_json;
  return outcome;
}

inline engine::ReportedOutcome Succeeded(const nlohmann::json& result) {
  return SucceededWithText(result.dump());
}

inline engine::ReportedOutcome Failed(const std::string& error) {
  engine::ReportedOutcome outcome;
  outcome.succeeded = false;
  outcome.error = error;
  return outcome;
}

class LeasingStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    worker_ = RegisterWorker(worker_queues_);
  }

  // Leases as a worker takes leases: granted, then acknowledged by a first
  // heartbeat that starts a lease of `lease` (for tasks without a heartbeat
  // timeout of their own).
  std::vector<LeaseRecord> Lease(int max = 10, absl::Duration lease = absl::Seconds(30),
                                 std::vector<std::string> queues = {"default"}) {
    std::vector<LeaseRecord> leases = Grant(max, queues);
    std::vector<engine::AttemptClaim> claims;
    for (const LeaseRecord& l : leases) claims.push_back(ClaimOf(l));
    if (claims.empty()) return leases;
    auto acked = leases_->Heartbeat(worker_, claims, lease);
    EXPECT_TRUE(acked.ok()) << acked.status();
    for (size_t i = 0; acked.ok() && i < leases.size(); ++i) {
      EXPECT_TRUE((*acked)[i].status.ok()) << (*acked)[i].status;
      leases[i].lease_expires_at = (*acked)[i].lease_expires_at;
    }
    return leases;
  }

  // Leases without acknowledging them; they last `delivery`.
  std::vector<LeaseRecord> Grant(int max = 10, std::vector<std::string> queues = {"default"},
                                 absl::Duration delivery = absl::Seconds(30)) {
    auto leases = leases_->LeaseTasks(worker_, queues, max, delivery);
    EXPECT_TRUE(leases.ok()) << leases.status();
    return leases.ok() ? *std::move(leases) : std::vector<LeaseRecord>{};
  }

  void Fail(const LeaseRecord& lease, const std::string& error = "boom") {
    absl::Status s = leases_->CompleteAttempt(ClaimOf(lease), Failed(error));
    EXPECT_TRUE(s.ok()) << s;
  }

  void Succeed(const LeaseRecord& lease, const nlohmann::json& result = "ok") {
    absl::Status s = leases_->CompleteAttempt(ClaimOf(lease), Succeeded(result));
    EXPECT_TRUE(s.ok()) << s;
  }

  // Calls `sweep` until it has changed `want` things in total or `bound`
  // passed; returns the total.
  static int SweepUntil(const std::function<absl::StatusOr<int>()>& sweep, int want,
                        absl::Duration bound = absl::Seconds(5)) {
    int total = 0;
    const absl::Time deadline = absl::Now() + bound;
    while (total < want && absl::Now() < deadline) {
      absl::StatusOr<int> n = sweep();
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok()) break;
      total += *n;
      if (total < want) absl::SleepFor(absl::Milliseconds(10));
    }
    return total;
  }

  std::vector<std::string> worker_queues_ = {"default"};  // set before SetUp
  std::string worker_;
};

}  // namespace baton::store
