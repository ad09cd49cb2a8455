// gRPC glue for cluster views. Thread-safe.
#pragma once

#include "absl/time/time.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "orchestrator/store/worker_store.h"

namespace baton::service {

class ClusterServiceImpl final : public v1::ClusterService::Service {
 public:
  // A worker not seen for `worker_liveness` is shown as LOST.
  ClusterServiceImpl(store::WorkerStore& workers, absl::Duration worker_liveness)
      : workers_(workers), worker_liveness_(worker_liveness) {}

  grpc::Status ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* request,
                           v1::ListWorkersResponse* response) override;

 private:
  store::WorkerStore& workers_;
  const absl::Duration worker_liveness_;
};

}  // namespace baton::service
