// gRPC glue for the worker API: validates requests, calls one store
// operation, maps the Status. Thread-safe (the stores are).
#pragma once

#include "absl/time/time.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "common/base/limits.h"
#include "orchestrator/ready_signal.h"
#include "orchestrator/service/poll_admission.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/log_store.h"
#include "orchestrator/store/worker_store.h"

namespace baton::service {

struct WorkerServiceOptions {
  absl::Duration lease_duration = absl::Seconds(30);
  // A granted lease must be acknowledged (by the worker's first heartbeat)
  // within this, or it is leased again without spending an attempt.
  absl::Duration delivery_timeout = absl::Seconds(10);
  absl::Duration heartbeat_interval = absl::Seconds(3);  // also bounds cancel latency
  absl::Duration max_poll_wait = absl::Seconds(30);
  // A waiting poll looks for work at least this often even without a wake-up
  // (tasks made ready by time, a missed notification).
  absl::Duration poll_recheck = absl::Seconds(2);
  int max_leases_per_poll = 256;
  int max_polls_per_worker = kMaxPollsPerWorker;  // more waiting at once: RESOURCE_EXHAUSTED
  int max_waiting_polls = kMaxWaitingPolls;       // all workers together
};

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  WorkerServiceImpl(WorkerServiceOptions options, store::LeaseStore& leases,
                    store::WorkerStore& workers, store::LogStore& logs, const ReadySignal& ready)
      : options_(options),
        leases_(leases),
        workers_(workers),
        logs_(logs),
        ready_(ready),
        polls_(options.max_polls_per_worker, options.max_waiting_polls) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest* request,
                              v1::RegisterWorkerResponse* response) override;
  grpc::Status PollLeases(grpc::ServerContext* context, const v1::PollLeasesRequest* request,
                          v1::PollLeasesResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status CompleteAttempt(grpc::ServerContext*, const v1::CompleteAttemptRequest* request,
                               v1::CompleteAttemptResponse*) override;
  grpc::Status AppendLogs(grpc::ServerContext*, const v1::AppendLogsRequest* request,
                          v1::AppendLogsResponse* response) override;
  grpc::Status DeregisterWorker(grpc::ServerContext*, const v1::DeregisterWorkerRequest* request,
                                v1::DeregisterWorkerResponse*) override;

 private:
  absl::Time PollDeadline(const grpc::ServerContext& context,
                          const v1::PollLeasesRequest& request) const;
  // Leases for a poll whose caller may be gone; nothing once it is.
  absl::StatusOr<std::vector<store::LeaseRecord>> LeaseForLivePoll(
      grpc::ServerContext& context, const store::WorkerRecord& worker, int max);

  const WorkerServiceOptions options_;
  store::LeaseStore& leases_;
  store::WorkerStore& workers_;
  store::LogStore& logs_;
  const ReadySignal& ready_;
  PollAdmission polls_;
};

}  // namespace baton::service
