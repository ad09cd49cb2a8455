// gRPC glue for runs. Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "orchestrator/ready_signal.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/log_store.h"
#include "orchestrator/store/run_store.h"

namespace baton::service {

class RunServiceImpl final : public v1::RunService::Service {
 public:
  // `shutdown` ends watches when the server stops; `max_watch` bounds each one.
  RunServiceImpl(store::FlowStore& flows, store::RunStore& runs, store::LogStore& logs,
                 const ReadySignal& shutdown, absl::Duration max_watch = absl::Hours(1))
      : flows_(flows), runs_(runs), logs_(logs), shutdown_(shutdown), max_watch_(max_watch) {}

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
  // Like WatchRun: pages of lines, polling while following.
  grpc::Status StreamRunLogs(grpc::ServerContext* context, const v1::StreamRunLogsRequest* request,
                             grpc::ServerWriter<v1::RunLogEntry>* writer) override;

 private:
  // The plan of the run `request` asks for: flow version, parameters, tasks.
  absl::StatusOr<engine::RunPlan> Plan(const v1::StartRunRequest& request);

  // What one poll of a follow loop did.
  struct FollowStep {
    absl::Status status;     // an error ends the stream with it
    bool full_page = false;  // more may be waiting: poll again at once
    bool run_ended = false;  // the run's state (read before the page) is terminal
    bool client_gone = false;
  };
  // Calls `step` until the run has ended and its last page is written (OK),
  // or the client goes, the server shuts down, or --max-watch passes (each
  // with its status). With `follow` false, stops after the first partial page.
  grpc::Status Follow(grpc::ServerContext* context, const std::string& run_id, bool follow,
                      const std::function<FollowStep()>& step) const;

  store::FlowStore& flows_;
  store::RunStore& runs_;
  store::LogStore& logs_;
  const ReadySignal& shutdown_;
  const absl::Duration max_watch_;
};

}  // namespace baton::service
