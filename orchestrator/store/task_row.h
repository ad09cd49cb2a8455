// The locked row of a task run, as the attempt-ending and timer paths need it.
// Store-internal.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "orchestrator/engine/lease_rules.h"
#include "orchestrator/model/states.h"

namespace baton::store {

struct TaskRow {
  int64_t id = 0;
  std::string run_id;
  std::string name;
  engine::TaskLeaseView lease;  // state, attempt, token, lease expiry
  absl::Time execution_deadline = absl::InfiniteFuture();
  RetryPolicy retry;
  std::optional<CircuitBreakerSpec> breaker;
  std::string fallback_name;  // this task's fallback, if any
  std::string fallback_for;   // set on a fallback task
  bool cancel_requested = false;
  bool acknowledged = true;  // the worker acknowledged the current lease
  int32_t undelivered = 0;   // attempts that ended UNDELIVERED (not spent)
  absl::Time now;            // the database's clock when the row was read
};

// Attempts spent: the current attempt number less those never delivered.
// What the retry policy counts.
inline int SpentAttempts(const TaskRow& task) { return task.lease.attempt - task.undelivered; }

// Reads the columns of queries/task/lock_task_row.sql, by name (a query that
// reads task rows selects the same columns; its own follow under their names).
TaskRow TaskRowFrom(const pqxx::row& row);

// Locks and reads one task run; nullopt when it does not exist.
std::optional<TaskRow> LockTaskRow(pqxx::work& tx, int64_t task_run_id);

}  // namespace baton::store
