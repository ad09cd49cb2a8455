#include "worker/registration.h"

#include <utility>

namespace baton::worker {

std::string Registration::worker_id() const {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

absl::Duration Registration::heartbeat_interval() const {
  absl::MutexLock lock(&mu_);
  return heartbeat_interval_;
}

absl::Duration Registration::lease_duration() const {
  absl::MutexLock lock(&mu_);
  return lease_duration_;
}

void Registration::Set(std::string worker_id, absl::Duration heartbeat_interval,
                       absl::Duration lease_duration) {
  absl::MutexLock lock(&mu_);
  worker_id_ = std::move(worker_id);
  heartbeat_interval_ = heartbeat_interval;
  lease_duration_ = lease_duration;
}

void Registration::Forget() {
  absl::MutexLock lock(&mu_);
  worker_id_.clear();
}

}  // namespace baton::worker
