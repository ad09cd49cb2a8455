// Validation of the worker API's requests, against the bounds in
// common/base/limits.h. Each returns INVALID_ARGUMENT naming the field path, what
// was wrong and the bound; nothing has been written when one fails. Pure.
#pragma once

#include "absl/status/status.h"
#include "baton/v1/worker_service.pb.h"

namespace baton::service {

absl::Status CheckRegistration(const v1::RegisterWorkerRequest& request);
absl::Status CheckPoll(const v1::PollLeasesRequest& request);
absl::Status CheckHeartbeat(const v1::HeartbeatRequest& request);
// The report itself; whether its result is acceptable JSON is the engine's
// call (a bad result fails the attempt, see engine::DecideAttempt).
absl::Status CheckCompletion(const v1::CompleteAttemptRequest& request);
// The shipment's shape: how many batches, and whose. Each batch's lines are
// checked as they are read (FromProto in proto_convert.h).
absl::Status CheckAppendLogs(const v1::AppendLogsRequest& request);

}  // namespace baton::service
