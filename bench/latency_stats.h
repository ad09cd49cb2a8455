// Order statistics of a sample of durations, for the benchmark report. Pure
// (no I/O); thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace baton::bench {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Nearest-rank percentile (`p` in [0, 100]) of `sorted` (ascending, not
// empty): the smallest value with at least p% of the sample at or below it.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);

// Summarizes durations given in microseconds; all zero for an empty sample.
LatencySummary Summarize(std::vector<int64_t> micros);

// Tasks per second between the moments `from`% and `to`% of the tasks had
// ended (`ends_us`: end times in microseconds, any order). Leaves out the
// ramp-up and the tail; 0 when the sample is too small or the span is empty.
double SteadyRate(std::vector<int64_t> ends_us, double from, double to);

}  // namespace baton::bench
