#include "worker/orchestrator_client.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <mutex>

#include "baton/v1/worker_service.grpc.pb.h"
#include "common/rpc/grpc_status.h"
#include "common/rpc/tls_diagnosis.h"

namespace baton::worker {

using google::protobuf::util::TimeUtil;

struct OrchestratorClient::Impl {
  rpc::ChannelOptions channel;
  absl::Status status;
  std::unique_ptr<v1::WorkerService::Stub> stub;
  absl::Duration rpc_timeout;
  std::mutex mu;
  grpc::ClientContext* poll = nullptr;  // the poll in flight, guarded by mu
  bool polls_cancelled = false;

  void SetDeadline(grpc::ClientContext& ctx, absl::Duration timeout) const {
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  }
};

OrchestratorClient::OrchestratorClient(const rpc::ChannelOptions& channel,
                                       absl::Duration rpc_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->channel = channel;
  impl_->rpc_timeout = rpc_timeout;
  auto opened = rpc::OpenChannel(channel);
  if (!opened.ok()) {
    impl_->status = opened.status();
    return;
  }
  impl_->stub = v1::WorkerService::NewStub(*opened);
}

OrchestratorClient::~OrchestratorClient() = default;

const absl::Status& OrchestratorClient::status() const { return impl_->status; }

absl::StatusOr<v1::RegisterWorkerResponse> OrchestratorClient::Register(
    const v1::RegisterWorkerRequest& request) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, impl_->rpc_timeout);
  v1::RegisterWorkerResponse response;
  grpc::Status s = impl_->stub->RegisterWorker(&ctx, request, &response);
  if (!s.ok()) return rpc::ExplainTlsFailure(rpc::FromGrpcStatus(s), impl_->channel);
  return response;
}

absl::StatusOr<std::vector<v1::Lease>> OrchestratorClient::Poll(const std::string& worker_id,
                                                                int max_leases,
                                                                absl::Duration wait) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, wait + impl_->rpc_timeout);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->polls_cancelled) return absl::CancelledError("polling stopped");
    impl_->poll = &ctx;
  }
  v1::PollLeasesRequest request;
  request.set_worker_id(worker_id);
  request.set_max_leases(max_leases);
  *request.mutable_wait() = TimeUtil::MillisecondsToDuration(absl::ToInt64Milliseconds(wait));
  v1::PollLeasesResponse response;
  grpc::Status s = impl_->stub->PollLeases(&ctx, request, &response);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->poll = nullptr;
  }
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return std::vector<v1::Lease>(response.leases().begin(), response.leases().end());
}

void OrchestratorClient::CancelPolls() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->polls_cancelled = true;
  if (impl_->poll != nullptr) impl_->poll->TryCancel();
}

absl::StatusOr<std::vector<v1::AttemptDirective>> OrchestratorClient::Heartbeat(
    const std::string& worker_id, const std::vector<v1::AttemptRef>& attempts,
    absl::Duration timeout) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, timeout);
  v1::HeartbeatRequest request;
  request.set_worker_id(worker_id);
  for (const auto& a : attempts) *request.add_attempts() = a;
  v1::HeartbeatResponse response;
  grpc::Status s = impl_->stub->Heartbeat(&ctx, request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return std::vector<v1::AttemptDirective>(response.directives().begin(),
                                           response.directives().end());
}

absl::Status OrchestratorClient::Complete(const v1::CompleteAttemptRequest& request) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, impl_->rpc_timeout);
  v1::CompleteAttemptResponse response;
  return rpc::FromGrpcStatus(impl_->stub->CompleteAttempt(&ctx, request, &response));
}

absl::StatusOr<v1::AppendLogsResponse> OrchestratorClient::AppendLogs(
    const v1::AppendLogsRequest& request) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, impl_->rpc_timeout);
  v1::AppendLogsResponse response;
  grpc::Status s = impl_->stub->AppendLogs(&ctx, request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response;
}

absl::Status OrchestratorClient::Deregister(const std::string& worker_id) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(ctx, impl_->rpc_timeout);
  v1::DeregisterWorkerRequest request;
  request.set_worker_id(worker_id);
  v1::DeregisterWorkerResponse response;
  return rpc::FromGrpcStatus(impl_->stub->DeregisterWorker(&ctx, request, &response));
}

}  // namespace baton::worker
