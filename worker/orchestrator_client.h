// The worker's side of the worker API: one call per RPC, each with a
// deadline, errors as absl::Status. Keeps grpc:: types out of the SDK header.
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "baton/v1/worker_service.pb.h"
#include "common/rpc/client_channel.h"

namespace baton::worker {

// Whether a call that failed with `error` is worth trying again: the
// orchestrator could not be reached or did not answer in time, was busy, or
// failed in a way that may pass.
inline bool IsTransient(const absl::Status& error) {
  return absl::IsUnavailable(error) || absl::IsDeadlineExceeded(error) || absl::IsAborted(error) ||
         absl::IsResourceExhausted(error) || absl::IsInternal(error) || absl::IsUnknown(error);
}

class OrchestratorClient {
 public:
  // Builds the channel (rpc::OpenChannel); when that fails, status() says why
  // and no call may be made.
  OrchestratorClient(const rpc::ChannelOptions& channel, absl::Duration rpc_timeout);
  ~OrchestratorClient();

  // OK when the channel was built (it still connects lazily).
  const absl::Status& status() const;

  // An UNAVAILABLE over TLS says what is wrong with the handshake, if
  // anything (rpc::ExplainTlsFailure: a few seconds more).
  absl::StatusOr<v1::RegisterWorkerResponse> Register(const v1::RegisterWorkerRequest& request);
  // Waits up to `wait` for leases; its deadline is `wait` plus the RPC timeout.
  absl::StatusOr<std::vector<v1::Lease>> Poll(const std::string& worker_id, int max_leases,
                                              absl::Duration wait);
  // Makes a Poll in flight (and the next one) return CANCELLED promptly.
  void CancelPolls();
  // Bounded by `timeout` (see HeartbeatCallDeadline), not the RPC timeout.
  absl::StatusOr<std::vector<v1::AttemptDirective>> Heartbeat(
      const std::string& worker_id, const std::vector<v1::AttemptRef>& attempts,
      absl::Duration timeout);
  absl::Status Complete(const v1::CompleteAttemptRequest& request);
  absl::StatusOr<v1::AppendLogsResponse> AppendLogs(const v1::AppendLogsRequest& request);
  absl::Status Deregister(const std::string& worker_id);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::worker
