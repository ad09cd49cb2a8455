// gRPC glue for deployments. Thread-safe.
#pragma once

#include "baton/v1/deployment_service.grpc.pb.h"
#include "orchestrator/store/deployment_store.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/schedule_store.h"

namespace baton::service {

class DeploymentServiceImpl final : public v1::DeploymentService::Service {
 public:
  DeploymentServiceImpl(store::DeploymentStore& deployments, store::FlowStore& flows,
                        store::RunStore& runs, store::ScheduleStore& schedules)
      : deployments_(deployments), flows_(flows), runs_(runs), schedules_(schedules) {}

  grpc::Status ApplyDeployment(grpc::ServerContext*, const v1::ApplyDeploymentRequest* request,
                               v1::ApplyDeploymentResponse* response) override;
  grpc::Status GetDeployment(grpc::ServerContext*, const v1::GetDeploymentRequest* request,
                             v1::Deployment* response) override;
  grpc::Status ListDeployments(grpc::ServerContext*, const v1::ListDeploymentsRequest* request,
                               v1::ListDeploymentsResponse* response) override;
  grpc::Status PauseDeployment(grpc::ServerContext*, const v1::PauseDeploymentRequest* request,
                               v1::Deployment* response) override;
  grpc::Status ResumeDeployment(grpc::ServerContext*, const v1::ResumeDeploymentRequest* request,
                                v1::Deployment* response) override;
  grpc::Status RunDeployment(grpc::ServerContext*, const v1::RunDeploymentRequest* request,
                             v1::StartRunResponse* response) override;
  grpc::Status DeleteDeployment(grpc::ServerContext*, const v1::DeleteDeploymentRequest* request,
                                v1::DeleteDeploymentResponse*) override;

 private:
  // The deployment's flow exists and its parameters fit it; errors name the file.
  absl::Status CheckAgainstFlow(const DeploymentSpec& spec, const std::string& source);
  // The message for `record` with its next fires and recent skips.
  absl::Status Describe(const store::DeploymentRecord& record, int next_fires, v1::Deployment* out);
  absl::StatusOr<engine::RunPlan> PlanManualRun(const store::DeploymentRecord& record,
                                                const v1::RunDeploymentRequest& request);

  store::DeploymentStore& deployments_;
  store::FlowStore& flows_;
  store::RunStore& runs_;
  store::ScheduleStore& schedules_;
};

}  // namespace baton::service
