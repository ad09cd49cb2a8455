// gRPC glue for circuit breakers. Thread-safe.
#pragma once

#include "baton/v1/breaker_service.grpc.pb.h"
#include "orchestrator/store/breaker_store.h"

namespace baton::service {

class BreakerServiceImpl final : public v1::BreakerService::Service {
 public:
  explicit BreakerServiceImpl(store::BreakerStore& breakers) : breakers_(breakers) {}

  grpc::Status ListBreakers(grpc::ServerContext*, const v1::ListBreakersRequest*,
                            v1::ListBreakersResponse* response) override;
  grpc::Status ResetBreaker(grpc::ServerContext*, const v1::ResetBreakerRequest* request,
                            v1::Breaker* response) override;

 private:
  store::BreakerStore& breakers_;
};

}  // namespace baton::service
