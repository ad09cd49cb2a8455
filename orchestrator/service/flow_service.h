// gRPC glue for flows. Thread-safe.
#pragma once

#include "baton/v1/flow_service.grpc.pb.h"
#include "orchestrator/store/flow_store.h"

namespace baton::service {

class FlowServiceImpl final : public v1::FlowService::Service {
 public:
  explicit FlowServiceImpl(store::FlowStore& flows) : flows_(flows) {}

  grpc::Status ApplyFlow(grpc::ServerContext*, const v1::ApplyFlowRequest* request,
                         v1::ApplyFlowResponse* response) override;
  grpc::Status GetFlow(grpc::ServerContext*, const v1::GetFlowRequest* request,
                       v1::Flow* response) override;
  grpc::Status ListFlows(grpc::ServerContext*, const v1::ListFlowsRequest* request,
                         v1::ListFlowsResponse* response) override;

 private:
  store::FlowStore& flows_;
};

}  // namespace baton::service
