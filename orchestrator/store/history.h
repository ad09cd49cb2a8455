// The state_transitions table: every state change of a run, task run or
// attempt, written in the transaction that makes it. Store-internal.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "orchestrator/model/states.h"

namespace baton::store {

struct Transition {
  std::string entity;  // "run", "task" or "attempt"
  std::string run_id;
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string from_state;  // empty for the first state
  std::string to_state;
  bool terminal = false;
  std::string reason;
  std::string breaker_key;  // entity "breaker"
};

Transition RunTransition(const std::string& run_id, model::FlowRunState from,
                         model::FlowRunState to, std::string reason = "");
Transition TaskTransition(const std::string& run_id, int64_t task_run_id, model::TaskRunState from,
                          model::TaskRunState to, std::string reason = "");
Transition AttemptTransition(const std::string& run_id, int64_t task_run_id, int32_t attempt,
                             model::AttemptState to, std::string reason = "");

// Inserts all of them in one statement. A second terminal transition of the
// same thing violates a unique index (ALREADY_EXISTS from PgPool::Transact).
void RecordTransitions(pqxx::work& tx, const std::vector<Transition>& transitions);

}  // namespace baton::store
