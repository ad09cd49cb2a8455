#include "orchestrator/service/poll_admission.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace baton::service {

PollAdmission::Ticket::Ticket(PollAdmission* owner, std::string worker_id)
    : owner_(owner), worker_id_(std::move(worker_id)) {}

PollAdmission::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), worker_id_(std::move(other.worker_id_)) {}

PollAdmission::Ticket& PollAdmission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release(worker_id_);
    owner_ = std::exchange(other.owner_, nullptr);
    worker_id_ = std::move(other.worker_id_);
  }
  return *this;
}

PollAdmission::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->Release(worker_id_);
}

PollAdmission::PollAdmission(int max_per_worker, int max_total)
    : max_per_worker_(max_per_worker), max_total_(max_total) {}

absl::StatusOr<PollAdmission::Ticket> PollAdmission::Admit(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  int& mine = per_worker_[worker_id];
  if (mine >= max_per_worker_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "worker ", worker_id, " already has ", mine, " polls waiting; expected at most ",
        max_per_worker_, " at once per worker (max polls per worker)"));
  }
  if (total_ >= max_total_) {
    if (mine == 0) per_worker_.erase(worker_id);
    return absl::ResourceExhaustedError(
        absl::StrCat("the orchestrator already has ", total_, " polls waiting; expected at most ",
                     max_total_, " at once from all workers (max waiting polls); retry later"));
  }
  ++mine;
  ++total_;
  return Ticket(this, worker_id);
}

void PollAdmission::Release(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = per_worker_.find(worker_id);
  if (--it->second == 0) per_worker_.erase(it);
  --total_;
}

int PollAdmission::waiting() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

int PollAdmission::waiting(const std::string& worker_id) const {
  absl::MutexLock lock(&mu_);
  auto it = per_worker_.find(worker_id);
  return it == per_worker_.end() ? 0 : it->second;
}

}  // namespace baton::service
