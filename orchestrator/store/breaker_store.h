// Circuit breakers: one row per key, shared by every flow, worker and
// orchestrator replica. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "orchestrator/engine/breaker_rules.h"

namespace baton::store {

class PgPool;

struct BreakerRecord {
  std::string key;
  engine::Breaker breaker;
  CircuitBreakerSpec spec;  // the settings most recently declared
  absl::Time updated_at = absl::InfinitePast();
};

class BreakerStore {
 public:
  explicit BreakerStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::vector<BreakerRecord>> ListBreakers();

  // Closes the breaker and clears its failures (and any probe). NOT_FOUND
  // names the key when no task ever declared it.
  absl::StatusOr<BreakerRecord> ResetBreaker(const std::string& key);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
