#include "orchestrator/health_monitor.h"

#include "spdlog/spdlog.h"

namespace baton {

HealthMonitor::HealthMonitor(Probe probe, Publish publish, absl::Duration interval)
    : probe_(std::move(probe)), publish_(std::move(publish)), interval_(interval) {}

void HealthMonitor::Start() { thread_ = std::thread([this] { Loop(); }); }

void HealthMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HealthMonitor::serving() const {
  std::lock_guard<std::mutex> lock(mu_);
  return serving_;
}

void HealthMonitor::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    CheckOnce();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stop_; });
  }
}

void HealthMonitor::CheckOnce() {
  const absl::Status status = probe_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok() == serving_) return;
    serving_ = status.ok();
  }
  if (status.ok()) {
    spdlog::info("health: SERVING (the database answers again)");
  } else {
    spdlog::warn("health: NOT_SERVING: {}", status.ToString());
  }
  publish_(status.ok());
}

}  // namespace baton
