// gRPC glue for runs. Thread-safe.
#pragma once

#include "baton/v1/run_service.grpc.pb.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/run_store.h"

namespace baton::service {

class RunServiceImpl final : public v1::RunService::Service {
 public:
  RunServiceImpl(store::FlowStore& flows, store::RunStore& runs) : flows_(flows), runs_(runs) {}

  grpc::Status StartRun(grpc::ServerContext*, const v1::StartRunRequest* request,
                        v1::StartRunResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                      v1::Run* response) override;
  grpc::Status ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status CancelRun(grpc::ServerContext*, const v1::CancelRunRequest* request,
                         v1::Run* response) override;

 private:
  // The plan of the run `request` asks for: flow version, parameters, tasks.
  absl::StatusOr<engine::RunPlan> Plan(const v1::StartRunRequest& request);

  store::FlowStore& flows_;
  store::RunStore& runs_;
};

}  // namespace baton::service
