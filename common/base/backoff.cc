#include "common/base/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace baton {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry, double unit_random) {
  const double exponent = std::max(0, retry - 1);
  // Computed in seconds as a double so that large exponents saturate instead of overflowing.
  const double base = absl::ToDoubleSeconds(policy.initial) * std::pow(policy.factor, exponent);
  const double capped = std::min(base, absl::ToDoubleSeconds(policy.max));
  const double spread = capped * policy.jitter * (2.0 * unit_random - 1.0);
  const double seconds = std::clamp(capped + spread, 0.0, absl::ToDoubleSeconds(policy.max));
  return absl::Seconds(seconds);
}

double UnitRandom() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace baton
