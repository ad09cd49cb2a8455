// Runs a step on a thread of its own: once at Start(), then every `interval`,
// until Stop(). The background loops (timers, scheduler, health) use it.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace baton {

class PeriodicThread {
 public:
  PeriodicThread(absl::Duration interval, std::function<void()> step)
      : interval_(interval), step_(std::move(step)) {}
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  // Waits for the step in progress (the step must bound itself). Idempotent.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      step_();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stop_; });
    }
  }

  const absl::Duration interval_;
  const std::function<void()> step_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace baton
