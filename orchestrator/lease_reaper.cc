#include "orchestrator/lease_reaper.h"

#include "spdlog/spdlog.h"

namespace baton {
namespace {
constexpr int kBatch = 500;
}  // namespace

void LeaseReaper::Start() { thread_ = std::thread([this] { Loop(); }); }

void LeaseReaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseReaper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    SweepOnce();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stop_; });
  }
}

void LeaseReaper::SweepOnce() {
  while (true) {
    absl::StatusOr<int> expired = leases_.ExpireLeases(kBatch);
    if (!expired.ok()) {
      spdlog::warn("lease reaper: {}", expired.status().ToString());
      return;  // the next tick retries
    }
    if (*expired > 0) spdlog::info("lease reaper: {} expired lease(s), tasks ready again", *expired);
    if (*expired < kBatch) return;
  }
}

}  // namespace baton
