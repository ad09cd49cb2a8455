#include "orchestrator/store/socket_watchdog.h"

#include <sys/socket.h>

#include <algorithm>

#include "absl/time/clock.h"

namespace baton::store {

SocketWatchdog::SocketWatchdog() : thread_([this] { Run(); }) {}

SocketWatchdog::~SocketWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

int64_t SocketWatchdog::Arm(int fd, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  const int64_t ticket = next_ticket_++;
  if (fd >= 0 && deadline != absl::InfiniteFuture()) watches_[ticket] = Watch{fd, deadline};
  return ticket;
}

bool SocketWatchdog::Disarm(int64_t ticket) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(ticket);
  if (it == watches_.end()) return false;
  const bool fired = it->second.fired;
  watches_.erase(it);
  return fired;
}

void SocketWatchdog::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // Arm() does not wake the thread: it looks again within this.
    absl::Time next = absl::Now() + absl::Milliseconds(200);
    const absl::Time now = absl::Now();
    for (auto& [ticket, watch] : watches_) {
      if (watch.fired) continue;
      if (now >= watch.deadline) {
        // Not close(): the owner still holds the descriptor and closes it.
        ::shutdown(watch.fd, SHUT_RDWR);
        watch.fired = true;
      } else {
        next = std::min(next, watch.deadline);
      }
    }
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), next);
  }
}

}  // namespace baton::store
