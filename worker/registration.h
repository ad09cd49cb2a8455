// What the orchestrator said when it registered this worker: the worker id
// every call names, how often to heartbeat and how long a lease lasts.
// Internal to the SDK. Thread-safe: the poller registers (again, when the
// orchestrator forgot the id), the other parts read.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace baton::worker {

class Registration {
 public:
  // Empty while the worker is not registered.
  std::string worker_id() const ABSL_LOCKS_EXCLUDED(mu_);
  // The orchestrator's values; defaults until the first registration.
  absl::Duration heartbeat_interval() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Duration lease_duration() const ABSL_LOCKS_EXCLUDED(mu_);

  void Set(std::string worker_id, absl::Duration heartbeat_interval, absl::Duration lease_duration)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The orchestrator no longer knows the id: the worker registers again.
  void Forget() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
  absl::Duration heartbeat_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(10);
  absl::Duration lease_duration_ ABSL_GUARDED_BY(mu_) = absl::Seconds(30);
};

}  // namespace baton::worker
