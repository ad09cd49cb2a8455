#include "orchestrator/service/worker_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/limits.h"
#include "common/rpc/grpc_status.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"
#include "orchestrator/service/worker_request_checks.h"

namespace baton::service {
namespace {

using google::protobuf::util::TimeUtil;
using rpc::ToGrpcStatus;

// A poll answers this much before the client's deadline, so the answer arrives.
constexpr absl::Duration kPollDeadlineMargin = absl::Milliseconds(500);

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Milliseconds(TimeUtil::DurationToMilliseconds(d));
}

void FillDirective(const v1::AttemptRef& ref, const store::HeartbeatOutcome& outcome,
                   v1::AttemptDirective* d) {
  *d->mutable_attempt() = ref;
  d->set_code(static_cast<int>(outcome.status.code()));
  d->set_reason(std::string(outcome.status.message()));
  if (!outcome.status.ok()) {
    d->set_action(v1::AttemptDirective::LEASE_LOST);
    return;
  }
  d->set_action(outcome.cancel_requested ? v1::AttemptDirective::CANCEL
                                         : v1::AttemptDirective::CONTINUE);
  if (outcome.cancel_requested) d->set_reason("the run is being cancelled or timed out");
  *d->mutable_lease_expires_at() = ToProtoTime(outcome.lease_expires_at);
}

}  // namespace

grpc::Status WorkerServiceImpl::RegisterWorker(grpc::ServerContext*,
                                               const v1::RegisterWorkerRequest* request,
                                               v1::RegisterWorkerResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckRegistration(*request));
  store::WorkerRecord worker;
  worker.name = request->name();
  worker.queues.assign(request->queues().begin(), request->queues().end());
  if (worker.queues.empty()) worker.queues = {"default"};
  worker.labels.insert(request->labels().begin(), request->labels().end());
  worker.handlers.assign(request->handlers().begin(), request->handlers().end());
  worker.slots = request->slots();
  worker.version = request->version();
  BATON_RPC_ASSIGN_OR_RETURN(store::WorkerRecord stored, workers_.RegisterWorker(worker));
  response->set_worker_id(stored.id);
  *response->mutable_heartbeat_interval() = ToProtoDuration(options_.heartbeat_interval);
  *response->mutable_lease_duration() = ToProtoDuration(options_.lease_duration);
  return grpc::Status::OK;
}

absl::Time WorkerServiceImpl::PollDeadline(const grpc::ServerContext& context,
                                           const v1::PollLeasesRequest& request) const {
  const absl::Duration wait =
      std::clamp(FromProtoDuration(request.wait()), absl::ZeroDuration(), options_.max_poll_wait);
  const absl::Time client_deadline = absl::FromChrono(context.deadline()) - kPollDeadlineMargin;
  return std::min(absl::Now() + wait, client_deadline);
}

// Temporal's matching service hands a task only to a poller that is still
// there. A sync gRPC handler cannot learn whether its answer arrived, so this
// checks the caller before and after leasing, and releases at once what was
// leased for a caller that left meanwhile. An answer lost later (a frozen or
// cut-off worker) is caught by the delivery timeout: the worker never
// acknowledges it.
absl::StatusOr<std::vector<store::LeaseRecord>> WorkerServiceImpl::LeaseForLivePoll(
    grpc::ServerContext& context, const store::WorkerRecord& worker, int max) {
  if (context.IsCancelled()) return std::vector<store::LeaseRecord>{};
  auto leases = leases_.LeaseTasks(worker.id, worker.queues, max, options_.delivery_timeout);
  if (!leases.ok() || leases->empty() || !context.IsCancelled()) return leases;
  std::vector<engine::AttemptClaim> granted;
  for (const store::LeaseRecord& l : *leases) {
    granted.push_back({l.task_run_id, l.attempt, l.lease_token});
  }
  auto released = leases_.ReleaseLeases(granted, "the worker's poll was gone when it was granted");
  if (!released.ok()) return released.status();  // the delivery timeout releases them instead
  return std::vector<store::LeaseRecord>{};
}

grpc::Status WorkerServiceImpl::PollLeases(grpc::ServerContext* context,
                                           const v1::PollLeasesRequest* request,
                                           v1::PollLeasesResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckPoll(*request));
  // Held until this poll answers; refused before the database is touched.
  BATON_RPC_ASSIGN_OR_RETURN(auto admitted, polls_.Admit(request->worker_id()));
  BATON_RPC_ASSIGN_OR_RETURN(store::WorkerRecord worker,
                             workers_.TouchWorker(request->worker_id()));
  const int max = std::min(request->max_leases(), options_.max_leases_per_poll);
  const absl::Time deadline = PollDeadline(*context, *request);
  while (true) {
    const uint64_t seen = ready_.generation();
    BATON_RPC_ASSIGN_OR_RETURN(auto leases, LeaseForLivePoll(*context, worker, max));
    for (const auto& lease : leases) ToProto(lease, response->add_leases());
    const absl::Time now = absl::Now();
    if (!leases.empty() || now >= deadline || context->IsCancelled() || ready_.shut_down()) {
      return grpc::Status::OK;
    }
    ready_.WaitFor(seen, std::min(deadline - now, options_.poll_recheck));
  }
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                                          v1::HeartbeatResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckHeartbeat(*request));
  BATON_RPC_ASSIGN_OR_RETURN(store::WorkerRecord worker,
                             workers_.TouchWorker(request->worker_id()));
  std::vector<engine::AttemptClaim> claims;
  for (const auto& ref : request->attempts()) claims.push_back(FromProto(ref));
  BATON_RPC_ASSIGN_OR_RETURN(auto outcomes,
                             leases_.Heartbeat(worker.id, claims, options_.lease_duration));
  for (int i = 0; i < request->attempts_size(); ++i) {
    FillDirective(request->attempts(i), outcomes[i], response->add_directives());
  }
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::CompleteAttempt(grpc::ServerContext*,
                                                const v1::CompleteAttemptRequest* request,
                                                v1::CompleteAttemptResponse*) {
  BATON_RPC_RETURN_IF_ERROR(CheckCompletion(*request));
  return ToGrpcStatus(
      leases_.CompleteAttempt(FromProto(request->attempt()), OutcomeFromProto(*request)));
}

grpc::Status WorkerServiceImpl::AppendLogs(grpc::ServerContext*,
                                           const v1::AppendLogsRequest* request,
                                           v1::AppendLogsResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckAppendLogs(*request));
  const absl::Time now = absl::Now();
  std::vector<store::LogBatch> batches;
  for (int i = 0; i < request->attempts_size(); ++i) {
    BATON_RPC_ASSIGN_OR_RETURN(
        auto batch, FromProto(request->attempts(i), absl::StrCat("attempts[", i, "]"), now));
    batches.push_back(std::move(batch));
  }
  // No TouchWorker: heartbeats keep the worker alive, and each batch is fenced
  // by worker and token in the store, so a shipment costs one transaction.
  BATON_RPC_ASSIGN_OR_RETURN(auto outcomes, logs_.Append(request->worker_id(), batches));
  for (const store::AppendOutcome& o : outcomes) {
    v1::AppendLogsResult* r = response->add_results();
    r->set_stored(o.stored);
    r->set_dropped(o.dropped);
    r->set_refused(std::string(o.refused.message()));
  }
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::DeregisterWorker(grpc::ServerContext*,
                                                 const v1::DeregisterWorkerRequest* request,
                                                 v1::DeregisterWorkerResponse*) {
  return ToGrpcStatus(workers_.DeregisterWorker(request->worker_id()));
}

}  // namespace baton::service
