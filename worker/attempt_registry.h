// What the worker's slots hold, and the worker's phase. Internal to the SDK.
//
// An attempt is held from the moment its lease is admitted (acknowledged by
// the poller) until its slot has reported it: its lease (task run id,
// attempt number, lease token), its context (execution deadline, cancel
// flag, log lines), when the orchestrator last accepted a heartbeat for it,
// its heartbeat timeout and why the runtime stopped it, if it did. Admitted
// leases wait in a queue until a slot takes them.
//
// The phase (serving, stopping, polling done, finished) lives here because
// every wait of the poller, the slots, the heartbeater and the log shipper
// depends on it together with the attempts held.
//
// Thread-safe. Waits end on a phase change or an attempt leaving, and those
// taking a timeout are bounded by it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "baton/v1/worker_service.pb.h"
#include "worker/task_context.h"

namespace baton::worker {

// Why the runtime stopped a handler; decides the error type it reports.
enum class StopReason { kNone, kExecutionTimeout, kCancelled, kLeaseLost, kShutdown };

// One attempt a slot holds (queued or running).
struct HeldAttempt {
  std::shared_ptr<TaskContext> ctx;
  v1::AttemptRef ref;
  absl::Time lease_confirmed_at;                                // lease granted or last extended
  absl::Duration heartbeat_timeout = absl::InfiniteDuration();  // per task, if set
  StopReason stop = StopReason::kNone;

  // Cancels the handler with `reason`; the first reason given is the one
  // reported.
  void Stop(StopReason why, const std::string& reason);
};

class AttemptRegistry {
 public:
  explicit AttemptRegistry(int slots);
  AttemptRegistry(const AttemptRegistry&) = delete;
  AttemptRegistry& operator=(const AttemptRegistry&) = delete;

  // The phase, in order: stopping (no new polls), polling done (the poller
  // has returned), finished (the drain is over; whatever still runs is
  // abandoned).
  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_);
  void EndPolling() ABSL_LOCKS_EXCLUDED(mu_);
  // Returns whether attempts are still held (they are abandoned).
  bool Finish() ABSL_LOCKS_EXCLUDED(mu_);
  bool finished() const ABSL_LOCKS_EXCLUDED(mu_);

  // Sleeps up to `d` unless stopping; returns false when stopping.
  bool SleepUnlessStopping(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until a slot is free or the worker is stopping; returns false
  // when stopping.
  bool AwaitFreeSlot() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits up to `timeout` for the worker's work to end: the drain is over,
  // or polling is done and no attempt is held. Returns whether it has ended.
  bool AwaitWorkEnded(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits up to `timeout` for every attempt to leave; returns how many are
  // still held.
  int AwaitEmpty(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Queued leases plus held attempts (a queued lease's attempt is held too,
  // so it counts twice until a slot takes it), and the slots left.
  int BusySlots() const ABSL_LOCKS_EXCLUDED(mu_);
  int FreeSlots() const ABSL_LOCKS_EXCLUDED(mu_);

  struct Admission {
    v1::Lease lease;
    HeldAttempt attempt;
  };
  // Holds each attempt (by task run id and attempt number) and queues its
  // lease for a slot.
  void Admit(std::vector<Admission> admitted) ABSL_LOCKS_EXCLUDED(mu_);
  // For a slot: blocks until a lease is queued, and takes it. Nullopt when
  // the slot's work is over: nothing is queued and the worker's work has
  // ended (AwaitWorkEnded), or the drain is over.
  std::optional<v1::Lease> NextLease() ABSL_LOCKS_EXCLUDED(mu_);
  // Of the attempt `ref` names, which must be held. A task run may have two
  // attempts held at once on one worker: a lease this worker still runs may
  // have expired and the task been leased again, to this worker.
  std::shared_ptr<TaskContext> ContextOf(const v1::AttemptRef& ref) const ABSL_LOCKS_EXCLUDED(mu_);
  StopReason StopReasonOf(const v1::AttemptRef& ref) const ABSL_LOCKS_EXCLUDED(mu_);
  // The attempt `ref` names has been reported: its slot is free.
  void Release(const v1::AttemptRef& ref) ABSL_LOCKS_EXCLUDED(mu_);

  // Calls `visit` on each attempt held, under the registry's lock: `visit`
  // must be quick and must not call back into the registry.
  void ForEach(absl::FunctionRef<void(HeldAttempt&)> visit) ABSL_LOCKS_EXCLUDED(mu_);
  // Calls `visit` likewise on the attempt `ref` names (its task run and
  // attempt number), if it is held; returns whether it was.
  bool Visit(const v1::AttemptRef& ref, absl::FunctionRef<void(HeldAttempt&)> visit)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool SlotFreeOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool WorkEnded() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool LeaseQueuedOrWorkEnded() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool Empty() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  int Busy() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const int slots_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool polling_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<v1::Lease> queued_ ABSL_GUARDED_BY(mu_);
  // By (task run id, attempt number).
  std::map<std::pair<int64_t, int32_t>, HeldAttempt> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace baton::worker
