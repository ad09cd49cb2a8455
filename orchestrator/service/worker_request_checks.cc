#include "orchestrator/service/worker_request_checks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/limits.h"
#include "common/base/status_macros.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {
namespace {

absl::Status CheckLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  BATON_RETURN_IF_ERROR(CheckCount("labels", labels.size(), kMaxLabelsPerWorker));
  for (const auto& [key, value] : labels) {
    BATON_RETURN_IF_ERROR(CheckName("labels", key));
    BATON_RETURN_IF_ERROR(CheckText(absl::StrCat("labels.", key), value, kMaxLabelValueLength));
  }
  return absl::OkStatus();
}

// A worker is leased only tasks whose handler it names: naming none would
// register a worker that can never be given work.
absl::Status CheckHandlers(const google::protobuf::RepeatedPtrField<std::string>& handlers) {
  if (handlers.empty()) {
    return absl::InvalidArgumentError(
        "handlers: empty; a worker names the handlers it serves (it is leased only their tasks)");
  }
  BATON_RETURN_IF_ERROR(CheckCount("handlers", handlers.size(), kMaxHandlersPerWorker));
  for (int i = 0; i < handlers.size(); ++i) {
    BATON_RETURN_IF_ERROR(
        CheckText(absl::StrCat("handlers[", i, "]"), handlers[i], kMaxHandlerNameLength));
  }
  return absl::OkStatus();
}

absl::Status CheckAttemptRef(const std::string& field, const v1::AttemptRef& ref) {
  return CheckLength(absl::StrCat(field, ".lease_token"), ref.lease_token(), kMaxIdLength);
}

}  // namespace

absl::Status CheckRegistration(const v1::RegisterWorkerRequest& request) {
  if (request.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: empty; expected 1 to ", kMaxWorkerNameLength, " characters"));
  }
  BATON_RETURN_IF_ERROR(CheckText("name", request.name(), kMaxWorkerNameLength));
  BATON_RETURN_IF_ERROR(CheckRange("slots", request.slots(), 1, kMaxSlotsPerWorker));
  BATON_RETURN_IF_ERROR(CheckNames("queues", request.queues(), kMaxQueuesPerWorker));
  BATON_RETURN_IF_ERROR(CheckLabels(request.labels()));
  BATON_RETURN_IF_ERROR(CheckHandlers(request.handlers()));
  return CheckText("version", request.version(), kMaxWorkerVersionLength);
}

absl::Status CheckPoll(const v1::PollLeasesRequest& request) {
  BATON_RETURN_IF_ERROR(CheckLength("worker_id", request.worker_id(), kMaxIdLength));
  return CheckRange("max_leases", request.max_leases(), 1, kMaxSlotsPerWorker);
}

absl::Status CheckHeartbeat(const v1::HeartbeatRequest& request) {
  BATON_RETURN_IF_ERROR(CheckLength("worker_id", request.worker_id(), kMaxIdLength));
  BATON_RETURN_IF_ERROR(CheckCount("attempts", request.attempts_size(), kMaxHeartbeatBatch));
  for (int i = 0; i < request.attempts_size(); ++i) {
    BATON_RETURN_IF_ERROR(CheckAttemptRef(absl::StrCat("attempts[", i, "]"), request.attempts(i)));
  }
  return absl::OkStatus();
}

absl::Status CheckAppendLogs(const v1::AppendLogsRequest& request) {
  if (request.attempts_size() > kMaxHeartbeatBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("attempts: expected at most ", kMaxHeartbeatBatch, " batches per call"));
  }
  if (request.worker_id().empty()) {
    return absl::InvalidArgumentError("worker_id: expected the id RegisterWorker gave");
  }
  return absl::OkStatus();
}

absl::Status CheckCompletion(const v1::CompleteAttemptRequest& request) {
  BATON_RETURN_IF_ERROR(CheckLength("worker_id", request.worker_id(), kMaxIdLength));
  BATON_RETURN_IF_ERROR(CheckAttemptRef("attempt", request.attempt()));
  switch (request.outcome_case()) {
    case v1::CompleteAttemptRequest::kResultJson:
      return absl::OkStatus();
    case v1::CompleteAttemptRequest::kError:
      return CheckText("error.type", request.error().type(), kMaxErrorTypeLength);
    default:
      return absl::InvalidArgumentError("outcome: expected result_json or error to be set");
  }
}

}  // namespace baton::service
