#include "worker/lease_poller.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/base/backoff.h"
#include "spdlog/spdlog.h"
#include "worker/attempt_runner.h"
#include "worker/lease_presumption.h"

namespace baton::worker {
namespace {

using google::protobuf::util::TimeUtil;

absl::Duration ToAbsl(const google::protobuf::Duration& d) {
  return absl::Milliseconds(TimeUtil::DurationToMilliseconds(d));
}

}  // namespace

LeasePoller::LeasePoller(const WorkerOptions& options,
                         const std::map<std::string, Handler>& handlers, OrchestratorClient& client,
                         Registration& registration, AttemptRegistry& registry)
    : options_(options),
      handlers_(handlers),
      client_(client),
      registration_(registration),
      registry_(registry) {}

absl::Status LeasePoller::Run() {
  int failures = 0;
  while (registry_.AwaitFreeSlot()) {
    if (EnsureRegistered(failures)) PollOnce(failures);
  }
  return refused_;
}

bool LeasePoller::EnsureRegistered(int& failures) {
  if (!registration_.worker_id().empty()) return true;
  v1::RegisterWorkerRequest request;
  request.set_name(options_.name);
  for (const auto& q : options_.queues) request.add_queues(q);
  for (const auto& [k, v] : options_.labels) (*request.mutable_labels())[k] = v;
  for (const auto& [name, handler] : handlers_) request.add_handlers(name);
  request.set_slots(options_.slots);
  request.set_version("0.1.0");
  auto registered = client_.Register(request);
  if (absl::IsUnauthenticated(registered.status()) ||
      absl::IsPermissionDenied(registered.status()) ||
      absl::IsInvalidArgument(registered.status())) {
    // Retrying cannot help (credentials refused, or a registration the
    // orchestrator will never take: a bad name, no handlers): stop, and let
    // Run() say why.
    spdlog::error("register with {}: {}", options_.orchestrator, registered.status().ToString());
    refused_ = registered.status();
    registry_.RequestStop();
    return false;
  }
  if (!registered.ok()) {
    const absl::Duration delay = BackoffDelay(
        {absl::Milliseconds(200), 2.0, options_.max_backoff, 0.2}, ++failures, UnitRandom());
    spdlog::warn("register with {}: {}; retrying in {}", options_.orchestrator,
                 registered.status().ToString(), absl::FormatDuration(delay));
    registry_.SleepUnlessStopping(delay);
    return false;
  }
  failures = 0;
  registration_.Set(registered->worker_id(), ToAbsl(registered->heartbeat_interval()),
                    ToAbsl(registered->lease_duration()));
  spdlog::info("registered as worker {} ({} slots, queues: {})", registered->worker_id(),
               options_.slots, absl::StrJoin(options_.queues, ","));
  return true;
}

void LeasePoller::PollOnce(int& failures) {
  const std::string id = registration_.worker_id();
  auto leases = client_.Poll(id, registry_.FreeSlots(), options_.poll_wait);
  if (leases.ok()) {
    failures = 0;
    Admit(Acknowledge(*std::move(leases)));
    return;
  }
  if (absl::IsCancelled(leases.status())) return;
  if (absl::IsNotFound(leases.status())) {  // the orchestrator forgot us: register again
    registration_.Forget();
    return;
  }
  const absl::Duration delay = BackoffDelay(
      {absl::Milliseconds(200), 2.0, options_.max_backoff, 0.2}, ++failures, UnitRandom());
  spdlog::warn("poll: {}; retrying in {}", leases.status().ToString(), absl::FormatDuration(delay));
  registry_.SleepUnlessStopping(delay);
}

// The delivery rule, worker side: a lease is acknowledged (its first
// heartbeat) before its handler starts, so a lease that was redelivered
// because this worker was too slow to take it never runs twice. Transient
// failures are retried until the leases' delivery deadline; leases that
// could not be acknowledged are dropped (the orchestrator leases them again
// without spending an attempt).
std::vector<LeasePoller::Taken> LeasePoller::Acknowledge(std::vector<v1::Lease> leases) {
  if (leases.empty()) return {};
  std::vector<v1::AttemptRef> refs;
  absl::Time deliver_by = absl::InfiniteFuture();
  for (const v1::Lease& lease : leases) {
    refs.push_back(lease.attempt());
    deliver_by =
        std::min(deliver_by,
                 absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(lease.lease_expires_at())));
  }
  const std::string id = registration_.worker_id();
  absl::StatusOr<std::vector<v1::AttemptDirective>> directives;
  for (int tries = 1;; ++tries) {
    const absl::Duration call =
        HeartbeatCallDeadline(deliver_by - absl::Now(), options_.rpc_timeout);
    directives = client_.Heartbeat(id, refs, call);
    if (directives.ok() || !IsTransient(directives.status())) break;
    const absl::Duration delay =
        BackoffDelay({absl::Milliseconds(50), 2.0, absl::Seconds(1), 0.2}, tries, UnitRandom());
    if (absl::Now() + delay >= deliver_by || !registry_.SleepUnlessStopping(delay)) break;
  }
  if (!directives.ok()) {
    spdlog::warn("acknowledging {} lease(s): {}; leaving them to be leased again", leases.size(),
                 directives.status().ToString());
    return {};
  }
  std::vector<Taken> taken;
  for (size_t i = 0; i < leases.size() && i < directives->size(); ++i) {
    const v1::AttemptDirective& d = (*directives)[i];
    if (d.action() == v1::AttemptDirective::LEASE_LOST) {
      spdlog::warn("task run {} attempt {}: not taken: {}", d.attempt().task_run_id(),
                   d.attempt().attempt(), d.reason());
      continue;
    }
    taken.push_back({std::move(leases[i]), d.action() == v1::AttemptDirective::CANCEL});
  }
  return taken;
}

void LeasePoller::Admit(std::vector<Taken> taken) {
  if (taken.empty()) return;
  const absl::Time now = absl::Now();
  std::vector<AttemptRegistry::Admission> admitted;
  for (auto& [lease, cancel] : taken) {
    HeldAttempt attempt{MakeContext(lease, now), lease.attempt(), now};
    if (lease.has_heartbeat_timeout()) {
      attempt.heartbeat_timeout = ToAbsl(lease.heartbeat_timeout());
    }
    if (cancel) attempt.Stop(StopReason::kCancelled, "cancelled: the run is being cancelled");
    admitted.push_back({std::move(lease), std::move(attempt)});
  }
  registry_.Admit(std::move(admitted));
}

}  // namespace baton::worker
