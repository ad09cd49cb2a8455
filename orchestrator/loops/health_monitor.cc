#include "orchestrator/loops/health_monitor.h"

#include "spdlog/spdlog.h"

namespace baton {

HealthMonitor::HealthMonitor(Probe probe, Publish publish, absl::Duration interval)
    : probe_(std::move(probe)),
      publish_(std::move(publish)),
      thread_(interval, [this] { CheckOnce(); }) {}

void HealthMonitor::Start() { thread_.Start(); }

void HealthMonitor::Stop() { thread_.Stop(); }

bool HealthMonitor::serving() const {
  std::lock_guard<std::mutex> lock(mu_);
  return serving_;
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
