// Worker registrations and liveness. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/engine/routing_rules.h"
#include "orchestrator/store/records.h"

namespace baton::store {

class PgPool;

class WorkerStore {
 public:
  explicit WorkerStore(PgPool& pool) : pool_(pool) {}

  // Stores a new worker; returns it with its id.
  absl::StatusOr<WorkerRecord> RegisterWorker(const WorkerRecord& worker);

  // The worker with `id`, which must be registered and not stopped:
  // NOT_FOUND otherwise (the worker should register again). Also records that
  // it was seen now.
  absl::StatusOr<WorkerRecord> TouchWorker(const std::string& id);

  // Marks the worker stopped. NOT_FOUND when unknown.
  absl::Status DeregisterWorker(const std::string& id);

  // Workers registered, newest first; online = seen within `liveness` and not
  // stopped. Stopped workers only with include_stopped.
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers(absl::Duration liveness,
                                                        bool include_stopped);

  // (queue, handler) pairs that online workers (seen within `liveness`, not
  // stopped) registered: what can be leased now (engine/routing_rules.h).
  absl::StatusOr<engine::ServedRoutes> ServedRoutes(absl::Duration liveness);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
