#include "orchestrator/service/cluster_service.h"

#include "common/rpc/grpc_status.h"
#include "orchestrator/service/proto_convert.h"

namespace baton::service {

grpc::Status ClusterServiceImpl::ListWorkers(grpc::ServerContext*,
                                             const v1::ListWorkersRequest* request,
                                             v1::ListWorkersResponse* response) {
  BATON_RPC_ASSIGN_OR_RETURN(auto workers,
                             workers_.ListWorkers(worker_liveness_, request->include_stopped()));
  for (const auto& w : workers) ToProto(w, response->add_workers());
  return grpc::Status::OK;
}

}  // namespace baton::service
