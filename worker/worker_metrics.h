// A worker's Prometheus endpoint: GET http://<address>/metrics with
// baton_worker_slots{state="busy|free"} (read at scrape time),
// baton_worker_attempts_total{outcome} and baton_worker_heartbeat_failures_total.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/worker.h"

namespace baton::worker {

class WorkerMetrics {
 public:
  // Serves /metrics on `address` (host:port; port 0: any free port).
  // UNAVAILABLE when it cannot listen.
  static absl::StatusOr<std::unique_ptr<WorkerMetrics>> Start(const std::string& address);
  ~WorkerMetrics();

  // "host:port" actually bound.
  const std::string& address() const;

  // Hooks that count into this object, which must outlive every call to them.
  WorkerHooks Hooks();

  // Reports slots from `busy` (called at each scrape) out of `slots`; `busy`
  // must stay callable until this object is destroyed.
  void WatchSlots(std::function<int()> busy, int slots);

  struct Parts;

 private:
  explicit WorkerMetrics(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace baton::worker
