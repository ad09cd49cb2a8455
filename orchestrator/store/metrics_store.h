// Aggregates for the Prometheus metrics, read from the database when scraped.
// Each family is one aggregate query returning at most a few hundred rows;
// the scans behind them grow with the tables (runs are never deleted), so a
// scrape costs a few sequential scans. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::store {

class PgPool;

struct LabeledCount {
  std::vector<std::string> labels;  // in the order the family names them
  double value = 0;
};

struct MetricsSnapshot {
  std::vector<LabeledCount> flow_runs;    // {state}
  std::vector<LabeledCount> task_runs;    // {state}
  std::vector<LabeledCount> ready_tasks;  // {queue}: tasks READY, not yet leased
  std::vector<LabeledCount> breakers;     // {key, state}: 1 for each breaker's state
  std::vector<LabeledCount> workers;      // {state}: ONLINE, LOST or STOPPED
  std::vector<LabeledCount> attempts;     // {state}: ended attempts by their final state
  double retries = 0;                     // ended attempts whose decision was a retry
  // Seconds from READY to leased, for the latest attempt of each task run
  // leased within the window (newest first, at most kMaxLeaseWaitSamples).
  std::vector<double> lease_waits;
};

class MetricsStore {
 public:
  static constexpr int kMaxLeaseWaitSamples = 10000;

  explicit MetricsStore(PgPool& pool) : pool_(pool) {}

  // One snapshot in one read-only transaction. `worker_liveness`: a worker
  // not seen for this long is LOST. Errors as PgPool::Transact.
  absl::StatusOr<MetricsSnapshot> Read(absl::Duration worker_liveness,
                                       absl::Duration lease_wait_window);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
