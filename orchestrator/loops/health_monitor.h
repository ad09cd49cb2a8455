// Watches whether the orchestrator can serve: every `interval` it runs a probe
// (in the orchestrator, a trivial query through the database pool) and
// publishes SERVING / NOT_SERVING when the answer changes, logging each change
// once. Free of gRPC: the orchestrator passes a publisher that sets the
// standard gRPC health service's status.
//
// Thread-safe: Start and Stop may be called from any thread; the probe and the
// publisher run on the monitor's own thread, never concurrently.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/base/periodic_thread.h"

namespace baton {

class HealthMonitor {
 public:
  using Probe = std::function<absl::Status()>;
  using Publish = std::function<void(bool serving)>;

  // The published state starts as SERVING (the caller has just reached the
  // database); `publish` is called only on a change.
  HealthMonitor(Probe probe, Publish publish, absl::Duration interval);
  ~HealthMonitor() = default;  // stops the thread
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void Start();
  // Bounded by one probe (which the probe itself must bound). Idempotent.
  void Stop();

  bool serving() const;

 private:
  void CheckOnce();

  const Probe probe_;
  const Publish publish_;
  mutable std::mutex mu_;
  bool serving_ = true;
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace baton
