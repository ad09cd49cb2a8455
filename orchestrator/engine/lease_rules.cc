#include "orchestrator/engine/lease_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace baton::engine {

using model::TaskRunState;

absl::Status CheckFence(const TaskLeaseView& current, const AttemptClaim& claim) {
  const std::string who = absl::StrCat("task run ", claim.task_run_id);
  if (claim.attempt != current.attempt) {
    return absl::FailedPreconditionError(absl::StrCat(
        who, ": attempt ", claim.attempt, " is not current (attempt ", current.attempt, " is)"));
  }
  const std::string which = absl::StrCat(who, " attempt ", claim.attempt);
  if (current.state != TaskRunState::kRunning) {
    return absl::FailedPreconditionError(
        absl::StrCat(which, ": task run is ", Name(current.state), ", not RUNNING"));
  }
  if (current.lease_token.empty() || claim.lease_token != current.lease_token) {
    return absl::FailedPreconditionError(absl::StrCat(which, ": lease token does not match"));
  }
  return absl::OkStatus();
}

absl::Time ExtendLease(absl::Time current_expiry, absl::Time now, absl::Duration lease) {
  return std::max(current_expiry, now + lease);
}

}  // namespace baton::engine
