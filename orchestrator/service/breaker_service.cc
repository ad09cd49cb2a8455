#include "orchestrator/service/breaker_service.h"

#include "common/rpc/grpc_status.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {

grpc::Status BreakerServiceImpl::ListBreakers(grpc::ServerContext*, const v1::ListBreakersRequest*,
                                              v1::ListBreakersResponse* response) {
  BATON_RPC_ASSIGN_OR_RETURN(auto breakers, breakers_.ListBreakers());
  for (const auto& b : breakers) ToProto(b, response->add_breakers());
  return grpc::Status::OK;
}

grpc::Status BreakerServiceImpl::ResetBreaker(grpc::ServerContext*,
                                              const v1::ResetBreakerRequest* request,
                                              v1::Breaker* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("key", request->key()));
  BATON_RPC_ASSIGN_OR_RETURN(auto breaker, breakers_.ResetBreaker(request->key()));
  ToProto(breaker, response);
  return grpc::Status::OK;
}

}  // namespace baton::service
