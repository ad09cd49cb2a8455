// gRPC glue for runs. Thread-safe.
#pragma once

#include "absl/time/time.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "orchestrator/ready_signal.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/run_store.h"

namespace baton::service {

class RunServiceImpl final : public v1::RunService::Service {
 public:
  // `shutdown` ends watches when the server stops; `max_watch` bounds each one.
  RunServiceImpl(store::FlowStore& flows, store::RunStore& runs, const ReadySignal& shutdown,
                 absl::Duration max_watch = absl::Hours(1))
      : flows_(flows), runs_(runs), shutdown_(shutdown), max_watch_(max_watch) {}

  grpc::Status StartRun(grpc::ServerContext*, const v1::StartRunRequest* request,
                        v1::StartRunResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                      v1::Run* response) override;
  grpc::Status ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status CancelRun(grpc::ServerContext*, const v1::CancelRunRequest* request,
                         v1::Run* response) override;
  // Polls the store every kWatchPollInterval; one query per poll per watch.
  grpc::Status WatchRun(grpc::ServerContext* context, const v1::WatchRunRequest* request,
                        grpc::ServerWriter<v1::RunEvent>* writer) override;

 private:
  // The plan of the run `request` asks for: flow version, parameters, tasks.
  absl::StatusOr<engine::RunPlan> Plan(const v1::StartRunRequest& request);

  store::FlowStore& flows_;
  store::RunStore& runs_;
  const ReadySignal& shutdown_;
  const absl::Duration max_watch_;
};

}  // namespace baton::service
