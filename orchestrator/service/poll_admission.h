// Bounds the polls waiting in PollLeases: at most `max_per_worker` for one
// worker id and `max_total` for all workers together. Each waiting poll holds
// a server thread and, when it wakes, a database connection, so a worker (or
// someone holding a worker id) opening polls in a loop must not take them all.
// Thread-safe.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace baton::service {

class PollAdmission {
 public:
  // Holds one place until destroyed. Move-only.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class PollAdmission;
    Ticket(PollAdmission* owner, std::string worker_id);
    PollAdmission* owner_;
    std::string worker_id_;
  };

  PollAdmission(int max_per_worker, int max_total);

  // A place for one more poll of `worker_id`, or RESOURCE_EXHAUSTED naming the
  // bound that was reached.
  absl::StatusOr<Ticket> Admit(const std::string& worker_id);

  int waiting() const;
  int waiting(const std::string& worker_id) const;

 private:
  void Release(const std::string& worker_id);

  const int max_per_worker_;
  const int max_total_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> per_worker_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace baton::service
