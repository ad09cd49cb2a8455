#include "worker/task_context.h"

#include <chrono>

namespace baton::worker {

std::string TaskContext::cancel_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_reason_;
}

bool TaskContext::WaitForCancel(absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [this] { return cancelled(); });
}

void TaskContext::Cancel(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled()) return;
    cancel_reason_ = reason;
    cancelled_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

}  // namespace baton::worker
