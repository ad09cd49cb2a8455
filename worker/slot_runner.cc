#include "worker/slot_runner.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "common/base/backoff.h"
#include "common/base/error_types.h"
#include "common/base/logging.h"
#include "spdlog/spdlog.h"
#include "worker/attempt_runner.h"
#include "worker/lease_presumption.h"

namespace baton::worker {
namespace {

constexpr int kMaxCompletionTries = 8;

// For WorkerHooks::attempt_finished.
std::string Outcome(const v1::CompleteAttemptRequest& completion) {
  if (!completion.has_error()) return "succeeded";
  if (completion.error().type() == kExecutionTimeoutErrorType) return "timed_out";
  if (completion.error().type() == kCancelledErrorType) return "cancelled";
  return "failed";
}

// The error type of an attempt the runtime stopped; empty: keep the handler's.
std::string ErrorTypeFor(StopReason stop) {
  switch (stop) {
    case StopReason::kExecutionTimeout:
      return kExecutionTimeoutErrorType;
    case StopReason::kCancelled:
      return kCancelledErrorType;
    case StopReason::kLeaseLost:
      return kLeaseLostErrorType;
    default:
      return "";
  }
}

}  // namespace

SlotRunner::SlotRunner(const std::map<std::string, Handler>& handlers, const WorkerHooks& hooks,
                       OrchestratorClient& client, const Registration& registration,
                       AttemptRegistry& registry, LogShipper& shipper)
    : handlers_(handlers),
      hooks_(hooks),
      client_(client),
      registration_(registration),
      registry_(registry),
      shipper_(shipper) {}

void SlotRunner::Run() {
  while (std::optional<v1::Lease> lease = registry_.NextLease()) Execute(*lease);
}

void SlotRunner::Execute(const v1::Lease& lease) {
  std::shared_ptr<TaskContext> ctx = registry_.ContextOf(lease.attempt());
  const std::string worker_id = registration_.worker_id();
  // Every line logged on this thread while the handler runs carries these.
  ScopedLogContext context({{"run", lease.run_id()},
                            {"task", lease.task_name()},
                            {"attempt", std::to_string(lease.attempt().attempt())},
                            {"correlation_id", lease.correlation_id()}});
  spdlog::info("{} started", lease.handler());
  const absl::Time start = absl::Now();
  v1::CompleteAttemptRequest completion = RunHandler(lease, *ctx, worker_id);
  if (hooks_.attempt_finished) hooks_.attempt_finished(Outcome(completion));
  spdlog::info("{} {} after {}", lease.handler(), completion.has_error() ? "failed" : "succeeded",
               absl::FormatDuration(absl::Now() - start));
  shipper_.Ship({{lease.attempt(), ctx}});  // the last lines land before the outcome
  Report(completion);
  registry_.Release(lease.attempt());
}

v1::CompleteAttemptRequest SlotRunner::RunHandler(const v1::Lease& lease, TaskContext& ctx,
                                                  const std::string& worker_id) {
  auto it = handlers_.find(lease.handler());
  v1::CompleteAttemptRequest completion =
      RunAttempt(it == handlers_.end() ? nullptr : &it->second, ctx, lease, worker_id);
  if (completion.has_error()) {
    const std::string type = ErrorTypeFor(registry_.StopReasonOf(lease.attempt()));
    if (!type.empty()) completion.mutable_error()->set_type(type);
  }
  return completion;
}

// The outage rule, worker side: while the orchestrator answers that it cannot
// use its database, nobody can expire the attempt either, so those answers do
// not count against the tries; the report is retried until it lands or the
// worker's drain is over.
void SlotRunner::Report(const v1::CompleteAttemptRequest& completion) {
  const auto& ref = completion.attempt();
  int counted = 0;
  for (int tries = 1; counted < kMaxCompletionTries; ++tries) {
    absl::Status s = client_.Complete(completion);
    if (s.ok()) return;
    if (!IsTransient(s)) {
      spdlog::warn("task run {} attempt {}: completion refused: {}", ref.task_run_id(),
                   ref.attempt(), s.ToString());
      return;
    }
    if (!OrchestratorLostItsDatabase(s)) ++counted;
    if (registry_.finished()) break;
    const absl::Duration delay = BackoffDelay({absl::Milliseconds(200), 2.0, absl::Seconds(5), 0.2},
                                              std::min(tries, 16), UnitRandom());
    spdlog::warn("task run {} attempt {}: reporting failed: {}; retrying in {}", ref.task_run_id(),
                 ref.attempt(), s.ToString(), absl::FormatDuration(delay));
    absl::SleepFor(delay);
  }
  spdlog::error(
      "task run {} attempt {}: giving up reporting; the lease will expire and the "
      "orchestrator will run the task again",
      ref.task_run_id(), ref.attempt());
}

}  // namespace baton::worker
