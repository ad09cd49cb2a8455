#include "orchestrator/service/flow_service.h"

#include "common/base/limits.h"
#include "common/rpc/grpc_status.h"
#include "common/spec/flow.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {

grpc::Status FlowServiceImpl::ApplyFlow(grpc::ServerContext*, const v1::ApplyFlowRequest* request,
                                        v1::ApplyFlowResponse* response) {
  const std::string source = request->source_name().empty() ? "<request>" : request->source_name();
  BATON_RPC_RETURN_IF_ERROR(CheckLength("source_name", source, kMaxSourceNameLength));
  BATON_RPC_ASSIGN_OR_RETURN(FlowSpec spec, ParseFlowSpec(request->content(), source));
  BATON_RPC_ASSIGN_OR_RETURN(auto applied,
                             flows_.ApplyFlow(spec.name, spec.description, FlowSpecToJson(spec)));
  ToProto(applied.flow, response->mutable_flow());
  response->set_created(applied.created);
  return grpc::Status::OK;
}

grpc::Status FlowServiceImpl::GetFlow(grpc::ServerContext*, const v1::GetFlowRequest* request,
                                      v1::Flow* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  BATON_RPC_RETURN_IF_ERROR(CheckRange("version", request->version(), 0, INT32_MAX));
  BATON_RPC_ASSIGN_OR_RETURN(store::FlowRecord flow,
                             flows_.GetFlow(request->name(), request->version()));
  ToProto(flow, response);
  return grpc::Status::OK;
}

grpc::Status FlowServiceImpl::ListFlows(grpc::ServerContext*, const v1::ListFlowsRequest* request,
                                        v1::ListFlowsResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckRange("limit", request->limit(), 0, 1000));
  BATON_RPC_ASSIGN_OR_RETURN(auto flows,
                             flows_.ListFlows(request->limit() == 0 ? 100 : request->limit()));
  for (const auto& flow : flows) ToProto(flow, response->add_flows());
  return grpc::Status::OK;
}

}  // namespace baton::service
