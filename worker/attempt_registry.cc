#include "worker/attempt_registry.h"

#include <utility>

namespace baton::worker {
namespace {

std::pair<int64_t, int32_t> KeyOf(const v1::AttemptRef& ref) {
  return {ref.task_run_id(), ref.attempt()};
}

}  // namespace

void HeldAttempt::Stop(StopReason why, const std::string& reason) {
  if (stop == StopReason::kNone) stop = why;
  ctx->Cancel(reason);
}

AttemptRegistry::AttemptRegistry(int slots) : slots_(slots) {}

void AttemptRegistry::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

void AttemptRegistry::EndPolling() {
  absl::MutexLock lock(&mu_);
  polling_done_ = true;
}

bool AttemptRegistry::Finish() {
  absl::MutexLock lock(&mu_);
  finished_ = true;
  return !held_.empty();
}

bool AttemptRegistry::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

bool AttemptRegistry::SleepUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  return !mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
}

bool AttemptRegistry::AwaitFreeSlot() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &AttemptRegistry::SlotFreeOrStopping));
  return !stopping_;
}

bool AttemptRegistry::AwaitWorkEnded(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &AttemptRegistry::WorkEnded), timeout);
}

int AttemptRegistry::AwaitEmpty(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &AttemptRegistry::Empty), timeout);
  return static_cast<int>(held_.size());
}

int AttemptRegistry::BusySlots() const {
  absl::MutexLock lock(&mu_);
  return Busy();
}

int AttemptRegistry::FreeSlots() const {
  absl::MutexLock lock(&mu_);
  return slots_ - Busy();
}

void AttemptRegistry::Admit(std::vector<Admission> admitted) {
  absl::MutexLock lock(&mu_);
  for (auto& [lease, attempt] : admitted) {
    held_[KeyOf(lease.attempt())] = std::move(attempt);
    queued_.push_back(std::move(lease));
  }
}

std::optional<v1::Lease> AttemptRegistry::NextLease() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &AttemptRegistry::LeaseQueuedOrWorkEnded));
  if (queued_.empty() || finished_) return std::nullopt;
  v1::Lease lease = std::move(queued_.front());
  queued_.pop_front();
  return lease;
}

std::shared_ptr<TaskContext> AttemptRegistry::ContextOf(const v1::AttemptRef& ref) const {
  absl::MutexLock lock(&mu_);
  return held_.at(KeyOf(ref)).ctx;
}

StopReason AttemptRegistry::StopReasonOf(const v1::AttemptRef& ref) const {
  absl::MutexLock lock(&mu_);
  return held_.at(KeyOf(ref)).stop;
}

void AttemptRegistry::Release(const v1::AttemptRef& ref) {
  absl::MutexLock lock(&mu_);
  held_.erase(KeyOf(ref));
}

void AttemptRegistry::ForEach(absl::FunctionRef<void(HeldAttempt&)> visit) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, attempt] : held_) visit(attempt);
}

bool AttemptRegistry::Visit(const v1::AttemptRef& ref,
                            absl::FunctionRef<void(HeldAttempt&)> visit) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(KeyOf(ref));
  if (it == held_.end()) return false;
  visit(it->second);
  return true;
}

bool AttemptRegistry::SlotFreeOrStopping() const { return stopping_ || slots_ > Busy(); }

bool AttemptRegistry::WorkEnded() const { return finished_ || (polling_done_ && held_.empty()); }

bool AttemptRegistry::LeaseQueuedOrWorkEnded() const { return !queued_.empty() || WorkEnded(); }

bool AttemptRegistry::Empty() const { return held_.empty(); }

int AttemptRegistry::Busy() const { return static_cast<int>(queued_.size() + held_.size()); }

}  // namespace baton::worker
