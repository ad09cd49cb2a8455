// Exponential backoff with jitter, for retry delays (orchestrator) and
// reconnects (worker, CLI). Pure: randomness comes in as a number in [0, 1).
#pragma once

#include "absl/time/time.h"

namespace baton {

struct BackoffPolicy {
  absl::Duration initial = absl::Milliseconds(100);
  double factor = 2.0;  // >= 1
  absl::Duration max = absl::Seconds(10);
  double jitter = 0.2;  // fraction in [0, 1]
};

// Delay before retry number `retry` (1-based): min(max, initial * factor^(retry-1)),
// then spread uniformly over [d * (1 - jitter), d * (1 + jitter)] using
// `unit_random` in [0, 1), and clamped to [0, max].
absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry, double unit_random);

// A uniformly distributed number in [0, 1) from a thread-local generator.
double UnitRandom();

}  // namespace baton
