#include "tests/chaos/health_sampler.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"

namespace baton::chaos {

HealthSampler::HealthSampler(const SoakCluster& cluster) : cluster_(cluster) {}

HealthSampler::~HealthSampler() { Stop(); }

void HealthSampler::Start() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const absl::Time before = absl::Now();
      const std::string health = cluster_.HealthOfAll();
      const absl::Time after = absl::Now();
      bool all = true;
      for (const std::string& replica : cluster_.replicas()) {
        all = all && absl::StrContains(health, replica + "=SERVING");
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        samples_.push_back({before + (after - before) / 2, all, health});
      }
      absl::SleepFor(absl::Seconds(1) - std::min(absl::Seconds(1), after - before));
    }
  });
}

void HealthSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<HealthSample> HealthSampler::Samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

bool ServingThroughout(const std::vector<HealthSample>& samples, absl::Time start, absl::Time end,
                       absl::Duration margin) {
  bool before = false;
  bool after = false;
  for (const HealthSample& s : samples) {
    if (s.at < start - margin || s.at > end + margin) continue;
    if (!s.all_serving) return false;
    before = before || s.at <= start;
    after = after || s.at >= end;
  }
  return before && after;
}

}  // namespace baton::chaos
