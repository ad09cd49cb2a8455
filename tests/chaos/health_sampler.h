// Samples the gRPC health of every replica about once a second on a thread
// of its own, for the soak to compare what clients saw with what health
// said at the time. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "tests/chaos/soak_cluster.h"

namespace baton::chaos {

struct HealthSample {
  absl::Time at;  // half-way through the probes
  bool all_serving = false;
  std::string health;  // "o1=SERVING o2=NOT_SERVING"
};

class HealthSampler {
 public:
  explicit HealthSampler(const SoakCluster& cluster);
  ~HealthSampler();

  void Start();
  void Stop();  // returns once the probe in flight is done (bounded)
  std::vector<HealthSample> Samples() const;

 private:
  const SoakCluster& cluster_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<HealthSample> samples_;  // guarded by mu_
};

// Whether every sample from `margin` before `start` to `margin` after `end`
// says all replicas serve, with at least one sample at or before `start` and
// one at or after `end` in that span: health claimed SERVING all along.
bool ServingThroughout(const std::vector<HealthSample>& samples, absl::Time start, absl::Time end,
                       absl::Duration margin);

}  // namespace baton::chaos
