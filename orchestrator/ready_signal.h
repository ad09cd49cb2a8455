// Wakes long polls when tasks may have become ready. A generation counter
// avoids lost wake-ups: read generation(), look for work, then WaitFor() that
// generation. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "absl/time/time.h"

namespace baton {

class ReadySignal {
 public:
  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }

  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }

  // Wakes every waiter now and forever after (server shutdown).
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
  }

  bool shut_down() const {
    std::lock_guard<std::mutex> lock(mu_);
    return shutdown_;
  }

  // Returns when the generation moved past `seen`, on shutdown, or after `timeout`.
  void WaitFor(uint64_t seen, absl::Duration timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMicroseconds(timeout),
                 [&] { return generation_ != seen || shutdown_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t generation_ = 0;
  bool shutdown_ = false;
};

}  // namespace baton
