#include "orchestrator/service/breaker_service.h"

#include "common/rpc/grpc_status.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {

grpc::Status BreakerServiceImpl::ListBreakers(grpc::ServerContext*, const v1::ListBreakersRequest*,
                                              v1::ListBreakersResponse* response) {
  auto breakers = breakers_.ListBreakers();
  if (!breakers.ok()) return rpc::ToGrpcStatus(breakers.status());
  for (const auto& b : *breakers) ToProto(b, response->add_breakers());
  return grpc::Status::OK;
}

grpc::Status BreakerServiceImpl::ResetBreaker(grpc::ServerContext*,
                                              const v1::ResetBreakerRequest* request,
                                              v1::Breaker* response) {
  if (auto s = CheckName("key", request->key()); !s.ok()) return rpc::ToGrpcStatus(s);
  auto breaker = breakers_.ResetBreaker(request->key());
  if (!breaker.ok()) return rpc::ToGrpcStatus(breaker.status());
  ToProto(*breaker, response);
  return grpc::Status::OK;
}

}  // namespace baton::service
