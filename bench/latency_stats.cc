#include "bench/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace baton::bench {
namespace {

size_t RankIndex(size_t n, double p) {
  const double rank = std::ceil(p / 100.0 * static_cast<double>(n));
  return static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(n))) - 1;
}

double Ms(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

}  // namespace

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  return sorted[RankIndex(sorted.size(), p)];
}

LatencySummary Summarize(std::vector<int64_t> micros) {
  LatencySummary s;
  if (micros.empty()) return s;
  std::sort(micros.begin(), micros.end());
  s.count = micros.size();
  const double sum = std::accumulate(micros.begin(), micros.end(), 0.0);
  s.mean_ms = sum / static_cast<double>(s.count) / 1000.0;
  s.p50_ms = Ms(Percentile(micros, 50));
  s.p90_ms = Ms(Percentile(micros, 90));
  s.p99_ms = Ms(Percentile(micros, 99));
  s.max_ms = Ms(micros.back());
  return s;
}

double SteadyRate(std::vector<int64_t> ends_us, double from, double to) {
  if (ends_us.size() < 10) return 0;
  std::sort(ends_us.begin(), ends_us.end());
  const size_t a = RankIndex(ends_us.size(), from);
  const size_t b = RankIndex(ends_us.size(), to);
  const int64_t span = ends_us[b] - ends_us[a];
  if (b <= a || span <= 0) return 0;
  return static_cast<double>(b - a) / (static_cast<double>(span) / 1e6);
}

}  // namespace baton::bench
