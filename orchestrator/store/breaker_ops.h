// Breaker changes made inside other operations' transactions. Store-internal.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "orchestrator/engine/breaker_rules.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {

// Reads the columns of queries/breaker/lock_breaker.sql, by name.
engine::Breaker BreakerFromRow(const pqxx::row& row);

// Creates the breaker rows a new run's tasks name (or refreshes their settings).
void UpsertRunBreakers(pqxx::work& tx, const std::string& run_id);

// Counts the ended attempt of `task` (which has a breaker) in its breaker and
// records a transition, in the task's run, when the state changes.
void RecordBreakerOutcome(pqxx::work& tx, const TaskRow& task, bool success,
                          std::vector<Transition>& history);

// Breakers whose cooldown passed (OPEN) or that wait for a probe (HALF_OPEN
// without one), locked; for the lease path.
struct ProbeSlot {
  std::string key;
  engine::Breaker breaker;
};
std::vector<ProbeSlot> LockProbeSlots(pqxx::work& tx);

// Makes `task_run_id` the breaker's probe (HALF_OPEN), recording the change in
// the probe's run.
void StartProbe(pqxx::work& tx, const ProbeSlot& slot, int64_t task_run_id,
                const std::string& run_id, std::vector<Transition>& history);

Transition BreakerTransition(const std::string& run_id, int64_t task_run_id, const std::string& key,
                             engine::BreakerState from, engine::BreakerState to,
                             std::string reason);

}  // namespace baton::store
