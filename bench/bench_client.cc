#include "bench/bench_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "common/rpc/grpc_status.h"

namespace baton::bench {
namespace {

// A run of 1,000 tasks with their attempts is a few hundred kilobytes.
constexpr int kMaxMessageBytes = 64 << 20;
constexpr absl::Duration kWorkerCheckInterval = absl::Milliseconds(100);

}  // namespace

struct BenchClient::Impl {
  std::unique_ptr<v1::FlowService::Stub> flows;
  std::unique_ptr<v1::RunService::Stub> runs;
  std::unique_ptr<v1::ClusterService::Stub> cluster;
  absl::Duration rpc_timeout;

  std::unique_ptr<grpc::ClientContext> Call() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(rpc_timeout));
    return ctx;
  }

  absl::StatusOr<int> OnlineWorkers() {
    v1::ListWorkersResponse response;
    grpc::Status s = cluster->ListWorkers(Call().get(), v1::ListWorkersRequest(), &response);
    if (!s.ok()) return rpc::FromGrpcStatus(s);
    int online = 0;
    for (const auto& w : response.workers()) online += w.state() == v1::WorkerInfo::ONLINE;
    return online;
  }
};

BenchClient::BenchClient(const std::string& address, absl::Duration rpc_timeout)
    : impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  impl_->flows = v1::FlowService::NewStub(channel);
  impl_->runs = v1::RunService::NewStub(channel);
  impl_->cluster = v1::ClusterService::NewStub(channel);
  impl_->rpc_timeout = rpc_timeout;
}

BenchClient::~BenchClient() = default;

absl::Status BenchClient::WaitForWorkers(int count, absl::Time deadline) {
  absl::StatusOr<int> online = 0;
  while (true) {
    online = impl_->OnlineWorkers();
    if (online.ok() && *online >= count) return absl::OkStatus();
    if (absl::Now() + kWorkerCheckInterval > deadline) break;
    absl::SleepFor(kWorkerCheckInterval);
  }
  if (!online.ok()) return online.status();
  return absl::DeadlineExceededError(
      absl::StrCat("waiting for ", count, " online worker(s): only ", *online, " registered"));
}

absl::StatusOr<v1::Flow> BenchClient::ApplyFlow(const std::string& source_name,
                                                const std::string& content) {
  v1::ApplyFlowRequest request;
  request.set_source_name(source_name);
  request.set_content(content);
  v1::ApplyFlowResponse response;
  grpc::Status s = impl_->flows->ApplyFlow(impl_->Call().get(), request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response.flow();
}

absl::StatusOr<std::string> BenchClient::StartRun(const std::string& flow) {
  v1::StartRunRequest request;
  request.set_flow_name(flow);
  v1::StartRunResponse response;
  grpc::Status s = impl_->runs->StartRun(impl_->Call().get(), request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return response.run().id();
}

absl::StatusOr<std::vector<v1::Run>> BenchClient::ListRuns(const std::string& flow, int limit) {
  v1::ListRunsRequest request;
  request.set_flow_name(flow);
  request.set_limit(limit);
  v1::ListRunsResponse response;
  grpc::Status s = impl_->runs->ListRuns(impl_->Call().get(), request, &response);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return std::vector<v1::Run>(response.runs().begin(), response.runs().end());
}

absl::StatusOr<v1::Run> BenchClient::GetRun(const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  v1::Run run;
  grpc::Status s = impl_->runs->GetRun(impl_->Call().get(), request, &run);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return run;
}

}  // namespace baton::bench
