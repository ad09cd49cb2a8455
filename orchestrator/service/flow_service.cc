#include "orchestrator/service/flow_service.h"

#include "common/base/limits.h"
#include "common/rpc/grpc_status.h"
#include "common/spec/flow.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {

using rpc::ToGrpcStatus;

grpc::Status FlowServiceImpl::ApplyFlow(grpc::ServerContext*, const v1::ApplyFlowRequest* request,
                                        v1::ApplyFlowResponse* response) {
  const std::string source = request->source_name().empty() ? "<request>" : request->source_name();
  if (auto s = CheckLength("source_name", source, kMaxSourceNameLength); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<FlowSpec> spec = ParseFlowSpec(request->content(), source);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  auto applied = flows_.ApplyFlow(spec->name, spec->description, FlowSpecToJson(*spec));
  if (!applied.ok()) return ToGrpcStatus(applied.status());
  ToProto(applied->flow, response->mutable_flow());
  response->set_created(applied->created);
  return grpc::Status::OK;
}

grpc::Status FlowServiceImpl::GetFlow(grpc::ServerContext*, const v1::GetFlowRequest* request,
                                      v1::Flow* response) {
  if (auto s = CheckName("name", request->name()); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckRange("version", request->version(), 0, INT32_MAX); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<store::FlowRecord> flow = flows_.GetFlow(request->name(), request->version());
  if (!flow.ok()) return ToGrpcStatus(flow.status());
  ToProto(*flow, response);
  return grpc::Status::OK;
}

grpc::Status FlowServiceImpl::ListFlows(grpc::ServerContext*, const v1::ListFlowsRequest* request,
                                        v1::ListFlowsResponse* response) {
  if (auto s = CheckRange("limit", request->limit(), 0, 1000); !s.ok()) return ToGrpcStatus(s);
  auto flows = flows_.ListFlows(request->limit() == 0 ? 100 : request->limit());
  if (!flows.ok()) return ToGrpcStatus(flows.status());
  for (const auto& flow : *flows) ToProto(flow, response->add_flows());
  return grpc::Status::OK;
}

}  // namespace baton::service
